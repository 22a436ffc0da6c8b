// The reports CI reads: JUnit XML that parses back (one testsuite per run, one testcase per expectation, failures
// naming the expectation, the deciding policy and why; everything escaped), TAP 14, JSON with every result, and
// the text table with the expected / observed / comparison matrices.
import { describe, expect, it } from 'vitest';
import { escapeXml, planRun, renderJsonReport, renderJUnit, renderRunMatrices, renderRunText, renderTap, plainTextStyle, startRun } from '../../../../server/probe/index.ts';
import type { CompletedRun, RunPlan } from '../../../../server/probe/index.ts';
import type { Cluster, Scenario } from '../../../../server/policy/index.ts';
import type { ProbeOutcome } from '../../../../server/sandbox/contract.ts';
import { createFakeHandle, loadFixture } from './fake-sandbox.ts';
import { findAll, parseXml } from './xml-check.ts';

async function runWith(input: { cluster: Cluster; scenario: Scenario | undefined }, options: { kind?: 'expectations' | 'matrix'; cni?: string; observe?: (plan: RunPlan, id: string) => ProbeOutcome } = {}): Promise<CompletedRun> {
  const plan = planRun(input.cluster, input.scenario, { kind: options.kind ?? 'expectations' }, { profile: options.cni ?? 'reference' });
  const observe = options.observe ?? ((current, id) => current.probes.find((probe) => probe.request.id === id.replace(/~retry$/, ''))?.predicted ?? 'error');
  const handle = createFakeHandle({ cluster: input.cluster, cni: plan.profile, script: (request) => ({ outcome: observe(plan, request.id) }) });
  return startRun(handle, plan, { runId: `run-${plan.profile}`, settleMs: 0 }).done;
}

const correct = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies.yaml');
const broken = loadFixture('test/fixtures/runs/shop.yaml', 'test/fixtures/runs/shop-policies-broken.yaml');

