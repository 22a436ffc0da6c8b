// The kinds rehearsal reads and the apiVersion each belongs to; a kind in the wrong group is an error, as the API
// server answers "no matches for kind X in version Y".

import { addIssue, joinPath, lineOf, quote, readString } from './parse-context.ts';
import type { ParseContext } from './parse-context.ts';
import type { YamlMap } from './yaml-source.ts';

export const rehearsalApiVersion = 'rehearsal.dev/v1alpha1';

export const kindApiVersions = {
  Namespace: 'v1',
  Pod: 'v1',
  Service: 'v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Job: 'batch/v1',
  ExternalEndpoint: rehearsalApiVersion,
  Scenario: rehearsalApiVersion,
} as const;
export type KnownKind = keyof typeof kindApiVersions;

export const knownKinds: readonly KnownKind[] = [
  'Namespace', 'Pod', 'Service', 'NetworkPolicy', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ExternalEndpoint', 'Scenario',
];

export function findKnownKind(kind: string): KnownKind | undefined {
  return knownKinds.find((k) => k === kind);
}

/** Versions that used to serve a kind, to explain why an old manifest no longer applies. */
const removedVersions: Readonly<Record<string, string>> = {
  'extensions/v1beta1': 'removed in Kubernetes 1.16 (Deployments, DaemonSets, ReplicaSets) and 1.22 (NetworkPolicy, Ingress)',
  'apps/v1beta1': 'removed in Kubernetes 1.16',
  'apps/v1beta2': 'removed in Kubernetes 1.16',
  'networking.k8s.io/v1beta1': 'never served NetworkPolicy',
  'batch/v1beta1': 'served CronJob only, removed in 1.25',
};

/** Checks `apiVersion` against the kind; true when it matches. `kind` must already be known. */
export function checkApiVersion(ctx: ParseContext, input: { object: YamlMap; basePath: string; kind: KnownKind }): boolean {
  const expected = kindApiVersions[input.kind];
  const apiVersion = readString(input.object, 'apiVersion');
  const path = joinPath(input.basePath, 'apiVersion');
  if (apiVersion === undefined || apiVersion === '') {
    addIssue(ctx, { code: 'missing-api-version', line: lineOf(input.object, 'apiVersion'), path, message: `${input.kind} has no apiVersion`, fix: `add apiVersion: ${expected}` });
    return false;
  }
  if (apiVersion === expected) return true;
  const history = removedVersions[apiVersion];
  addIssue(ctx, {
    code: 'wrong-api-version',
    line: lineOf(input.object, 'apiVersion'),
    path,
    message: `no kind ${input.kind} in version ${quote(apiVersion)}${history ? ` (${history})` : ''}: ${input.kind} is ${expected}`,
    fix: `set apiVersion: ${expected}`,
  });
  return false;
}
