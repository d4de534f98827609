/** Health routes; the Helm chart's probes are tested against these. */
export const HEALTH_ROUTES = {
  live: '/health/live',
  ready: '/health/ready',
} as const;
