// compareProfiles: the flows whose outcome differs between CNIs, each with the documented difference of the CNI
// that departs from the API reference, and undocumented differences flagged.
import { describe, expect, it } from 'vitest';
import { compareProfiles, planRun, startRun } from '../../../../server/probe/index.ts';
import type { CompletedRun, RunPlan } from '../../../../server/probe/index.ts';
import type { ProbeOutcome } from '../../../../server/sandbox/contract.ts';
import { createFakeHandle, loadFixture } from './fake-sandbox.ts';

const drift = loadFixture('scenarios/cni-drift.yaml');

/** A sandbox that enforces exactly what the profile predicts (the local provider's promise), or `override` says. */
async function runUnder(cni: string, override?: (plan: RunPlan, id: string) => ProbeOutcome | undefined): Promise<CompletedRun> {
  const plan = planRun(drift.cluster, drift.scenario, { kind: 'expectations' }, { profile: cni });
  const handle = createFakeHandle({
    cluster: drift.cluster,
    cni,
    script: (request) => ({ outcome: override?.(plan, request.id) ?? plan.probes.find((probe) => probe.request.id === request.id.replace(/~retry$/, ''))?.predicted ?? 'error' }),
  });
  return startRun(handle, plan, { runId: `run-${cni}`, settleMs: 0 }).done;
}

function overriddenFor(cni: string): string[] {
  return (drift.scenario?.expectations ?? []).filter((expectation) => expectation.overrides.some((override) => override.cni === cni)).map((expectation) => expectation.id).sort();
}

describe('compareProfiles', () => {
  it('reference vs cilium: exactly the flows where ipBlock covers pod IPs, citing the Cilium difference', async () => {
    const report = compareProfiles([await runUnder('reference'), await runUnder('cilium')]);
    expect([...new Set(report.flows.map((flow) => flow.expectationId ?? ''))].sort()).toEqual(overriddenFor('cilium'));
    expect(report.undocumented).toBe(0);
    for (const flow of report.flows) {
      expect(flow.outcomes.map((outcome) => `${outcome.cni}=${outcome.observed}`)).toEqual(['reference=allowed', 'cilium=denied']);
      expect(flow.reasons).toContainEqual(expect.objectContaining({ cni: 'cilium', kind: 'profile', difference: 'ipblock-ignores-pod-ips', source: expect.stringContaining('docs.cilium.io') }));
      expect(flow.reasons.every((reason) => reason.cni === 'cilium')).toBe(true);
    }
  });

  it('reference vs flannel: exactly the denials, citing no enforcement', async () => {
    const report = compareProfiles([await runUnder('reference'), await runUnder('flannel')]);
    expect([...new Set(report.flows.map((flow) => flow.expectationId ?? ''))].sort()).toEqual(overriddenFor('flannel'));
    for (const flow of report.flows) {
      expect(flow.reasons).toContainEqual(expect.objectContaining({ cni: 'flannel', difference: 'no-enforcement', source: expect.stringContaining('flannel-io/flannel') }));
      expect(flow.isDocumented).toBe(true);
    }
  });

  it('cilium reasons are not cited for a flow where only flannel departs from the reference', async () => {
    const report = compareProfiles([await runUnder('reference'), await runUnder('cilium'), await runUnder('flannel')]);
    const patroni = report.flows.find((flow) => flow.expectationId === 'exporter-to-patroni');
    expect(patroni?.reasons.map((reason) => `${reason.cni}:${reason.kind}`)).toEqual(['flannel:profile', 'flannel:scenario']);
  });

  it('flags a difference no profile documents', async () => {
    const report = compareProfiles([
      await runUnder('reference'),
      await runUnder('calico', (plan, id) => (plan.probes.find((probe) => probe.request.id === id.replace(/~retry$/, ''))?.expectationId === 'db-to-object-storage' ? 'denied' : undefined)),
    ]);
    expect(report.flows.map((flow) => flow.expectationId)).toEqual(['db-to-object-storage', 'db-to-object-storage']);
    expect(report.flows.every((flow) => !flow.isDocumented)).toBe(true);
    expect(report.undocumented).toBe(2);
  });

  it('compares nothing when every CNI agrees, and ignores outcomes that prove nothing', async () => {
    const same = compareProfiles([await runUnder('reference'), await runUnder('calico')]);
    expect(same.flows).toEqual([]);
    expect(same.compared).toBe(22);
    const errored = compareProfiles([await runUnder('reference'), await runUnder('flannel', () => 'error')]);
    expect(errored.compared).toBe(0);
  });
});