describe('escapeXml', () => {
  it('escapes the five special characters', () => {
    expect(escapeXml(`a<b>&"c"'d'`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
  });
  it('drops terminal colour and characters XML 1.0 forbids, keeps tabs, newlines and emoji', () => {
    expect(escapeXml('\u001b[31mred\u001b[39m\u0000\u0007\ttab\nline 🚦')).toBe('red\ttab\nline 🚦');
  });
});

describe('renderJUnit', () => {
  it('is well-formed: testsuites > testsuite per run > testcase per expectation', async () => {
    const runs = [await runWith(correct), await runWith(correct, { cni: 'calico' })];
    const root = parseXml(renderJUnit(runs, { failOn: 'mismatch' }));
    expect(root.name).toBe('testsuites');
    const suites = findAll(root, 'testsuite');
    expect(suites.map((suite) => suite.attributes.name)).toEqual(['shop on reference (expectations)', 'shop on calico (expectations)']);
    for (const suite of suites) {
      const cases = findAll(suite, 'testcase');
      expect(cases.map((testCase) => testCase.attributes.name)).toEqual([
        'shop/frontend -> svc/shop/api 80/TCP expect allowed',
        'shop/api -> shop/db 5432/TCP expect allowed',
        'shop/frontend -> shop/db postgresql/TCP expect denied',
        'shop/db -> shop/frontend 80/TCP expect denied',
      ]);
      expect(suite.attributes.tests).toBe('4');
      expect(suite.attributes.failures).toBe('0');
      expect(findAll(suite, 'failure')).toEqual([]);
      const properties = Object.fromEntries(findAll(suite, 'property').map((property) => [property.attributes.name, property.attributes.value]));
      expect(properties.policyDigest).toMatch(/^sha256:/);
      expect(properties.sandboxId).toBe('sb-0000000a');
    }
    expect(root.attributes.tests).toBe('8');
  });

  it('a broken policy: the failure names the expectation, the deciding policy and why', async () => {
    const root = parseXml(renderJUnit([await runWith(broken)], { failOn: 'mismatch' }));
    const failures = findAll(root, 'failure');
    expect(failures).toHaveLength(1);
    const [failure] = failures;
    const message = failure?.attributes.message ?? '';
    expect(message).toContain('shop/api -> shop/db 5432/TCP expect allowed');
    expect(message).toContain('your policies do not do what the scenario expects');
    expect(message).toContain('decided by shop/allow-api-to-db, shop/default-deny-ingress');
    expect(message).toContain('why: denied at ingress of shop/db-0');
    expect(message).toContain('nearest rule: shop/allow-api-to-db spec.ingress[0]');
    expect(failure?.attributes.type).toBe('policy');
    expect(failure?.text).toContain('engine explanation:');
    expect(failure?.text).toContain('written at test/fixtures/runs/shop.yaml:');
    expect(findAll(root, 'testsuite')[0]?.attributes.failures).toBe('1');
  });

  it('drift fails every mode; unsupported is skipped unless --fail-on any', async () => {
    const drifted = await runWith(correct, { observe: (plan, id) => (id.startsWith('p3') ? 'allowed' : plan.probes.find((probe) => probe.request.id === id.replace(/~retry$/, ''))?.predicted ?? 'error') });
    for (const failOn of ['mismatch', 'drift', 'any'] as const) {
      expect(findAll(parseXml(renderJUnit([drifted], { failOn })), 'failure').map((failure) => failure.attributes.type)).toEqual(['drift']);
    }
    const unsupported = await runWith(correct, { observe: () => 'unsupported' });
    expect(findAll(parseXml(renderJUnit([unsupported], { failOn: 'mismatch' })), 'skipped')).toHaveLength(4);
    expect(findAll(parseXml(renderJUnit([unsupported], { failOn: 'any' })), 'failure')).toHaveLength(4);
  });

  it('matrix runs: one testcase per probe, expecting the prediction', async () => {
    const run = await runWith(correct, { kind: 'matrix' });
    const cases = findAll(parseXml(renderJUnit([run], { failOn: 'mismatch' })), 'testcase');
    expect(cases).toHaveLength(12);
    expect(cases[0]?.attributes.name).toMatch(/^shop\/\S+ -> shop\/\S+ \d+\/TCP expect (allowed|denied)$/);
  });

  it('escapes hostile text from the input in names and messages', async () => {
    const run = await runWith(broken);
    const hostile: CompletedRun = {
      ...run,
      plan: { ...run.plan, scenarioName: 'x"><script>&' },
      view: { ...run.view, results: run.view.results.map((result) => ({ ...result, reason: `${result.reason} <b>&"'\u0001\u001b[31m` })) },
    };
    const xml = renderJUnit([hostile], { failOn: 'mismatch' });
    const root = parseXml(xml);
    expect(findAll(root, 'testsuite')[0]?.attributes.name).toBe('x"><script>& on reference (expectations)');
    expect(findAll(root, 'failure')[0]?.attributes.message).toContain(`<b>&"'`);
  });
});

describe('renderTap', () => {
  it('plans every test point and explains failures in a YAML block', async () => {
    const tap = renderTap([await runWith(broken)], { failOn: 'mismatch' });
    const lines = tap.split('\n');
    expect(lines[0]).toBe('TAP version 14');
    expect(lines[1]).toBe('1..4');
    expect(lines.filter((line) => /^ok \d+ - /.test(line))).toHaveLength(3);
    const notOk = lines.findIndex((line) => line.startsWith('not ok 2 - [reference] shop/api -> shop/db 5432/TCP expect allowed'));
    expect(notOk).toBeGreaterThan(0);
    expect(lines[notOk + 1]).toBe('  ---');
    expect(tap).toContain('  type: policy');
    expect(tap).toContain('  expectation: api-to-db');
  });

  it('reports unsupported as SKIP', async () => {
    const tap = renderTap([await runWith(correct, { observe: () => 'unsupported' })], { failOn: 'mismatch' });
    expect(tap.split('\n').filter((line) => line.includes('# SKIP'))).toHaveLength(4);
  });
});

describe('renderJsonReport', () => {
  it('holds every result, the test cases, the findings and the verdict', async () => {
    const report: unknown = JSON.parse(renderJsonReport([await runWith(broken)], { failOn: 'mismatch', generatedAt: '2026-01-01T00:00:00.000Z' }));
    expect(report).toMatchObject({
      format: 'rehearsal.run-report/v1',
      generatedAt: '2026-01-01T00:00:00.000Z',
      verdict: 'failed',
      runs: [
        {
          cni: 'reference',
          scenario: 'shop',
          summary: { total: 5, passed: 3, policyMismatches: 2 },
          findings: [
            { expectationId: 'api-to-db', mismatch: 'policy', isFailing: true, headline: 'your policies do not do what the scenario expects' },
            { expectationId: 'api-to-db', mismatch: 'policy', isFailing: true },
          ],
        },
      ],
    });
  });
});

describe('text report', () => {
  it('prints expected, observed and comparison matrices like the upstream suite', async () => {
    const run = await runWith(broken, { kind: 'matrix', observe: (plan, id) => (id.startsWith('p0') ? 'denied' : plan.probes.find((probe) => probe.request.id === id.replace(/~retry$/, ''))?.predicted ?? 'error') });
    const text = renderRunMatrices(run, plainTextStyle);
    expect(text).toContain('8080/TCP (http) expected (the prediction; matrix runs have no written intent)');
    expect(text).toContain('8080/TCP (http) observed');
    expect(text).toContain('8080/TCP (http) comparison');
    const comparison = text.split('\n\n').find((block) => block.startsWith('8080/TCP (http) comparison')) ?? '';
    expect(comparison.split('\n').slice(2).join('\n')).toMatch(/X/);
  });

  it('ends a failing run with its counts and the deciding policy in the findings', async () => {
    const text = renderRunText(await runWith(broken), { style: plainTextStyle, failOn: 'mismatch' });
    expect(text).toContain('POLICY   api-to-db');
    expect(text).toContain('FAIL api-to-db: shop/api-0 -> shop/db-0 5432/TCP');
    expect(text).toContain('shop on reference (expectations): failed: 3/5 passed, 2 policy');
  });
});
