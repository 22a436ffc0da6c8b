// The sandbox list as a pure function of what the server said: a full list (page load, reconnect) or one
// event frame at a time. Returns the next list and the notices a person should see (a sandbox that expired
// disappears, with a line saying so), so the rules can be tested without a browser.
import type { EventFrame, SandboxView } from '../../../server/api/protocol/index.ts';

export const NoticeKinds = { info: 'info', warning: 'warning', error: 'error' } as const;
export type NoticeKind = (typeof NoticeKinds)[keyof typeof NoticeKinds];

export interface Notice {
  readonly kind: NoticeKind;
  readonly message: string;
  readonly sandboxId?: string;
}

export type SandboxMap = ReadonlyMap<string, SandboxView>;

export interface Reduction {
  readonly sandboxes: SandboxMap;
  readonly notices: readonly Notice[];
}

/** `sb-1a2b3c4d (three-tier, calico)`: how notices name a sandbox. */
export function nameSandbox(sandbox: SandboxView): string {
  const label = sandbox.name ?? sandbox.id;
  const details = [sandbox.scenario, sandbox.cni].filter((part): part is string => part !== undefined && part !== '');
  return details.length === 0 ? label : `${label} (${details.join(', ')})`;
}

function isGone(sandbox: SandboxView): boolean {
  return sandbox.status === 'destroyed';
}

/** A fresh list from GET /api/sandboxes. Sandboxes we showed that are no longer live went away while we were not looking. */
export function mergeSandboxList(previous: SandboxMap, list: readonly SandboxView[], isInitial: boolean): Reduction {
  const next = new Map<string, SandboxView>();
  for (const sandbox of list) {
    if (!isGone(sandbox)) next.set(sandbox.id, sandbox);
  }
  const notices: Notice[] = [];
  if (!isInitial) {
    for (const [id, old] of previous) {
      if (!next.has(id)) notices.push({ kind: NoticeKinds.info, message: `${nameSandbox(old)} was torn down while the connection was down.`, sandboxId: id });
    }
  }
  return { sandboxes: next, notices };
}

function describeTeardown(sandbox: SandboxView, reason: string | undefined): string {
  return reason === undefined || reason === '' ? `${nameSandbox(sandbox)} was torn down.` : `${nameSandbox(sandbox)} was torn down: ${reason}.`;
}

export function applyEventFrame(previous: SandboxMap, frame: EventFrame): Reduction {
  switch (frame.type) {
    case 'sandbox': {
      const sandbox = frame.sandbox;
      const known = previous.get(sandbox.id);
      const next = new Map(previous);
      if (isGone(sandbox)) {
        // Already gone (the REST answer and the event both announce it): nothing new to say.
        if (known === undefined) return { sandboxes: previous, notices: [] };
        next.delete(sandbox.id);
        return { sandboxes: next, notices: [{ kind: NoticeKinds.info, message: describeTeardown(sandbox, frame.reason), sandboxId: sandbox.id }] };
      }
      next.set(sandbox.id, sandbox);
      const notices: Notice[] = [];
      if (sandbox.status === 'failed' && known?.status !== 'failed') {
        notices.push({ kind: NoticeKinds.error, message: `${nameSandbox(sandbox)} failed: ${sandbox.failure ?? frame.reason ?? 'no reason given'}`, sandboxId: sandbox.id });
      }
      return { sandboxes: next, notices };
    }
    case 'progress': {
      const sandbox = previous.get(frame.sandboxId);
      if (sandbox === undefined) return { sandboxes: previous, notices: [] };
      const entry = { step: frame.step, message: frame.message, fraction: frame.fraction, at: frame.at };
      // The same frame can arrive twice (live, then in the list fetched after a reconnect).
      const isDuplicate = sandbox.progress.some((p) => p.step === entry.step && p.at === entry.at && p.message === entry.message);
      if (isDuplicate) return { sandboxes: previous, notices: [] };
      const next = new Map(previous);
      next.set(sandbox.id, { ...sandbox, progress: [...sandbox.progress, entry] });
      return { sandboxes: next, notices: [] };
    }
    case 'ttl-warning': {
      const sandbox = previous.get(frame.sandboxId);
      const name = sandbox === undefined ? frame.sandboxId : nameSandbox(sandbox);
      const minutes = Math.round(frame.secondsLeft / 60);
      const left = frame.secondsLeft >= 120 ? `${minutes} minutes` : `${frame.secondsLeft} seconds`;
      return { sandboxes: previous, notices: [{ kind: NoticeKinds.warning, message: `${name} will be torn down in ${left}; extend it to keep working.`, sandboxId: frame.sandboxId }] };
    }
    case 'error':
      return { sandboxes: previous, notices: [{ kind: NoticeKinds.error, message: `server: ${frame.message} (${frame.code})` }] };
    case 'hello':
    case 'run':
    case 'result':
    case 'policies':
    case 'dropped':
    case 'pong':
      return { sandboxes: previous, notices: [] };
  }
}

/** Newest first: the sandbox just launched is at the top of the list. */
export function sortSandboxes(sandboxes: SandboxMap): SandboxView[] {
  return [...sandboxes.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id.localeCompare(b.id)));
}
