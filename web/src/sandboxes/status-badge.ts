// A sandbox status as a badge: the word is always shown (colour only reinforces it).
import { createElement } from '../lib/dom.ts';

const statusWords: Readonly<Record<string, string>> = {
  provisioning: 'provisioning',
  ready: 'ready',
  expiring: 'expiring',
  destroyed: 'destroyed',
  failed: 'failed',
};

export function createStatusBadge(status: string): HTMLElement {
  return createElement('span', { className: `badge badge-${status}`, text: statusWords[status] ?? status, attrs: { 'data-status': status } });
}
