// networking.k8s.io/v1 NetworkPolicy: validation as k8s.io/kubernetes pkg/apis/networking/validation does it,
// then defaulting, into the model's Policy. Rule, peer and port paths are relative to the policy object.

import { isCidrWithin, parseCidr } from './cidr.ts';
import { addIssue, asString, getField, hasErrorsSince, markIssues, indexPath, joinPath, lineOf, quote, readIntOrString, readInteger, readMap, readSeq, readString } from './parse-context.ts';
import type { ParseContext } from './parse-context.ts';
import { labelSelectorShape, objectMetaShape, readLabelSelector, readObjectMeta, readOptionalSelector } from './parse-meta.ts';
import { checkShape, integerShape, intOrStringShape, listShape, objectShape, stringShape, suggestClosest } from './parse-shape.ts';
import type { Shape } from './parse-shape.ts';
import { validatePortName, validatePortNumber } from './validate-names.ts';
import { protocolList } from './model.ts';
import type { Direction, IpBlock, Peer, Policy, PortMatch, Protocol, Rule, Selector, SourceRef } from './model.ts';
import type { YamlMap } from './yaml-source.ts';

const peerShape: Shape = objectShape({
  podSelector: labelSelectorShape,
  namespaceSelector: labelSelectorShape,
  ipBlock: objectShape({ cidr: stringShape, except: listShape(stringShape) }),
});
const portShape: Shape = objectShape({ protocol: stringShape, port: intOrStringShape, endPort: integerShape });

export const networkPolicyShape: Shape = objectShape({
  apiVersion: stringShape,
  kind: stringShape,
  metadata: objectMetaShape,
  spec: objectShape({
    podSelector: labelSelectorShape,
    policyTypes: listShape(stringShape),
    ingress: listShape(objectShape({ from: listShape(peerShape), ports: listShape(portShape) })),
    egress: listShape(objectShape({ to: listShape(peerShape), ports: listShape(portShape) })),
  }),
});

const directions: readonly Direction[] = ['Ingress', 'Egress'];

/**
 * A protocol value (`TCP` when absent); reports NotSupported values with a did-you-mean. `isEmptyDefaulted`: an empty
 * string means TCP too, as for container and Service ports, whose protocol is a plain string defaulted when "":
 * SetDefaults_ContainerPort / SetDefaults_Service do `if Protocol == "" { Protocol = ProtocolTCP }`. A
 * NetworkPolicyPort's protocol is a pointer, defaulted only when nil, so `protocol: ""` there is NotSupported.
 */
export function readProtocol(ctx: ParseContext, input: { owner: YamlMap; path: string; isEmptyDefaulted?: boolean }): Protocol | undefined {
  const text = readString(input.owner, 'protocol');
  if (text === undefined) return getField(input.owner, 'protocol') === undefined ? 'TCP' : undefined;
  if (text === '' && input.isEmptyDefaulted === true) return 'TCP';
  const protocol = protocolList.find((p) => p === text);
  if (protocol) return protocol;
  const suggestion = suggestClosest(text, protocolList);
  addIssue(ctx, {
    code: 'invalid-protocol',
    line: lineOf(input.owner, 'protocol'),
    path: joinPath(input.path, 'protocol'),
    message: `Unsupported value: ${quote(text)}: supported values: "TCP", "UDP", "SCTP"`,
    fix: suggestion ? `did you mean "${suggestion}"? (protocols are upper case)` : 'use TCP, UDP or SCTP',
  });
  return undefined;
}

