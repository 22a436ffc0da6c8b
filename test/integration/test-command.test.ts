// `rehearse test` and `rehearse drift` as CI runs them: the real bin/rehearse as a subprocess, real sandboxes on the
// local provider. Correct policies exit 0; a broken policy exits 1 with a JUnit failure naming the expectation, the
// deciding policy and why; drift between CNIs reports exactly the documented differences; generated cases pass on
// reference; Ctrl-C during a run leaves no namespace, process or socket file behind.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseManifests } from '../../server/policy/index.ts';
import { listSandboxNetns } from '../../server/sandbox/local/teardown.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { findAll, parseXml } from '../unit/server/probe/xml-check.ts';
import { findLeftovers, makeTempHome, repoRoot } from './local-helpers.ts';

// Only the parts of the JSON report these tests read, validated rather than cast.
const driftReportSchema = z.object({
  drift: z.object({
    flows: z.array(
      z.object({
        expectationId: z.string().optional(),
        isDocumented: z.boolean(),
        reasons: z.array(z.object({ cni: z.string(), kind: z.string(), source: z.string().optional() })),
      }),
    ),
  }),
});
const runsReportSchema = z.object({ runs: z.array(z.object({ kind: z.string(), summary: z.object({ total: z.number(), passed: z.number() }) })) });

interface CommandRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface SpawnedRehearse {
  readonly pid: number;
  readonly result: Promise<CommandRun>;
  /** Resolves once stderr has shown a line matching the pattern. */
  waitForStderr(pattern: RegExp): Promise<string>;
}

/** bin/rehearse in its own process group (as a terminal runs it), so a signal can go to the whole group like Ctrl-C. */
function spawnRehearse(args: readonly string[], home: string): SpawnedRehearse {
  const child = spawn(join(repoRoot, 'bin/rehearse'), [...args], {
    cwd: repoRoot,
    detached: true,
    env: { ...process.env, NO_COLOR: '1', REHEARSAL_HOME: home, REHEARSAL_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const waiter of [...waiters]) {
      const line = stderr.split('\n').find((candidate) => waiter.pattern.test(candidate));
      if (line === undefined) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const result = new Promise<CommandRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`rehearse ${args.join(' ')} did not finish in 100 s\nstderr:\n${stderr}`));
    }, 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  if (child.pid === undefined) throw new Error('bin/rehearse did not start');
  return {
    pid: child.pid,
    result,
    waitForStderr: (pattern) =>
      new Promise((resolve) => {
        const line = stderr.split('\n').find((candidate) => pattern.test(candidate));
        if (line !== undefined) resolve(line);
        else waiters.push({ pattern, resolve });
      }),
  };
}

function listSandboxIds(stderr: string): string[] {
  return [...stderr.matchAll(/creating sandbox (sb-[0-9a-f]{8})/g)].map((match) => match[1] ?? '');
}

async function expectNothingLeft(stderr: string): Promise<void> {
  const ids = listSandboxIds(stderr);
  expect(ids.length).toBeGreaterThan(0);
  for (const id of ids) expect(await findLeftovers(id)).toEqual([]);
}

