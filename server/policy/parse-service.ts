// v1 Service: ports, selector and clusterIP, validated as pkg/apis/core/validation does. Addresses are assigned later
// (topology.ts); NodePort and LoadBalancer Services behave as their ClusterIP part inside a sandbox.

import { explainUnusableAddress } from './ipam.ts';
import { parseIp } from './cidr.ts';
import type { ParsedIp } from './cidr.ts';
import { addIssue, asString, getField, hasErrorsSince, indexPath, joinPath, lineOf, markIssues, quote, readIntOrString, readInteger, readMap, readSeq, readString, readStringMap } from './parse-context.ts';
import type { ParseContext, ParseSettings } from './parse-context.ts';
import { checkLabels, objectMetaShape, readObjectMeta } from './parse-meta.ts';
import { readProtocol } from './parse-network-policy.ts';
import { anyShape, checkShape, integerShape, intOrStringShape, listShape, namesShape, objectShape, stringMapShape, stringShape, suggestClosest } from './parse-shape.ts';
import type { Shape } from './parse-shape.ts';
import { validateDnsLabel, validatePortName, validatePortNumber } from './validate-names.ts';
import type { ServicePort, SourceRef } from './model.ts';
import type { DraftLocation } from './parse-workload.ts';
import type { YamlMap } from './yaml-source.ts';

const servicePortShape: Shape = objectShape({ name: stringShape, protocol: stringShape, appProtocol: stringShape, port: integerShape, targetPort: intOrStringShape, nodePort: integerShape });

export const serviceShape: Shape = objectShape({
  apiVersion: stringShape,
  kind: stringShape,
  metadata: objectMetaShape,
  spec: namesShape(
    [
      'externalIPs', 'sessionAffinity', 'loadBalancerIP', 'loadBalancerSourceRanges', 'externalName', 'externalTrafficPolicy', 'healthCheckNodePort',
      'publishNotReadyAddresses', 'sessionAffinityConfig', 'ipFamilies', 'ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'loadBalancerClass',
      'internalTrafficPolicy', 'trafficDistribution',
    ],
    { ports: listShape(servicePortShape), selector: stringMapShape, clusterIP: stringShape, clusterIPs: listShape(stringShape), type: stringShape },
  ),
  status: anyShape,
});

const serviceTypes = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;

export interface ServiceDraft {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly selector: Readonly<Record<string, string>> | null;
  /** A valid address inside the service CIDR, 'None', or undefined to be assigned. */
  readonly clusterIP: ParsedIp | 'None' | undefined;
  readonly ports: readonly ServicePort[];
  readonly source: SourceRef;
  readonly location: DraftLocation;
  readonly isSystem: boolean;
}

export type ServiceParse = { readonly kind: 'service'; readonly service: ServiceDraft } | { readonly kind: 'externalName'; readonly name: string } | undefined;