export function parseNetworkPolicy(ctx: ParseContext, input: { object: YamlMap; basePath: string; source: SourceRef }): Policy | undefined {
  const { object, basePath, source } = input;
  const mark = markIssues(ctx);
  checkShape(ctx, { node: object, shape: networkPolicyShape, path: basePath });
  const read = readObjectMeta(ctx, { object, basePath, kind: 'NetworkPolicy', nameRule: 'dnsSubdomain', isNamespaced: true });
  if (!read) return undefined;
  const specPath = joinPath(basePath, 'spec');
  const spec = readMap(object, 'spec');
  if (!spec) {
    addIssue(ctx, {
      code: 'missing-spec',
      severity: 'warning',
      line: lineOf(object, 'spec'),
      path: specPath,
      message: `NetworkPolicy ${read.meta.namespace}/${read.meta.name} has no spec: it selects every pod in its namespace and denies all their ingress`,
      fix: 'add a spec with podSelector and rules, or write spec: {podSelector: {}} to make the default deny explicit',
    });
  }
  const specMap: YamlMap = spec ?? { kind: 'map', line: object.line, entries: [] };

  let podSelector: Selector = { matchLabels: {}, matchExpressions: [] };
  const podSelectorNode = readMap(specMap, 'podSelector');
  if (podSelectorNode) {
    podSelector = readLabelSelector(ctx, { node: podSelectorNode, path: joinPath(specPath, 'podSelector') }) ?? podSelector;
  } else if (spec && getField(spec, 'podSelector') === undefined) {
    addIssue(ctx, {
      code: 'missing-pod-selector',
      severity: 'warning',
      line: spec.line,
      path: joinPath(specPath, 'podSelector'),
      message: 'spec.podSelector is missing: the policy selects every pod in its namespace (the same as podSelector: {})',
      fix: 'write podSelector: {} to select all pods on purpose, or a selector for the pods you mean',
    });
  }

  const ingress = readRules(ctx, { spec: specMap, specPath, direction: 'Ingress' });
  const egress = readRules(ctx, { spec: specMap, specPath, direction: 'Egress' });
  const written = readPolicyTypes(ctx, { spec: specMap, specPath });
  // "If this field is not specified, it will default based on the existence of ingress or egress rules; policies that
  // contain an egress section are assumed to affect egress, and all policies (whether or not they contain an ingress
  // section) are assumed to affect ingress." SetDefaults_NetworkPolicy does it when len(policyTypes) == 0 and tests
  // len(spec.egress) != 0, so an empty `egress: []` does not add Egress.
  const hasExplicitPolicyTypes = written !== undefined && written.length > 0;
  const policyTypes: Direction[] = hasExplicitPolicyTypes ? written : ['Ingress'];
  if (!hasExplicitPolicyTypes && egress.length > 0) policyTypes.push('Egress');

  if (hasErrorsSince(ctx, mark) || !read.isValid) return undefined;
  return {
    namespace: read.meta.namespace,
    name: read.meta.name,
    podSelector,
    policyTypes,
    hasExplicitPolicyTypes,
    ingress,
    egress,
    labels: read.meta.labels,
    source,
  };
}

function readPolicyTypes(ctx: ParseContext, input: { spec: YamlMap; specPath: string }): Direction[] | undefined {
  const seq = readSeq(input.spec, 'policyTypes');
  if (!seq) return undefined;
  const path = joinPath(input.specPath, 'policyTypes');
  // "may not specify more than two policyTypes"
  if (seq.items.length > 2) {
    addIssue(ctx, { code: 'invalid-policy-type', line: lineOf(input.spec, 'policyTypes'), path, message: 'may not specify more than two policyTypes', fix: 'list Ingress and/or Egress once each' });
    return undefined;
  }
  const out: Direction[] = [];
  seq.items.forEach((item, index) => {
    const text = asString(item);
    if (text === undefined) return;
    const direction = directions.find((d) => d === text);
    if (!direction) {
      const suggestion = suggestClosest(text, directions);
      addIssue(ctx, {
        code: 'invalid-policy-type',
        line: item.line,
        path: indexPath(path, index),
        message: `Unsupported value: ${quote(text)}: supported values: "Ingress", "Egress"`,
        fix: suggestion ? `did you mean "${suggestion}"?` : 'use Ingress or Egress',
      });
      return;
    }
    if (out.includes(direction)) {
      // The API server accepts a repeated type (it only limits the list to two entries); say so rather than reject.
      addIssue(ctx, { code: 'duplicate-policy-type', severity: 'warning', line: item.line, path: indexPath(path, index), message: `${direction} is listed twice in policyTypes`, fix: `remove the second ${direction}` });
      return;
    }
    out.push(direction);
  });
  return out;
}

