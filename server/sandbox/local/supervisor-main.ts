// The Node stage of a sandbox's TTL supervisor: `node supervisor-main.ts <sandbox-id> --state-home <dir> --run-root
// <dir>`. The idle stage (`agent --supervise`, supervise.c) execs it in place when the sandbox is due; it decides
// again from the record, reaps, and exits once the sandbox is gone. Run by hand, it supervises from the start.
import { parseArgs } from 'node:util';
import { isSandboxId } from './names.ts';
import { createStateStore } from './state-store.ts';
import { superviseSandbox } from './supervisor.ts';

const supervisorPollMs = 2_000;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} supervisor[${process.pid}] ${message}\n`);
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'state-home': { type: 'string' }, 'run-root': { type: 'string' } },
  });
  const sandboxId = positionals[0];
  const stateHome = values['state-home'];
  const runRoot = values['run-root'];
  if (sandboxId === undefined || !isSandboxId(sandboxId) || stateHome === undefined || runRoot === undefined) {
    log('usage: supervisor-main.ts <sb-xxxxxxxx> --state-home <dir> --run-root <dir>');
    return 2;
  }
  // The supervisor must outlive the terminal that started `rehearse up`; a hangup is not a reason to stop.
  process.on('SIGHUP', () => undefined);
  const outcome = await superviseSandbox({ sandboxId, store: createStateStore(stateHome), runRoot, pollMs: supervisorPollMs, log });
  log(`${sandboxId}: ${outcome === 'reaped' ? 'reaped at expiry or after its creator died' : 'gone; exiting'}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
