// `rehearse test`: the CI command. Boots a sandbox per CNI, applies the manifests (and the scenario's), runs the
// scenario's expectations (+ the full matrix, + generated cases), prints a table and the three matrices, writes
// JUnit/JSON/TAP reports, tears everything down (also on Ctrl-C, SIGTERM and failure) and exits 0/1/2/3.
// `rehearse drift` (drift.ts) is the same run across CNIs, printing only the flows whose outcome differs.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { applyScenarioVariant, findClosestMatch, isScenarioVariantError } from '../../policy/index.ts';
import type { Cluster, Scenario } from '../../policy/index.ts';
import {
  compareProfiles,
  isFailingResult,
  isRunFailing,
  planSuite,
  renderDriftText,
  renderJsonReport,
  renderJUnit,
  renderRunText,
  renderTap,
  renderVerdictLine,
  runSuite,
} from '../../probe/index.ts';
import type { CompletedRun, DriftReport, FailOnMode, RunRequest, SuiteEvent, SuitePlan } from '../../probe/index.ts';
import { findScenario, listScenarios } from '../../scenario/scenario-library.ts';
import type { LoadSourcesResult } from '../../scenario/load-sources.ts';
import { generateSandboxId } from '../../sandbox/local/names.ts';
import { CliError, CliErrorCodes } from '../cli-error.ts';
import type { CommandContext, CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import type { ExitCode } from '../exit-codes.ts';
import type { CliIo, OutputStream } from '../io.ts';
import { addFileOption, addPortOptions, parseCommandOptions, parsePortText, protocolSchema, resolveCniProfile } from '../options.ts';
import { parseSources, readSources } from '../read-input.ts';
import { getOwner, openLocalProvider, parseTtl } from '../sandbox-commands.ts';

const optionsSchema = z.object({
  filename: z.array(z.string()).default([]),
  scenario: z.string().optional(),
  cni: z.string(),
  provider: z.string(),
  junit: z.string().optional(),
  json: z.string().optional(),
  tap: z.string().optional(),
  failOn: z.enum(['mismatch', 'drift', 'any']),
  matrix: z.boolean().optional(),
  generated: z.boolean().optional(),
  variant: z.string().optional(),
  port: z.string().optional(),
  protocol: protocolSchema.optional(),
  concurrency: z.string().optional(),
  timeout: z.string(),
  settle: z.string(),
  ttl: z.string(),
  exitCode: z.boolean().optional(),
});
type TestOptions = z.infer<typeof optionsSchema>;

export type TestMode = 'test' | 'drift';

function parseWholeNumber(text: string, flag: string, range: { readonly min: number; readonly max: number }): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < range.min || Number(text) > range.max) {
    throw new CliError(CliErrorCodes.usage, `invalid ${flag} "${text}": use a whole number from ${range.min} to ${range.max}`);
  }
  return Number(text);
}

/** `--cni a,b,c` → validated, de-duplicated profile names in the order given. */
export function parseCniList(text: string): string[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new CliError(CliErrorCodes.usage, '--cni: give at least one CNI profile, e.g. --cni reference,cilium');
  return [...new Set(names.map((name) => resolveCniProfile(name)))];
}

function resolveScenarioFile(nameOrPath: string): string {
  const file = findScenario(nameOrPath);
  if (file !== undefined) return file;
  const names = listScenarios().map((summary) => summary.name);
  const suggestion = findClosestMatch(nameOrPath, names);
  throw new CliError(CliErrorCodes.unknownScenario, `no scenario "${nameOrPath}": not a file, and not a name in the scenario library`, {
    hints: [...(suggestion === undefined ? [] : [`Did you mean "${suggestion}"?`]), `Scenarios: ${names.join(', ')}`, 'rehearse scenarios lists them with what each teaches.'],
  });
}

interface TestInput {
  readonly cluster: Cluster;
  readonly scenario?: Scenario;
}

