// The services' typed failure: a stable code, a message that says what happened and what to do, and (for
// rejected input) every issue found. api/errors.ts is the one place these codes become HTTP statuses.
import type { Issue } from '../policy/index.ts';

export const ServiceErrorCodes = {
  invalidInput: 'INVALID_INPUT',
  manifestsInvalid: 'MANIFESTS_INVALID',
  scenarioNotFound: 'SCENARIO_NOT_FOUND',
  providerUnknown: 'PROVIDER_UNKNOWN',
  providerUnavailable: 'PROVIDER_UNAVAILABLE',
  cniUnsupported: 'CNI_UNSUPPORTED',
  sandboxNotFound: 'SANDBOX_NOT_FOUND',
  sandboxNotReady: 'SANDBOX_NOT_READY',
  /** Destroyed, expired or failed: it will not come back. */
  sandboxGone: 'SANDBOX_GONE',
  nameTaken: 'SANDBOX_NAME_TAKEN',
  sandboxQuota: 'SANDBOX_QUOTA_EXCEEDED',
  provisioningQuota: 'PROVISIONING_QUOTA_EXCEEDED',
  ttlLimit: 'TTL_LIMIT_EXCEEDED',
  podLimit: 'POD_LIMIT_EXCEEDED',
  policyLimit: 'POLICY_LIMIT_EXCEEDED',
  podNotFound: 'POD_NOT_FOUND',
  policyNotFound: 'POLICY_NOT_FOUND',
  runNotFound: 'RUN_NOT_FOUND',
  runPlanInvalid: 'RUN_PLAN_INVALID',
  flowInvalid: 'FLOW_INVALID',
  shuttingDown: 'SERVER_SHUTTING_DOWN',
} as const;
export type ServiceErrorCode = (typeof ServiceErrorCodes)[keyof typeof ServiceErrorCodes];

export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  readonly issues: readonly Issue[];
  constructor(code: ServiceErrorCode, message: string, options: { readonly issues?: readonly Issue[]; readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

/** An issue about a request field, in the engine's Issue shape so every client renders one kind of problem. */
export function makeRequestIssue(input: { readonly path: string; readonly message: string; readonly fix: string; readonly code?: string }): Issue {
  return { code: input.code ?? 'invalid-request', severity: 'error', file: 'request', line: 0, path: input.path, message: input.message, fix: input.fix };
}
