// The Kubernetes seam: the handful of API calls real-cluster sandboxes make. The real implementation is
// client-node (client-node-kube-client.ts); tests pass an in-memory API server. Everything that comes back is
// `unknown` and parsed by the caller, because it is data from another program.

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A manifest to apply: apiVersion, kind, metadata and whatever else the kind has. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
}

export interface ExecRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly timeoutMs: number;
  /** Called with stdout as it arrives, so results stream before the command ends. */
  readonly onStdout?: (chunk: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * How an exec ended. `completed` means the command ran and reported an exit code; `failed` means the exec
 * itself broke (no such pod, websocket closed without a status, timeout): never a statement about the network.
 */
export type ExecOutcome =
  | { readonly kind: 'completed'; readonly exitCode: number; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'failed'; readonly reason: string };

export interface KubeClient {
  /** Server-side apply (`application/apply-patch+yaml`) with a field manager, `force: true`. Creates or updates. */
  apply(object: KubeObject, options: { readonly fieldManager: string }): Promise<unknown>;
  /** Deletes; a 404 is success (the goal state is reached). */
  delete(ref: ObjectRef): Promise<void>;
  /** The object, or undefined when it does not exist. */
  read(ref: ObjectRef): Promise<unknown>;
  /** The `items` of a list call. */
  list(apiVersion: string, kind: string, options?: ListOptions): Promise<readonly unknown[]>;
  exec(request: ExecRequest): Promise<ExecOutcome>;
  /** `GET /version`: proves the API server answers and the credentials work. */
  readVersion(): Promise<string>;
}

export type KubeClientFactory = (kubeconfigYaml: string) => KubeClient;

/** An API call failed for a reason other than "not found"; `status` is the HTTP status when there was one. */
export class KubeApiError extends Error {
  readonly status: number | undefined;
  constructor(message: string, options: { readonly status?: number; readonly cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeApiError';
    this.status = options.status;
  }
}

export function formatObjectRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}`;
}
