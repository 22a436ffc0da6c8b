// Entry point of the `rehearse` command (bin/rehearse runs this file): wires the process to runCli.
import { isColourDisabledByArgs } from './global-options.ts';
import { createProcessIo } from './io.ts';
import { runCli } from './run-cli.ts';

const argv = process.argv.slice(2);
const io = createProcessIo({ isColourDisabledByFlag: isColourDisabledByArgs(argv) });
const controller = new AbortController();
let interruptMode: 'graceful' | 'exit' = 'exit';

// For commands that handle it, the first Ctrl-C asks them to stop and clean up (a sandbox torn down, a server
// closed) and a second one gives up at once; every other command ends at once, as without a handler.
process.on('SIGINT', () => {
  if (interruptMode === 'exit' || controller.signal.aborted) process.exit(130);
  io.stderr.write('\ninterrupted: stopping (Ctrl-C again to quit at once)\n');
  controller.abort(new Error('interrupted'));
});

// SIGTERM (CI cancelling a job, `timeout`, systemd) gets the same clean stop as Ctrl-C, so a sandbox is torn down.
process.on('SIGTERM', () => {
  if (interruptMode === 'exit' || controller.signal.aborted) process.exit(143);
  io.stderr.write('\nterminated: stopping\n');
  controller.abort(new Error('terminated'));
});

// A closed pipe (`rehearse matrix ... | head`) is not an error worth a trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli({
  argv,
  io,
  signal: controller.signal,
  onInterruptMode: (mode) => {
    interruptMode = mode;
  },
});
