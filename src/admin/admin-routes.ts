import type { RouteBodyLimits } from '../common/http/body-parsers';

export const ADMIN_ROUTES_PREFIX = '/v1/admin';

/** Most labels, weights and deprecated versions one model's run-time config may hold: far more than versions a model keeps. */
export const MAX_CONFIG_MAP_ENTRIES = 256;

/**
 * The only admin body is a model's config: a version, and three maps of at most
 * MAX_CONFIG_MAP_ENTRIES short keys (labels, weights, and versions, each of whose
 * entries is an object of at most 4 keys), nested three levels deep, under 64 KiB.
 * The limits of /v1 and /v2 (1 MiB, 100,000 containers) let a single admin
 * call hold the event loop for seconds (60,000 labels took 4.7 s to check and
 * apply); these refuse such a body while it arrives (413) or before it is
 * parsed (400), naming the limit.
 */
export const ADMIN_BODY_LIMITS: RouteBodyLimits = {
  prefix: ADMIN_ROUTES_PREFIX,
  bytes: 64 * 1024,
  json: { maxDepth: 4, maxContainers: MAX_CONFIG_MAP_ENTRIES + 16, maxKeys: 7 * MAX_CONFIG_MAP_ENTRIES + 16, fixedFor: 'the admin API limit' },
};
