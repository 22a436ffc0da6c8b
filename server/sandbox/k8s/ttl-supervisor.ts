// Destroys sandboxes when their time is up, inside this process (Pulumi Cloud TTL schedules cannot reach a
// local kind cluster, and existing clusters have no TTL at all). The provider owns one supervisor; a detached
// handle stays armed. After a restart the store's startup sweep (discover + reap of expired records) covers
// what ran out while nothing was running.
import type { SandboxRecord } from '../contract.ts';
import type { Clock, Logger } from './runtime-deps.ts';

export interface TtlSupervisor {
  arm(record: SandboxRecord): void;
  disarm(id: string): void;
  /** Cancels every timer (process shutdown); sandboxes are left to the next start's sweep. */
  dispose(): void;
}

export function createTtlSupervisor(options: {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly reap: (record: SandboxRecord) => Promise<void>;
}): TtlSupervisor {
  const timers = new Map<string, () => void>();
  const disarm = (id: string): void => {
    timers.get(id)?.();
    timers.delete(id);
  };
  return {
    arm(record) {
      disarm(record.id);
      const cancel = options.clock.schedule(new Date(record.expiresAt), () => {
        timers.delete(record.id);
        options.logger.info('sandbox expired; destroying it', { sandboxId: record.id, expiresAt: record.expiresAt });
        options.reap(record).catch((error: unknown) => {
          options.logger.error('destroying an expired sandbox failed; the next sweep retries', {
            sandboxId: record.id,
            error: error instanceof Error ? error.message : String(error),
          });
        });
      });
      timers.set(record.id, cancel);
    },
    disarm,
    dispose() {
      for (const id of [...timers.keys()]) disarm(id);
    },
  };
}