function readRules(ctx: ParseContext, input: { spec: YamlMap; specPath: string; direction: Direction }): Rule[] {
  const key = input.direction === 'Ingress' ? 'ingress' : 'egress';
  const peersKey = input.direction === 'Ingress' ? 'from' : 'to';
  const seq = readSeq(input.spec, key);
  if (!seq) return [];
  const rules: Rule[] = [];
  seq.items.forEach((item, index) => {
    const rulePath = indexPath(key, index);
    const issuePath = indexPath(joinPath(input.specPath, key), index);
    if (item.kind !== 'map') return;
    const peers: Peer[] = [];
    readSeq(item, peersKey)?.items.forEach((peerNode, peerIndex) => {
      if (peerNode.kind !== 'map') return;
      const peer = readPeer(ctx, { node: peerNode, path: indexPath(joinPath(`spec.${rulePath}`, peersKey), peerIndex), issuePath: indexPath(joinPath(issuePath, peersKey), peerIndex) });
      if (peer) peers.push(peer);
    });
    const ports: PortMatch[] = [];
    readSeq(item, 'ports')?.items.forEach((portNode, portIndex) => {
      if (portNode.kind !== 'map') return;
      const port = readPortMatch(ctx, { node: portNode, path: indexPath(`spec.${rulePath}.ports`, portIndex), issuePath: indexPath(joinPath(issuePath, 'ports'), portIndex) });
      if (port) ports.push(port);
    });
    const peerCount = readSeq(item, peersKey)?.items.length ?? 0;
    const portCount = readSeq(item, 'ports')?.items.length ?? 0;
    rules.push({
      index,
      // "If this field is empty or missing, this rule matches all sources (traffic not restricted by source)."
      matchesAllPeers: peerCount === 0,
      peers,
      // "If this field is empty or missing, this rule matches all ports (traffic not restricted by port)."
      matchesAllPorts: portCount === 0,
      ports,
      path: `spec.${rulePath}`,
    });
  });
  return rules;
}

function readPeer(ctx: ParseContext, input: { node: YamlMap; path: string; issuePath: string }): Peer | undefined {
  const { node, path, issuePath } = input;
  const podSelector = readOptionalSelector(ctx, { owner: node, key: 'podSelector', path: issuePath });
  const namespaceSelector = readOptionalSelector(ctx, { owner: node, key: 'namespaceSelector', path: issuePath });
  const ipBlockNode = getField(node, 'ipBlock');
  const present = [podSelector.present, namespaceSelector.present, ipBlockNode !== undefined].filter(Boolean).length;
  if (present === 0) {
    // "must specify a peer"
    addIssue(ctx, {
      code: 'invalid-peer',
      line: node.line,
      path: issuePath,
      message: 'must specify a peer: set podSelector, namespaceSelector or ipBlock',
      fix: 'to allow everything, leave out the whole from/to list instead of writing an empty peer',
    });
    return undefined;
  }
  if (ipBlockNode !== undefined && present > 1) {
    // "may not specify both ipBlock and another peer"
    addIssue(ctx, {
      code: 'invalid-peer',
      line: lineOf(node, 'ipBlock'),
      path: issuePath,
      message: 'may not specify both ipBlock and another peer (podSelector/namespaceSelector) in one element',
      fix: 'split them into two list items: "- ipBlock: ..." and "- podSelector: ..."',
    });
    // Still validate the ipBlock itself so its own problems are reported too; the peer stays invalid.
    if (ipBlockNode.kind === 'map') readIpBlock(ctx, { node: ipBlockNode, issuePath: joinPath(issuePath, 'ipBlock') });
    return undefined;
  }
  if (ipBlockNode !== undefined) {
    if (ipBlockNode.kind !== 'map') return undefined;
    const ipBlock = readIpBlock(ctx, { node: ipBlockNode, issuePath: joinPath(issuePath, 'ipBlock') });
    return ipBlock ? { kind: 'ipBlock', ipBlock, path } : undefined;
  }
  if ((podSelector.present && !podSelector.selector) || (namespaceSelector.present && !namespaceSelector.selector)) return undefined;
  return {
    kind: 'selector',
    ...(podSelector.selector ? { podSelector: podSelector.selector } : {}),
    ...(namespaceSelector.selector ? { namespaceSelector: namespaceSelector.selector } : {}),
    path,
  };
}

