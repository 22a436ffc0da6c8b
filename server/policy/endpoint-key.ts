// The text form of flow endpoints used by the CLI, the API and JSON output: `ns/pod`, `external/name`, `svc/ns/name`.

import { validateDns1035Label, validateDnsLabel, validateDnsSubdomain } from './validate-names.ts';
import type { EndpointKey, EndpointRef, TargetRef } from './model.ts';

export function formatEndpointKey(ref: EndpointRef | TargetRef): EndpointKey {
  switch (ref.kind) {
    case 'pod':
      return `${ref.namespace}/${ref.name}`;
    case 'external':
      return `external/${ref.name}`;
    case 'service':
      return `svc/${ref.namespace}/${ref.name}`;
  }
}

/**
 * Parses a key; undefined when it is not one. `external/x` always means the ExternalEndpoint x: a pod in a
 * namespace called `external` needs the engine's pod lookup, not this text form. Names must be valid Kubernetes names,
 * so hostile text (`../x`, shell syntax) never comes back as a reference.
 */
export function parseEndpointKey(text: string): TargetRef | undefined {
  if (text.length > 600) return undefined;
  const parts = text.split('/');
  if (parts.length === 3) {
    const [prefix, namespace, name] = parts;
    if (prefix !== 'svc' || namespace === undefined || name === undefined) return undefined;
    if (validateDnsLabel(namespace).length > 0 || validateDns1035Label(name).length > 0) return undefined;
    return { kind: 'service', namespace, name };
  }
  if (parts.length !== 2) return undefined;
  const [first, name] = parts;
  if (first === undefined || name === undefined) return undefined;
  if (first === 'external') return validateDnsLabel(name).length === 0 ? { kind: 'external', name } : undefined;
  if (validateDnsLabel(first).length > 0 || validateDnsSubdomain(name).length > 0) return undefined;
  return { kind: 'pod', namespace: first, name };
}
