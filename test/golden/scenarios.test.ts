// Golden: every canned scenario in scenarios/ runs through the engine, and intent must equal prediction: on the
// reference profile (the documented broken expectations of an exercise must fail, and only those), in every
// variant, and under every CNI profile (each override gives that CNI's documented outcome).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  applyScenarioVariant,
  checkExpectations,
  explainVerdict,
  getCniProfile,
  isIpInCidr,
  isScenarioVariantError,
  lintPolicies,
  listCniProfileNames,
  parseCidr,
  parseIp,
  parseManifests,
} from '../../server/policy/index.ts';
import type { Cluster, ExpectationCheck, Scenario } from '../../server/policy/index.ts';

const scenarioDir = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const scenarioFiles = readdirSync(scenarioDir)
  .filter((file) => file.endsWith('.yaml'))
  .sort();

/** The library issue 5 asks for; more may be added, none may go missing. */
const requiredScenarios = [
  'upstream-model',
  'default-deny-ingress',
  'three-tier',
  'dns-egress',
  'namespace-isolation',
  'zero-trust',
  'external-egress',
  'named-ports-and-ranges',
  'label-typo',
  'cross-namespace-leak',
  'microservices-shop',
  'cni-drift',
];

/** Small enough to boot fast on the local sandbox (the cluster DNS pod included). */
const maxPods = 30;

/** RFC 5737 documentation ranges: never routed, never inside the pod or service CIDR. */
const documentationRanges = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'];

/** The sandbox kernel has no SCTP, so an SCTP flow could never be observed. */
const observableProtocols: readonly string[] = ['TCP', 'UDP'];

function loadScenario(file: string): { cluster: Cluster; scenario: Scenario | undefined; errors: string[] } {
  const text = readFileSync(`${scenarioDir}${file}`, 'utf8');
  const result = parseManifests([{ file: `scenarios/${file}`, text }]);
  const errors = result.issues
    .filter((issue) => issue.severity === 'error')
    .map((issue) => `${issue.file}:${issue.line} ${issue.path}: ${issue.message} (fix: ${issue.fix})`);
  return { cluster: result.cluster, scenario: result.scenario, errors };
}

/** The offending pairs of a check; the first with the engine's explanation of its verdict, the rest by name. */
function describeMismatch(check: ExpectationCheck, wanted: 'hold' | 'fail'): string[] {
  const lines = [`${check.id} [${check.profile}] should ${wanted}, expected allowed=${String(check.expected)}`];
  for (const error of check.errors) lines.push(`  ${error.path}: ${error.message} (fix: ${error.fix})`);
  const offending = check.pairs.filter((pair) => pair.isMatch !== (wanted === 'hold'));
  const [first, ...rest] = offending;
  if (first) {
    lines.push(`  ${first.from} -> ${first.via === undefined ? '' : `${first.via} -> `}${first.to} ${first.port}/${first.protocol}`);
    if (first.result.ok) lines.push(...explainVerdict(first.result.verdict).map((line) => `    ${line}`));
    else lines.push(`    ${first.result.error.message}`);
  }
  if (rest.length > 0) lines.push(`  also: ${rest.map((pair) => `${pair.from} -> ${pair.to}`).join(', ')}`);
  return lines;
}

/** Checks that do not hold (all must), explained. */
function findFailures(checks: readonly ExpectationCheck[], skipIds: readonly string[] = []): string[] {
  return checks.filter((c) => !skipIds.includes(c.id) && !c.isMatch).flatMap((c) => describeMismatch(c, 'hold'));
}

/** Asserts an empty list of problems; joined to text so vitest prints every line (a long array is elided). */
function expectNoProblems(problems: readonly string[], label?: string): void {
  expect(problems.join('\n'), label).toBe('');
}

function variantCluster(cluster: Cluster, scenario: Scenario, name: string): Cluster {
  const applied = applyScenarioVariant(cluster, scenario, name);
  if (isScenarioVariantError(applied)) throw new Error(`${applied.message} (${applied.fix})`);
  return applied;
}

/** Lint findings that matter (warnings and errors), keyed so base and variant can be compared. */
function lintFindings(cluster: Cluster): string[] {
  return lintPolicies(cluster)
    .filter((issue) => issue.severity !== 'info')
    .map((issue) => `${issue.code} ${issue.object ?? ''} ${issue.path}: ${issue.message}`);
}

it('ships every scenario of the library issue 5 asks for', () => {
  const names = scenarioFiles.map((file) => file.replace(/\.yaml$/, ''));
  expectNoProblems(requiredScenarios.filter((name) => !names.includes(name)));
});

