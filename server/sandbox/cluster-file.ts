// The cluster a sandbox currently enforces, saved in its runtime dir so another process (`rehearse apply`,
// `rehearse sandbox rules`, a restarted server) can reattach. Read back through a schema: it is a file on disk.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Cluster } from '../policy/model.ts';
import { SandboxError, SandboxErrorCodes } from './contract.ts';

const labelsSchema = z.record(z.string(), z.string());
const protocolSchema = z.enum(['TCP', 'UDP', 'SCTP']);
const sourceSchema = z.object({ file: z.string(), line: z.number(), docIndex: z.number(), path: z.string() });
const selectorSchema = z.object({
  matchLabels: labelsSchema,
  matchExpressions: z.array(z.object({ key: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()) })),
});
const peerSchema = z.union([
  z.object({ kind: z.literal('selector'), podSelector: selectorSchema.optional(), namespaceSelector: selectorSchema.optional(), path: z.string() }),
  z.object({ kind: z.literal('ipBlock'), ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()) }), path: z.string() }),
]);
const ruleSchema = z.object({
  index: z.number(),
  matchesAllPeers: z.boolean(),
  peers: z.array(peerSchema),
  matchesAllPorts: z.boolean(),
  ports: z.array(z.object({ protocol: protocolSchema, port: z.union([z.number(), z.string()]).optional(), endPort: z.number().optional(), path: z.string() })),
  path: z.string(),
});

const clusterSchema = z.object({
  namespaces: z.array(z.object({ name: z.string(), labels: labelsSchema, source: sourceSchema, isImplicit: z.boolean() })),
  pods: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      labels: labelsSchema,
      annotations: labelsSchema,
      ips: z.array(z.string()),
      containers: z.array(z.object({ name: z.string(), ports: z.array(z.object({ name: z.string().optional(), containerPort: z.number(), protocol: protocolSchema })) })),
      workload: z.object({ kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Pod']), name: z.string() }),
      source: sourceSchema,
      isSystem: z.boolean(),
    }),
  ),
  services: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      labels: labelsSchema,
      selector: labelsSchema.nullable(),
      clusterIP: z.string(),
      ports: z.array(z.object({ name: z.string().optional(), port: z.number(), targetPort: z.union([z.number(), z.string()]), protocol: protocolSchema })),
      source: sourceSchema,
      isSystem: z.boolean(),
    }),
  ),
  externals: z.array(
    z.object({
      name: z.string(),
      ip: z.string(),
      ports: z.array(z.object({ port: z.number(), protocol: protocolSchema })),
      hostnames: z.array(z.string()),
      source: sourceSchema,
    }),
  ),
  policies: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      podSelector: selectorSchema,
      policyTypes: z.array(z.enum(['Ingress', 'Egress'])),
      hasExplicitPolicyTypes: z.boolean(),
      ingress: z.array(ruleSchema),
      egress: z.array(ruleSchema),
      labels: labelsSchema,
      source: sourceSchema,
    }),
  ),
  podCidr: z.string(),
  serviceCidr: z.string(),
  dnsServiceIp: z.string(),
});

/** Parses a saved cluster; the schema's output type is checked against the engine's Cluster at compile time. */
export function parseClusterJson(text: string): Cluster | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const parsed = clusterSchema.safeParse(json);
  if (!parsed.success) return parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  const cluster: Cluster = parsed.data;
  return cluster;
}

export async function writeClusterFile(file: string, cluster: Cluster): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(cluster), { mode: 0o600 });
  await rename(temp, file);
}

export async function readClusterFile(file: string, sandboxId: string): Promise<Cluster> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SandboxError(SandboxErrorCodes.notFound, `${sandboxId} has no saved cluster state (${file}); it was torn down or never finished provisioning`, { cause: error });
  }
  const parsed = parseClusterJson(text);
  if (typeof parsed === 'string') throw new SandboxError(SandboxErrorCodes.notFound, `the saved cluster of ${sandboxId} (${file}) is unreadable: ${parsed}; 'rehearse down ${sandboxId}' removes the sandbox`);
  return parsed;
}