async function readTestInput(context: CommandContext, options: TestOptions, commandName: string): Promise<TestInput> {
  const { io } = context;
  if (options.filename.length === 0 && options.scenario === undefined) {
    throw new CliError(CliErrorCodes.usage, 'must specify -f (manifests) or --scenario (a library name or a file), or both', {
      hints: [`Example: rehearse ${commandName} --scenario three-tier`, `Example: rehearse ${commandName} -f policies/ --scenario three-tier --junit report.xml`],
    });
  }
  const parts: LoadSourcesResult[] = [];
  if (options.filename.length > 0) parts.push(await readSources(io, options.filename));
  if (options.scenario !== undefined) parts.push(await readSources(io, [resolveScenarioFile(options.scenario)]));
  const loaded: LoadSourcesResult = { sources: parts.flatMap((part) => part.sources), issues: parts.flatMap((part) => part.issues) };
  const input = parseSources(io, loaded, { commandName, isVerbose: context.isVerbose });
  const scenario = input.scenario;
  if (options.variant === undefined) return { cluster: input.cluster, ...(scenario === undefined ? {} : { scenario }) };
  if (scenario === undefined) throw new CliError(CliErrorCodes.usage, `--variant ${options.variant} needs a scenario (--scenario NAME|FILE)`);
  const applied = applyScenarioVariant(input.cluster, scenario, options.variant);
  if (isScenarioVariantError(applied)) {
    const names = scenario.variants.map((variant) => variant.name);
    throw new CliError(CliErrorCodes.usage, `--variant: ${applied.message}`, {
      hints: [applied.fix, names.length === 0 ? `scenario ${scenario.name} has no variants` : `Variants of ${scenario.name}: ${names.join(', ')}`],
    });
  }
  return { cluster: applied, scenario };
}

function buildRequests(input: TestInput, options: TestOptions, commandName: string): RunRequest[] {
  const requests: RunRequest[] = [];
  if (input.scenario !== undefined) requests.push({ kind: 'expectations' });
  if (options.matrix === true) {
    const port = options.port === undefined ? undefined : parsePortText(options.port);
    requests.push({ kind: 'matrix', ...(port === undefined ? {} : { port }), ...(options.protocol === undefined ? {} : { protocol: options.protocol }) });
  } else if (options.port !== undefined || options.protocol !== undefined) {
    throw new CliError(CliErrorCodes.usage, '--port and --protocol narrow the full matrix: add --matrix');
  }
  if (options.generated === true) requests.push({ kind: 'generated' });
  if (requests.length === 0) {
    throw new CliError(CliErrorCodes.usage, 'nothing to test: the manifests have no Scenario document with expectations', {
      hints: [`Add --scenario NAME|FILE, or test the full matrix (--matrix) or cases generated from the policies (--generated): rehearse ${commandName} -f ... --generated`],
    });
  }
  return requests;
}

/** Stops before anything boots when a plan has problems (unknown pods in expectations, nothing to probe): exit 2. */
function reportPlanProblems(io: CliIo, plan: SuitePlan): void {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const plans of plan.byCni.values()) {
    for (const runPlan of plans) {
      for (const problem of runPlan.problems) {
        const text = `${problem.expectationId === undefined ? '' : `${problem.expectationId}: `}${problem.message}${problem.path === undefined ? '' : ` (${problem.path})`}`;
        if (seen.has(text)) continue;
        seen.add(text);
        lines.push(`${io.stderr.colour.red('error:')} ${text}\n  fix: ${problem.fix}`);
      }
    }
  }
  if (lines.length === 0) return;
  io.stderr.write(`${lines.join('\n')}\n`);
  throw new CliError(CliErrorCodes.invalidInput, `${lines.length} ${lines.length === 1 ? 'problem' : 'problems'} in what to test; no sandbox was started`);
}

