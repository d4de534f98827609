import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../common/errors/error-body';
import { shortened } from '../common/errors/quoted';
import { type UiAsset, type UiAssets, UI_INDEX } from './ui-assets';
import { UI_ROUTE } from './ui-path';

/**
 * GET /ui, /ui/ (the page) and /ui/<file> (its bundle), as plain Fastify
 * routes: Nest folds '/ui/' into '/ui', and the page is wanted at both. Its
 * files and API calls use absolute paths, so both URLs work alike. Browsers
 * revalidate every file (no-cache with an ETag): the names carry no content
 * hash, and a 304 costs a round trip, not a download.
 */
export function installUiRoutes(fastify: FastifyInstance, assets: UiAssets): void {
  const page = (request: FastifyRequest, reply: FastifyReply): void => {
    const index = assets.get(UI_INDEX);
    if (index) send(request, reply, index);
    else void reply.code(404).send(errorBody(404, assets.missingReason ?? 'the playground is not built'));
  };
  fastify.get(UI_ROUTE, page);
  fastify.get(`${UI_ROUTE}/`, page);
  fastify.get<{ Params: { file: string } }>(`${UI_ROUTE}/:file`, (request, reply) => {
    const { file } = request.params;
    // The page is served at /ui/ only, one URL for one document.
    const asset = file === UI_INDEX ? undefined : assets.get(file);
    if (asset) send(request, reply, asset);
    // The answer of any unknown URL (the service's error shape; Fastify's own 404 says "Cannot GET <path>").
    else void reply.code(404).send(errorBody(404, `Cannot ${request.method} ${shortened(request.url.split('?')[0], 200)}`));
  });
}

function send(request: FastifyRequest, reply: FastifyReply, asset: UiAsset): void {
  void reply.header('cache-control', 'no-cache').header('etag', asset.etag);
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === asset.etag)) {
    void reply.code(304).send();
    return;
  }
  void reply.type(asset.contentType).send(asset.body);
}
