// What the terminal needs from the rest of the server, as one interface: the session speaks to this, never to
// services or providers, so the terminal stays testable with plain data. server/services implements it.
import type { ApplyPoliciesResponse, LabelPodResponse, MatrixView, RunResult, RunView, SandboxDetail, StartRunRequest } from '../api/protocol/schemas.ts';

export interface TerminalDisposable {
  dispose(): void;
}

export interface ExplainText {
  readonly isAllowed: boolean;
  readonly summary: string;
  readonly lines: readonly string[];
}

export interface MismatchText {
  readonly headline: string;
  readonly lines: readonly string[];
}

export interface TerminalRun {
  readonly runId: string;
  readonly probeCount: number;
  /** Results as they complete. */
  readonly results: AsyncIterable<RunResult>;
  cancel(): void;
  readonly done: Promise<Omit<RunView, 'results'>>;
}

export type WatchEvent =
  | { readonly kind: 'result'; readonly runId: string; readonly result: RunResult }
  | { readonly kind: 'run'; readonly runId: string; readonly status: string; readonly kindName: string; readonly summary: RunView['summary'] }
  | { readonly kind: 'policies'; readonly count: number; readonly change: string }
  | { readonly kind: 'sandbox'; readonly status: string; readonly reason: string };

export interface TerminalBackend {
  readonly sandboxId: string;
  /** The sandbox as it is now; throws a typed error once it is gone. */
  snapshot(): SandboxDetail;
  applyPolicies(yaml: string): Promise<ApplyPoliciesResponse>;
  deletePolicy(ref: { readonly namespace: string; readonly name: string }): Promise<ApplyPoliciesResponse>;
  labelPod(ref: { readonly namespace: string; readonly name: string }, labels: Readonly<Record<string, string | null>>): Promise<LabelPodResponse>;
  explain(flow: { readonly from: string; readonly to: string; readonly port: number | string; readonly protocol: 'TCP' | 'UDP' | 'SCTP' }): ExplainText;
  matrix(query: { readonly port?: number | string; readonly protocol?: 'TCP' | 'UDP' | 'SCTP' }): MatrixView;
  startRun(request: StartRunRequest): TerminalRun;
  /** Why a result's views disagree (undefined when they agree or the run is unknown). */
  describeMismatch(runId: string, result: RunResult): MismatchText | undefined;
  extend(seconds: number): Promise<{ readonly expiresAt: string }>;
  rules(): Promise<string>;
  /** Every result and policy change of this sandbox, from any client. */
  watch(listener: (event: WatchEvent) => void): TerminalDisposable;
}
