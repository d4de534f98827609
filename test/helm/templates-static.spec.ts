import { describe, expect, it } from 'vitest';
import { allTemplateText, get, isObject, referencedValuePaths, templateActions, templates, values, type Json } from '../support/chart';

/**
 * The Go templates read as text, so the commonest template mistakes (a value path that does not
 * exist, an unclosed block, an include of nothing) fail even where no helm binary is installed.
 */

describe('templates (static checks, no helm needed)', () => {
  it('every .Values path a template references exists in values.yaml', () => {
    const missing = referencedValuePaths()
      .filter((path) => !get(values, path).found)
      .map((path) => path.join('.'));
    expect(missing).toEqual([]);
  });

  it('every value in values.yaml is used by a template', () => {
    const referenced = referencedValuePaths().map((path) => path.join('.'));
    const unused: string[] = [];
    const walk = (node: Json, path: string[]): void => {
      const dotted = path.join('.');
      const covered = referenced.some((ref) => ref === dotted || dotted.startsWith(`${ref}.`));
      if (covered) return;
      if (isObject(node) && Object.keys(node).length > 0) {
        for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
      } else {
        unused.push(dotted);
      }
    };
    for (const [key, child] of Object.entries(values)) walk(child, [key]);
    // nameOverride / fullnameOverride are read by the helpers; everything is referenced somewhere.
    expect(unused).toEqual([]);
  });

  it.each(Object.keys(templates))('%s has balanced if/range/with/define ... end blocks', (name) => {
    let depth = 0;
    for (const action of templateActions(templates[name])) {
      if (/^(if|range|with|define|block)\b/.test(action)) depth++;
      else if (/^end\b/.test(action)) {
        depth--;
        expect(depth, `${name}: {{ end }} without an opening block`).toBeGreaterThanOrEqual(0);
      }
    }
    expect(depth, `${name}: unclosed block`).toBe(0);
  });

  it('every included template is defined, and every file include points to an existing file', () => {
    const defined = new Set([...allTemplateText.matchAll(/define "([^"]+)"/g)].map((m) => m[1]));
    const included = new Set([...allTemplateText.matchAll(/include "([^"]+)"/g)].map((m) => m[1]));
    for (const name of included) expect(defined, `include "${name}"`).toContain(name);
    for (const match of allTemplateText.matchAll(/\$\.Template\.BasePath "\/([^"]+)"/g)) {
      expect(templates, `include of ${match[1]}`).toHaveProperty([match[1]]);
    }
  });

  it('helpers follow helm create naming and label conventions', () => {
    const helpers = templates['_helpers.tpl'];
    for (const name of ['name', 'fullname', 'chart', 'labels', 'selectorLabels', 'serviceAccountName']) {
      expect(helpers).toContain(`define "onnx-model-server.${name}"`);
    }
    for (const label of ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'helm.sh/chart']) {
      expect(helpers).toContain(`${label}:`);
    }
  });

  it('every manifest template is wrapped in its feature toggle', () => {
    const toggles: Record<string, string> = {
      'ingress.yaml': '{{- if .Values.ingress.enabled -}}',
      'hpa.yaml': '{{- if .Values.autoscaling.enabled }}',
      'pdb.yaml': '{{- if .Values.podDisruptionBudget.enabled }}',
      'servicemonitor.yaml': '{{- if and .Values.metrics.serviceMonitor.enabled (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor") }}',
      'prometheusrule.yaml': '{{- if and .Values.metrics.prometheusRule.enabled (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/PrometheusRule") }}',
      'scaledobject.yaml': '{{- if and .Values.keda.enabled (.Capabilities.APIVersions.Has "keda.sh/v1alpha1/ScaledObject") }}',
      'configmap-model-config.yaml': '{{- if .Values.modelConfig.enabled }}',
      'serviceaccount.yaml': '{{- if .Values.serviceAccount.create -}}',
      'test-connection.yaml': '{{- if .Values.tests.enabled }}',
    };
    for (const [file, toggle] of Object.entries(toggles)) {
      expect(templates[file].startsWith(toggle), `${file} starts with ${toggle}`).toBe(true);
    }
    // Neither the chart's HPA nor KEDA's (the ScaledObject, rendered only with its CRD) may fight a fixed replica count.
    expect(templates['deployment.yaml']).toMatch(
      /\{\{- if not \(or \.Values\.autoscaling\.enabled \(include "onnx-model-server\.kedaActive" \.\)\) \}\}\n\s+replicas: \{\{ \.Values\.replicaCount \}\}/,
    );
    expect(templates['_helpers.tpl']).toContain(
      '{{- if and .Values.keda.enabled (.Capabilities.APIVersions.Has "keda.sh/v1alpha1/ScaledObject") }}true{{ end }}',
    );
  });
});
