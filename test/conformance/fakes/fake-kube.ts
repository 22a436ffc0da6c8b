// An in-memory Kubernetes API server behind the KubeClient seam, for provider contract tests without a cluster.
// It keeps applied objects, assigns pod IPs and ClusterIPs, reports readiness, refuses pod spec changes as the
// real API does, and answers the batched `agnhost connect` exec by evaluating the stored NetworkPolicies over
// the stored pods (a small evaluator of its own, so it checks the engine rather than repeating it).
import { z } from 'zod';
import { matchesSelector } from '../../../server/policy/selector.ts';
import type { Selector } from '../../../server/policy/model.ts';
import type { ExecOutcome, ExecRequest, KubeClient, KubeObject, ListOptions, ObjectRef } from '../../../server/sandbox/k8s/kube-client.ts';
import { KubeApiError } from '../../../server/sandbox/k8s/kube-client.ts';

type Json = Record<string, unknown>;

interface Stored {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  body: Json;
}

const metaSchema = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const selectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(z.object({ key: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() })).optional(),
});
const peerSchema = z.object({
  podSelector: selectorSchema.optional(),
  namespaceSelector: selectorSchema.optional(),
  ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
});
const portSchema = z.object({ protocol: z.string().optional(), port: z.union([z.number(), z.string()]).optional(), endPort: z.number().optional() });
const ruleSchema = z.object({ from: z.array(peerSchema).optional(), to: z.array(peerSchema).optional(), ports: z.array(portSchema).optional() });
const policySchema = z.object({
  metadata: metaSchema,
  spec: z.object({ podSelector: selectorSchema, policyTypes: z.array(z.enum(['Ingress', 'Egress'])), ingress: z.array(ruleSchema).optional(), egress: z.array(ruleSchema).optional() }),
});
const podSchema = z.object({
  metadata: metaSchema,
  spec: z.object({ containers: z.array(z.object({ name: z.string(), ports: z.array(z.object({ containerPort: z.number(), protocol: z.string(), name: z.string().optional() })).optional() })) }),
  status: z.object({ podIP: z.string().optional() }).optional(),
});
const serviceSchema = z.object({
  metadata: metaSchema,
  spec: z.object({
    selector: z.record(z.string(), z.string()).optional(),
    clusterIP: z.string().optional(),
    ports: z.array(z.object({ port: z.number(), targetPort: z.union([z.number(), z.string()]), protocol: z.string() })),
  }),
});

function toSelector(raw: z.infer<typeof selectorSchema>): Selector {
  return {
    matchLabels: raw.matchLabels ?? {},
    matchExpressions: (raw.matchExpressions ?? []).map((requirement) => ({ key: requirement.key, operator: requirement.operator, values: requirement.values ?? [] })),
  };
}

function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

function matchesLabelSelector(selector: string | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined || selector === '') return true;
  return selector.split(',').every((term) => {
    const [key = '', value] = term.split('=');
    return value === undefined ? key in labels : labels[key] === value;
  });
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
}

function isInCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return ((ipv4ToNumber(ip) & mask) >>> 0) === ((ipv4ToNumber(base) & mask) >>> 0);
}

export interface FakeClusterOptions {
  /** False: policies are stored and ignored (flannel without its add-on). */
  readonly enforcesPolicy: boolean;
  readonly daemonSets?: readonly { readonly namespace: string; readonly name: string }[];
  readonly crds?: readonly string[];
  readonly dns?: { readonly namespace: string; readonly name: string };
  readonly nodeCount?: number;
  /** Polls a new pod stays not-Ready, so waits are exercised. */
  readonly podStartPolls?: number;
}

/** The calls the fake saw, for tests that assert on API traffic (one exec per source pod, SSA field manager). */
export interface FakeCalls {
  readonly applies: { readonly key: string; readonly fieldManager: string }[];
  readonly execs: { readonly pod: string; readonly probeCount: number }[];
  readonly deletes: string[];
}

export class FakeKubeCluster {
  readonly objects = new Map<string, Stored>();
  readonly calls: FakeCalls = { applies: [], execs: [], deletes: [] };
  enforcesPolicy: boolean;
  #nextPodIp = 10;
  #nextServiceIp = 20;
  #generation = 1;
  readonly #podStartPolls: number;
  readonly #pendingPolls = new Map<string, number>();

