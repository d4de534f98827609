import { describe, expect, it } from 'vitest';
import { PROMTOOL, promtool, promtoolPresence } from './support/promtool';
import { metricFamilies, useScrapedApp, withoutFamilies } from './support/scrape';

/**
 * `promtool check metrics` (Prometheus' own parser and linter) on a real scrape of the running
 * service, with traffic on every protocol and every optional family of series on (drift, prediction
 * log, gRPC, a shadow version). The service's own series must pass without a finding. The one tolerated finding is
 * prom-client's default metrics naming three gauges *_total (nodejs_active_handles_total,
 * nodejs_active_requests_total, nodejs_active_resources_total): `_total` is for counters, but the
 * names are prom-client's (collectDefaultMetrics), not the service's, and nothing reads them as
 * counters; the scrape without them must then exit 0.
 */

/** prom-client's default gauges named like counters (lint: non-counter metrics should not have "_total" suffix). */
const PROM_CLIENT_TOTAL_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

describe('promtool check metrics on a scrape of the running service', () => {
  const scraped = useScrapedApp();

  it.skipIf(!PROMTOOL)('finds nothing wrong with the service series (only prom-client default gauges named *_total)', async () => {
    const text = await scraped.scrape();
    const families = metricFamilies(text);
    // The scrape really holds the families the chart's queries and alerts read.
    for (const name of ['http_request_duration_seconds', 'grpc_server_handling_seconds', 'model_queue_depth', 'model_version_ready', 'prediction_log_dropped_total', 'model_feature_drift_psi', 'model_drift_window_instances', 'model_deprecated_requests_total', 'model_version_sunset_timestamp_seconds', 'model_shadow_requests_total', 'model_shadow_agreements_total', 'model_shadow_difference', 'model_shadow_duration_seconds', 'model_shadow_queued']) {
      expect(families.has(name), name).toBe(true);
    }

    const full = promtool(['check', 'metrics'], text);
    // 0: clean; 3: lint findings only. 1 would be a scrape Prometheus cannot parse.
    expect([0, 3], `promtool check metrics:\n${full.stdout}${full.stderr}`).toContain(full.status);
    const findings = `${full.stdout}${full.stderr}`.split('\n').filter((line) => line.trim() !== '');
    const unexpected = findings.filter((line) => !PROM_CLIENT_TOTAL_GAUGES.some((name) => line.startsWith(`${name} `)));
    expect(unexpected, 'promtool lint findings on the service series').toEqual([]);
    for (const name of PROM_CLIENT_TOTAL_GAUGES) if (families.has(name)) expect(families.get(name)).toBe('gauge');

    const ours = promtool(['check', 'metrics'], withoutFamilies(text, PROM_CLIENT_TOTAL_GAUGES));
    expect(ours.status, `promtool check metrics without prom-client's *_total gauges:\n${ours.stdout}${ours.stderr}`).toBe(0);
  });

  it('notes whether promtool ran (and fails when PROMTOOL_REQUIRED=1 and there is none)', () => {
    const { ok, message } = promtoolPresence();
    console.info(message);
    expect(ok, message).toBe(true);
  });
});
