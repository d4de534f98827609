/** Where Prometheus scrapes; the Helm chart's scrape annotations are tested against it. */
export const METRICS_ROUTE = '/metrics';
