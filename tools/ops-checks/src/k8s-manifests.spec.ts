import { validateAgainstSchemas } from './k8s-schema';
import { renderOverlay, type K8sObject } from './kustomize';

// Shapes of the fields these checks read (the schema validation has checked the rest).
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface PodSpec {
  containers: Container[];
  volumes?: Array<{ secret?: { secretName: string }; configMap?: { name: string } }>;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  terminationGracePeriodSeconds?: number;
  topologySpreadConstraints?: unknown[];
}
interface Workload {
  metadata: { name: string };
  spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}

const OVERLAYS = ['dev', 'prod'] as const;
const SERVICES = [
  'ingest-gateway',
  'stream-transformer',
  'aggregator',
  'actuator-controller',
  'notifier',
];
// consumer groups per Deployment and the topic each reads (the services' contract)
const CONSUMER_GROUPS: Record<string, Array<[group: string, topic: string]>> = {
  'stream-transformer': [['stream-transformer', 'telemetry.raw.v1']],
  aggregator: [
    ['aggregator-raw-sink', 'telemetry.clean.v1'],
    ['aggregator-speed-layer', 'telemetry.clean.v1'],
  ],
  'actuator-controller': [['actuator-controller', 'telemetry.clean.v1']],
  notifier: [['notifier', 'alerts.v1']],
};
// Secrets the prod overlay expects the operator to create from a secret store
const EXTERNAL_SECRETS: Record<(typeof OVERLAYS)[number], string[]> = {
  dev: [],
  prod: ['sluice-secrets', 'sluice-ca', 'sluice-tls'],
};

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const byName = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

const BINARY_UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
function memoryBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`unsupported memory quantity "${quantity}"`);
  return Number(match[1]) * (match[2] ? BINARY_UNITS[match[2]] : 1);
}

