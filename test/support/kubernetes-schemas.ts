import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { isObject, type Json } from './chart';
import type { Manifest } from './helm';

/** Offline validation of rendered objects against the Kubernetes API schemas (kubernetes-models). */

/** The model class of every apiVersion/kind the chart renders. */
const MODELS: Record<string, { prototype: { validate(): void } }> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Pod': Pod,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

/**
 * Validates one rendered object with its kubernetes-models schema and returns the problems: schema
 * errors (types, required fields, enums) and unknown fields, which the schemas allow but the API
 * server drops or (server-side apply, strict field validation) refuses.
 *
 * Unknown fields: the compiled schema validator reads every property its schema declares (present
 * or not) and every key of a map, so it runs on a proxy that records which keys it read; a key it
 * never read in an object where it read some is not in the schema. Objects it read nothing from are
 * free-form (e.g. int-or-string, preserve-unknown-fields) and not checked.
 */
export function kubernetesProblems(manifest: Manifest): string[] {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!model) return [`no schema known for ${manifest.apiVersion} ${manifest.kind}`];
  const read = new Map<object, Set<PropertyKey>>();
  const proxies = new Map<object, object>();
  const track = <T,>(value: T): T => {
    if (typeof value !== 'object' || value === null) return value;
    const target = value as unknown as object;
    const existing = proxies.get(target);
    if (existing) return existing as T;
    const keys = new Set<PropertyKey>();
    read.set(target, keys);
    const proxy = new Proxy(target, {
      get(t, key, receiver) {
        keys.add(key);
        return track(Reflect.get(t, key, receiver));
      },
    });
    proxies.set(target, proxy);
    return proxy as T;
  };
  const problems: string[] = [];
  try {
    model.prototype.validate.call(track(manifest));
  } catch (error) {
    problems.push(`schema: ${(error as Error).message}`);
  }
  const walk = (node: Json, path: string): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${path}/${i}`));
    if (!isObject(node)) return;
    const keys = read.get(node);
    for (const [key, child] of Object.entries(node)) {
      if (keys && keys.size > 0 && !keys.has(key)) problems.push(`unknown field ${path}/${key}`);
      else walk(child, `${path}/${key}`);
    }
  };
  walk(manifest, '');
  return problems.map((p) => `${manifest.kind} ${String(manifest.metadata?.name)}: ${p}`);
}
