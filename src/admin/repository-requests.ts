import { DomainError } from '../common/errors/domain-error';
import { quoted } from '../common/errors/quoted';
import { jsonLimitExceeded } from '../common/validation/json-limits';
import type { ModelStatus } from '../model-registry/model-version';
import type { RouteBodyLimits } from '../common/http/body-parsers';
import type { RepositoryIndexEntryDto } from './dto/repository-index.dto';

/** Where the Open Inference Protocol's model repository extension lives. */
export const REPOSITORY_ROUTES_PREFIX = '/v2/repository';

/**
 * Its bodies are a flag or a parameter or two: the admin API's small bounds, not /v2's 1 MiB of tensors.
 * Without a Content-Type (as tritonclient sends them) they arrive as raw bytes and are bounded here.
 */
export const REPOSITORY_BODY_LIMITS: RouteBodyLimits = {
  prefix: REPOSITORY_ROUTES_PREFIX,
  bytes: 64 * 1024,
  json: { maxDepth: 4, maxContainers: 16, maxKeys: 32, fixedFor: 'the model repository API limit' },
};

/** `{"ready": true}` lists only READY versions; no body, or `{}`, lists every one. */
export function readIndexRequest(body: unknown): { readyOnly: boolean } {
  const request = objectOf(body);
  refuseUnknown(request, ['ready'], '');
  if (request.ready !== undefined && typeof request.ready !== 'boolean') throw badRequest('"ready" must be true or false');
  return { readyOnly: request.ready === true };
}

/**
 * A load takes no parameters here: Triton's "config" and "file:" parameters load a model from the
 * request itself, and this service loads only what MODELS_DIR holds.
 */
export function readLoadRequest(body: unknown): void {
  const request = objectOf(body);
  refuseUnknown(request, ['parameters'], '');
  const parameters = parametersOf(request);
  const given = Object.keys(parameters);
  if (given.length > 0) {
    throw badRequest(`parameters ${given.map((name) => quoted(name, 40)).join(', ')} are not supported: models are loaded from MODELS_DIR only`);
  }
}

/** An unload may say "unload_dependents" (tritonclient always sends it): no model here depends on another. */
export function readUnloadRequest(body: unknown): void {
  const request = objectOf(body);
  refuseUnknown(request, ['parameters'], '');
  const parameters = parametersOf(request);
  refuseUnknown(parameters, ['unload_dependents'], 'parameters.');
  if (parameters.unload_dependents !== undefined && typeof parameters.unload_dependents !== 'boolean') {
    throw badRequest('"parameters.unload_dependents" must be true or false');
  }
}

/** One entry per version, in model then version order, as the extension's index answers. */
export function mapRepositoryIndex(models: readonly ModelStatus[], readyOnly: boolean): RepositoryIndexEntryDto[] {
  return models.flatMap((model) =>
    model.versions
      .filter((status) => !readyOnly || status.state === 'READY')
      .map((status) => ({ name: model.name, version: String(status.version), state: status.state, reason: status.reason ?? '' })),
  );
}

function objectOf(body: unknown): Record<string, unknown> {
  let value = body;
  if (Buffer.isBuffer(body)) {
    if (body.length === 0) return {};
    const text = body.toString('utf8');
    const exceeded = jsonLimitExceeded(text, REPOSITORY_BODY_LIMITS.json);
    if (exceeded) throw badRequest(`request body ${exceeded}`);
    try {
      value = JSON.parse(text);
    } catch {
      throw badRequest('request body is not valid JSON');
    }
  }
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('request body must be a JSON object');
  return value as Record<string, unknown>;
}

function parametersOf(request: Record<string, unknown>): Record<string, unknown> {
  const parameters = request.parameters ?? {};
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) throw badRequest('"parameters" must be a JSON object');
  return parameters as Record<string, unknown>;
}

function refuseUnknown(value: Record<string, unknown>, known: readonly string[], path: string): void {
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw badRequest(`unknown field ${quoted(`${path}${unknown}`, 60)}; this request takes ${known.map((key) => `"${path}${key}"`).join(', ')}`);
  }
}

function badRequest(message: string): DomainError {
  return new DomainError('BAD_REQUEST', message);
}
