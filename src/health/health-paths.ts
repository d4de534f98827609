/** Health routes; the Helm chart's probes are tested against these. */
export const HEALTH_ROUTES = {
  live: '/health/live',
  ready: '/health/ready',
} as const;

/** Paths of every health probe (ours and the Open Inference Protocol's): platform traffic, never rate-limited. */
export const HEALTH_PREFIXES = ['/health/', '/v2/health/'] as const;
