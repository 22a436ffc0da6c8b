// The diff against what is applied, in flows: "this change newly denies 3 flows", then each flipped flow
// with the deciding policy before and after, so a reviewer sees the blast radius before pressing Apply.
import type { ApplyPoliciesResponse } from '../api/rest-client.ts';
import { createElement } from '../lib/dom.ts';

type FlowChange = ApplyPoliciesResponse['flows'][number];

const shownFlows = 50;

function formatFlow(flow: FlowChange): string {
  const port = flow.portName === undefined ? `${flow.port}/${flow.protocol}` : `${flow.port}/${flow.protocol} (${flow.portName})`;
  return `${flow.from} → ${flow.to} ${port}`;
}

export function renderFlowChanges(flows: readonly FlowChange[], total: number): HTMLElement {
  const items = flows.slice(0, shownFlows).map((flow) => {
    const isDenied = flow.change === 'newly-denied';
    return createElement('li', { className: `flow-change ${isDenied ? 'is-denied' : 'is-allowed'}` }, [
      createElement('span', { className: 'flow-change-symbol', text: isDenied ? '✗' : '✓', attrs: { 'aria-hidden': 'true' } }),
      createElement('div', { className: 'flow-change-body' }, [
        createElement('p', { className: 'flow-change-flow' }, [createElement('span', { className: 'visually-hidden', text: isDenied ? 'newly denied: ' : 'newly allowed: ' }), formatFlow(flow)]),
        createElement('p', { className: 'flow-change-why', text: `before: ${flow.before}` }),
        createElement('p', { className: 'flow-change-why', text: `after: ${flow.after}` }),
      ]),
    ]);
  });
  const hidden = total - items.length;
  return createElement('div', { className: 'flow-changes' }, [
    createElement('ul', { className: 'flow-change-list' }, items),
    hidden > 0 ? createElement('p', { className: 'field-hint', text: `…and ${hidden} more flow${hidden === 1 ? '' : 's'}.` }) : null,
  ]);
}
