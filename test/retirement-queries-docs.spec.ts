import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PROMTOOL, promtool } from './support/promtool';

/**
 * The queries and the alert that docs/operations.md ("Retire a version") gives to watch a retirement give
 * what they promise, evaluated by promtool on series shaped like the service's, two hours into a run.
 */

const work = mkdtempSync(path.join(tmpdir(), 'retirement-queries-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DAY = 86_400;
/** promtool's clock starts at 0: time() is 7200 at the evaluation, two hours in. */
const EVAL_SECONDS = 7200;
const sunsetIn = (days: number) => `${EVAL_SECONDS + days * DAY}x130`;

/**
 * iris 1: 1 request/s (half of it over gRPC), sunset in 7 days; iris 3: deprecated, no traffic, sunset in 3
 * days; digits 1: 1 request/s, sunset in 30 days; old 1: past its sunset, 0.1 refused requests/s; iris 2 serves.
 */
const SERIES = [
  { series: 'model_deprecated_requests_total{model="iris",version="1",outcome="served"}', values: '0+60x130' },
  { series: 'model_deprecated_requests_total{model="iris",version="3",outcome="served"}', values: '0x130' },
  { series: 'model_deprecated_requests_total{model="digits",version="1",outcome="served"}', values: '0+60x130' },
  { series: 'model_deprecated_requests_total{model="old",version="1",outcome="refused"}', values: '0+6x130' },
  { series: 'model_version_sunset_timestamp_seconds{model="iris",version="1"}', values: sunsetIn(7) },
  { series: 'model_version_sunset_timestamp_seconds{model="iris",version="3"}', values: sunsetIn(3) },
  { series: 'model_version_sunset_timestamp_seconds{model="digits",version="1"}', values: sunsetIn(30) },
  { series: 'model_predictions_total{model="iris",version="1",outcome="success",protocol="http"}', values: '0+30x130' },
  { series: 'model_predictions_total{model="iris",version="1",outcome="success",protocol="grpc"}', values: '0+30x130' },
  { series: 'model_predictions_total{model="iris",version="2",outcome="success",protocol="http"}', values: '0+600x130' },
];

/** The "Retire a version" section of docs/operations.md. */
function section(): string {
  const text = readFileSync(path.resolve(__dirname, '../docs/operations.md'), 'utf8');
  const start = text.indexOf('## Retire a version\n');
  expect(start, 'docs/operations.md has "## Retire a version"').toBeGreaterThanOrEqual(0);
  return text.slice(start, text.indexOf('\n## ', start + 1));
}

/** Its PromQL block as expressions, each keyed by the comment above it. */
function documentedQueries(): Map<string, string> {
  const block = /```promql\n([\s\S]*?)```/.exec(section())?.[1] ?? '';
  const queries = new Map<string, string>();
  for (const chunk of block.split(/\n\s*\n/)) {
    const [comment, ...lines] = chunk.trim().split('\n');
    queries.set(comment.replace(/^#\s*/, ''), lines.join('\n'));
  }
  return queries;
}

function promtoolTest(tests: object, ruleFiles: string[] = []): void {
  const file = path.join(work, `test-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ rule_files: ruleFiles, evaluation_interval: '1m', tests: [{ interval: '1m', input_series: SERIES, ...tests }] }));
  const result = promtool(['test', 'rules', file]);
  expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
}

describe('the queries that watch a retirement (docs/operations.md)', () => {
  it.skipIf(!PROMTOOL)('name who still calls a deprecated version, the days to each sunset, the refused calls and their protocols', () => {
    const queries = documentedQueries();
    const query = (comment: string) => {
      const expr = [...queries].find(([key]) => key.startsWith(comment))?.[1];
      expect(expr, `a query under "# ${comment}..."`).toBeDefined();
      return expr!;
    };
    promtoolTest({
      promql_expr_test: [
        {
          expr: query('Who still calls'),
          exp_samples: [
            { labels: '{model="digits",version="1"}', value: 1 },
            { labels: '{model="iris",version="1"}', value: 1 },
          ],
        },
        {
          expr: query('Days until each sunset'),
          exp_samples: [
            { labels: '{model="digits",version="1"}', value: 30 },
            { labels: '{model="iris",version="1"}', value: 7 },
            { labels: '{model="iris",version="3"}', value: 3 },
          ],
        },
        { expr: query('Calls refused since the sunset'), exp_samples: [{ labels: '{model="old",version="1"}', value: 360 }] },
        {
          expr: query('Which protocol'),
          exp_samples: [
            { labels: '{model="iris",version="1",outcome="success",protocol="grpc"}', value: 0.5 },
            { labels: '{model="iris",version="1",outcome="success",protocol="http"}', value: 0.5 },
          ],
        },
      ].map((test) => ({ ...test, eval_time: `${EVAL_SECONDS}s` })),
    });
  });

  it.skipIf(!PROMTOOL)('alert on a version still called less than two weeks before its sunset, and on no other', () => {
    const block = [...section().matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((text) => text.startsWith('- alert:'));
    expect(block, 'the section has the alert').toBeDefined();
    const rules = path.join(work, 'rules.yaml');
    writeFileSync(rules, stringify({ groups: [{ name: 'retirement', rules: parse(block!) }] }));
    const check = promtool(['check', 'rules', rules]);
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    promtoolTest(
      {
        alert_rule_test: [
          {
            eval_time: `${EVAL_SECONDS}s`,
            alertname: 'DeprecatedModelVersionStillCalledNearSunset',
            exp_alerts: [
              {
                exp_labels: { model: 'iris', version: '1', severity: 'warning' },
                exp_annotations: { summary: 'iris version 1 is still called and is sunset in less than 14 days' },
              },
            ],
          },
        ],
      },
      [rules],
    );
  });
});