describe.each(scenarioFiles)('scenarios/%s', (file) => {
  const name = file.replace(/\.yaml$/, '');
  const { cluster, scenario, errors } = loadScenario(file);
  const withScenario = (test: (s: Scenario) => void) => () => {
    expect(scenario, 'the file holds no valid Scenario document').toBeDefined();
    if (scenario) test(scenario);
  };

  it('parses without an error', () => {
    expectNoProblems(errors);
  });

  it(
    'holds one Scenario named after its file, with a title, the situation and its lessons',
    withScenario((s) => {
      expect(s.name).toBe(name);
      expect(s.title.trim()).not.toBe('');
      expect(s.description.trim().length).toBeGreaterThan(100);
      expect(s.teaches.length).toBeGreaterThanOrEqual(2);
    }),
  );

  it(
    'tests allowed and denied flows, and uses every outside endpoint it declares',
    withScenario((s) => {
      expect(s.expectations.some((e) => e.allowed)).toBe(true);
      // Without any policy nothing can be denied (upstream-model is the blank canvas).
      if (cluster.policies.length > 0) expect(s.expectations.some((e) => !e.allowed)).toBe(true);
      const used = new Set(s.expectations.flatMap((e) => [e.from, e.to]).flatMap((side) => (side.kind === 'external' ? [side.name] : [])));
      expectNoProblems(cluster.externals.map((e) => e.name).filter((external) => !used.has(external)));
      if (cluster.externals.length > 0) expect(s.expectations.some((e) => e.from.kind === 'external')).toBe(true);
    }),
  );

  it('stays small, uses only TCP and UDP, and puts outside endpoints on documentation addresses', () => {
    expect(cluster.pods.length).toBeLessThanOrEqual(maxPods);
    const protocols = new Set<string>([
      ...(scenario?.expectations.map((e) => e.protocol) ?? []),
      ...cluster.pods.flatMap((p) => p.containers.flatMap((c) => c.ports.map((port) => port.protocol))),
      ...cluster.policies.flatMap((p) => [...p.ingress, ...p.egress].flatMap((rule) => rule.ports.map((port) => port.protocol))),
    ]);
    expectNoProblems([...protocols].filter((protocol) => !observableProtocols.includes(protocol)));
    const ranges = documentationRanges.map((text) => parseCidr(text));
    const outsideRanges = cluster.externals.filter((external) => {
      const ip = parseIp(external.ip);
      return ip === undefined || !ranges.some((range) => range !== undefined && isIpInCidr(ip, range));
    });
    expectNoProblems(outsideRanges.map((e) => `${e.name} ${e.ip}`));
  });

  it(
    'predicts every expectation on reference, except the documented broken ones, which fail',
    withScenario((s) => {
      const checks = checkExpectations(cluster, s);
      expectNoProblems(findFailures(checks, s.brokenExpectations));
      const brokenThatHold = checks.filter((c) => s.brokenExpectations.includes(c.id) && c.isMatch);
      expectNoProblems(brokenThatHold.flatMap((c) => describeMismatch(c, 'fail')));
      // A broken expectation must fail on its prediction, not because a side could not be resolved.
      expectNoProblems(checks.filter((c) => s.brokenExpectations.includes(c.id)).flatMap((c) => c.errors.map((e) => `${c.id}: ${e.message}`)));
    }),
  );

  const isExercise = (scenario?.brokenExpectations.length ?? 0) > 0;
  const hasOverrides = scenario?.expectations.some((e) => e.overrides.length > 0) ?? false;

  // Registered only where there is something to check, so every registered test can fail.
  if (isExercise || (scenario?.variants.length ?? 0) > 0) it(
    'passes every expectation in every variant',
    withScenario((s) => {
      if (isExercise) expect(s.variants.length, 'an exercise needs a variant that fixes it').toBeGreaterThan(0);
      for (const variant of s.variants) {
        expectNoProblems(findFailures(checkExpectations(variantCluster(cluster, s, variant.name), s)), `variant ${variant.name}`);
      }
    }),
  );

  if (hasOverrides) it(
    'gives each CNI override a known profile, a different outcome and a cited source',
    withScenario((s) => {
      const problems = s.expectations.flatMap((e) =>
        e.overrides.flatMap((o) => [
          ...(getCniProfile(o.cni) === undefined ? [`${e.id}: no CNI profile ${o.cni}`] : []),
          ...(o.allowed === e.allowed ? [`${e.id}: the ${o.cni} override repeats allowed=${String(e.allowed)}`] : []),
          ...(/cni-differences\.md/.test(o.reason) && /\[[A-Z]+\d+\]/.test(o.reason) && /https:\/\//.test(o.reason)
            ? []
            : [`${e.id}: the ${o.cni} reason does not cite cni-differences.md with a source id and URL`]),
        ]),
      );
      expectNoProblems(problems);
    }),
  );

  it(
    'holds under every enforcing CNI profile and every profile it overrides, base and variants',
    withScenario((s) => {
      // flannel enforces nothing, so every denial differs there; cni-drift documents that once, with overrides.
      const named = s.expectations.flatMap((e) => e.overrides.map((o) => o.cni));
      const profiles = listCniProfileNames().filter((p) => getCniProfile(p)?.enforcesPolicy === true || named.includes(p));
      const failures = profiles.flatMap((profile) => [
        ...findFailures(checkExpectations(cluster, s, { profile }), s.brokenExpectations),
        ...s.variants.flatMap((v) => findFailures(checkExpectations(variantCluster(cluster, s, v.name), s, { profile })).map((l) => `variant ${v.name}: ${l}`)),
      ]);
      expectNoProblems(failures);
    }),
  );

  if (isExercise) it(
    'lets lint point at the bug of an exercise: the fix removes a lint finding',
    withScenario((s) => {
      const base = lintFindings(cluster);
      for (const variant of s.variants) {
        const fixed = lintFindings(variantCluster(cluster, s, variant.name));
        expect(base.filter((finding) => !fixed.includes(finding)), `variant ${variant.name}`).not.toEqual([]);
      }
    }),
  );
});
