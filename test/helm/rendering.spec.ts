// class-transformer's @Type decorator in app-config.ts needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_DEFAULTS } from '../../src/config/app-config';
import { HEALTH_ROUTES } from '../../src/health/health-paths';
import { METRICS_ROUTE } from '../../src/observability/metrics-path';
import { CHART_DIR, FIXTURES_DIR, GOOD_VALUES_FILES, get, read, values, type JsonObject } from '../support/chart';
import {
  HELM,
  HELM_REQUIRED,
  byKind,
  envOf,
  helm,
  helmNotes,
  helmTemplate,
  podOf,
  warnIfHelmMissing,
  type Container,
  type Manifest,
  type PodSpec,
} from '../support/helm';
import { kubernetesProblems } from '../support/kubernetes-schemas';

/**
 * The chart rendered by real helm (`helm lint`, `helm template`, `helm install --dry-run` for
 * NOTES.txt), and every rendered object checked against the Kubernetes API schemas. Skipped without
 * a helm binary, except the last test, which fails instead when HELM_REQUIRED is set.
 */

warnIfHelmMissing();

describe('helm lint / helm template', () => {
  const defaultEnv = Object.fromEntries(Object.entries(CONFIG_DEFAULTS).map(([k, v]) => [k, String(v)]));

  it.skipIf(!HELM)('helm lint passes with the defaults and with every good values file', () => {
    for (const file of [undefined, ...GOOD_VALUES_FILES]) {
      const args = ['lint', CHART_DIR, '--strict'];
      if (file) args.push('-f', join(FIXTURES_DIR, file));
      const result = helm(args);
      expect(result.status, `helm ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`).toBe(0);
    }
  });

  it.skipIf(!HELM)('renders the defaults: ServiceAccount, Service, Deployment with probes, ports (HTTP and gRPC) and env', () => {
    const manifests = helmTemplate();
    expect(manifests.map((m) => m.kind).sort()).toEqual(['Deployment', 'Pod', 'Service', 'ServiceAccount']);

    const deployment = byKind(manifests, 'Deployment');
    expect((deployment.spec as JsonObject).replicas).toBe(values.replicaCount);
    const { spec, annotations } = podOf(deployment);
    const [container] = spec.containers;
    expect(container.ports).toEqual([
      { name: 'http', containerPort: CONFIG_DEFAULTS.PORT, protocol: 'TCP' },
      { name: 'grpc', containerPort: CONFIG_DEFAULTS.GRPC_PORT, protocol: 'TCP' },
    ]);
    // The probes stay on HTTP; gRPC health (grpc.health.v1) is for clients, not the kubelet.
    expect(container.livenessProbe?.httpGet).toEqual({ path: HEALTH_ROUTES.live, port: 'http' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: HEALTH_ROUTES.ready, port: 'http' });
    expect(container.startupProbe?.httpGet).toEqual({ path: HEALTH_ROUTES.ready, port: 'http' });
    expect(container.startupProbe!.periodSeconds * container.startupProbe!.failureThreshold).toBeGreaterThanOrEqual(300);
    // Numbers come out in plain notation (helm reads values as float64: 1048576 must not become 1.048576e+06).
    expect(envOf(container)).toEqual(defaultEnv);
    expect(container.lifecycle?.preStop.exec.command).toEqual(['sleep', '5']);
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(spec.terminationGracePeriodSeconds).toBe(values.terminationGracePeriodSeconds);
    expect(annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(CONFIG_DEFAULTS.PORT),
      'prometheus.io/path': METRICS_ROUTE,
    });

    const service = byKind(manifests, 'Service');
    expect((service.spec as JsonObject).ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'grpc', port: CONFIG_DEFAULTS.GRPC_PORT, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' },
    ]);
    expect(byKind(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });

  it.skipIf(!HELM)('renders every optional feature with good-all-features.yaml', () => {
    const file = join(FIXTURES_DIR, 'good-all-features.yaml');
    const overlay = parse(read(file)) as JsonObject;
    const manifests = helmTemplate(file);
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Pod', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor'].sort(),
    );

    const deployment = byKind(manifests, 'Deployment');
    expect(deployment.spec).not.toHaveProperty('replicas'); // the HPA owns it
    const { spec, annotations } = podOf(deployment);
    const [container] = spec.containers;
    const env = envOf(container);
    expect(env.MODELS_DIR).toBe('/mnt/models');
    expect(env.MODEL_CONFIG_DIR).toBe('/etc/onnx-model-server/models');
    expect(env.BODY_LIMIT_BYTES).toBe('8388608');
    expect(container.env.filter((e) => e.name === 'MODELS_DIR')).toHaveLength(1);
    expect(container.volumeMounts).toContainEqual({ name: 'models', mountPath: '/mnt/models', readOnly: true, subPath: 'prod' });
    expect(container.volumeMounts).toContainEqual({ name: 'model-config', mountPath: '/etc/onnx-model-server/models', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'models', persistentVolumeClaim: { claimName: 'onnx-models', readOnly: true } });
    // The service rereads MODEL_CONFIG_DIR: a model-config change must not roll the pods by default.
    expect(annotations).not.toHaveProperty('checksum/model-config');
    expect(annotations).not.toHaveProperty('prometheus.io/scrape');

    const configMap = byKind(manifests, 'ConfigMap');
    const modelConfig = get(overlay, ['modelConfig', 'models']).value as JsonObject;
    expect(Object.keys(configMap.data ?? {}).sort()).toEqual(Object.keys(modelConfig).map((m) => `${m}.json`).sort());
    expect(JSON.parse(String(configMap.data?.['iris.json']))).toEqual(modelConfig.iris);

    const hpa = byKind(manifests, 'HorizontalPodAutoscaler');
    const metrics = (hpa.spec as JsonObject).metrics as JsonObject[];
    expect(metrics[0]).toMatchObject({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } } });
    expect(metrics[1]).toMatchObject({ type: 'Pods' });

    expect(byKind(manifests, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: 1 });
    expect(byKind(manifests, 'PodDisruptionBudget').spec).not.toHaveProperty('minAvailable');

    const serviceMonitor = byKind(manifests, 'ServiceMonitor');
    expect(serviceMonitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect((serviceMonitor.spec as JsonObject).endpoints).toEqual([
      expect.objectContaining({ port: 'http', path: METRICS_ROUTE, interval: '15s', scrapeTimeout: '5s' }),
    ]);

    const ingress = byKind(manifests, 'Ingress');
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(JSON.stringify(ingress.spec)).toContain('"port":{"number":80}');
    // HTTP only: gRPC goes through the Service, never through the Ingress.
    const backendPorts = [...JSON.stringify(ingress.spec).matchAll(/"port":(\{[^}]*\})/g)].map((m) => JSON.parse(m[1]) as JsonObject);
    expect(backendPorts.length).toBeGreaterThan(0);
    expect(backendPorts.every((port) => port.number === 80)).toBe(true);
    // The gRPC ports are there with every optional feature on too.
    expect(container.ports.map((p) => p.name)).toEqual(['http', 'grpc']);
    expect(((byKind(manifests, 'Service').spec as JsonObject).ports as JsonObject[]).map((p) => p.name)).toEqual(['http', 'grpc']);
  });

  it.skipIf(!HELM)('renders the gRPC ports from config.GRPC_PORT and service.grpcPort, and none when GRPC_PORT is 0', () => {
    const render = (args: string[]): { container: Container; servicePorts: JsonObject[] } => {
      const manifests = helmTemplate(undefined, args);
      return {
        container: podOf(byKind(manifests, 'Deployment')).spec.containers[0],
        servicePorts: (byKind(manifests, 'Service').spec as JsonObject).ports as JsonObject[],
      };
    };
    const http = { name: 'http', containerPort: CONFIG_DEFAULTS.PORT, protocol: 'TCP' };
    const httpService = { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' };

    // 0 turns gRPC off: no container port and no Service port, the env var still tells the service.
    const off = render(['--set', 'config.GRPC_PORT=0']);
    expect(off.container.ports).toEqual([http]);
    expect(off.servicePorts).toEqual([httpService]);
    expect(envOf(off.container).GRPC_PORT).toBe('0');
    expect(off.container.readinessProbe?.httpGet).toEqual({ path: HEALTH_ROUTES.ready, port: 'http' });

    // A custom GRPC_PORT moves the container port (and the env var); the Service keeps its port and
    // follows by name.
    const moved = render(['--set', 'config.GRPC_PORT=9001']);
    expect(moved.container.ports).toEqual([http, { name: 'grpc', containerPort: 9001, protocol: 'TCP' }]);
    expect(envOf(moved.container).GRPC_PORT).toBe('9001');
    expect(moved.servicePorts).toContainEqual({ name: 'grpc', port: CONFIG_DEFAULTS.GRPC_PORT, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' });

    // service.grpcPort moves the Service port only.
    const servicePort = render(['--set', 'service.grpcPort=9500']);
    expect(servicePort.servicePorts).toEqual([httpService, { name: 'grpc', port: 9500, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' }]);
    expect(servicePort.container.ports).toContainEqual({ name: 'grpc', containerPort: CONFIG_DEFAULTS.GRPC_PORT, protocol: 'TCP' });

    // GRPC_MAX_MESSAGE_BYTES reaches the service as a plain integer (not 2.147483647e+09).
    expect(envOf(render(['--set', 'config.GRPC_MAX_MESSAGE_BYTES=2147483647']).container).GRPC_MAX_MESSAGE_BYTES).toBe('2147483647');
  });

  it.skipIf(!HELM)('renders the initContainer models source with good-init-container.yaml', () => {
    const manifests = helmTemplate(join(FIXTURES_DIR, 'good-init-container.yaml'));
    const { spec } = podOf(byKind(manifests, 'Deployment'));
    const [init] = spec.initContainers ?? [];
    expect(init?.name).toBe('fetch-models');
    expect(init.volumeMounts).toContainEqual({ name: 'models', mountPath: '/models' });
    expect(spec.volumes).toContainEqual({ name: 'models', emptyDir: { sizeLimit: '2Gi' } });
    expect(envOf(spec.containers[0]).MODELS_DIR).toBe('/models');
  });

  it.skipIf(!HELM)('renders no container with a repeated env name, for the defaults and every good values file', () => {
    // Helm 4 applies server-side by default; the API server rejects duplicate env names there.
    for (const file of [undefined, ...GOOD_VALUES_FILES]) {
      const { spec } = podOf(byKind(helmTemplate(file && join(FIXTURES_DIR, file)), 'Deployment'));
      for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const names = container.env.map((e) => e.name);
        expect(names.filter((n, i) => names.indexOf(n) !== i), `${file ?? 'defaults'}: ${container.name}`).toEqual([]);
      }
    }
  });

  it.skipIf(!HELM)('takes ADMIN_TOKEN from adminToken.existingSecret exactly once, never as a value', () => {
    const { spec } = podOf(byKind(helmTemplate(join(FIXTURES_DIR, 'good-admin-token-secret.yaml')), 'Deployment'));
    const tokens = spec.containers[0].env.filter((e) => e.name === 'ADMIN_TOKEN');
    expect(tokens).toEqual([{ name: 'ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: 'onnx-admin', key: 'admin-token' } } }]);
    // Without a Secret the admin API stays off: one empty ADMIN_TOKEN.
    const defaults = podOf(byKind(helmTemplate(), 'Deployment')).spec.containers[0].env;
    expect(defaults.filter((e) => e.name === 'ADMIN_TOKEN')).toEqual([{ name: 'ADMIN_TOKEN', value: '' }]);
  });

  it.skipIf(!HELM)('mounts the API keys Secret as a folder (never a subPath, which is not updated) and points API_KEYS_FILE at it once', () => {
    const { spec } = podOf(byKind(helmTemplate(join(FIXTURES_DIR, 'good-api-keys-secret.yaml')), 'Deployment'));
    const server = spec.containers[0];
    expect(server.env.filter((e) => e.name === 'API_KEYS_FILE')).toEqual([{ name: 'API_KEYS_FILE', value: '/etc/onnx-model-server/api-keys/keys.json' }]);
    expect(server.env.find((e) => e.name === 'PREDICT_AUTH')).toEqual({ name: 'PREDICT_AUTH', value: 'keys,jwt' });
    expect(server.volumeMounts.find((m) => m.name === 'api-keys')).toEqual({ name: 'api-keys', mountPath: '/etc/onnx-model-server/api-keys', readOnly: true });
    expect(spec.volumes.find((v) => v.name === 'api-keys')).toEqual({
      name: 'api-keys',
      secret: { secretName: 'onnx-api-keys', items: [{ key: 'keys.json', path: 'keys.json' }] },
    });
    const defaults = podOf(byKind(helmTemplate(), 'Deployment')).spec;
    expect(defaults.containers[0].env.find((e) => e.name === 'PREDICT_AUTH')).toEqual({ name: 'PREDICT_AUTH', value: 'off' });
    expect(defaults.volumes.some((v) => v.name === 'api-keys')).toBe(false);
  });

  it.skipIf(!HELM)('rolls pods on model-config changes only when modelConfig.rollOnChange is set', () => {
    const file = join(FIXTURES_DIR, 'good-all-features.yaml');
    expect(podOf(byKind(helmTemplate(file), 'Deployment')).annotations).not.toHaveProperty('checksum/model-config');
    const { annotations } = podOf(byKind(helmTemplate(file, ['--set', 'modelConfig.rollOnChange=true']), 'Deployment'));
    expect(annotations['checksum/model-config']).toMatch(/^[0-9a-f]{64}$/);
  });

  it.skipIf(!HELM)('spreads replicas over nodes by default (soft anti-affinity), hard or none on request, affinity replacing it', () => {
    const affinityOf = (file?: string, args: string[] = []): JsonObject | undefined =>
      (podOf(byKind(helmTemplate(file, args), 'Deployment')).spec as unknown as JsonObject).affinity as JsonObject | undefined;
    const term = {
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'onnx-model-server', 'app.kubernetes.io/instance': 'test-release' } },
    };
    expect(affinityOf()).toEqual({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } });
    expect(affinityOf(undefined, ['--set', 'podAntiAffinityPreset=hard'])).toEqual({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } });
    expect(affinityOf(undefined, ['--set', 'podAntiAffinityPreset=none'])).toBeUndefined();
    const file = join(FIXTURES_DIR, 'good-all-features.yaml');
    expect(affinityOf(file)).toEqual((parse(read(file)) as JsonObject).affinity);
  });

  it.skipIf(!HELM)('passes envFrom to the server container, and declares the Kubernetes versions it needs', () => {
    const { spec } = podOf(byKind(helmTemplate(join(FIXTURES_DIR, 'good-all-features.yaml')), 'Deployment'));
    expect((spec.containers[0] as unknown as JsonObject).envFrom).toEqual([
      { configMapRef: { name: 'onnx-extra-env' } },
      { secretRef: { name: 'onnx-extra-secrets', optional: true } },
    ]);
    expect((podOf(byKind(helmTemplate(), 'Deployment')).spec.containers[0] as unknown as JsonObject).envFrom).toBeUndefined();
    // autoscaling/v2 and policy/v1 need 1.23+.
    const old = helm(['template', 'test-release', CHART_DIR, '--kube-version', '1.22.0']);
    expect(old.status).not.toBe(0);
    expect(old.stderr).toContain('chart requires kubeVersion');
    expect(helm(['template', 'test-release', CHART_DIR, '--kube-version', '1.23.0']).status).toBe(0);
  });

  it.skipIf(!HELM)('renders the ServiceMonitor only where its CRD is installed, and says so in NOTES otherwise', () => {
    const file = join(FIXTURES_DIR, 'good-all-features.yaml');
    expect(helmTemplate(file).map((m) => m.kind)).toContain('ServiceMonitor');
    expect(helmTemplate(file, [], []).map((m) => m.kind)).not.toContain('ServiceMonitor');
    expect(helmNotes([], file)).toContain('WARNING: metrics.serviceMonitor.enabled, but the cluster has no monitoring.coreos.com/v1 ServiceMonitor');
  });

  it.skipIf(!HELM)('NOTES.txt prints one URL, the startup budget only with a startup probe, and warns of a PDB that blocks drains', () => {
    const twoPaths = ['--set', 'ingress.hosts[0].paths[1].path=/v2', '--set', 'ingress.hosts[0].paths[1].pathType=Prefix'];
    const withIngress = helmNotes(twoPaths, join(FIXTURES_DIR, 'good-all-features.yaml'));
    expect(withIngress.match(/export URL=/g)).toHaveLength(1);
    expect(withIngress).toContain('export URL=https://models.example.com\n');

    expect(helmNotes()).toContain('the startup probe allows 300s');
    const noStartup = helmNotes(['--set', 'probes.startup.enabled=false']);
    expect(noStartup).not.toContain('the startup probe allows');
    expect(noStartup).toContain('no startup probe');

    expect(helmNotes(['--set', 'podDisruptionBudget.enabled=true'])).not.toContain('WARNING');
    expect(helmNotes(['--set', 'podDisruptionBudget.enabled=true', '--set', 'replicaCount=1'])).toContain(
      'WARNING: the PodDisruptionBudget (minAvailable 1, maxUnavailable -) allows no\nvoluntary eviction with 1 replica(s)',
    );
    const zeroUnavailable = ['--set', 'podDisruptionBudget.enabled=true', '--set', 'podDisruptionBudget.minAvailable=', '--set', 'podDisruptionBudget.maxUnavailable=0'];
    expect(helmNotes(zeroUnavailable)).toContain('WARNING: the PodDisruptionBudget');
  });

  it.skipIf(!HELM)('NOTES.txt gives the gRPC address when gRPC is on, and says nothing of gRPC when it is off', () => {
    const defaults = helmNotes();
    expect(defaults).toContain(`address in the cluster: test-release-onnx-model-server.ml.svc:${CONFIG_DEFAULTS.GRPC_PORT}\n`);
    expect(defaults).toContain(`port-forward service/test-release-onnx-model-server 8081:${CONFIG_DEFAULTS.GRPC_PORT} &\n  export GRPC_ADDRESS=127.0.0.1:8081\n`);
    expect(helmNotes(['--set', 'service.grpcPort=9500'])).toContain('address in the cluster: test-release-onnx-model-server.ml.svc:9500\n');
    expect(helmNotes(['--set', 'config.GRPC_PORT=0'])).not.toMatch(/grpc/i);
    expect(helmNotes(['--set', 'service.type=NodePort'])).toContain(`jsonpath='{.spec.ports[?(@.name=="grpc")].nodePort}'`);
    expect(helmNotes(['--set', 'service.type=LoadBalancer'])).toMatch(/export GRPC_ADDRESS=\$\(kubectl get svc .*\):8001\n/);
    const withIngress = helmNotes([], join(FIXTURES_DIR, 'good-all-features.yaml'));
    expect(withIngress).toContain('the Ingress routes HTTP only');
    expect(withIngress).toContain('export URL=https://models.example.com\n');
  });

  it('notes whether helm ran (and fails when HELM_REQUIRED is set and there is no helm)', () => {
    // Always runs, so the log shows which helm (if any) rendered the chart.
    if (HELM_REQUIRED) expect(HELM, 'HELM_REQUIRED is set but no helm was found: run .ci/get-helm').toBeDefined();
    if (HELM) {
      const version = helm(['version', '--short']);
      expect(version.status, version.stderr).toBe(0);
      console.info(`helm used for rendering: ${HELM} (${version.stdout.trim()})`);
    }
    expect(existsSync(CHART_DIR)).toBe(true);
  });
});

describe('rendered objects against the Kubernetes API schemas (kubernetes-models, offline)', () => {
  // Every fixture of values, and the value combinations the fixtures do not cover.
  const RENDER_CASES: [string, string | undefined, string[]][] = [
    ['defaults (models.source image)', undefined, []],
    ...GOOD_VALUES_FILES.map((file): [string, string | undefined, string[]] => [file, join(FIXTURES_DIR, file), []]),
    ['good-all-features.yaml + modelConfig.rollOnChange', join(FIXTURES_DIR, 'good-all-features.yaml'), ['--set', 'modelConfig.rollOnChange=true']],
    ['strategy Recreate, no preStop, no probes', undefined, ['--set', 'strategy.type=Recreate', '--set', 'preStop.enabled=false', '--set', 'probes.startup.enabled=false', '--set', 'probes.liveness.enabled=false']],
    ['hard pod anti-affinity', undefined, ['--set', 'podAntiAffinityPreset=hard']],
    ['gRPC off', undefined, ['--set', 'config.GRPC_PORT=0']],
    ['custom gRPC ports on a NodePort Service', undefined, ['--set', 'config.GRPC_PORT=9001', '--set', 'service.grpcPort=9500', '--set', 'service.type=NodePort']],
  ];

  it.skipIf(!HELM).each(RENDER_CASES)('every object rendered for %s validates against the Kubernetes schemas, with no unknown field', (_, file, args) => {
    const manifests = helmTemplate(file, args);
    expect(manifests.length).toBeGreaterThan(0);
    expect(manifests.flatMap(kubernetesProblems)).toEqual([]);
  });

  it.skipIf(!HELM)('the offline validation catches a wrong type and an unknown field', () => {
    const deployment = byKind(helmTemplate(), 'Deployment');
    const spec = deployment.spec as JsonObject;
    const broken = { ...deployment, spec: { ...spec, replicas: 'two', revisionHistoryLimt: 3 } } as Manifest;
    const problems = kubernetesProblems(broken);
    expect(problems.some((p) => p.includes('schema:') && p.includes('/spec/replicas'))).toBe(true);
    expect(problems).toContain('Deployment test-release-onnx-model-server: unknown field /spec/revisionHistoryLimt');
    const template = spec.template as JsonObject;
    const podSpec = template.spec as unknown as PodSpec;
    const container = { ...podSpec.containers[0], imagePullPolice: 'Always' } as unknown as Container;
    const typo = { ...deployment, spec: { ...spec, template: { ...template, spec: { ...podSpec, containers: [container] } } } } as unknown as Manifest;
    expect(kubernetesProblems(typo)).toEqual(['Deployment test-release-onnx-model-server: unknown field /spec/template/spec/containers/0/imagePullPolice']);
  });
});
