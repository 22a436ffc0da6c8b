// What a failed API call becomes in the UI: the server's stable error code and message (never a stack),
// its request id for the logs, and validation issues as data so forms can show them beside the input.
import type { z } from 'zod';
import type { issueSchema } from '../../../server/api/protocol/index.ts';

export type ApiIssue = z.infer<typeof issueSchema>;

export const clientErrorCodes = {
  /** fetch itself failed: server down, network gone. */
  network: 'network',
  /** The server answered something the protocol schema does not accept. */
  badResponse: 'bad-response',
  /** We refused to send a request the protocol schema does not accept. */
  badRequest: 'bad-request',
  aborted: 'aborted',
} as const;

export class ApiError extends Error {
  readonly code: string;
  /** HTTP status, 0 when no response arrived. */
  readonly status: number;
  readonly requestId: string | undefined;
  readonly issues: readonly ApiIssue[];

  constructor(options: { code: string; message: string; status: number; requestId?: string; issues?: readonly ApiIssue[]; cause?: unknown }) {
    super(options.message, { cause: options.cause });
    this.name = 'ApiError';
    this.code = options.code;
    this.status = options.status;
    this.requestId = options.requestId;
    this.issues = options.issues ?? [];
  }

  get isAborted(): boolean {
    return this.code === clientErrorCodes.aborted;
  }
}

/** A message for people: the server's text, plus the request id when the server logged something. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    return error.requestId === undefined ? error.message : `${error.message} (request ${error.requestId})`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