export function parseService(ctx: ParseContext, input: { object: YamlMap; basePath: string; source: SourceRef; settings: ParseSettings }): ServiceParse {
  const { object, basePath, source, settings } = input;
  const mark = markIssues(ctx);
  checkShape(ctx, { node: object, shape: serviceShape, path: basePath });
  const read = readObjectMeta(ctx, { object, basePath, kind: 'Service', nameRule: 'dns1035Label', isNamespaced: true });
  const specPath = joinPath(basePath, 'spec');
  const spec: YamlMap = readMap(object, 'spec') ?? { kind: 'map', line: object.line, entries: [] };

  const typeText = readString(spec, 'type') ?? 'ClusterIP';
  const type = serviceTypes.find((t) => t === typeText);
  if (!type) {
    const suggestion = suggestClosest(typeText, serviceTypes);
    addIssue(ctx, { code: 'invalid-value', line: lineOf(spec, 'type'), path: joinPath(specPath, 'type'), message: `Unsupported value: ${quote(typeText)}: supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`, fix: suggestion ? `did you mean "${suggestion}"?` : 'use ClusterIP' });
  }
  if (type === 'ExternalName') {
    if (!read) return undefined;
    addIssue(ctx, {
      code: 'external-name-ignored',
      severity: 'warning',
      line: lineOf(spec, 'type'),
      path: joinPath(specPath, 'type'),
      message: `Service ${read.meta.namespace}/${read.meta.name} is type ExternalName (a DNS alias with no address or endpoints) and was ignored`,
      fix: 'model the destination as an ExternalEndpoint (apiVersion rehearsal.dev/v1alpha1) to test traffic to it',
    });
    return { kind: 'externalName', name: read.meta.name };
  }
  if (type === 'NodePort' || type === 'LoadBalancer') {
    addIssue(ctx, {
      code: 'service-type-as-cluster-ip',
      severity: 'info',
      line: lineOf(spec, 'type'),
      path: joinPath(specPath, 'type'),
      message: `type ${type} is treated as ClusterIP: a sandbox has no node ports or load balancers, and pod-to-pod policy is the same`,
      fix: 'nothing to do; traffic to the ClusterIP behaves as in the cluster',
    });
  }

  const clusterIP = readClusterIp(ctx, { spec, specPath, settings });
  const ports = readServicePorts(ctx, { spec, specPath, isHeadless: clusterIP === 'None' });
  checkLabels(ctx, { owner: spec, key: 'selector', path: specPath });
  const selectorMap = readStringMap(spec, 'selector');
  // An empty selector decodes to nil: the Service has no selector and Kubernetes computes no endpoints for it.
  const selector = getField(spec, 'selector') !== undefined && Object.keys(selectorMap).length > 0 ? selectorMap : null;

  if (!read || hasErrorsSince(ctx, mark) || !read.isValid) return undefined;
  const { name, namespace } = read.meta;
  return {
    kind: 'service',
    service: {
      namespace,
      name,
      labels: read.meta.labels,
      selector,
      clusterIP,
      ports,
      source,
      location: { file: ctx.file, line: source.line, path: joinPath(basePath, 'metadata'), object: `Service ${namespace}/${name}` },
      isSystem: false,
    },
  };
}

function readClusterIp(ctx: ParseContext, input: { spec: YamlMap; specPath: string; settings: ParseSettings }): ParsedIp | 'None' | undefined {
  const { spec, specPath, settings } = input;
  const clusterIPs = readSeq(spec, 'clusterIPs');
  const firstOfList = clusterIPs ? asString(clusterIPs.items[0]) : undefined;
  const written = readString(spec, 'clusterIP');
  const text = written === undefined || written === '' ? firstOfList : written;
  if (written !== undefined && written !== '' && firstOfList !== undefined && firstOfList !== written) {
    addIssue(ctx, { code: 'invalid-cluster-ip', line: lineOf(spec, 'clusterIPs'), path: indexPath(joinPath(specPath, 'clusterIPs'), 0), message: `clusterIPs[0] ${quote(firstOfList)} must match clusterIP ${quote(written)}`, fix: 'write the same address in both, or only clusterIP' });
  }
  if (text === undefined || text === '') return undefined;
  if (text === 'None') return 'None';
  const path = joinPath(specPath, written === undefined || written === '' ? 'clusterIPs[0]' : 'clusterIP');
  const line = lineOf(spec, written === undefined || written === '' ? 'clusterIPs' : 'clusterIP');
  const ip = parseIp(text);
  if (!ip) {
    addIssue(ctx, { code: 'invalid-cluster-ip', line, path, message: `${quote(text)} must be a valid IP address or "None"`, fix: `leave clusterIP out to get an address from ${settings.serviceCidr.text}, or write "None" for a headless Service` });
    return undefined;
  }
  const problem = explainUnusableAddress(ip, settings.serviceCidr, { allowReserved: true });
  if (problem) {
    // The API server allocates from --service-cluster-ip-range: "provided IP is not in the valid range".
    addIssue(ctx, { code: 'invalid-cluster-ip', line, path, message: `${problem}: the provided IP is not in the valid range of the service CIDR`, fix: `pick an address inside ${settings.serviceCidr.text}, or leave clusterIP out` });
    return undefined;
  }
  return ip;
}

