// Expectations back to scenario YAML: an `expectations:` block a user can paste into a scenario file, in the
// same forms the scenario parser reads ({pod: ns/name}, {workload: ns/name}, {service: ...}, {external: ...}).
import { Document, isMap, isSeq } from 'yaml';
import type { Expectation, ExpectationSide, Selector } from './model.ts';

function renderSelector(selector: Selector): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Object.keys(selector.matchLabels).length > 0) out.matchLabels = { ...selector.matchLabels };
  if (selector.matchExpressions.length > 0) {
    out.matchExpressions = selector.matchExpressions.map((req) => ({
      key: req.key,
      operator: req.operator,
      ...(req.values.length > 0 ? { values: [...req.values] } : {}),
    }));
  }
  return out;
}

function renderSide(side: ExpectationSide): Record<string, unknown> {
  switch (side.kind) {
    case 'pod':
      return { pod: `${side.namespace}/${side.name}` };
    case 'workload':
      return { workload: `${side.namespace}/${side.name}` };
    case 'service':
      return { service: `${side.namespace}/${side.name}` };
    case 'external':
      return { external: side.name };
    case 'selector':
      return { ...(side.namespace === undefined ? {} : { namespace: side.namespace }), podSelector: renderSelector(side.podSelector) };
  }
}

function renderExpectation(expectation: Expectation): Record<string, unknown> {
  return {
    id: expectation.id,
    ...(expectation.description === undefined ? {} : { description: expectation.description }),
    from: renderSide(expectation.from),
    to: renderSide(expectation.to),
    port: expectation.port,
    protocol: expectation.protocol,
    allowed: expectation.allowed,
    ...(expectation.overrides.length > 0
      ? { overrides: expectation.overrides.map((o) => ({ cni: o.cni, allowed: o.allowed, reason: o.reason })) }
      : {}),
  };
}

/** `expectations:` followed by one item per expectation; sides print inline (`from: {pod: x/a}`). */
export function renderExpectationsYaml(expectations: readonly Expectation[]): string {
  const document = new Document({ expectations: expectations.map(renderExpectation) });
  const list = document.get('expectations');
  if (isSeq(list)) {
    for (const item of list.items) {
      if (!isMap(item)) continue;
      for (const key of ['from', 'to']) {
        const side = item.get(key);
        if (isMap(side)) side.flow = true;
      }
    }
  }
  return document.toString({ lineWidth: 0 });
}
