// A test double at the contract boundary: a SandboxHandle (and a provider making them) whose probes answer from a
// script, optionally slowly or differently per attempt, honouring the signal and the concurrency bound as the
// contract requires, and recording what was asked so tests can check re-probes, bounds and teardown.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifests } from '../../../../server/policy/index.ts';
import type { Cluster, Scenario } from '../../../../server/policy/index.ts';
import type { ApplyResult, CreateSandboxOptions, ProbeOutcome, ProbeRequest, ProbeResult, SandboxHandle, SandboxProvider, SandboxRecord } from '../../../../server/sandbox/contract.ts';

export const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');

/** Parses repo files (fixtures, scenarios) into a cluster and scenario; any error-severity issue fails the test. */
export function loadFixture(...files: string[]): { cluster: Cluster; scenario: Scenario | undefined } {
  const parsed = parseManifests(files.map((file) => ({ file, text: readFileSync(join(repoRoot, file), 'utf8') })));
  const errors = parsed.issues.filter((issue) => issue.severity === 'error');
  if (errors.length > 0) throw new Error(`fixture does not parse: ${errors.map((issue) => issue.message).join('; ')}`);
  return { cluster: parsed.cluster, scenario: parsed.scenario };
}

export interface ScriptedAnswer {
  readonly outcome: ProbeOutcome;
  readonly delayMs?: number;
  readonly backend?: string;
  readonly detail?: string;
}

/** `attempt` is 1 for the first time a request id (without the retry suffix) is probed, 2 for the re-probe. */
export type ProbeScript = (request: ProbeRequest, attempt: number) => ScriptedAnswer;

export interface FakeHandle extends SandboxHandle {
  readonly requests: ProbeRequest[];
  readonly probeCalls: number[];
  maxInFlight: number;
  inFlight: number;
  aborted: number;
  isDestroyed: boolean;
  /** Rejects `probe` iteration with this error after `failAfter` results. */
  failWith?: { readonly error: Error; readonly failAfter: number };
}

function stripRetrySuffix(id: string): string {
  return id.replace(/~retry$/, '');
}

export function createFakeHandle(options: { readonly id?: string; readonly cluster: Cluster; readonly script: ProbeScript; readonly cni?: string }): FakeHandle {
  const attempts = new Map<string, number>();
  const record: SandboxRecord = {
    id: options.id ?? 'sb-0000000a',
    provider: 'local',
    cni: options.cni ?? 'reference',
    owner: 'test',
    createdAt: new Date(0).toISOString(),
    expiresAt: new Date(3_600_000).toISOString(),
    status: 'ready',
    providerState: {},
  };
  const handle: FakeHandle = {
    id: record.id,
    requests: [],
    probeCalls: [],
    maxInFlight: 0,
    inFlight: 0,
    aborted: 0,
    isDestroyed: false,
    record: () => record,
    cluster: () => options.cluster,
    apply: (): Promise<ApplyResult> => Promise.resolve({ enforcedAfterMs: 0, podsAdded: 0, podsRemoved: 0, policiesChanged: 0 }),
    probe(requests, probeOptions = {}) {
      handle.probeCalls.push(requests.length);
      const limit = probeOptions.concurrency ?? 4;
      const signal = probeOptions.signal;
      return (async function* run(): AsyncGenerator<ProbeResult> {
        const done: ProbeResult[] = [];
        const timers = new Set<NodeJS.Timeout>();
        let next = 0;
        let delivered = 0;
        let wake: (() => void) | undefined;
        const launch = (): void => {
          while (signal?.aborted !== true && handle.inFlight < limit && next < requests.length) {
            const request = requests[next];
            next += 1;
            if (request === undefined) continue;
            handle.requests.push(request);
            const attempt = (attempts.get(stripRetrySuffix(request.id)) ?? 0) + 1;
            attempts.set(stripRetrySuffix(request.id), attempt);
            const answer = options.script(request, attempt);
            handle.inFlight += 1;
            handle.maxInFlight = Math.max(handle.maxInFlight, handle.inFlight);
            const timer = setTimeout(() => {
              timers.delete(timer);
              handle.inFlight -= 1;
              done.push({
                id: request.id,
                outcome: answer.outcome,
                latencyMs: answer.delayMs ?? 0,
                ...(answer.backend === undefined ? {} : { backend: answer.backend }),
                ...(answer.detail === undefined ? {} : { detail: answer.detail }),
              });
              launch();
              wake?.();
            }, answer.delayMs ?? 0);
            timers.add(timer);
          }
        };
        const onAbort = (): void => {
          for (const timer of timers) clearTimeout(timer);
          handle.aborted += timers.size;
          handle.inFlight -= timers.size;
          timers.clear();
          wake?.();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          launch();
          for (;;) {
            const result = done.shift();
            if (result !== undefined) {
              if (handle.failWith !== undefined && delivered >= handle.failWith.failAfter) throw handle.failWith.error;
              delivered += 1;
              yield result;
              continue;
            }
            if (timers.size === 0 && (next >= requests.length || signal?.aborted === true)) return;
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
          }
        } finally {
          signal?.removeEventListener('abort', onAbort);
          onAbort();
        }
      })();
    },
    describeRules: () => Promise.resolve(''),
    extend: () => Promise.resolve(record),
    destroy() {
      handle.isDestroyed = true;
      return Promise.resolve();
    },
    detach: () => Promise.resolve(),
  };
  return handle;
}

/** A provider whose sandboxes are fake handles answering with each plan's prediction unless the script says otherwise. */
export function createFakeProvider(options: { readonly script: (cni: string) => ProbeScript; readonly failCreateFor?: string }): SandboxProvider & { readonly handles: FakeHandle[]; readonly created: CreateSandboxOptions[] } {
  const handles: FakeHandle[] = [];
  const created: CreateSandboxOptions[] = [];
  return {
    name: 'local',
    handles,
    created,
    checkHost: () => Promise.resolve({ provider: 'local', isAvailable: true, cnis: [], problems: [] }),
    create(createOptions) {
      created.push(createOptions);
      if (createOptions.cni === options.failCreateFor) return Promise.reject(Object.assign(new Error(`cannot create ${createOptions.cni}`), { code: 'SANDBOX_PROVISION_FAILED' }));
      const handle = createFakeHandle({ id: createOptions.id, cluster: createOptions.cluster, cni: createOptions.cni, script: options.script(createOptions.cni) });
      handles.push(handle);
      return Promise.resolve(handle);
    },
    attach: () => Promise.resolve(undefined),
    reap: () => Promise.resolve(),
    discover: () => Promise.resolve([]),
  };
}
