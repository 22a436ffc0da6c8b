// `rehearse serve`: the server (REST, websockets, web UI) until Ctrl-C or SIGTERM, then a graceful stop that
// leaves live sandboxes to their own TTL supervisors (or tears them down with --teardown-on-exit).
import { formatConfigProblems, loadServerConfig } from '../../config.ts';
import type { ConfigFlags } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { startServer } from '../../main.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';

function toConfigFlags(options: Readonly<Record<string, unknown>>): ConfigFlags {
  const flags: Record<string, string | boolean | undefined> = {};
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === 'string' || typeof value === 'boolean') flags[key] = value;
    else if (Array.isArray(value)) flags[key] = value.filter((item): item is string => typeof item === 'string').join(',');
  }
  return flags;
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export const command: CommandModule = {
  description:
    'Serve the web UI, the REST API (/api, described at /api/openapi.json) and the websockets (live events and a\n' +
    'terminal per sandbox) on one port. Sandboxes are created on request and torn down when their TTL ends, also\n' +
    'while the server is down (each has its own supervisor). Binds to 127.0.0.1; any other address requires a\n' +
    'token, generated and printed at start unless given. State lives in --data-dir (default $REHEARSAL_HOME or\n' +
    '~/.rehearsal); a restart reattaches live sandboxes and reaps those that expired meanwhile.\n' +
    'Every flag has an environment variable: REHEARSAL_HOST, REHEARSAL_PORT, REHEARSAL_HOME, REHEARSAL_TOKEN,\n' +
    'REHEARSAL_DEFAULT_TTL, REHEARSAL_MAX_TTL, REHEARSAL_MAX_SANDBOXES, REHEARSAL_MAX_PROVISIONING, REHEARSAL_MAX_PODS,\n' +
    'REHEARSAL_MAX_PROBES, REHEARSAL_TTL_WARNINGS, REHEARSAL_WEB_DIST, REHEARSAL_ALLOWED_ORIGINS, REHEARSAL_LOG_LEVEL.',
  usage: 'serve [--host ADDR] [--port N] [--data-dir DIR] [--token TOKEN] [--teardown-on-exit] [limits...]',
  examples: [
    { description: 'Serve on http://127.0.0.1:7070 (no token needed on loopback)', command: 'rehearse serve' },
    { description: 'Serve the LAN; a token is generated and printed with the URL to open', command: 'rehearse serve --host 0.0.0.0 --port 8080' },
    { description: 'A short-lived demo server that removes its sandboxes when stopped', command: 'rehearse serve --max-ttl 1h --teardown-on-exit' },
  ],
  handlesInterrupt: true,
  configure(command) {
    // No commander defaults: a flag nobody typed must not hide REHEARSAL_HOST / REHEARSAL_PORT (config.ts has them).
    command.option('--host <address>', 'interface to bind; anything but loopback requires a token (default 127.0.0.1)');
    command.option('--port <n>', 'port; 0 picks a free one (default 7070)');
    command.option('--data-dir <dir>', 'database and sandbox records (default $REHEARSAL_HOME or ~/.rehearsal)');
    command.option('--token <token>', 'access token (16+ characters); generated when binding beyond loopback');
    command.option('--teardown-on-exit', 'destroy live sandboxes on shutdown instead of leaving them to their TTL');
    command.option('--default-ttl <duration>', 'TTL of a sandbox when the request gives none (default 30m)');
    command.option('--max-ttl <duration>', 'longest TTL, and most time left after an extend (default 4h)');
    command.option('--max-sandboxes <n>', 'sandboxes alive at once (default 10)');
    command.option('--max-provisioning <n>', 'sandboxes being created at once (default 2)');
    command.option('--max-pods <n>', 'pods per sandbox (default 500)');
    command.option('--max-probes <n>', 'probes per run (default 20000)');
    command.option('--ttl-warnings <list>', 'when to warn before expiry (default 5m,1m)');
    command.option('--web-dist <dir>', 'the built web UI (default web/dist)');
    command.option('--allowed-origin <origin>', 'another browser origin allowed to call the API (a Vite dev server)');
    command.option('--log-level <level>', 'debug, info, warn or error (default info)');
  },
  async run(context) {
    const flags = toConfigFlags(context.options);
    const loaded = loadServerConfig({ flags, env: context.io.env });
    if (!loaded.ok) {
      throw new CliError(CliErrorCodes.usage, `invalid server configuration:\n${formatConfigProblems(loaded.problems)}`, { hints: ["Run 'rehearse serve --help' for the flags and their variables."] });
    }
    const config = loaded.config;
    const log = createLogger({ level: config.logLevel, secrets: config.token === undefined ? [] : [config.token], write: (line) => context.io.stderr.write(`${line}\n`) });
    const server = await startServer({ config, log, env: context.io.env });
    const colour = context.io.stdout.colour;
    context.io.stdout.write(
      `${colour.green('rehearsal')} listening on ${server.origin}/\n` +
        (config.token === undefined ? '' : `  open ${colour.bold(server.openUrl)}\n  (the token is required on every request${config.isTokenGenerated ? '; it was generated for this run' : ''})\n`) +
        `  data ${config.dataDir}; API description ${server.origin}/api/openapi.json\n` +
        `  Ctrl-C stops the server; live sandboxes ${config.isTeardownOnExit ? 'are torn down' : 'keep running until their TTL'}\n`,
    );
    await waitForAbort(context.signal);
    context.io.stderr.write('stopping: cancelling runs, closing connections\n');
    await server.stop();
    return ExitCodes.ok;
  },
};