  constructor(options: FakeClusterOptions) {
    this.enforcesPolicy = options.enforcesPolicy;
    this.#podStartPolls = options.podStartPolls ?? 1;
    for (let index = 0; index < (options.nodeCount ?? 2); index += 1) {
      this.#put({ apiVersion: 'v1', kind: 'Node', name: `node-${index}`, body: { metadata: { name: `node-${index}` }, status: { conditions: [{ type: 'Ready', status: 'True' }] } } });
    }
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.#put({ apiVersion: 'v1', kind: 'Namespace', name, body: { metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } } });
    }
    for (const ref of options.daemonSets ?? []) {
      this.#put({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        ...ref,
        body: { metadata: { ...ref, generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 } },
      });
    }
    for (const name of options.crds ?? []) {
      this.#put({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name, body: { metadata: { name }, status: { conditions: [{ type: 'Established', status: 'True' }] } } });
    }
    const dns = options.dns ?? { namespace: 'kube-system', name: 'coredns' };
    this.#put({ apiVersion: 'apps/v1', kind: 'Deployment', ...dns, body: { metadata: dns, status: { conditions: [{ type: 'Available', status: 'True' }] } } });
    this.#put({
      apiVersion: 'v1',
      kind: 'Service',
      namespace: 'kube-system',
      name: 'kube-dns',
      body: { metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }, spec: { clusterIP: '10.96.0.10', ports: [{ port: 53, targetPort: 53, protocol: 'TCP' }] } },
    });
  }

  #put(stored: Stored): void {
    this.objects.set(keyOf(stored.kind, stored.namespace, stored.name), stored);
  }

  /** Objects carrying a label (what a sandbox leaves behind). */
  listLabelled(key: string, value: string): readonly string[] {
    return [...this.objects.entries()].flatMap(([objectKey, stored]) => {
      const meta = metaSchema.safeParse(stored.body['metadata']);
      return meta.success && meta.data.labels?.[key] === value ? [objectKey] : [];
    });
  }

  readonly client: KubeClient = {
    apply: async (object: KubeObject, options: { readonly fieldManager: string }) => {
      const key = keyOf(object.kind, object.metadata.namespace, object.metadata.name);
      this.calls.applies.push({ key, fieldManager: options.fieldManager });
      if (object.metadata.namespace !== undefined && !this.objects.has(keyOf('Namespace', undefined, object.metadata.namespace))) {
        throw new KubeApiError(`namespaces "${object.metadata.namespace}" not found`, { status: 404 });
      }
      const existing = this.objects.get(key);
      const { apiVersion, kind, metadata, ...rest } = object;
      if (kind === 'Pod' && existing !== undefined && JSON.stringify(existing.body['spec']) !== JSON.stringify(rest['spec'])) {
        throw new KubeApiError('Pod "x" is invalid: spec: Forbidden: pod updates may not change fields other than ...', { status: 422 });
      }
      const previousGeneration = existing === undefined ? undefined : z.object({ generation: z.number() }).safeParse(existing.body['metadata']);
      const isSpecChanged = existing === undefined || JSON.stringify(existing.body['spec']) !== JSON.stringify(rest['spec']);
      const generation = previousGeneration?.success === true && !isSpecChanged ? previousGeneration.data.generation : this.#generation++;
      const labels = kind === 'Namespace' ? { ...metadata.labels, 'kubernetes.io/metadata.name': metadata.name } : { ...metadata.labels };
      const body: Json = { ...rest, apiVersion, kind, metadata: { ...metadata, labels, generation } };
      if (kind === 'Pod') {
        const ip = existing === undefined ? `10.244.0.${this.#nextPodIp++}` : z.object({ podIP: z.string() }).parse(existing.body['status']).podIP;
        body['status'] = { podIP: ip, podIPs: [{ ip }], phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
        if (existing === undefined) this.#pendingPolls.set(key, this.#podStartPolls);
      }
      if (kind === 'Service') {
        const spec = z.object({ clusterIP: z.string().optional() }).parse(rest['spec']);
        const existingIp = existing === undefined ? undefined : z.object({ clusterIP: z.string() }).parse(existing.body['spec']).clusterIP;
        body['spec'] = { ...z.record(z.string(), z.unknown()).parse(rest['spec']), clusterIP: spec.clusterIP ?? existingIp ?? `10.96.0.${this.#nextServiceIp++}` };
      }
      this.#put({ apiVersion, kind, name: metadata.name, ...(metadata.namespace === undefined ? {} : { namespace: metadata.namespace }), body });
      return body;
    },
    delete: async (ref: ObjectRef) => {
      const key = keyOf(ref.kind, ref.namespace, ref.name);
      this.calls.deletes.push(key);
      this.objects.delete(key);
      if (ref.kind === 'Namespace') {
        for (const [objectKey, stored] of [...this.objects]) if (stored.namespace === ref.name) this.objects.delete(objectKey);
      }
    },
    read: async (ref: ObjectRef) => this.#view(keyOf(ref.kind, ref.namespace, ref.name)),
    list: async (apiVersion: string, kind: string, options: ListOptions = {}) =>
      [...this.objects.entries()]
        .filter(([, stored]) => stored.apiVersion === apiVersion && stored.kind === kind && (options.namespace === undefined || stored.namespace === options.namespace))
        .filter(([, stored]) => {
          const meta = metaSchema.safeParse(stored.body['metadata']);
          return meta.success && matchesLabelSelector(options.labelSelector, meta.data.labels ?? {});
        })
        .map(([key]) => this.#view(key)),
    readVersion: async () => 'v1.33.1',
    exec: async (request: ExecRequest): Promise<ExecOutcome> => this.#exec(request),
  };

  /** A pod reads as not Ready for its first polls, like a container starting. */
  #view(key: string): unknown {
    const stored = this.objects.get(key);
    if (stored === undefined) return undefined;
    const pending = this.#pendingPolls.get(key);
    if (stored.kind === 'Pod' && pending !== undefined && pending > 0) {
      this.#pendingPolls.set(key, pending - 1);
      return { ...stored.body, status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }] } };
    }
    return structuredClone(stored.body);
  }

  #pods(): z.infer<typeof podSchema>[] {
    return [...this.objects.values()].filter((stored) => stored.kind === 'Pod').flatMap((stored) => {
      const parsed = podSchema.safeParse(stored.body);
      return parsed.success ? [parsed.data] : [];
    });
  }

  #namespaceLabels(name: string): Readonly<Record<string, string>> {
    const stored = this.objects.get(keyOf('Namespace', undefined, name));
    const meta = metaSchema.safeParse(stored?.body['metadata']);
    return meta.success ? (meta.data.labels ?? {}) : {};
  }

  #policies(): z.infer<typeof policySchema>[] {
    return [...this.objects.values()].filter((stored) => stored.kind === 'NetworkPolicy').flatMap((stored) => {
      const parsed = policySchema.safeParse(stored.body);
      return parsed.success ? [parsed.data] : [];
    });
  }

  #peerMatches(peer: z.infer<typeof peerSchema>, policyNamespace: string, other: z.infer<typeof podSchema>): boolean {
    const otherIp = other.status?.podIP ?? '';
    if (peer.ipBlock !== undefined) return isInCidr(otherIp, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((cidr) => isInCidr(otherIp, cidr));
    const otherNamespace = other.metadata.namespace ?? '';
    const isNamespaceOk =
      peer.namespaceSelector === undefined ? otherNamespace === policyNamespace : matchesSelector(toSelector(peer.namespaceSelector), this.#namespaceLabels(otherNamespace));
    const isPodOk = peer.podSelector === undefined || matchesSelector(toSelector(peer.podSelector), other.metadata.labels ?? {});
    return isNamespaceOk && isPodOk;
  }

  #portMatches(ports: z.infer<typeof portSchema>[] | undefined, destination: z.infer<typeof podSchema>, port: number, protocol: string): boolean {
    if (ports === undefined || ports.length === 0) return true;
    return ports.some((entry) => {
      if ((entry.protocol ?? 'TCP') !== protocol) return false;
      if (entry.port === undefined) return true;
      if (typeof entry.port === 'string') {
        return destination.spec.containers.some((container) => (container.ports ?? []).some((p) => p.name === entry.port && p.containerPort === port && p.protocol === protocol));
      }
      return entry.endPort === undefined ? entry.port === port : port >= entry.port && port <= entry.endPort;
    });
  }

  /** "Traffic is allowed if it is allowed by both the egress of the source and the ingress of the destination." */
  #isAllowed(source: z.infer<typeof podSchema>, destination: z.infer<typeof podSchema>, port: number, protocol: string): boolean {
    if (!this.enforcesPolicy) return true;
    const decide = (subject: z.infer<typeof podSchema>, other: z.infer<typeof podSchema>, direction: 'Ingress' | 'Egress'): boolean => {
      const isolating = this.#policies().filter(
        (policy) =>
          policy.metadata.namespace === subject.metadata.namespace &&
          policy.spec.policyTypes.includes(direction) &&
          matchesSelector(toSelector(policy.spec.podSelector), subject.metadata.labels ?? {}),
      );
      if (isolating.length === 0) return true;
      return isolating.some((policy) =>
        (direction === 'Ingress' ? (policy.spec.ingress ?? []) : (policy.spec.egress ?? [])).some((rule) => {
          const peers = direction === 'Ingress' ? rule.from : rule.to;
          const isPeerOk = peers === undefined || peers.length === 0 || peers.some((peer) => this.#peerMatches(peer, policy.metadata.namespace ?? '', other));
          return isPeerOk && this.#portMatches(rule.ports, destination, port, protocol);
        }),
      );
    };
    return decide(source, destination, 'Egress') && decide(destination, source, 'Ingress');
  }

  #resolveTarget(host: string, port: number): { readonly pod?: z.infer<typeof podSchema>; readonly port: number } {
    const pod = this.#pods().find((candidate) => candidate.status?.podIP === host);
    if (pod !== undefined) return { pod, port };
    for (const stored of this.objects.values()) {
      if (stored.kind !== 'Service') continue;
      const service = serviceSchema.safeParse(stored.body);
      if (!service.success || service.data.spec.clusterIP !== host) continue;
      const servicePort = service.data.spec.ports.find((entry) => entry.port === port);
      const selector = service.data.spec.selector;
      if (servicePort === undefined || selector === undefined) return { port };
      const backend = this.#pods().find(
        (candidate) => candidate.metadata.namespace === service.data.metadata.namespace && Object.entries(selector).every(([key, value]) => candidate.metadata.labels?.[key] === value),
      );
      return { ...(backend === undefined ? {} : { pod: backend }), port: typeof servicePort.targetPort === 'number' ? servicePort.targetPort : port };
    }
    return { port };
  }

  #exec(request: ExecRequest): ExecOutcome {
    const source = this.#pods().find((pod) => pod.metadata.namespace === request.namespace && pod.metadata.name === request.pod);
    if (source === undefined) return { kind: 'failed', reason: `pods "${request.pod}" not found` };
    if (!source.spec.containers.some((container) => container.name === request.container)) return { kind: 'failed', reason: `container ${request.container} not found` };
    const [shell, flag, , placeholder, ...args] = request.command;
    if (shell !== '/bin/sh' || flag !== '-c' || placeholder !== 'sh' || args.length % 4 !== 0) return { kind: 'completed', exitCode: 2, stdout: '', stderr: 'unexpected command' };
    this.calls.execs.push({ pod: `${request.namespace}/${request.pod}`, probeCount: args.length / 4 });
    let stdout = '';
    for (let index = 0; index < args.length; index += 4) {
      const [id = '', target = '', protocol = '', timeout = ''] = args.slice(index, index + 4);
      const separator = target.lastIndexOf(':');
      const host = target.slice(0, separator).replace(/^\[|\]$/g, '');
      const resolved = this.#resolveTarget(host, Number(target.slice(separator + 1)));
      const upper = protocol.toUpperCase();
      let line: string;
      if (!/^\d+ms$/.test(timeout)) line = `RH\t${id}\t1\t\t\tUNKNOWN: bad timeout`;
      else if (resolved.pod === undefined) line = `RH\t${id}\t1\t\t\tTIMEOUT: no route`;
      else if (!this.#isAllowed(source, resolved.pod, resolved.port, upper)) line = `RH\t${id}\t1\t1000000000000\t1001000000000\tTIMEOUT: i/o timeout`;
      else if (!resolved.pod.spec.containers.some((container) => (container.ports ?? []).some((p) => p.containerPort === resolved.port && p.protocol === upper))) {
        line = `RH\t${id}\t1\t1000000000000\t1000000200000\tREFUSED: connection refused`;
      } else line = `RH\t${id}\t0\t1000000000000\t1000000500000\t`;
      stdout += `${line}\n`;
      request.onStdout?.(`${line}\n`);
    }
    return { kind: 'completed', exitCode: 0, stdout, stderr: '' };
  }
}
