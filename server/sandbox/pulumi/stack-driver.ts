// Runs sandbox stacks through the Automation API seam: one stack per sandbox (named by its id), `up` with
// progress events, `destroy` + stack removal, and recovery from the two ways a killed process poisons a stack:
// a stale lock (removed when its process is provably gone) and pending operations (cleared, then one retry).
import type { SandboxStackOutputs } from '../../../infra/outputs.ts';
import { parseSandboxOutputs } from '../../../infra/outputs.ts';
import { projectName } from '../../../infra/naming.ts';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';
import type { Logger } from '../k8s/runtime-deps.ts';
import type { Automation, AutomationStack, StackEvent, StackSummaryView } from './automation.ts';
import type { PulumiFailure } from './classify-pulumi-error.ts';
import { classifyPulumiError } from './classify-pulumi-error.ts';
import { sweepStaleLocks } from './stale-locks.ts';

export interface StackDriverOptions {
  readonly automation: Automation;
  readonly logger: Logger;
  readonly hostname: string;
  readonly isProcessAlive: (pid: number) => boolean;
}

export interface StackOperationOptions {
  readonly stackName: string;
  /** One line per resource step, for the CLI progress bar and the UI. */
  readonly onProgress?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export interface StackDriver {
  up(options: StackOperationOptions & { readonly config: Readonly<Record<string, string>> }): Promise<SandboxStackOutputs>;
  /** Destroys every resource and removes the stack; a stack that does not exist is success. */
  destroy(options: StackOperationOptions): Promise<void>;
  readConfig(stackName: string): Promise<Readonly<Record<string, string>> | undefined>;
  updateConfig(stackName: string, changes: Readonly<Record<string, string>>): Promise<void>;
  readOutputs(stackName: string): Promise<SandboxStackOutputs | undefined>;
  list(): Promise<readonly StackSummaryView[]>;
}

function describeUrn(urn: string): string {
  return urn.split('::').pop() ?? urn;
}

/** Step verbs by engine op: while it runs, and once it is done. Ops not listed (same, read, refresh) are noise. */
const verbs: Readonly<Record<string, { readonly running: string; readonly done: string }>> = {
  create: { running: 'creating', done: 'created' },
  update: { running: 'updating', done: 'updated' },
  delete: { running: 'deleting', done: 'deleted' },
  replace: { running: 'replacing', done: 'replaced' },
  'create-replacement': { running: 'creating a replacement for', done: 'created a replacement for' },
  'delete-replaced': { running: 'deleting the replaced', done: 'deleted the replaced' },
};

/** Engine event → one progress line, or undefined for noise (unchanged resources, the stack itself, providers). */
export function describeStackEvent(event: StackEvent): string | undefined {
  if (event.kind === 'diagnostic') {
    if (event.severity === 'info') return undefined;
    const line = event.message.split('\n').find((text) => text.trim() !== '')?.trim() ?? '';
    return `${event.severity}: ${line.length > 300 ? `${line.slice(0, 297)}...` : line}`;
  }
  if (event.kind === 'summary') return `done in ${Math.round(event.durationSeconds)} s`;
  if (event.type === 'pulumi:pulumi:Stack' || event.type.startsWith('pulumi:providers:')) return undefined;
  if (event.kind === 'resource-failed') return `failed: ${event.type} ${describeUrn(event.urn)}`;
  const verb = verbs[event.op];
  if (verb === undefined) return undefined;
  return event.kind === 'resource-start' ? `${verb.running} ${event.type} ${describeUrn(event.urn)}` : `${verb.done} ${describeUrn(event.urn)}`;
}

function toSandboxError(operation: string, stackName: string, failure: PulumiFailure, cause: unknown): SandboxError {
  const code =
    failure.kind === 'locked' ? SandboxErrorCodes.busy : failure.kind === 'cli-missing' || failure.kind === 'passphrase' ? SandboxErrorCodes.hostUnsupported : SandboxErrorCodes.provisionFailed;
  return new SandboxError(code, `pulumi ${operation} of stack ${stackName} failed: ${failure.summary}. Fix: ${failure.fix}`, { cause });
}

export function createStackDriver(options: StackDriverOptions): StackDriver {
  const sweepLocks = async (stackName: string): Promise<string> => {
    const directory = options.automation.backendDirectory;
    if (directory === undefined) return '';
    const sweep = await sweepStaleLocks({ backendDirectory: directory, projectName, stackName, hostname: options.hostname, isProcessAlive: options.isProcessAlive });
    for (const lock of sweep.removed) {
      options.logger.warn('removed a stale Pulumi stack lock left by a dead process', { stackName, pid: lock.pid, file: lock.file });
    }
    for (const file of sweep.unreadable) options.logger.warn('unreadable Pulumi lock file left in place', { stackName, file });
    return sweep.held.map((lock) => `pid ${lock.pid} on ${lock.hostname}${lock.timestamp === undefined ? '' : ` since ${lock.timestamp}`}`).join(', ');
  };

  /** Runs `operation`, recovering once from a stale lock or pending operations; other failures become SandboxErrors. */
  const runWithRecovery = async <T>(name: string, stack: AutomationStack, operation: () => Promise<T>): Promise<T> => {
    await sweepLocks(stack.name);
    try {
      return await operation();
    } catch (error) {
      const failure = classifyPulumiError(error);
      options.logger.error(`pulumi ${name} failed`, { stackName: stack.name, kind: failure.kind, error: error instanceof Error ? error.message : String(error) });
      if (failure.kind === 'locked') {
        const holders = await sweepLocks(stack.name);
        if (holders !== '') {
          throw new SandboxError(SandboxErrorCodes.busy, `stack ${stack.name} is locked by a running Pulumi operation (${holders}); wait for it to end, or run 'pulumi cancel' if that process is gone`, { cause: error });
        }
      } else if (failure.kind === 'pending-operations') {
        const cleared = await stack.clearPendingOperations();
        options.logger.warn('cleared pending operations left by an interrupted update', { stackName: stack.name, cleared });
      } else {
        throw toSandboxError(name, stack.name, failure, error);
      }
      try {
        return await operation();
      } catch (retryError) {
        throw toSandboxError(name, stack.name, classifyPulumiError(retryError), retryError);
      }
    }
  };

  const openExisting = async (stackName: string): Promise<AutomationStack | undefined> => {
    try {
      return await options.automation.openStack({ stackName, create: false });
    } catch (error) {
      throw toSandboxError('select', stackName, classifyPulumiError(error), error);
    }
  };

  const onEvent = (onProgress?: (message: string) => void) => (event: StackEvent) => {
    const line = describeStackEvent(event);
    if (line !== undefined) onProgress?.(line);
  };

  return {
    async up(operation) {
      let stack: AutomationStack | undefined;
      try {
        stack = await options.automation.openStack({ stackName: operation.stackName, create: true });
      } catch (error) {
        throw toSandboxError('stack init', operation.stackName, classifyPulumiError(error), error);
      }
      const opened = stack;
      if (opened === undefined) throw new SandboxError(SandboxErrorCodes.provisionFailed, `stack ${operation.stackName} could not be created`);
      await opened.setConfig(operation.config);
      const outputs = await runWithRecovery('up', opened, () =>
        opened.up({ onEvent: onEvent(operation.onProgress), ...(operation.signal === undefined ? {} : { signal: operation.signal }) }),
      );
      try {
        return parseSandboxOutputs(outputs);
      } catch (error) {
        throw new SandboxError(SandboxErrorCodes.provisionFailed, `stack ${operation.stackName}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    },

    async destroy(operation) {
      const stack = await openExisting(operation.stackName);
      if (stack !== undefined) {
        await runWithRecovery('destroy', stack, () =>
          stack.destroy({ onEvent: onEvent(operation.onProgress), ...(operation.signal === undefined ? {} : { signal: operation.signal }) }),
        );
      }
      try {
        await options.automation.removeStack(operation.stackName);
      } catch (error) {
        throw toSandboxError('stack rm', operation.stackName, classifyPulumiError(error), error);
      }
    },

    async readConfig(stackName) {
      const stack = await openExisting(stackName);
      return stack === undefined ? undefined : stack.getConfig();
    },

    async updateConfig(stackName, changes) {
      const stack = await openExisting(stackName);
      if (stack === undefined) throw new SandboxError(SandboxErrorCodes.notFound, `stack ${stackName} does not exist`);
      await stack.setConfig({ ...(await stack.getConfig()), ...changes });
    },

    async readOutputs(stackName) {
      const stack = await openExisting(stackName);
      if (stack === undefined) return undefined;
      try {
        return parseSandboxOutputs(await stack.outputs());
      } catch (error) {
        throw new SandboxError(
          SandboxErrorCodes.notFound,
          `stack ${stackName} exists but has no usable outputs (${error instanceof Error ? error.message : String(error)}); 'rehearse down ${stackName}' removes it`,
          { cause: error },
        );
      }
    },

    list: () => options.automation.listStacks(),
  };
}