function readServicePorts(ctx: ParseContext, input: { spec: YamlMap; specPath: string; isHeadless: boolean }): ServicePort[] {
  const { spec, specPath } = input;
  const portsPath = joinPath(specPath, 'ports');
  const seq = readSeq(spec, 'ports');
  if (!seq || seq.items.length === 0) {
    if (!input.isHeadless) {
      addIssue(ctx, { code: 'required', line: lineOf(spec, 'ports'), path: portsPath, message: 'spec.ports: Required value (a Service with a cluster IP needs at least one port)', fix: 'add ports: [{port: 80, targetPort: 8080}]' });
    }
    return [];
  }
  const isMultiple = seq.items.length > 1;
  const names = new Map<string, string>();
  const portProtocols = new Map<string, string>();
  const ports: ServicePort[] = [];
  seq.items.forEach((item, index) => {
    if (item.kind !== 'map') return;
    const path = indexPath(portsPath, index);
    let isValid = true;
    const name = readString(item, 'name');
    if (name === undefined || name === '') {
      if (isMultiple) {
        isValid = false;
        addIssue(ctx, { code: 'required', line: item.line, path: joinPath(path, 'name'), message: 'ports[].name: Required value: a name is required when a Service has more than one port', fix: 'name every port, e.g. name: http' });
      }
    } else {
      for (const problem of validateDnsLabel(name)) {
        isValid = false;
        addIssue(ctx, { code: 'invalid-port-name', line: lineOf(item, 'name'), path: joinPath(path, 'name'), message: `port name ${quote(name)}: ${problem}`, fix: 'use lower-case letters, digits and -' });
      }
      const earlier = names.get(name);
      if (earlier !== undefined) {
        isValid = false;
        addIssue(ctx, { code: 'duplicate-name', line: lineOf(item, 'name'), path: joinPath(path, 'name'), message: `Duplicate value: port name ${quote(name)} is also used at ${earlier}`, fix: 'give every Service port its own name' });
      } else names.set(name, path);
    }
    const port = readInteger(item, 'port');
    if (port === undefined) {
      isValid = false;
      addIssue(ctx, { code: 'required', line: item.line, path: joinPath(path, 'port'), message: 'port: Required value', fix: 'add port: <number>' });
    } else {
      for (const problem of validatePortNumber(port)) {
        isValid = false;
        addIssue(ctx, { code: 'invalid-port', line: lineOf(item, 'port'), path: joinPath(path, 'port'), message: `port ${port}: ${problem}`, fix: 'use a port between 1 and 65535' });
      }
    }
    const protocol = readProtocol(ctx, { owner: item, path, isEmptyDefaulted: true });
    if (!protocol) isValid = false;
    if (port !== undefined && protocol) {
      const key = `${port}/${protocol}`;
      const earlier = portProtocols.get(key);
      if (earlier !== undefined) {
        isValid = false;
        addIssue(ctx, { code: 'duplicate-port', line: lineOf(item, 'port'), path, message: `Duplicate value: port ${key} is also declared at ${earlier}`, fix: 'each port/protocol pair may appear once per Service' });
      } else portProtocols.set(key, path);
    }
    // "targetPort ... If this is a string, it will be looked up as a named port in the target Pod's container ports.
    // If this is not specified, the value of the 'port' field is used (an identity map)."
    // SetDefaults_Service: `if sp.TargetPort == intstr.FromInt32(0) || sp.TargetPort == intstr.FromString("")
    // { sp.TargetPort = intstr.FromInt32(sp.Port) }`, so an explicit 0 or "" is the identity map as well.
    const writtenTargetPort = readIntOrString(item, 'targetPort');
    const targetPort = writtenTargetPort === undefined || writtenTargetPort === 0 || writtenTargetPort === '' ? port : writtenTargetPort;
    if (typeof targetPort === 'number') {
      for (const problem of validatePortNumber(targetPort)) {
        isValid = false;
        addIssue(ctx, { code: 'invalid-port', line: lineOf(item, 'targetPort'), path: joinPath(path, 'targetPort'), message: `targetPort ${targetPort}: ${problem}`, fix: 'use a port between 1 and 65535 or a container port name' });
      }
    } else if (typeof targetPort === 'string') {
      for (const problem of validatePortName(targetPort)) {
        isValid = false;
        addIssue(ctx, { code: 'invalid-port-name', line: lineOf(item, 'targetPort'), path: joinPath(path, 'targetPort'), message: `targetPort name ${quote(targetPort)}: ${problem}`, fix: /^\d+$/.test(targetPort) ? `remove the quotes: a quoted "${targetPort}" is a port name` : 'use the name of a container port' });
      }
    }
    if (!isValid || port === undefined || !protocol || targetPort === undefined) return;
    ports.push({ ...(name === undefined || name === '' ? {} : { name }), port, targetPort, protocol });
  });
  return ports;
}