function readIpBlock(ctx: ParseContext, input: { node: YamlMap; issuePath: string }): IpBlock | undefined {
  const { node, issuePath } = input;
  const cidrText = readString(node, 'cidr');
  if (cidrText === undefined || cidrText === '') {
    addIssue(ctx, { code: 'required', line: lineOf(node, 'cidr'), path: joinPath(issuePath, 'cidr'), message: 'ipBlock.cidr is required', fix: 'write a CIDR such as 203.0.113.0/24, or 0.0.0.0/0 for everywhere' });
    return undefined;
  }
  const cidr = parseCidr(cidrText);
  if (!cidr) {
    addIssue(ctx, {
      code: 'invalid-cidr',
      line: lineOf(node, 'cidr'),
      path: joinPath(issuePath, 'cidr'),
      message: `${quote(cidrText)} is not a valid IPv4 or IPv6 CIDR`,
      fix: cidrText.includes('/') ? 'write address/prefix, e.g. 10.0.0.0/8 (no leading zeros in octets)' : `add a prefix length, e.g. ${cidrText}/32 for one address`,
    });
    return undefined;
  }
  const except: string[] = [];
  let isValid = true;
  readSeq(node, 'except')?.items.forEach((item, index) => {
    const text = asString(item);
    if (text === undefined) return;
    const exceptPath = indexPath(joinPath(issuePath, 'except'), index);
    const parsed = parseCidr(text);
    if (!parsed) {
      isValid = false;
      addIssue(ctx, { code: 'invalid-cidr', line: item.line, path: exceptPath, message: `${quote(text)} is not a valid IPv4 or IPv6 CIDR`, fix: 'write address/prefix, e.g. 10.0.5.0/24' });
      return;
    }
    // "must be a strict subset of `cidr`": inside it and with a longer prefix.
    if (!isCidrWithin(parsed, cidr) || parsed.prefixLength <= cidr.prefixLength) {
      isValid = false;
      addIssue(ctx, {
        code: 'invalid-except',
        line: item.line,
        path: exceptPath,
        message: `except ${text} must be a strict subset of cidr ${cidrText}`,
        fix: parsed.family === cidr.family ? `use a smaller range inside ${cidrText}, or remove this entry` : `${text} is ${parsed.family} but cidr is ${cidr.family}: put it in an ipBlock of its own family`,
      });
      return;
    }
    except.push(text);
  });
  return isValid ? { cidr: cidrText, except } : undefined;
}

function readPortMatch(ctx: ParseContext, input: { node: YamlMap; path: string; issuePath: string }): PortMatch | undefined {
  const { node, path, issuePath } = input;
  let isValid = true;
  const protocol = readProtocol(ctx, { owner: node, path: issuePath });
  if (!protocol) isValid = false;
  const port = readIntOrString(node, 'port');
  const endPort = readInteger(node, 'endPort');
  const portPath = joinPath(issuePath, 'port');
  const endPortPath = joinPath(issuePath, 'endPort');
  if (typeof port === 'number') {
    for (const problem of validatePortNumber(port)) {
      isValid = false;
      addIssue(ctx, { code: 'invalid-port', line: lineOf(node, 'port'), path: portPath, message: `port ${port}: ${problem}`, fix: 'use a port between 1 and 65535' });
    }
    if (endPort !== undefined) {
      if (endPort < port) {
        isValid = false;
        addIssue(ctx, { code: 'invalid-end-port', line: lineOf(node, 'endPort'), path: endPortPath, message: `endPort ${endPort} must be greater than or equal to port ${port}`, fix: `swap them, or set endPort to at least ${port}` });
      }
      for (const problem of validatePortNumber(endPort)) {
        isValid = false;
        addIssue(ctx, { code: 'invalid-end-port', line: lineOf(node, 'endPort'), path: endPortPath, message: `endPort ${endPort}: ${problem}`, fix: 'use a port between 1 and 65535' });
      }
    }
  } else if (typeof port === 'string') {
    if (endPort !== undefined) {
      isValid = false;
      addIssue(ctx, { code: 'invalid-end-port', line: lineOf(node, 'endPort'), path: endPortPath, message: 'endPort may not be specified when port is non-numeric (a named port)', fix: 'use a numeric port with endPort, or drop endPort' });
    }
    for (const problem of validatePortName(port)) {
      isValid = false;
      addIssue(ctx, {
        code: 'invalid-port-name',
        line: lineOf(node, 'port'),
        path: portPath,
        message: `port name ${quote(port)}: ${problem}`,
        fix: /^\d+$/.test(port) ? `remove the quotes: a quoted "${port}" is a port name, not a number` : 'use the name of a container port (up to 15 characters: a-z, 0-9, -)',
      });
    }
  } else if (endPort !== undefined) {
    isValid = false;
    addIssue(ctx, { code: 'invalid-end-port', line: lineOf(node, 'endPort'), path: endPortPath, message: 'endPort may not be specified when port is not specified', fix: 'add port (the start of the range)' });
  }
  if (!isValid || !protocol) return undefined;
  return {
    protocol,
    ...(port === undefined ? {} : { port }),
    ...(endPort === undefined ? {} : { endPort }),
    path,
  };
}
