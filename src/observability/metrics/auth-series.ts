import { Counter, type Registry } from 'prom-client';
import { registerScrapedSeries } from './scraped-series';

/** What PREDICT_AUTH reports to its series. */
export interface AuthCounts {
  refused(protocol: 'http' | 'grpc', reason: string): void;
}

/** A file PREDICT_AUTH reads (API_KEYS_FILE, JWT_JWKS_FILE) and whether its last read was good. */
export interface AuthFileState {
  readonly file: 'api_keys' | 'jwks';
  readonly valid: boolean;
}

/**
 * PREDICT_AUTH's series (registered only when it is on): refusals by protocol and reason (every
 * pair starts at 0, so an alert's rate() sees the first one), whether each watched file's last read
 * was good (0: it is broken and the last good content is still in force), and the API keys in force.
 */
export function registerAuthSeries(
  registry: Registry,
  reasons: readonly string[],
  files: () => readonly AuthFileState[],
  apiKeys: (() => number) | undefined,
): AuthCounts {
  const refusals = new Counter({
    name: 'auth_refusals_total',
    help: 'Model API calls refused by PREDICT_AUTH, by protocol (http, grpc) and reason',
    labelNames: ['protocol', 'reason'] as const,
    registers: [registry],
  });
  for (const protocol of ['http', 'grpc']) for (const reason of reasons) refusals.inc({ protocol, reason }, 0);
  registerScrapedSeries(
    registry,
    {
      type: 'gauge',
      name: 'auth_file_valid',
      help: 'Whether the last read of a file PREDICT_AUTH watches was good (1), or broken with the last good content still in force (0)',
      labelNames: ['file'],
      aggregator: 'min',
    },
    (emit) => {
      for (const state of files()) emit({ file: state.file }, state.valid ? 1 : 0);
    },
  );
  if (apiKeys) {
    registerScrapedSeries(
      registry,
      { type: 'gauge', name: 'auth_api_keys', help: 'API keys in force (from API_KEYS_FILE)', labelNames: [], aggregator: 'min' },
      (emit) => emit({}, apiKeys()),
    );
  }
  return { refused: (protocol, reason) => refusals.inc({ protocol, reason }) };
}
