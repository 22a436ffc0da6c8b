// rehearsal.dev/v1alpha1 ExternalEndpoint: something outside the cluster (an API, a database) that policies reach
// through ipBlock rules. Its address must not fall in the pod or service CIDR, or it would be inside the cluster.

import { isIpInCidr, parseIp } from './cidr.ts';
import { addIssue, asString, hasErrorsSince, indexPath, joinPath, lineOf, markIssues, quote, readInteger, readMap, readSeq, readString } from './parse-context.ts';
import type { ParseContext, ParseSettings } from './parse-context.ts';
import { objectMetaShape, readObjectMeta } from './parse-meta.ts';
import { readProtocol } from './parse-network-policy.ts';
import { checkShape, integerShape, listShape, objectShape, stringShape } from './parse-shape.ts';
import type { Shape } from './parse-shape.ts';
import { validateHostname, validatePortNumber } from './validate-names.ts';
import type { ExternalEndpoint, Protocol, SourceRef } from './model.ts';
import type { YamlMap } from './yaml-source.ts';

export const externalEndpointShape: Shape = objectShape({
  apiVersion: stringShape,
  kind: stringShape,
  metadata: objectMetaShape,
  spec: objectShape({
    ip: stringShape,
    ports: listShape(objectShape({ port: integerShape, protocol: stringShape })),
    hostnames: listShape(stringShape),
  }),
});

export function parseExternalEndpoint(ctx: ParseContext, input: { object: YamlMap; basePath: string; source: SourceRef; settings: ParseSettings }): ExternalEndpoint | undefined {
  const { object, basePath, source, settings } = input;
  const mark = markIssues(ctx);
  checkShape(ctx, { node: object, shape: externalEndpointShape, path: basePath });
  const read = readObjectMeta(ctx, { object, basePath, kind: 'ExternalEndpoint', nameRule: 'dnsLabel', isNamespaced: false });
  const metadata = readMap(object, 'metadata');
  if (metadata && readString(metadata, 'namespace') !== undefined) {
    addIssue(ctx, { code: 'cluster-scoped', severity: 'warning', line: lineOf(metadata, 'namespace'), path: joinPath(joinPath(basePath, 'metadata'), 'namespace'), message: 'ExternalEndpoint is cluster-scoped; metadata.namespace is ignored', fix: 'remove metadata.namespace' });
  }
  const specPath = joinPath(basePath, 'spec');
  const spec = readMap(object, 'spec');
  if (!spec) {
    addIssue(ctx, { code: 'required', line: lineOf(object, 'spec'), path: specPath, message: 'ExternalEndpoint needs a spec with ip and ports', fix: 'add spec: {ip: 203.0.113.10, ports: [{port: 443}]}' });
    return undefined;
  }
  const ipText = readString(spec, 'ip');
  const ipPath = joinPath(specPath, 'ip');
  const ip = ipText === undefined ? undefined : parseIp(ipText);
  if (ipText === undefined) {
    addIssue(ctx, { code: 'required', line: lineOf(spec, 'ip'), path: ipPath, message: 'spec.ip is required', fix: 'use a documentation address such as 203.0.113.10 (TEST-NET-3)' });
  } else if (!ip) {
    addIssue(ctx, { code: 'invalid-ip', line: lineOf(spec, 'ip'), path: ipPath, message: `${quote(ipText)} is not a valid IPv4 or IPv6 address`, fix: 'use a documentation address such as 203.0.113.10' });
  } else {
    for (const [cidr, what] of [
      [settings.podCidr, 'pod'],
      [settings.serviceCidr, 'service'],
    ] as const) {
      if (isIpInCidr(ip, cidr)) {
        addIssue(ctx, { code: 'invalid-external-ip', line: lineOf(spec, 'ip'), path: ipPath, message: `${ipText} is inside the ${what} CIDR ${cidr.text}: it would be an address inside the cluster, not outside`, fix: 'use an address outside the cluster, e.g. 203.0.113.10 (TEST-NET-3) or 198.51.100.10' });
      }
    }
  }
  const ports: { port: number; protocol: Protocol }[] = [];
  const seen = new Set<string>();
  readSeq(spec, 'ports')?.items.forEach((item, index) => {
    if (item.kind !== 'map') return;
    const path = indexPath(joinPath(specPath, 'ports'), index);
    const port = readInteger(item, 'port');
    const protocol = readProtocol(ctx, { owner: item, path });
    if (port === undefined) {
      addIssue(ctx, { code: 'required', line: item.line, path: joinPath(path, 'port'), message: 'port: Required value', fix: 'add port: <number>' });
      return;
    }
    const problems = validatePortNumber(port);
    for (const problem of problems) addIssue(ctx, { code: 'invalid-port', line: lineOf(item, 'port'), path: joinPath(path, 'port'), message: `port ${port}: ${problem}`, fix: 'use a port between 1 and 65535' });
    if (problems.length > 0 || !protocol) return;
    const key = `${port}/${protocol}`;
    if (seen.has(key)) {
      addIssue(ctx, { code: 'duplicate-port', line: lineOf(item, 'port'), path, message: `port ${key} is listed twice`, fix: 'list each port once' });
      return;
    }
    seen.add(key);
    ports.push({ port, protocol });
  });
  if (ports.length === 0 && !hasErrorsSince(ctx, mark)) {
    addIssue(ctx, { code: 'no-ports', severity: 'warning', line: lineOf(spec, 'ports'), path: joinPath(specPath, 'ports'), message: 'the external endpoint serves no ports, so every connection to it is refused', fix: 'list the ports it listens on, e.g. ports: [{port: 443}]' });
  }
  const hostnames: string[] = [];
  readSeq(spec, 'hostnames')?.items.forEach((item, index) => {
    const hostname = asString(item);
    if (hostname === undefined) return;
    const problems = validateHostname(hostname);
    if (problems.length > 0) {
      addIssue(ctx, { code: 'invalid-hostname', line: item.line, path: indexPath(joinPath(specPath, 'hostnames'), index), message: `hostname ${quote(hostname)}: ${problems.join('; ')}`, fix: 'use a lower-case DNS name such as api.payments.example' });
      return;
    }
    hostnames.push(hostname);
  });
  if (!read || !ip || ipText === undefined || hasErrorsSince(ctx, mark) || !read.isValid) return undefined;
  return { name: read.meta.name, ip: ipText, ports, hostnames, source };
}