describe.each(OVERLAYS)('k8s overlay %s', (overlay) => {
  let objects: K8sObject[];
  let deployments: Workload[];

  beforeAll(() => {
    objects = renderOverlay(overlay);
    deployments = ofKind(objects, 'Deployment') as unknown as Workload[];
  });

  it('renders with kubectl kustomize', () => {
    expect(objects.length).toBeGreaterThan(20);
  });

  it('every object validates against the Kubernetes and CRD schemas', () => {
    const results = validateAgainstSchemas(objects);
    expect(results).toHaveLength(objects.length);
    expect(results.filter((r) => r.error !== null)).toEqual([]);
  });

  it('deploys every service, each selected by its own labels', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([...SERVICES].sort());
  });

  it('every Deployment has liveness and readiness probes on the health endpoints', () => {
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) {
        const where = `${deployment.metadata.name}/${container.name}`;
        expect({ where, path: container.livenessProbe?.httpGet?.path }).toEqual({
          where,
          path: '/health/live',
        });
        expect({ where, path: container.readinessProbe?.httpGet?.path }).toEqual({
          where,
          path: '/health/ready',
        });
      }
    }
  });

  it('every Deployment has CPU and memory requests and limits, and a heap below its limit', () => {
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) {
        const { requests = {}, limits = {} } = container.resources ?? {};
        const where = `${deployment.metadata.name}/${container.name}`;
        expect({ where, requests: Object.keys(requests).sort() }).toEqual({
          where,
          requests: ['cpu', 'memory'],
        });
        expect({ where, limits: Object.keys(limits).sort() }).toEqual({
          where,
          limits: ['cpu', 'memory'],
        });
        const nodeOptions = container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
        const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1]);
        // V8's young generation is up to three semi-spaces (two plus the new large-object space)
        const semiSpaceMiB = Number(/--max-semi-space-size=(\d+)/.exec(nodeOptions)?.[1]);
        expect({ where, heapSet: heapMiB > 0, semiSpaceSet: semiSpaceMiB > 0 }).toEqual({
          where,
          heapSet: true,
          semiSpaceSet: true,
        });
        expect((heapMiB + 3 * semiSpaceMiB) * 2 ** 20).toBeLessThan(memoryBytes(limits.memory));
      }
    }
  });

  it('every Deployment runs as non-root with a read-only root filesystem and no privileges', () => {
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      expect({
        name: deployment.metadata.name,
        runAsNonRoot: pod.securityContext?.runAsNonRoot,
      }).toEqual({ name: deployment.metadata.name, runAsNonRoot: true });
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it('every Deployment has a PodDisruptionBudget selecting its pods', () => {
    const pdbs = ofKind(objects, 'PodDisruptionBudget') as unknown as Array<{
      spec: { selector: { matchLabels: Record<string, string> } };
    }>;
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels;
      const covering = pdbs.filter((pdb) => matches(pdb.spec.selector.matchLabels, labels));
      expect({ name: deployment.metadata.name, pdbs: covering.length }).toEqual({
        name: deployment.metadata.name,
        pdbs: 1,
      });
    }
  });

  it('every Deployment spreads its pods over zones and nodes', () => {
    for (const deployment of deployments) {
      expect(
        deployment.spec.template.spec.topologySpreadConstraints?.length,
      ).toBeGreaterThanOrEqual(2);
    }
  });

  it('gives every pod more termination grace than the service’s own shutdown deadline', () => {
    const config = ofKind(objects, 'ConfigMap').find((c) =>
      c.metadata.name.startsWith('sluice-config'),
    );
    const graceMs = Number(config?.data?.SHUTDOWN_GRACE_MS);
    expect(graceMs).toBeGreaterThan(0);
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      const preStopSeconds = Number(pod.containers[0].lifecycle?.preStop?.exec?.command[1] ?? 0);
      expect((pod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(
        graceMs + preStopSeconds * 1000,
      );
    }
  });

  it('scales each consumer on the lag of its own consumer groups with KEDA', () => {
    for (const [service, groups] of Object.entries(CONSUMER_GROUPS)) {
      const scaled = byName(objects, 'ScaledObject', service) as unknown as {
        spec: {
          scaleTargetRef: { name: string };
          triggers: Array<{ type: string; metadata: Record<string, string> }>;
        };
      };
      expect(scaled.spec.scaleTargetRef.name).toBe(service);
      expect(
        scaled.spec.triggers.map((t) => [t.type, t.metadata.consumerGroup, t.metadata.topic]),
      ).toEqual(groups.map(([group, topic]) => ['kafka', group, topic]));
    }
    // KEDA owns their replica count: a second autoscaler would fight it
    const hpaTargets = ofKind(objects, 'HorizontalPodAutoscaler').map(
      (h) => (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name,
    );
    expect(hpaTargets).toEqual(['ingest-gateway']);
  });

  it('exposes the gateway through an Ingress that keeps WebSockets open', () => {
    const ingress = byName(objects, 'Ingress', 'ingest-gateway');
    expect(ingress?.metadata).toMatchObject({
      annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600' },
    });
  });

  it('resolves every ConfigMap and Secret reference (or names an operator-provided Secret)', () => {
    const rendered = new Set(
      objects
        .filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret')
        .map((o) => o.metadata.name),
    );
    const referenced = new Set<string>();
    const pods = [...deployments, ...(ofKind(objects, 'Job') as unknown as Workload[])];
    for (const workload of pods) {
      const pod = workload.spec.template.spec;
      for (const container of pod.containers) {
        for (const env of container.env ?? []) {
          if (env.valueFrom?.secretKeyRef) referenced.add(env.valueFrom.secretKeyRef.name);
        }
        for (const source of container.envFrom ?? []) {
          const name = source.configMapRef?.name ?? source.secretRef?.name;
          if (name) referenced.add(name);
        }
      }
      for (const volume of pod.volumes ?? []) {
        const name = volume.secret?.secretName ?? volume.configMap?.name;
        if (name) referenced.add(name);
      }
    }
    const auth = byName(objects, 'TriggerAuthentication', 'sluice-kafka') as unknown as {
      spec: { secretTargetRef: Array<{ name: string }> };
    };
    for (const ref of auth.spec.secretTargetRef) referenced.add(ref.name);
    const unresolved = [...referenced].filter(
      (name) => !rendered.has(name) && !EXTERNAL_SECRETS[overlay].includes(name),
    );
    expect(unresolved).toEqual([]);
  });

  it('gives every service its backends from the Secret and the shared ConfigMap', () => {
    for (const deployment of deployments) {
      const env = deployment.spec.template.spec.containers[0].env ?? [];
      const fromSecret = env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
      expect(fromSecret).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL']));
      expect(env.find((e) => e.name === 'SERVICE')?.value).toBe(deployment.metadata.name);
    }
  });

  it('denies all traffic of Sluice pods by default, then allows the architecture’s flows', () => {
    const policies = ofKind(objects, 'NetworkPolicy') as unknown as Array<{
      metadata: { name: string };
      spec: {
        podSelector: { matchLabels?: Record<string, string> };
        policyTypes: string[];
        ingress?: unknown[];
        egress?: unknown[];
      };
    }>;
    const denyAll = policies.find((p) => p.metadata.name === 'sluice-default-deny');
    expect(denyAll?.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'sluice' } },
      policyTypes: ['Ingress', 'Egress'],
    });
    for (const deployment of deployments) {
      expect(deployment.spec.template.metadata.labels['app.kubernetes.io/part-of']).toBe('sluice');
    }
    const ingressToGateway = policies.find((p) => p.metadata.name === 'ingest-gateway-ingress');
    expect(ingressToGateway?.spec.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'ingest-gateway',
    });
  });

  it('runs the migrations as a Job with the same image', () => {
    const job = byName(objects, 'Job', 'sluice-migrate') as unknown as Workload;
    const container = job.spec.template.spec.containers[0] as Container & { image: string };
    const gateway = deployments.find((d) => d.metadata.name === 'ingest-gateway')!;
    expect(container.env?.find((e) => e.name === 'SERVICE')?.value).toBe('migrate');
    expect(container.image).toBe(
      (gateway.spec.template.spec.containers[0] as Container & { image: string }).image,
    );
  });

  it('ships a PodMonitor and the PrometheusRule for the Prometheus Operator', () => {
    expect(byName(objects, 'PodMonitor', 'sluice')).toBeDefined();
    expect(byName(objects, 'PrometheusRule', 'sluice')).toBeDefined();
  });
});
