import { ApiHeader } from '@nestjs/swagger';

/**
 * The request headers every model API documents the same way in Swagger.
 * `pathWins`: the API also takes a version in the path, which wins over the header.
 */
export function ApiVersionHeader(options: { pathWins?: boolean } = {}) {
  return ApiHeader({
    name: 'X-Model-Version',
    required: false,
    description:
      (options.pathWins ? 'Used when the path names no version: ' : '') +
      'a version number (e.g. 2) or a label (e.g. stable, canary). Absent: the configured default version ' +
      '(or the canary split), else the highest READY one. The response carries the version that served it in the same header.',
    schema: { type: 'string', example: '1' },
  });
}

export function ApiRequestKeyHeader() {
  return ApiHeader({
    name: 'X-Request-Key',
    required: false,
    description:
      'A stable key such as a user id: when the model splits traffic between versions (canary weights), ' +
      'requests with the same key get the same version.',
    schema: { type: 'string' },
  });
}

export function ApiRequestTimeoutHeader() {
  return ApiHeader({
    name: 'X-Request-Timeout-Ms',
    required: false,
    description:
      'How long the caller will wait: inference still queued after this is dropped with a 503 (bounded by QUEUE_TIMEOUT_MS).',
    schema: { type: 'integer', minimum: 1 },
  });
}
