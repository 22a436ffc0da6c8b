// The Automation API seam: what the stack driver needs from Pulumi, in our own small types. The real one wraps
// LocalWorkspace (local-workspace-automation.ts); tests pass a fake that records calls and plays events.

/** Engine events, reduced to what progress reporting reads. */
export type StackEvent =
  | { readonly kind: 'resource-start'; readonly op: string; readonly type: string; readonly urn: string }
  | { readonly kind: 'resource-done'; readonly op: string; readonly type: string; readonly urn: string }
  | { readonly kind: 'resource-failed'; readonly type: string; readonly urn: string }
  | { readonly kind: 'diagnostic'; readonly severity: 'info' | 'warning' | 'error'; readonly message: string; readonly urn?: string }
  | { readonly kind: 'summary'; readonly durationSeconds: number };

export interface OperationOptions {
  readonly onEvent: (event: StackEvent) => void;
  readonly signal?: AbortSignal;
}

export interface AutomationStack {
  readonly name: string;
  /** Replaces the stack's `rehearsal:*` config with these values (plain, not secret). */
  setConfig(values: Readonly<Record<string, string>>): Promise<void>;
  /** The stack's `rehearsal:*` config, keys without the namespace. */
  getConfig(): Promise<Readonly<Record<string, string>>>;
  /** `pulumi up --yes --skip-preview`; resolves with the stack outputs (`{ name: { value, secret } }`). */
  up(options: OperationOptions): Promise<unknown>;
  destroy(options: OperationOptions): Promise<void>;
  outputs(): Promise<unknown>;
  /**
   * Removes pending operations left by an interrupted update (export, drop `pending_operations`, import),
   * returning how many there were.
   */
  clearPendingOperations(): Promise<number>;
}

export interface StackSummaryView {
  readonly name: string;
  readonly isUpdateInProgress: boolean;
  readonly lastUpdate?: string;
}

export interface Automation {
  /** Opens a stack; `create` makes it when missing, otherwise a missing stack is `undefined`. */
  openStack(options: { readonly stackName: string; readonly create: boolean }): Promise<AutomationStack | undefined>;
  listStacks(): Promise<readonly StackSummaryView[]>;
  /** Removes the stack and its config file; a missing stack is success. */
  removeStack(stackName: string): Promise<void>;
  /** Where the file backend keeps state (for stale-lock handling), or undefined for other backends. */
  readonly backendDirectory: string | undefined;
}
