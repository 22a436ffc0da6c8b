// The local provider's part of a sandbox record (`providerState`): what a reaper or a reattaching process needs
// to find every namespace, process and file of the sandbox. Parsed with a schema: records are read back from disk.
import { z } from 'zod';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';

const podStateSchema = z.object({
  /** `ns/name`. */
  key: z.string(),
  index: z.number().int().nonnegative(),
  netns: z.string(),
  routerInterface: z.string(),
  ips: z.array(z.string()),
  /** `agent` serves the pod's ports; `dns` also serves the cluster DNS (kube-system/kube-dns), in the same agent. */
  role: z.enum(['agent', 'dns']),
  /** The pod's agent. */
  pid: z.number().int().positive().optional(),
});

const localStateSchema = z.object({
  stateVersion: z.literal(1),
  creatorPid: z.number().int().positive(),
  /** With the pid, identifies the creator for the life of the host (pids get reused). */
  creatorStartTicks: z.string().optional(),
  runRoot: z.string(),
  runDir: z.string(),
  routerNetns: z.string(),
  outsideNetns: z.string(),
  pods: z.array(podStateSchema),
  nextPodIndex: z.number().int().nonnegative(),
  outsidePid: z.number().int().positive().optional(),
  supervisorPid: z.number().int().positive().optional(),
  agentBinary: z.string().optional(),
});

export type LocalPodState = z.infer<typeof podStateSchema>;
export type LocalState = z.infer<typeof localStateSchema>;

/** The local state of a record, or undefined when the record is not (or not yet) a local sandbox's. */
export function parseLocalState(providerState: Readonly<Record<string, unknown>>): LocalState | undefined {
  const parsed = localStateSchema.safeParse(providerState);
  return parsed.success ? parsed.data : undefined;
}

export function requireLocalState(sandboxId: string, providerState: Readonly<Record<string, unknown>>): LocalState {
  const parsed = localStateSchema.safeParse(providerState);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new SandboxError(SandboxErrorCodes.notFound, `the record of ${sandboxId} has no usable local state (${detail}); 'rehearse down ${sandboxId}' reaps it by name`);
  }
  return parsed.data;
}

/** The JSON-safe form stored in SandboxRecord.providerState. */
export function toProviderState(state: LocalState): Readonly<Record<string, unknown>> {
  return { ...state };
}