/** Progress on stderr: one updating line on a TTY, plain lines otherwise (every result with -v). */
function createProgress(stream: OutputStream, options: { readonly isVerbose: boolean; readonly failOn: FailOnMode }): { onEvent: (event: SuiteEvent) => void; finish: () => void } {
  const colour = stream.colour;
  let hasLine = false;
  let failing = 0;
  let lastDrawMs = 0;
  const clear = (): void => {
    if (hasLine) stream.write('\r\u001b[2K');
    hasLine = false;
  };
  const say = (text: string): void => {
    clear();
    stream.write(`${text}\n`);
  };
  return {
    onEvent(event) {
      switch (event.type) {
        case 'sandbox-creating':
          say(colour.dim(`[${event.cni}] creating sandbox ${event.sandboxId}`));
          return;
        case 'sandbox-ready':
          say(colour.dim(`[${event.cni}] sandbox ${event.sandboxId} ready in ${event.readyMs} ms`));
          return;
        case 'run-started':
          failing = 0;
          say(colour.dim(`[${event.cni}] ${event.session.plan.kind} run ${event.session.id}: ${event.probes} probes`));
          return;
        case 'result': {
          const isFailing = isFailingResult(event.result, options.failOn);
          if (isFailing) failing += 1;
          const flow = `${event.result.from} -> ${event.result.to} ${event.result.port}/${event.result.protocol}`;
          if (stream.isTty) {
            if (isFailing || options.isVerbose) say(`[${event.cni}] ${isFailing ? colour.red('FAIL') : colour.green('ok')} ${flow}: ${event.result.observed}`);
            // Redrawn at most every 50 ms (and at the end), so a 20,000-probe run does not flood the terminal.
            const now = performance.now();
            if (hasLine && now - lastDrawMs < 50 && event.completed < event.total) return;
            lastDrawMs = now;
            const width = stream.columns !== undefined && stream.columns > 20 ? stream.columns : 100;
            const text = `[${event.cni}] ${event.completed}/${event.total} probes, ${failing} failing`.slice(0, width - 1);
            stream.write(`\r\u001b[2K${failing === 0 ? text : colour.red(text)}`);
            hasLine = true;
          } else if (isFailing || options.isVerbose) {
            say(`[${event.cni}] ${isFailing ? 'FAIL' : 'ok'} ${event.completed}/${event.total} ${flow}: predicted ${event.result.predicted}, observed ${event.result.observed}`);
          }
          return;
        }
        case 'run-finished':
          say(colour.dim(`[${event.cni}] run ${event.outcome.view.id} ${event.outcome.view.status}: ${event.outcome.view.summary.passed}/${event.outcome.view.summary.total} passed`));
          return;
        case 'sandbox-destroyed':
          say(colour.dim(`[${event.cni}] sandbox ${event.sandboxId} destroyed`));
          return;
      }
    },
    finish: clear,
  };
}

async function writeReport(io: CliIo, path: string, text: string, what: string): Promise<void> {
  const target = resolve(io.cwd, path);
  try {
    await writeFile(target, text);
  } catch (error) {
    throw new CliError(CliErrorCodes.unreadableInput, `cannot write the ${what} report to ${target}: ${error instanceof Error ? error.message : String(error)}`, {
      exitCode: ExitCodes.environment,
      hints: ['Check that the directory exists and is writable.'],
    });
  }
  io.stderr.write(io.stderr.colour.dim(`wrote ${what} report ${path}\n`));
}

async function writeReports(io: CliIo, options: TestOptions, runs: readonly CompletedRun[], drift: DriftReport | undefined, failOn: FailOnMode): Promise<void> {
  if (options.junit !== undefined) await writeReport(io, options.junit, renderJUnit(runs, { failOn }), 'JUnit');
  if (options.json !== undefined) await writeReport(io, options.json, renderJsonReport(runs, { failOn, ...(drift === undefined ? {} : { drift }) }), 'JSON');
  if (options.tap !== undefined) await writeReport(io, options.tap, renderTap(runs, { failOn }), 'TAP');
}

