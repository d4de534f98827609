import { ApiGoneResponse, ApiHeader } from '@nestjs/swagger';

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

/**
 * The response headers of a deprecated version's answers (RFC 9745 Deprecation, RFC 8594 Sunset, RFC 8288
 * Link), for the `headers` of a route's documented responses; gRPC sends them as trailing metadata.
 */
export const DEPRECATION_RESPONSE_HEADERS = {
  Deprecation: {
    description:
      "Only when the version that answered is deprecated (its model's config.json or the admin API, `versions.<n>.deprecated` " +
      'or `.sunset`): since when, as an RFC 9745 structured date (Unix seconds after @)',
    schema: { type: 'string', example: '@1796083200' },
  },
  Sunset: {
    description: 'Only when the deprecated version has a sunset: when it stops being served (or is refused), an RFC 8594 HTTP-date',
    schema: { type: 'string', example: 'Tue, 01 Jun 2027 00:00:00 GMT' },
  },
  Link: {
    description: 'Only when the deprecation has a link: where to read about it, rel="deprecation" (and rel="sunset" with a sunset)',
    schema: { type: 'string', example: '<https://example.com/iris-v1-retirement>; rel="deprecation", <https://example.com/iris-v1-retirement>; rel="sunset"' },
  },
};

/** The 410 of a version past its sunset whose config says `refuse`; `type` is the route's error body. */
export function ApiVersionSunsetResponse(type?: Function) {
  return ApiGoneResponse({
    ...(type ? { type } : {}),
    description:
      'The selected version is past its sunset and its config says after_sunset "refuse" (code VERSION_SUNSET); the message ' +
      'names the default version to use instead. Carries Deprecation, Sunset and Link as its answers did',
    headers: DEPRECATION_RESPONSE_HEADERS,
  });
}
