// Where services announce what happened: each frame is stored (so a restart loses nothing and a reconnecting
// client can catch up) and then fanned out on the bus. Results are not stored here: the run service stores them.
import { eventFrameSchema } from '../api/protocol/schemas.ts';
import type { EventFrame } from '../api/protocol/schemas.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { EventBus } from './event-bus.ts';

export interface EventLog {
  publish(frame: EventFrame): void;
}

/** Events kept in the database; older ones are pruned (runs and results are kept apart, in full). */
export const defaultKeptEvents = 20_000;
const pruneEvery = 500;

export function getFrameSandboxId(frame: EventFrame): string | undefined {
  switch (frame.type) {
    case 'sandbox':
      return frame.sandbox.id;
    case 'run':
      return frame.run.sandboxId;
    case 'progress':
    case 'ttl-warning':
    case 'result':
    case 'policies':
      return frame.sandboxId;
    case 'hello':
    case 'dropped':
    case 'pong':
    case 'error':
      return undefined;
  }
}

function isStored(frame: EventFrame): boolean {
  return frame.type === 'sandbox' || frame.type === 'progress' || frame.type === 'ttl-warning' || frame.type === 'run' || frame.type === 'policies';
}

export function createEventLog(options: { readonly store: Store; readonly bus: EventBus; readonly log: Logger; readonly keptEvents?: number }): EventLog {
  const kept = options.keptEvents ?? defaultKeptEvents;
  let sincePrune = 0;
  return {
    publish(frame) {
      // The one place outbound event frames are checked against the shared schema: once per frame, not per client.
      const checked = eventFrameSchema.safeParse(frame);
      if (!checked.success) {
        options.log.error('event frame does not match the protocol; not sent', { type: frame.type, issues: checked.error.issues.slice(0, 5) });
        return;
      }
      if (isStored(frame)) {
        try {
          options.store.appendEvent(frame, getFrameSandboxId(frame));
          sincePrune += 1;
          if (sincePrune >= pruneEvery) {
            sincePrune = 0;
            options.store.pruneEvents(kept);
          }
        } catch (error) {
          // Live subscribers still get the frame; the gap in history is logged, not hidden.
          options.log.error('event not stored', { type: frame.type, error });
        }
      }
      options.bus.publish(frame);
    },
  };
}
