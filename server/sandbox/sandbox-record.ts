// Reading a SandboxRecord back from disk or the database: one schema for every place that persists records
// (the local state store, the real-cluster sandbox files, the server's sqlite store).
import { z } from 'zod';
import type { SandboxRecord } from './contract.ts';
import { ProviderNames, SandboxStatuses } from './contract.ts';

export const sandboxRecordSchema = z.object({
  id: z.string().regex(/^sb-[0-9a-f]{8}$/),
  name: z.string().optional(),
  provider: z.enum(Object.values(ProviderNames)),
  cni: z.string(),
  owner: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  status: z.enum(Object.values(SandboxStatuses)),
  providerState: z.record(z.string(), z.unknown()),
  scenario: z.string().optional(),
  failure: z.string().optional(),
});

/** Drops absent optional fields, so records compare equal however they were stored. */
export function toSandboxRecord(parsed: z.infer<typeof sandboxRecordSchema>): SandboxRecord {
  const { name, scenario, failure, ...rest } = parsed;
  return { ...rest, ...(name === undefined ? {} : { name }), ...(scenario === undefined ? {} : { scenario }), ...(failure === undefined ? {} : { failure }) };
}

/** A record, or every schema problem as one line (`status: Invalid option ...`). */
export function readSandboxRecord(raw: unknown): { readonly record: SandboxRecord } | { readonly problem: string } {
  const parsed = sandboxRecordSchema.safeParse(raw);
  if (!parsed.success) return { problem: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
  return { record: toSandboxRecord(parsed.data) };
}