/** The whole of `rehearse test` and `rehearse drift`; they differ in what they print and when they exit 1. */
export async function runTestCommand(context: CommandContext, mode: TestMode): Promise<ExitCode> {
  const commandName = mode;
  const { io } = context;
  const options = parseCommandOptions(optionsSchema, context.options, commandName);
  if (options.provider !== 'local') {
    throw new CliError(CliErrorCodes.usage, `--provider ${options.provider} is not available for ${commandName}; use --provider local`, {
      hints: ['Real clusters (kind, eks, gke, aks) run tests through the server: rehearse serve'],
    });
  }
  const cnis = parseCniList(options.cni);
  if (mode === 'drift' && cnis.length < 2) {
    throw new CliError(CliErrorCodes.usage, '--cni: drift compares at least two CNI profiles, e.g. --cni reference,cilium,flannel');
  }
  const failOn: FailOnMode = options.failOn;
  const timeoutMs = parseWholeNumber(options.timeout, '--timeout', { min: 1, max: 60_000 });
  const settleMs = parseWholeNumber(options.settle, '--settle', { min: 0, max: 60_000 });
  const concurrency = options.concurrency === undefined ? undefined : parseWholeNumber(options.concurrency, '--concurrency', { min: 1, max: 256 });
  const ttlSeconds = parseTtl(options.ttl);
  const input = await readTestInput(context, options, commandName);
  const requests = buildRequests(input, options, commandName);
  const plan = planSuite({
    cluster: input.cluster,
    ...(input.scenario === undefined ? {} : { scenario: input.scenario, scenarioFile: input.scenario.source.file }),
    cnis,
    requests,
    timeoutMs,
  });
  reportPlanProblems(io, plan);

  const provider = await openLocalProvider(io);
  const progress = createProgress(io.stderr, { isVerbose: context.isVerbose, failOn });
  const outcome = await runSuite(plan, {
    provider,
    ttlSeconds,
    owner: getOwner(io.env),
    createSandboxId: generateSandboxId,
    settleMs,
    ...(concurrency === undefined ? {} : { concurrency }),
    signal: context.signal,
    onEvent: progress.onEvent,
  }).finally(progress.finish);

  const runs = outcome.runs;
  const drift = cnis.length > 1 ? compareProfiles(runs) : undefined;
  const style = io.stdout.colour;
  if (mode === 'test') {
    for (const run of runs) io.stdout.write(`${renderRunText(run, { style, failOn })}\n`);
  } else {
    for (const run of runs) {
      const summary = run.view.summary;
      io.stdout.write(`${run.view.cni} (${run.view.kind}, sandbox ${run.view.sandboxId}): ${summary.passed}/${summary.total} agree with the prediction${summary.driftMismatches > 0 ? `, ${summary.driftMismatches} drift` : ''}${summary.errors > 0 ? `, ${summary.errors} errors` : ''}\n`);
    }
  }
  if (drift !== undefined) io.stdout.write(`${renderDriftText(drift, style)}\n`);
  await writeReports(io, options, runs, drift, failOn);

  if (outcome.failure !== undefined) {
    if (outcome.failure.cause instanceof Error) throw outcome.failure.cause;
    throw new CliError(CliErrorCodes.usage, `${outcome.failure.message} (${outcome.failure.code})`, { exitCode: ExitCodes.environment });
  }
  if (outcome.isCancelled) {
    io.stderr.write(`${io.stderr.colour.yellow('interrupted:')} every sandbox of this run was destroyed; ${runs.length} completed ${runs.length === 1 ? 'run is' : 'runs are'} reported above\n`);
    return ExitCodes.environment;
  }
  const isFailing = runs.some((run) => isRunFailing(run, failOn));
  if (mode === 'drift') {
    const hasUndocumented = drift !== undefined && drift.undocumented > 0;
    const hasDifference = drift !== undefined && drift.flows.length > 0;
    const verdict = isFailing || hasUndocumented ? style.bold(style.red('FAIL')) : style.bold(style.green('OK'));
    io.stdout.write(
      `${verdict} ${drift?.flows.length ?? 0} ${drift?.flows.length === 1 ? 'flow differs' : 'flows differ'} between ${cnis.join(', ')} (${drift?.undocumented ?? 0} undocumented)${isFailing ? '; some runs failed (see above)' : ''}\n`,
    );
    return isFailing || hasUndocumented || (options.exitCode === true && hasDifference) ? ExitCodes.findings : ExitCodes.ok;
  }
  io.stdout.write(renderVerdictLine(runs, { style, failOn }));
  return isFailing ? ExitCodes.findings : ExitCodes.ok;
}