describe.runIf(canRunPrivileged())('rehearse test / drift with real sandboxes', () => {
  let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
  beforeAll(async () => {
    home = await makeTempHome('test-command');
  });
  afterAll(async () => {
    await home?.dispose();
  });
  const run = (args: readonly string[]): Promise<CommandRun> => {
    if (home === undefined) throw new Error('no state home');
    return spawnRehearse(args, home.dir).result;
  };
  const file = (name: string): string => join(home?.dir ?? '', name);

  it('a scenario whose policies are correct passes with exit 0 and a clean JUnit report', async () => {
    const outcome = await run(['test', '--scenario', 'test/fixtures/runs/shop.yaml', '-f', 'test/fixtures/runs/shop-policies.yaml', '--junit', file('pass.xml'), '--json', file('pass.json')]);
    expect(outcome.stderr).not.toMatch(/error:/);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/^PASS 1 run on reference, 5\/5 probes passed/m);
    const root = parseXml(await readFile(file('pass.xml'), 'utf8'));
    expect(root.attributes).toMatchObject({ tests: '4', failures: '0', errors: '0' });
    const report: unknown = JSON.parse(await readFile(file('pass.json'), 'utf8'));
    expect(report).toMatchObject({ verdict: 'passed', runs: [{ status: 'passed', summary: { total: 5, passed: 5 } }] });
    await expectNothingLeft(outcome.stderr);
  });

  it('a deliberately broken policy exits 1 with a JUnit failure naming the expectation, the deciding policy and why', async () => {
    const outcome = await run(['test', '--scenario', 'test/fixtures/runs/shop.yaml', '-f', 'test/fixtures/runs/shop-policies-broken.yaml', '--junit', file('fail.xml'), '--tap', file('fail.tap')]);
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toMatch(/^FAIL 1 run on reference/m);
    const failures = findAll(parseXml(await readFile(file('fail.xml'), 'utf8')), 'failure');
    expect(failures).toHaveLength(1);
    const message = failures[0]?.attributes.message ?? '';
    expect(message).toContain('shop/api -> shop/db 5432/TCP expect allowed');
    expect(message).toContain('your policies do not do what the scenario expects');
    expect(message).toContain('decided by shop/allow-api-to-db, shop/default-deny-ingress');
    expect(message).toContain('allows 5433/TCP, not 5432/TCP');
    expect(await readFile(file('fail.tap'), 'utf8')).toMatch(/^not ok 2 - \[reference\] shop\/api -> shop\/db 5432\/TCP expect allowed$/m);
    await expectNothingLeft(outcome.stderr);
  });

  it.each(['cilium', 'flannel'])('drift reference vs %s reports exactly the documented differences of cni-drift', async (cni) => {
    const outcome = await run(['drift', '--scenario', 'cni-drift', '--cni', `reference,${cni}`, '--json', file(`drift-${cni}.json`)]);
    expect(outcome.code).toBe(0);
    const flows = driftReportSchema.parse(JSON.parse(await readFile(file(`drift-${cni}.json`), 'utf8'))).drift.flows;
    const scenario = parseManifests([{ file: 'scenarios/cni-drift.yaml', text: await readFile(join(repoRoot, 'scenarios/cni-drift.yaml'), 'utf8') }]).scenario;
    const documented = (scenario?.expectations ?? []).filter((expectation) => expectation.overrides.some((override) => override.cni === cni)).map((expectation) => expectation.id).sort();
    expect(documented.length).toBeGreaterThan(0);
    expect([...new Set(flows.map((flow) => flow.expectationId ?? ''))].sort()).toEqual(documented);
    for (const flow of flows) {
      expect(flow.isDocumented).toBe(true);
      expect(flow.reasons.some((reason) => reason.cni === cni && reason.kind === 'profile' && (reason.source ?? '').includes('https://'))).toBe(true);
    }
    expect(outcome.stdout).toContain(`0 undocumented`);
    await expectNothingLeft(outcome.stderr);
  });

  it('generated cases for a policy set all pass on reference', async () => {
    const outcome = await run(['test', '-f', 'test/fixtures/upstream-model.yaml', '-f', 'test/fixtures/policies/allow-from-y.yaml', '--generated', '--json', file('generated.json')]);
    expect(outcome.code).toBe(0);
    const report = runsReportSchema.parse(JSON.parse(await readFile(file('generated.json'), 'utf8')));
    expect(report.runs.map((entry) => entry.kind)).toEqual(['generated']);
    expect(report.runs[0]?.summary.total).toBeGreaterThan(0);
    expect(report.runs[0]?.summary.passed).toBe(report.runs[0]?.summary.total);
    await expectNothingLeft(outcome.stderr);
  });

  it('Ctrl-C (SIGINT to the process group) during a run tears everything down: no rh- netns, process or socket file', async () => {
    if (home === undefined) throw new Error('no state home');
    // Port 9999 is served by nobody, so every probe is re-probed after the settle delay: a run that is surely live.
    const spawned = spawnRehearse(['test', '-f', 'test/fixtures/runs/shop.yaml', '--matrix', '--port', '9999', '--settle', '60000'], home.dir);
    await spawned.waitForStderr(/matrix run run-[0-9a-f]+: \d+ probes/);
    process.kill(-spawned.pid, 'SIGINT');
    const outcome = await spawned.result;
    expect(outcome.code).toBe(3);
    expect(outcome.stderr).toContain('interrupted');
    expect(outcome.stderr).toMatch(/run run-[0-9a-f]+ cancelled/);
    const [id] = listSandboxIds(outcome.stderr);
    if (id === undefined) throw new Error('no sandbox was created');
    expect(await listSandboxNetns(id)).toEqual([]);
    expect(await findLeftovers(id)).toEqual([]);
  });

  it('bad input exits 2 before any sandbox boots', async () => {
    const outcome = await run(['test', '--scenario', 'three-tierr']);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('Did you mean "three-tier"?');
    expect(listSandboxIds(outcome.stderr)).toEqual([]);
  });
});
