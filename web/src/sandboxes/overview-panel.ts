// What is in a sandbox: its facts (provider, CNI, owner, times), the pods with addresses, labels and ports,
// the services and external endpoints, and the provisioning log.
import type { SandboxDetail } from '../api/rest-client.ts';
import { createElement, replaceChildren } from '../lib/dom.ts';
import type { Disposable } from '../lib/disposable.ts';
import { summarizeProgress } from './progress-steps.ts';

function formatLabelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

function formatPorts(ports: readonly { readonly name?: string; readonly port: number; readonly protocol: string }[]): string {
  return ports.map((p) => (p.name === undefined ? `${p.port}/${p.protocol}` : `${p.port}/${p.protocol} (${p.name})`)).join(', ');
}

function createTable(caption: string, headers: readonly string[], rows: readonly (readonly string[])[]): HTMLElement {
  return createElement('div', { className: 'table-scroll' }, [
    createElement('table', { className: 'data-table' }, [
      createElement('caption', { text: caption }),
      createElement('thead', {}, [createElement('tr', {}, headers.map((h) => createElement('th', { text: h, attrs: { scope: 'col' } })))]),
      createElement('tbody', {}, rows.map((row) => createElement('tr', {}, row.map((cell, i) => (i === 0 ? createElement('th', { text: cell, attrs: { scope: 'row' } }) : createElement('td', { text: cell })))))),
    ]),
  ]);
}

export class OverviewPanel implements Disposable {
  readonly element: HTMLElement;

  constructor() {
    this.element = createElement('section', { className: 'overview-panel', attrs: { 'aria-label': 'Sandbox overview' } });
  }

  update(detail: SandboxDetail): void {
    const facts: [string, string][] = [
      ['Provider', detail.provider],
      ['CNI', detail.cni],
      ['Scenario', detail.scenario ?? 'none'],
      ['Owner', detail.owner],
      ['Created', new Date(detail.createdAt).toLocaleString()],
      ['Torn down at', new Date(detail.expiresAt).toLocaleString()],
    ];
    const pods = detail.pods.filter((pod) => !pod.isSystem);
    const systemPods = detail.pods.length - pods.length;
    const progress = summarizeProgress(detail.progress, detail.status);
    replaceChildren(this.element, [
      createElement('dl', { className: 'facts' }, facts.flatMap(([term, value]) => [createElement('dt', { text: term }), createElement('dd', { text: value })])),
      createTable(
        `Pods (${pods.length}${systemPods > 0 ? `, plus ${systemPods} system` : ''})`,
        ['Pod', 'IPs', 'Ports', 'Labels'],
        pods.map((pod) => [pod.key, pod.ips.join(', '), formatPorts(pod.ports), formatLabelsText(pod.labels)]),
      ),
      detail.services.length === 0
        ? null
        : createTable(`Services (${detail.services.length})`, ['Service', 'ClusterIP', 'Ports'], detail.services.map((s) => [s.key, s.clusterIP, formatPorts(s.ports)])),
      detail.externals.length === 0
        ? null
        : createTable(`External endpoints (${detail.externals.length})`, ['Endpoint', 'IP', 'Ports'], detail.externals.map((e) => [e.key, e.ip, formatPorts(e.ports)])),
      progress.steps.length === 0
        ? null
        : createElement('details', { className: 'provisioning-log' }, [
            createElement('summary', { text: `Provisioning log (${progress.steps.length} steps)` }),
            createElement('ol', {}, progress.steps.map((step) => createElement('li', { text: `${step.step}: ${step.message}` }))),
          ]),
    ]);
  }

  dispose(): void {
    this.element.replaceChildren();
  }
}