/** Options shared by `test` and `drift`. */
export function configureTestOptions(command: Command, defaults: { readonly cni: string; readonly failOn?: string }): void {
  addFileOption(command, 'manifests and policies: a file, a directory, or - for stdin (repeatable)');
  command.option('--scenario <name|file>', 'a scenario from the library (rehearse scenarios) or a scenario file; its manifests are applied too');
  command.option('--cni <list>', 'CNI profiles to run under, comma-separated; one sandbox each', defaults.cni);
  command.option('--provider <name>', 'where sandboxes run', 'local');
  command.option('--junit <file>', 'write a JUnit XML report (one testcase per expectation)');
  command.option('--json <file>', 'write a JSON report with every result');
  command.option('--tap <file>', 'write a TAP version 14 report');
  if (defaults.failOn === undefined) {
    command.option('--fail-on <mode>', 'exit 1 on: mismatch (policy or drift), drift (prediction vs packets only), any (also unsupported and flaky)', 'mismatch');
  } else {
    command.option('--fail-on <mode>', 'which run results fail: mismatch, drift, any', defaults.failOn);
  }
  command.option('--matrix', 'also probe the full matrix (every pod and external endpoint to every declared port)');
  addPortOptions(command, 'with --matrix: only this target port (a number or a container port name)');
  command.option('--generated', 'also run cases generated from the policies (rehearse generate shows them)');
  command.option('--variant <name>', "apply one of the scenario's variants (its fixed policies) before testing");
  command.option('--concurrency <n>', 'probes in flight at once (default: the provider\'s, 32 for local)');
  command.option('--timeout <ms>', 'per-probe timeout in milliseconds', '1000');
  command.option('--settle <ms>', 'wait before re-probing a mismatch once (CNI convergence); both attempts are reported', '300');
  command.option('--ttl <duration>', 'TTL of each sandbox, in case this command is killed', '15m');
}

export const command: CommandModule = {
  description:
    'Test policies with real packets, for CI. Boots a sandbox per CNI (--cni a,b), applies the manifests and the\n' +
    "scenario's, runs the scenario's expectations (+ the full matrix with --matrix, + generated cases with\n" +
    '--generated), compares intent (the expectation), prediction (the engine) and observation (packets), prints a\n' +
    'table and the expected/observed/comparison matrices, writes JUnit/JSON/TAP reports and destroys every sandbox,\n' +
    'also on Ctrl-C, SIGTERM and failure. A mismatch is re-probed once after --settle ms; a result that changes is\n' +
    'reported as flaky.\n\n' +
    '--fail-on mismatch (default): exit 1 on a policy mismatch (intent ≠ prediction), drift (prediction ≠\n' +
    'observation) or a probe error. drift: only drift and errors. any: also unsupported protocols and flaky\n' +
    'results (unsupported is never a pass: without --fail-on any it is reported as skipped).\n' +
    'Exit codes: 0 pass, 1 failures per --fail-on, 2 input error, 3 environment/provider error or interrupted.',
  usage:
    'test [-f PATH...] [--scenario NAME|FILE] [--cni a,b,...] [--provider local] [--junit FILE] [--json FILE] [--tap FILE]\n' +
    '       [--fail-on mismatch|drift|any] [--matrix [--port P --protocol TCP]] [--generated] [--variant NAME] [--concurrency N]',
  examples: [
    { description: 'A canned scenario with its own policies, JUnit for CI', command: 'rehearse test --scenario three-tier --junit report.xml' },
    { description: 'Your policies against a scenario, under two CNIs', command: 'rehearse test -f policies/ --scenario three-tier --cni reference,calico --junit report.xml' },
    { description: 'Cases generated from the policies, plus the full matrix', command: 'rehearse test -f test/fixtures/upstream-model.yaml -f test/fixtures/policies/allow-from-y.yaml --generated --matrix' },
  ],
  handlesInterrupt: true,
  configure(command) {
    configureTestOptions(command, { cni: 'reference' });
  },
  run(context) {
    return runTestCommand(context, 'test');
  },
};
