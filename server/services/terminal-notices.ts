// What a sandbox's terminal hears from the rest of the server: TTL warnings above its prompt, and its end
// (destroyed, expired, failed), which closes it. The wiring is a pair of subscriptions owned by the caller.
import { formatDurationSeconds } from '../api/protocol/duration.ts';
import type { TerminalHub } from '../terminal/index.ts';
import type { Disposable } from './disposable.ts';
import { toDisposable } from './disposable.ts';
import type { EventBus } from './event-bus.ts';
import type { SandboxService } from './sandbox-service.ts';

export function connectTerminalNotices(input: { readonly bus: EventBus; readonly sandboxes: SandboxService; readonly terminals: TerminalHub }): Disposable {
  const gone = input.sandboxes.onGone((sandboxId, reason) => input.terminals.end(sandboxId, `sandbox ${sandboxId} is gone: ${reason}`));
  const warnings = input.bus.subscribe({ maxQueuedBytes: 64 * 1024, filter: (frame) => frame.type === 'ttl-warning' });
  const available = warnings.onAvailable(() => {
    warnings.takeDroppedCount();
    for (let next = warnings.take(); next !== undefined; next = warnings.take()) {
      if (next.frame.type !== 'ttl-warning') continue;
      const { sandboxId, secondsLeft } = next.frame;
      input.terminals.notice(sandboxId, `\x1b[33msandbox ${sandboxId} expires in ${formatDurationSeconds(secondsLeft)}; ttl extend 15m gives it more time\x1b[0m`);
    }
  });
  return toDisposable(() => {
    available.dispose();
    warnings.dispose();
    gone.dispose();
  });
}
