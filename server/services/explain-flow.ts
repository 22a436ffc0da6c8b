// One flow explained by the engine, in the wire's ExplainView: which policy and rule decide it and why, for a
// pod, an external endpoint or a Service (judged at each backend, as kube-proxy translates before policy).
import type { z } from 'zod';
import type { explainViewSchema } from '../api/protocol/schemas.ts';
import { evaluateFlow, evaluateServiceFlow, explainVerdict, parseEndpointKey, summarizeVerdict } from '../policy/index.ts';
import type { Cluster, Protocol } from '../policy/index.ts';
import { ServiceError, ServiceErrorCodes } from './service-error.ts';

export type ExplainView = z.infer<typeof explainViewSchema>;

export interface ExplainFlowInput {
  readonly from: string;
  readonly to: string;
  readonly port: number | string;
  readonly protocol: Protocol;
  readonly profile: string;
}

function invalid(message: string, fix: string): ServiceError {
  return new ServiceError(ServiceErrorCodes.flowInvalid, `${message}; ${fix}`);
}

export function explainFlow(cluster: Cluster, input: ExplainFlowInput): ExplainView {
  const from = parseEndpointKey(input.from);
  const to = parseEndpointKey(input.to);
  if (from === undefined || from.kind === 'service') throw invalid(`"${input.from}" cannot start a flow`, 'use ns/pod or external/name as the source');
  if (to === undefined) throw invalid(`"${input.to}" is not an endpoint`, 'use ns/pod, svc/ns/name or external/name');
  if (to.kind === 'service') {
    const result = evaluateServiceFlow(cluster, { from, service: to, port: input.port, protocol: input.protocol }, { profile: input.profile });
    if (!result.ok) throw invalid(result.error.message, result.error.fix);
    const lines: string[] = [];
    let isAllowed = result.backends.length > 0;
    const summaries: string[] = [];
    for (const backend of result.backends) {
      if (!backend.result.ok) {
        isAllowed = false;
        lines.push(`${backend.backend}: ${backend.result.error.message}`);
        continue;
      }
      isAllowed &&= backend.result.verdict.isAllowed;
      summaries.push(`${backend.backend}: ${summarizeVerdict(backend.result.verdict)}`);
      lines.push(`via ${result.service} to ${backend.backend} port ${backend.targetPort ?? '?'}:`, ...explainVerdict(backend.result.verdict).map((line) => `  ${line}`));
    }
    if (result.backends.length === 0) lines.push(`${result.service} has no backend pods: its selector matches no pod, so nothing answers`);
    return {
      from: input.from,
      to: input.to,
      port: result.servicePort.port,
      protocol: input.protocol,
      isAllowed,
      summary: summaries.length === 0 ? `${result.service} has no reachable backend` : summaries.join('; '),
      lines,
    };
  }
  const result = evaluateFlow(cluster, { from, to, port: input.port, protocol: input.protocol }, { profile: input.profile });
  if (!result.ok) throw invalid(result.error.message, result.error.fix);
  return {
    from: input.from,
    to: input.to,
    port: result.verdict.port,
    protocol: result.verdict.protocol,
    isAllowed: result.verdict.isAllowed,
    summary: summarizeVerdict(result.verdict),
    lines: explainVerdict(result.verdict),
  };
}
