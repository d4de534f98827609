import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FIXTURES_DIR, get, values, type JsonObject } from '../support/chart';
import { CLUSTER_ARGS, HELM, byKind, helmNotes, helmTemplate, type Manifest } from '../support/helm';
import { kubernetesProblems } from '../support/kubernetes-schemas';
import { PROMTOOL, promtool, promtoolPresence } from '../support/promtool';
import { metricFamilies, sampleLabels, useScrapedApp } from '../support/scrape';
import { ALERT_TESTS, ALL_ALERTS } from './prometheus-rule-tests';

/**
 * The PrometheusRule: rendered by real helm with its values, validated offline
 * (@kubernetes-models/prometheus-operator), its rules checked by `promtool check rules` and unit-tested
 * with `promtool test rules` (each alert fires on series shaped like the service's, and not on the
 * ones it must ignore), and every series and label its expressions read found in a real scrape.
 */

const ALERTS_ON = ['--set', 'metrics.prometheusRule.enabled=true'];
const WITHOUT_RULE_CRD = CLUSTER_ARGS.filter((arg, i) => arg !== 'monitoring.coreos.com/v1/PrometheusRule' && CLUSTER_ARGS[i + 1] !== 'monitoring.coreos.com/v1/PrometheusRule');
/** Labels every series gets from a scrape through the chart's ServiceMonitor (target labels), and histograms' le. */
const TARGET_LABELS = new Set(['namespace', 'service', 'pod', 'le']);
/** Series not the service's: kube-state-metrics' readiness of pods (the service has no readiness series of its own). */
const EXTERNAL_SERIES: Record<string, string[]> = { kube_pod_status_ready: ['namespace', 'pod', 'condition'] };

type Rule = { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> };
type Group = { name: string; rules: Rule[] };
const groupsOf = (rule: Manifest): Group[] => (rule.spec as unknown as { groups: Group[] }).groups;
const rulesOf = (manifests: Manifest[]): Rule[] => groupsOf(byKind(manifests, 'PrometheusRule')).flatMap((g) => g.rules);

const work = mkdtempSync(join(tmpdir(), 'prometheus-rules-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The rendered rules as a Prometheus rule file (what the Operator hands Prometheus), written to disk. */
function ruleFile(name: string, manifests: Manifest[]): string {
  const path = join(work, name);
  writeFileSync(path, stringify({ groups: groupsOf(byKind(manifests, 'PrometheusRule')) }));
  return path;
}

describe('PrometheusRule (rendered by helm)', () => {
  it.skipIf(!HELM)('renders every alert with its threshold, for and severity from values, and validates offline', () => {
    const manifests = helmTemplate(undefined, ALERTS_ON);
    const rule = byKind(manifests, 'PrometheusRule');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(kubernetesProblems(rule)).toEqual([]);
    const rules = rulesOf(manifests);
    expect(rules.map((r) => r.alert)).toEqual(ALL_ALERTS);
    const alerts = get(values, ['metrics', 'prometheusRule', 'alerts']).value as Record<string, JsonObject>;
    const byAlert = Object.fromEntries(rules.map((r) => [r.alert, r]));
    const valuesOf: Record<string, string> = {
      OnnxModelServerErrorRatio: 'errorRatio',
      OnnxModelServerLatencyP99: 'latencyP99',
      OnnxModelServerModelVersionNotReady: 'modelVersionNotReady',
      OnnxModelServerPodNotReady: 'podNotReady',
      OnnxModelServerPredictionLogDropping: 'predictionLogDrops',
      OnnxModelServerFeatureDrift: 'drift',
      OnnxModelServerPredictionDrift: 'drift',
    };
    for (const [alert, key] of Object.entries(valuesOf)) {
      expect(byAlert[alert].for, alert).toBe(alerts[key].for);
      expect(byAlert[alert].labels, alert).toEqual({ severity: alerts[key].severity });
    }
    expect(byAlert.OnnxModelServerErrorRatio.expr).toMatch(/> 0\.05$/);
    expect(byAlert.OnnxModelServerLatencyP99.expr).toMatch(/^histogram_quantile\(0\.99, .*\n\s+> 0\.5$/);
    expect(byAlert.OnnxModelServerFeatureDrift.expr).toContain('> 0.25');
    expect(byAlert.OnnxModelServerFeatureDrift.expr).toContain('>= 1000');
    // The offline validation would catch a misspelt field of a rule.
    const [group] = groupsOf(rule);
    const typo = { ...rule, spec: { groups: [{ ...group, rules: [{ ...group.rules[0], fro: '10m' }] }] } } as unknown as Manifest;
    expect(kubernetesProblems(typo)).toEqual(['PrometheusRule test-release-onnx-model-server: unknown field /spec/groups/0/rules/0/fro']);
  });

  it.skipIf(!HELM)('takes thresholds, rule labels, namespace and the selector from values, and drops disabled alerts', () => {
    const keda = rulesOf(helmTemplate(join(FIXTURES_DIR, 'good-keda-alerts.yaml')));
    const error = keda.find((r) => r.alert === 'OnnxModelServerErrorRatio')!;
    expect(error.expr).toMatch(/\[10m\]\)\)\n.*\[10m\]\)\)\n\s+> 0\.01$/);
    expect(error.for).toBe('5m');
    expect(keda.find((r) => r.alert === 'OnnxModelServerPredictionLogDropping')).toMatchObject({ labels: { severity: 'critical' } });
    expect(keda.find((r) => r.alert === 'OnnxModelServerFeatureDrift')).toMatchObject({ for: '1h' });
    const drift = keda.find((r) => r.alert === 'OnnxModelServerPredictionDrift')!.expr;
    expect(drift).toContain('model_prediction_drift_psi{namespace="ml",service="test-release-onnx-model-server"} > 0.3\n');
    expect(drift).toContain('>= 500\n');

    const manifests = helmTemplate(join(FIXTURES_DIR, 'good-all-features.yaml'));
    const rule = byKind(manifests, 'PrometheusRule');
    expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const rules = rulesOf(manifests);
    expect(rules.map((r) => r.alert)).not.toContain('OnnxModelServerPodNotReady');
    for (const r of rules) expect(r.labels.team, r.alert).toBe('ml-platform');
    expect(rules.find((r) => r.alert === 'OnnxModelServerLatencyP99')!.expr).toMatch(/> 0\.25$/);
    expect(byKind(helmTemplate(join(FIXTURES_DIR, 'good-keda-alerts.yaml')), 'PrometheusRule').metadata.namespace).toBe('monitoring');

    const selected = rulesOf(helmTemplate(undefined, [...ALERTS_ON, '--set-string', 'metrics.promqlSelector=job="models"']));
    for (const r of selected.filter((r) => r.alert !== 'OnnxModelServerPodNotReady')) {
      expect(r.expr, r.alert).toContain('{job="models"');
      expect(r.expr, r.alert).not.toContain('service=');
    }
  });

  // (NOTES for a cluster with the CRDs cannot be rendered offline: `helm install --dry-run=client` takes no --api-versions.)
  it.skipIf(!HELM)('is rendered only where the PrometheusRule CRD is installed, and NOTES say so otherwise', () => {
    expect(helmTemplate(undefined, ALERTS_ON, WITHOUT_RULE_CRD).map((m) => m.kind)).not.toContain('PrometheusRule');
    expect(helmNotes(ALERTS_ON)).toContain('WARNING: metrics.prometheusRule.enabled, but the cluster has no monitoring.coreos.com/v1 PrometheusRule');
    expect(helmTemplate().map((m) => m.kind)).not.toContain('PrometheusRule'); // off by default
  });
});

