// Traffic to a Service, judged where it lands: kube-proxy translates the Service port to each backend's targetPort
// before policy sees the packet, so the verdict is the one for the backend pod (a named targetPort resolves per backend).

import { createEvaluator } from './evaluate.ts';
import type { EvaluateOptions, Evaluator } from './evaluate.ts';
import { describeFlowProblem } from './explain.ts';
import type { Cluster, EndpointKey, EndpointRef, FlowError, FlowResult, Protocol, ServicePort } from './model.ts';
import { formatPodKey, resolveServiceTargetPort, serviceBackends } from './select.ts';

export interface ServiceFlowRequest {
  readonly from: EndpointRef;
  readonly service: { readonly namespace: string; readonly name: string };
  /** The Service's port number, or its port name. */
  readonly port: number | string;
  readonly protocol: Protocol;
}

export interface ServiceBackendResult {
  readonly backend: EndpointKey;
  /** The backend port after translation; undefined when a named targetPort is missing on this backend. */
  readonly targetPort: number | undefined;
  readonly result: FlowResult;
}

export type ServiceFlowResult =
  | {
      readonly ok: true;
      /** `svc/ns/name`. */
      readonly service: EndpointKey;
      readonly servicePort: ServicePort;
      /** One result per backend pod; empty when the selector matches no pod (or the Service has none). */
      readonly backends: readonly ServiceBackendResult[];
    }
  | { readonly ok: false; readonly error: FlowError };

export function formatServiceKey(service: { readonly namespace: string; readonly name: string }): EndpointKey {
  return `svc/${service.namespace}/${service.name}`;
}

function describeServicePort(port: ServicePort): string {
  return port.name === undefined ? `${port.port}/${port.protocol}` : `${port.port}/${port.protocol} (${port.name})`;
}

export function evaluateServiceFlow(cluster: Cluster, request: ServiceFlowRequest, options: EvaluateOptions = {}): ServiceFlowResult {
  return evaluateServiceFlowWith(createEvaluator(cluster, options), request);
}

export function evaluateServiceFlowWith(evaluator: Evaluator, request: ServiceFlowRequest): ServiceFlowResult {
  const index = evaluator.index;
  const serviceKey = formatServiceKey(request.service);
  const service = index.servicesByKey.get(formatPodKey(request.service));
  if (service === undefined) {
    return { ok: false, error: describeFlowProblem({ code: 'unknown-service', service: serviceKey, known: [...index.servicesByKey.values()].map(formatServiceKey) }) };
  }
  const servicePort = service.ports.find(
    (p) => p.protocol === request.protocol && (typeof request.port === 'number' ? p.port === request.port : p.name === request.port),
  );
  if (servicePort === undefined) {
    return {
      ok: false,
      error: describeFlowProblem({
        code: 'unknown-service-port',
        service: serviceKey,
        port: String(request.port),
        protocol: request.protocol,
        declared: service.ports.map(describeServicePort),
      }),
    };
  }
  const backends = serviceBackends(index, service).map((pod): ServiceBackendResult => {
    const backend = formatPodKey(pod);
    const targetPort = resolveServiceTargetPort(servicePort, pod);
    if (targetPort === undefined) {
      const error = describeFlowProblem({
        code: 'target-port-missing',
        service: serviceKey,
        backend,
        targetPort: String(servicePort.targetPort),
        protocol: servicePort.protocol,
      });
      return { backend, targetPort, result: { ok: false, error } };
    }
    // A named targetPort keeps its name so the verdict shows it; it resolves to the same number on this backend.
    const port = typeof servicePort.targetPort === 'string' ? servicePort.targetPort : targetPort;
    const result = evaluator.evaluate({ from: request.from, to: { kind: 'pod', namespace: pod.namespace, name: pod.name }, port, protocol: servicePort.protocol });
    return { backend, targetPort, result };
  });
  return { ok: true, service: serviceKey, servicePort, backends };
}
