// The engine commands end to end, as real subprocesses on the upstream e2e model and small policy files.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { policyFixture, repoRoot, runRehearse, upstreamModel } from './run-rehearse.ts';

const matrixJson = z.object({
  profile: z.string(),
  sources: z.array(z.string()),
  targets: z.array(z.string()),
  results: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      port: z.number(),
      portName: z.string().optional(),
      protocol: z.enum(['TCP', 'UDP', 'SCTP']),
      predicted: z.enum(['allowed', 'denied', 'not-evaluated']),
      isLoopback: z.boolean(),
      decidedBy: z.array(z.string()),
      summary: z.string(),
    }),
  ),
});

const lintJson = z.object({
  findings: z.array(z.object({ code: z.string(), severity: z.enum(['error', 'warning', 'info']), file: z.string(), line: z.number(), path: z.string(), message: z.string(), fix: z.string() })),
  summary: z.object({ total: z.number(), error: z.number(), warning: z.number(), info: z.number() }),
});

describe('rehearse matrix', () => {
  it('-o json prints one object whose results say who reaches x/a on 80/TCP under allow-from-y', async () => {
    const run = await runRehearse(['matrix', '-f', upstreamModel, '-f', policyFixture('allow-from-y'), '--port', '80', '--protocol', 'tcp', '-o', 'json']);
    expect(run.code).toBe(0);
    const document = matrixJson.parse(JSON.parse(run.stdout));
    expect(document.profile).toBe('reference');
    expect(document.sources).toEqual(['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c']);
    expect(document.results).toHaveLength(81);
    const toXa = document.results.filter((r) => r.to === 'x/a');
    expect(toXa.filter((r) => r.predicted === 'allowed').map((r) => r.from)).toEqual(['y/a', 'y/b', 'y/c']);
    const denied = toXa.find((r) => r.from === 'z/b');
    expect(denied).toMatchObject({ port: 80, protocol: 'TCP', portName: 'serve-80-tcp', predicted: 'denied', decidedBy: ['x/allow-from-y'], isLoopback: false });
    expect(toXa.find((r) => r.from === 'y/c')?.decidedBy).toEqual(['x/allow-from-y spec.ingress[0]']);
    expect(document.results.filter((r) => r.to !== 'x/a').every((r) => r.predicted === 'allowed')).toBe(true);
  });

  it('without --port it covers every declared port and protocol of each target', async () => {
    const run = await runRehearse(['matrix', '-f', upstreamModel, '-o', 'json']);
    const document = matrixJson.parse(JSON.parse(run.stdout));
    expect(document.results).toHaveLength(81 * 4);
    expect(new Set(document.results.map((r) => `${r.port}/${r.protocol}`))).toEqual(new Set(['80/TCP', '80/UDP', '81/TCP', '81/UDP']));
  });

  it('prints one truth table per port/protocol with . and X and a legend', async () => {
    const run = await runRehearse(['matrix', '-f', upstreamModel, '-f', policyFixture('deny-all-x'), '--port', '80']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines).toContain('80/TCP  (rows: from, columns: to)');
    expect(lines).toContain('-     x/a  x/b  x/c  y/a  y/b  y/c  z/a  z/b  z/c');
    expect(lines).toContain('y/a   X    X    X    .    .    .    .    .    .');
    expect(run.stdout).toContain('. allowed   X denied');
    expect(run.stdout).toContain('81 flows: 54 allowed, 27 denied');
  });

  it('bad YAML is exit 2 with file:line, and nothing is evaluated', async () => {
    const run = await runRehearse(['matrix', '-f', upstreamModel, '-f', policyFixture('broken-yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/test\/fixtures\/policies\/broken-yaml\.yaml:5: error: YAML syntax error/);
    expect(run.stderr).toContain('  fix: ');
    expect(run.stderr).toContain('nothing was evaluated');
    expect(run.stdout).toBe('');
  });

  it('reads -f - from stdin, like kubectl', async () => {
    const policy = readFileSync(resolve(repoRoot, policyFixture('allow-from-y')), 'utf8');
    const [piped, fromFile] = await Promise.all([
      runRehearse(['matrix', '-f', upstreamModel, '-f', '-', '--port', '80', '-o', 'json'], { stdin: policy }),
      runRehearse(['matrix', '-f', upstreamModel, '-f', policyFixture('allow-from-y'), '--port', '80', '-o', 'json']),
    ]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(fromFile.stdout);
  });
});

describe('rehearse explain', () => {
  it('names the deciding policy and the rule path, and exits 0 for a denial', async () => {
    const denied = await runRehearse(['explain', '-f', upstreamModel, '-f', policyFixture('allow-from-y'), '--from', 'z/b', '--to', 'x/a', '--port', '80']);
    expect(denied.code).toBe(0);
    expect(denied.stdout).toMatch(/^DENIED z\/b .* → x\/a .* 80\/TCP/);
    expect(denied.stdout).toContain('isolated by x/allow-from-y');
    expect(denied.stdout).toContain('x/allow-from-y spec.ingress[0] matches port 80/TCP but peer spec.ingress[0].from[0] namespaceSelector ns=y');
    const allowed = await runRehearse(['explain', '-f', upstreamModel, '-f', policyFixture('allow-from-y'), '--from', 'y/b', '--to', 'x/a', '--port', 'serve-80-tcp']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('allowed by x/allow-from-y spec.ingress[0] (peer from[0], port ports[0])');
  });

  it('explains a Service target once per backend', async () => {
    const run = await runRehearse(['explain', '-f', upstreamModel, '--from', 'x/b', '--to', 'svc/y/s-y-a', '--port', '81', '--protocol', 'UDP']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('svc/y/s-y-a port 81/UDP');
    expect(run.stdout).toContain('backend y/a:');
    expect(run.stdout).toContain('ALLOWED x/b');
  });

  it('an unknown endpoint is exit 2 with a did-you-mean', async () => {
    const run = await runRehearse(['explain', '-f', upstreamModel, '--from', 'y/bb', '--to', 'x/a', '--port', '80']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: --from: no pod y/bb in the input');
    expect(run.stderr).toContain('Did you mean this?\n\ty/b');
  });
});

describe('rehearse lint', () => {
  it('exits 0 with warnings, naming the closest label for a typo', async () => {
    const run = await runRehearse(['lint', '-f', upstreamModel, '-f', policyFixture('selector-typo')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'test/fixtures/policies/selector-typo.yaml:2: spec.ingress[0].from[0].podSelector: warning: podSelector pod=bb matches no pod',
    );
    expect(run.stdout).toContain('did you mean pod=b?');
    expect(run.stdout).toContain('[selector-matches-nothing]');
    expect(run.stdout).toMatch(/\d+ findings: 0 errors, 1 warning, \d+ info/);
  });

  it('exits 1 on an error-severity finding, and reports parse problems as findings', async () => {
    const run = await runRehearse(['lint', '-f', upstreamModel, '-f', policyFixture('invalid-except'), '-f', policyFixture('deny-egress-z'), '-o', 'json']);
    expect(run.code).toBe(1);
    const document = lintJson.parse(JSON.parse(run.stdout));
    const codes = document.findings.map((f) => f.code);
    expect(codes).toContain('invalid-except');
    expect(codes).toContain('egress-blocks-dns');
    expect(document.summary.error).toBeGreaterThan(0);
    const sorted = [...document.findings].sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
    expect(document.findings.map((f) => `${f.file}:${f.line}`)).toEqual(sorted.map((f) => `${f.file}:${f.line}`));
  });

  it('bad YAML is a finding (exit 1), not a crash', async () => {
    const run = await runRehearse(['lint', '-f', policyFixture('broken-yaml')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('broken-yaml.yaml:5: error: YAML syntax error');
  });
});

describe('rehearse diff, generate, scenarios', () => {
  it('diff lists newly allowed flows with the deciding policy before and after, and a summary', async () => {
    const run = await runRehearse([
      'diff', '-f', upstreamModel,
      '--old', policyFixture('deny-all-x'),
      '--new', policyFixture('deny-all-x'), '--new', policyFixture('allow-from-y'),
      '--port', '80',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('NEWLY ALLOWED (3)');
    expect(run.stdout).toMatch(/y\/a\s+x\/a\s+80\/TCP \(serve-80-tcp\)\s+denied by x\/deny-all\s+allowed by x\/allow-from-y spec\.ingress\[0\]/);
    expect(run.stdout).toContain('this change newly allows 3 flows');
    const reverse = await runRehearse([
      'diff', '-f', upstreamModel, '--old', policyFixture('allow-from-y'), '--new', policyFixture('deny-all-x'), '--port', '80', '--exit-code', '-o', 'json',
    ]);
    expect(reverse.code).toBe(1);
    const document = z.object({ summary: z.string(), newlyDenied: z.number(), newlyAllowed: z.number() }).parse(JSON.parse(reverse.stdout));
    // allow-from-y opened x/a to y only; deny-all-x closes x/a to y and x/b, x/c to everyone (9 sources each).
    expect(document).toMatchObject({ newlyDenied: 3 + 9 + 9, newlyAllowed: 0 });
    expect(document.summary).toBe('this change newly denies 21 flows');
  });

  it('generate prints an expectations block that parses, with ids and rule descriptions', async () => {
    const run = await runRehearse(['generate', '-f', upstreamModel, '-f', policyFixture('allow-from-y')]);
    expect(run.code).toBe(0);
    const document = z
      .object({ expectations: z.array(z.object({ id: z.string(), description: z.string(), port: z.number(), protocol: z.string(), allowed: z.boolean() })) })
      .parse(parse(run.stdout));
    expect(document.expectations.map((e) => e.id)).toContain('gen-x-allow-from-y-ingress-0-inside');
    expect(document.expectations.every((e) => e.description.includes('x/allow-from-y spec.ingress[0]') || e.id.startsWith('gen-isolated-'))).toBe(true);
    expect(run.stderr).toMatch(/^generated \d+ expectations/);
  });

  it('scenarios lists the library and shows one; an unknown name gets a did-you-mean', async () => {
    const list = await runRehearse(['scenarios']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+TITLE\s+DESCRIPTION/);
    expect(list.stdout).toMatch(/^three-tier\s+Three-tier app/m);
    const show = await runRehearse(['scenarios', 'show', 'three-tier']);
    expect(show.code).toBe(0);
    for (const heading of ['Teaches:', 'Workloads:', 'Policies:', 'Expectations:']) expect(show.stdout).toContain(heading);
    const yaml = await runRehearse(['scenarios', 'show', 'three-tier', '-o', 'yaml']);
    expect(yaml.stdout).toBe(readFileSync(resolve(repoRoot, 'scenarios/three-tier.yaml'), 'utf8'));
    const unknown = await runRehearse(['scenarios', 'show', 'thre-tier']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Did you mean this?\n\tthree-tier');
  });
});