describe('the rendered rules under promtool', () => {
  const cases: [string, string | undefined, string[]][] = [
    ['every alert, default values', undefined, ALERTS_ON],
    ['good-all-features.yaml', join(FIXTURES_DIR, 'good-all-features.yaml'), []],
    ['good-keda-alerts.yaml', join(FIXTURES_DIR, 'good-keda-alerts.yaml'), []],
    ['another selector, metrics path and excluded routes', undefined, [...ALERTS_ON, '--set-string', 'metrics.promqlSelector=kubernetes_namespace="ml"\\,app="x"', '--set', 'metrics.path=/prom.metrics', '--set-string', 'metrics.promqlExcludedRoutes=/health/.*']],
  ];

  it.skipIf(!HELM || !PROMTOOL).each(cases)('promtool check rules passes: %s', (name, file, args) => {
    const path = ruleFile(`${name.replace(/\W+/g, '-')}.yaml`, helmTemplate(file, args));
    const result = promtool(['check', 'rules', path]);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.skipIf(!HELM || !PROMTOOL)('promtool test rules: each alert fires on the series it watches, and not on those it must ignore', () => {
    const rules = ruleFile('rules.yaml', helmTemplate(undefined, ALERTS_ON));
    const tests = join(work, 'tests.yaml');
    writeFileSync(tests, stringify({ rule_files: [rules], evaluation_interval: '1m', tests: ALERT_TESTS }));
    const result = promtool(['test', 'rules', tests]);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(ALERT_TESTS.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)).sort()).toEqual(expect.arrayContaining([...ALL_ALERTS].sort()));
  });

  it('notes whether promtool ran (and fails when PROMTOOL_REQUIRED=1 and there is none)', () => {
    const { ok, message } = promtoolPresence();
    console.info(message);
    expect(ok, message).toBe(true);
  });
});

describe('the series the rules and the KEDA query read are the ones the service exports', () => {
  const scraped = useScrapedApp();

  it.skipIf(!HELM)('every metric and label of every expression is in a real scrape (kube-state-metrics aside)', async () => {
    const text = await scraped.scrape();
    const families = metricFamilies(text);
    const labels = sampleLabels(text);
    const manifests = helmTemplate(join(FIXTURES_DIR, 'good-keda-alerts.yaml'));
    const expressions = [...rulesOf(manifests).map((r) => r.expr), (byKind(manifests, 'ScaledObject').spec as { triggers: { metadata: { query: string } }[] }).triggers[0].metadata.query];
    const missing: string[] = [];
    for (const expr of expressions) {
      for (const [, metric, matchers] of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
        const used = [...matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]);
        if (EXTERNAL_SERIES[metric]) {
          for (const label of used) if (!EXTERNAL_SERIES[metric].includes(label)) missing.push(`${metric}: label ${label}`);
          continue;
        }
        const family = metric.replace(/_(bucket|sum|count)$/, '');
        if (!families.has(metric) && !(families.get(family) === 'histogram' && family !== metric)) missing.push(`${metric}: not exported`);
        const seen = labels.get(metric) ?? new Set();
        for (const label of used) if (!TARGET_LABELS.has(label) && !seen.has(label)) missing.push(`${metric}: label ${label} not on its series`);
      }
      // Labels an expression groups by are the series' own or target labels.
      for (const [, list] of expr.matchAll(/\b(?:by|ignoring) \(([^)]*)\)/g)) {
        for (const label of list.split(',').map((l) => l.trim())) {
          const known = TARGET_LABELS.has(label) || [...labels.values()].some((set) => set.has(label)) || Object.values(EXTERNAL_SERIES).some((l) => l.includes(label));
          if (!known) missing.push(`by/ignoring label ${label}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
