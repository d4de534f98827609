import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import { errorBody } from './common/errors/error-body';
import { shortened } from './common/errors/quoted';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME, BEARER_SCHEME } from './auth/caller-auth';
import { AppConfig } from './config/app-config';
import { IMAGE_FIELD } from './predict/multipart-images';
import { UI_ROUTE } from './ui/ui-path';

export const DOCS_PATH = 'docs';

/**
 * What the Swagger UI page loads from /docs/. @nestjs/swagger serves the whole
 * swagger-ui-dist folder there, its README, package.json and megabytes of
 * source maps included, which tell a visitor the exact versions in use and
 * serve no user: everything else under /docs/ is a 404.
 */
const SWAGGER_UI_FILES: ReadonlySet<string> = new Set([
  '',
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'swagger-ui-init.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
]);

/** Swagger UI at /docs and the OpenAPI document at /docs-json. */
export function setUpSwagger(app: INestApplication, version: string): void {
  const config = app.get(AppConfig);
  const builder = new DocumentBuilder()
      .setTitle('ONNX model server')
      .setDescription(
        'Versioned ONNX models over REST. Pick a version per request with the X-Model-Version header ' +
          '(a number or a label such as "stable"); every model response says which version served it.' +
          (config.UI_ENABLED
            ? `\n\nTry the models in a browser, with live request, latency and batching charts: [the playground](${UI_ROUTE}).`
            : '') +
          (config.PREDICT_AUTH !== 'off'
            ? `\n\nThe model APIs need a credential (PREDICT_AUTH=${config.PREDICT_AUTH}): press "Authorize" and give it once for every route.`
            : ''),
    )
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, for the admin API only' });
  if (config.PREDICT_AUTH !== 'off') {
    builder
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'For the model APIs: an API key or a JWT, as PREDICT_AUTH says' }, BEARER_SCHEME)
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'For the model APIs: an API key (PREDICT_AUTH with keys)' }, API_KEY_SCHEME);
  }
  const document = SwaggerModule.createDocument(app, builder.build());
  if (config.PREDICT_AUTH === 'off') withoutSchemes(document, [BEARER_SCHEME, API_KEY_SCHEME]);
  documentImageUpload(document);
  answerDocumentsFromMemory(app.getHttpAdapter().getInstance());
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json` });
  const prefix = `/${DOCS_PATH}/`;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      // Every request passes here: only those under /docs/ are looked at further.
      if (!request.url.startsWith(prefix)) {
        done();
        return;
      }
      const path = request.url.split('?')[0];
      const served = (request.method === 'GET' || request.method === 'HEAD') && SWAGGER_UI_FILES.has(path.slice(prefix.length));
      // Answered here, in the service's error shape: the static-file plugin's own 404 is plain text.
      if (path.startsWith(prefix) && !served) void reply.code(404).send(errorBody(404, `Cannot ${request.method} ${shortened(path, 200)}`));
      else done();
    });
}

/**
 * @nestjs/swagger serialises the whole document again on every GET of
 * /docs-json (JSON.stringify, 43 KB) and /docs-yaml (js-yaml, 65 KB): clients
 * pipelining hundreds of such requests kept a process busy for most of a
 * second. The document never changes once built, so each answer is kept from
 * its first sending and sent as it is afterwards. Hooks of these two routes
 * only: nothing is added to other requests.
 */
function answerDocumentsFromMemory(fastify: FastifyInstance): void {
  const documentRoutes = new Set([`/${DOCS_PATH}-json`, `/${DOCS_PATH}-yaml`]);
  fastify.addHook('onRoute', (route) => {
    if (!documentRoutes.has(route.url)) return;
    let kept: { type: string; body: string } | undefined;
    const answerKept: onRequestHookHandler = (_request, reply, done) => {
      if (kept) void reply.type(kept.type).send(kept.body);
      else done();
    };
    const keep: onSendHookHandler<unknown> = (_request, reply, payload, done) => {
      if (!kept && reply.statusCode === 200 && typeof payload === 'string') {
        kept = { type: String(reply.getHeader('content-type')), body: payload };
      }
      done(null, payload);
    };
    route.onRequest = [...hooksOf(route.onRequest), answerKept];
    route.onSend = [...hooksOf(route.onSend), keep];
  });
}

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

/**
 * The model routes name their security schemes in their decorators (auth/caller-auth.ts), whatever
 * PREDICT_AUTH is: with it off, the document drops them, so Swagger UI shows no lock where none is.
 */
function withoutSchemes(document: OpenAPIObject, schemes: readonly string[]): void {
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path)) {
      const security = (operation as { security?: Record<string, unknown>[] } | undefined)?.security;
      if (!Array.isArray(security)) continue;
      const kept = security.filter((requirement) => !Object.keys(requirement).some((scheme) => schemes.includes(scheme)));
      if (kept.length > 0) (operation as { security?: unknown }).security = kept;
      else delete (operation as { security?: unknown }).security;
    }
  }
}

/**
 * The predict route takes JSON or an upload; decorators give both media types
 * the JSON schema, so the multipart one is replaced by a binary file field,
 * which makes "Try it out" show a file picker.
 */
function documentImageUpload(document: OpenAPIObject): void {
  const content = document.paths['/v1/models/{name}/predict']?.post?.requestBody;
  if (!content || !('content' in content)) return;
  content.content['multipart/form-data'] = {
    schema: {
      type: 'object',
      required: [IMAGE_FIELD],
      properties: {
        [IMAGE_FIELD]: {
          type: 'string',
          format: 'binary',
          description:
            'An image (PNG, JPEG, WebP or GIF) for models with image preprocessing, e.g. digits. ' +
            'Repeat the field to send several images in one batch.',
        },
      },
    },
  };
}
