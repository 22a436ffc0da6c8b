// The real Automation API seam: one LocalWorkspace directory for every sandbox stack, a local file state backend
// by default (`file://<REHEARSAL_HOME>/pulumi/state`), the passphrase secrets provider, and the sandbox program
// from infra/ run inline, in this process. Engine events and outputs are parsed here (they are another
// program's JSON) into the seam's small types.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { LocalWorkspace, PulumiCommand, StackNotFoundError } from '@pulumi/pulumi/automation/index.js';
import type { EngineEvent, Stack } from '@pulumi/pulumi/automation/index.js';
import { z } from 'zod';
import { projectName } from '../../../infra/naming.ts';
import { runSandboxProgram } from '../../../infra/program.ts';
import type { Automation, AutomationStack, StackEvent } from './automation.ts';

export interface LocalWorkspaceAutomationOptions {
  /** Where Pulumi.yaml and the per-stack config files live (`<REHEARSAL_HOME>/pulumi/workspace`). */
  readonly workDir: string;
  /** `file:///...` (default), `s3://...`, `https://api.pulumi.com`, ... */
  readonly backendUrl: string;
  readonly passphrase: string;
  /** Extra environment for every Pulumi command (cloud credentials pass through from the server's env). */
  readonly envVars?: Readonly<Record<string, string>>;
}

const resourceEventSchema = z.object({ metadata: z.object({ op: z.string(), type: z.string(), urn: z.string() }) });
const engineEventSchema = z.object({
  resourcePreEvent: resourceEventSchema.optional(),
  resOutputsEvent: resourceEventSchema.optional(),
  resOpFailedEvent: resourceEventSchema.optional(),
  diagnosticEvent: z.object({ severity: z.string(), message: z.string(), urn: z.string().optional() }).optional(),
  summaryEvent: z.object({ durationSeconds: z.number() }).optional(),
});

/** EngineEvent → StackEvent; undefined for events progress does not show. */
export function toStackEvent(event: EngineEvent): StackEvent | undefined {
  const parsed = engineEventSchema.safeParse(event);
  if (!parsed.success) return undefined;
  const value = parsed.data;
  if (value.resourcePreEvent !== undefined) return { kind: 'resource-start', ...value.resourcePreEvent.metadata };
  if (value.resOutputsEvent !== undefined) return { kind: 'resource-done', ...value.resOutputsEvent.metadata };
  if (value.resOpFailedEvent !== undefined) return { kind: 'resource-failed', type: value.resOpFailedEvent.metadata.type, urn: value.resOpFailedEvent.metadata.urn };
  if (value.diagnosticEvent !== undefined) {
    const severity = value.diagnosticEvent.severity.startsWith('error') ? 'error' : value.diagnosticEvent.severity === 'warning' ? 'warning' : 'info';
    return { kind: 'diagnostic', severity, message: value.diagnosticEvent.message, ...(value.diagnosticEvent.urn === undefined ? {} : { urn: value.diagnosticEvent.urn }) };
  }
  if (value.summaryEvent !== undefined) return { kind: 'summary', durationSeconds: value.summaryEvent.durationSeconds };
  return undefined;
}

const configMapSchema = z.record(z.string(), z.object({ value: z.string(), secret: z.boolean().optional() }));
const deploymentSchema = z.looseObject({ pending_operations: z.array(z.unknown()).optional() });

function wrapStack(stack: Stack): AutomationStack {
  const prefix = `${projectName}:`;
  return {
    name: stack.name,
    async setConfig(values) {
      const existing = configMapSchema.parse(await stack.getAllConfig());
      const stale = Object.keys(existing).filter((key) => key.startsWith(prefix) && !(key.slice(prefix.length) in values));
      if (stale.length > 0) await stack.removeAllConfig(stale);
      await stack.setAllConfig(Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}${key}`, { value, secret: false }])));
    },
    async getConfig() {
      const all = configMapSchema.parse(await stack.getAllConfig());
      return Object.fromEntries(Object.entries(all).flatMap(([key, entry]) => (key.startsWith(prefix) ? [[key.slice(prefix.length), entry.value]] : [])));
    },
    async up(options) {
      const result = await stack.up({
        onEvent: (event) => {
          const converted = toStackEvent(event);
          if (converted !== undefined) options.onEvent(converted);
        },
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      return result.outputs;
    },
    async destroy(options) {
      await stack.destroy({
        onEvent: (event) => {
          const converted = toStackEvent(event);
          if (converted !== undefined) options.onEvent(converted);
        },
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    },
    outputs: () => stack.outputs(),
    async clearPendingOperations() {
      const exported = await stack.exportStack();
      const inner = deploymentSchema.parse(exported.deployment);
      const pending = inner.pending_operations?.length ?? 0;
      if (pending > 0) await stack.importStack({ version: exported.version, deployment: { ...inner, pending_operations: [] } });
      return pending;
    },
  };
}

export async function createLocalWorkspaceAutomation(options: LocalWorkspaceAutomationOptions): Promise<Automation> {
  await mkdir(options.workDir, { recursive: true, mode: 0o700 });
  const backendDirectory = options.backendUrl.startsWith('file://') ? fileURLToPath(options.backendUrl) : undefined;
  if (backendDirectory !== undefined) await mkdir(backendDirectory, { recursive: true, mode: 0o700 });
  let command: Promise<PulumiCommand> | undefined;
  const workspaceOptions = async () => {
    command ??= PulumiCommand.get();
    return {
      workDir: options.workDir,
      pulumiCommand: await command,
      projectSettings: { name: projectName, runtime: 'nodejs' as const, backend: { url: options.backendUrl } },
      secretsProvider: 'passphrase',
      envVars: { ...options.envVars, PULUMI_CONFIG_PASSPHRASE: options.passphrase, PULUMI_SKIP_UPDATE_CHECK: 'true' },
    };
  };
  const program = async (): Promise<Record<string, unknown>> => runSandboxProgram();
  return {
    backendDirectory,
    async openStack({ stackName, create }) {
      const args = { stackName, projectName, program };
      if (create) return wrapStack(await LocalWorkspace.createOrSelectStack(args, await workspaceOptions()));
      try {
        return wrapStack(await LocalWorkspace.selectStack(args, await workspaceOptions()));
      } catch (error) {
        if (error instanceof StackNotFoundError) return undefined;
        throw error;
      }
    },
    async listStacks() {
      const workspace = await LocalWorkspace.create({ ...(await workspaceOptions()), program });
      return (await workspace.listStacks()).map((summary) => ({
        name: summary.name,
        isUpdateInProgress: summary.updateInProgress === true,
        ...(summary.lastUpdate === undefined ? {} : { lastUpdate: summary.lastUpdate }),
      }));
    },
    async removeStack(stackName) {
      const workspace = await LocalWorkspace.create({ ...(await workspaceOptions()), program });
      try {
        await workspace.removeStack(stackName);
      } catch (error) {
        if (error instanceof StackNotFoundError) return;
        throw error;
      }
    },
  };
}
