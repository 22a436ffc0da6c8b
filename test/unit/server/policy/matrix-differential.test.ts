// Differential test: the grouped matrix must equal pair-by-pair evaluation for random clusters, policies and profiles.
import { describe, expect, it } from 'vitest';
import { createEvaluator } from '../../../../server/policy/evaluate.ts';
import { computeMatrix, listMatrixCells } from '../../../../server/policy/matrix.ts';
import type { MatrixCell, MatrixOptions } from '../../../../server/policy/matrix.ts';
import type { Cluster, EndpointRef, FlowResult } from '../../../../server/policy/model.ts';
import { makeRandomCluster } from '../../../helpers/builders.ts';

function refOf(key: string): EndpointRef {
  if (key.startsWith('external/')) return { kind: 'external', name: key.slice('external/'.length) };
  const [namespace = '', name = ''] = key.split('/');
  return { kind: 'pod', namespace, name };
}

/** What a cell and a pairwise verdict must agree on, as one comparable value. */
function summarizeResult(result: FlowResult): unknown {
  if (!result.ok) return { error: result.error.code, isAllowed: false };
  const v = result.verdict;
  return {
    isAllowed: v.isAllowed,
    egress: [v.egress.outcome, v.egress.isolatingPolicies, v.egress.allowedBy],
    ingress: [v.ingress.outcome, v.ingress.isolatingPolicies, v.ingress.allowedBy],
    notes: v.profileNotes.map((n) => n.difference).sort(),
  };
}

function summarizeCell(cell: MatrixCell): unknown {
  const d = cell.deciding;
  if (d.error !== undefined) return { error: d.error.code, isAllowed: cell.isAllowed };
  return {
    isAllowed: cell.isAllowed,
    egress: [d.egress?.outcome, d.egress?.isolatingPolicies, d.egress?.allowedBy],
    ingress: [d.ingress?.outcome, d.ingress?.isolatingPolicies, d.ingress?.allowedBy],
    notes: d.profileNotes.map((n) => n.difference).sort(),
  };
}

/** Compares every cell with a fresh pair-by-pair evaluation; returns how many cells were checked and denied. */
function assertMatrixEqualsPairwise(cluster: Cluster, options: MatrixOptions): { checked: number; denied: number } {
  const matrix = computeMatrix(cluster, options);
  const evaluator = createEvaluator(cluster, options.profile === undefined ? {} : { profile: options.profile });
  const differences: string[] = [];
  let checked = 0;
  let denied = 0;
  for (const cell of listMatrixCells(matrix)) {
    const result = evaluator.evaluate({ from: refOf(cell.from), to: refOf(cell.to), port: cell.port, protocol: cell.protocol });
    const expected = JSON.stringify(summarizeResult(result));
    const actual = JSON.stringify(summarizeCell(cell));
    if (expected !== actual) differences.push(`${cell.from} → ${cell.to} ${cell.port}/${cell.protocol} [${matrix.profile}]\n  pairwise ${expected}\n  matrix   ${actual}`);
    if (cell.isLoopback !== (cell.from === cell.to)) differences.push(`${cell.from} → ${cell.to}: isLoopback ${cell.isLoopback}`);
    checked++;
    if (!cell.isAllowed) denied++;
  }
  expect(differences.slice(0, 5)).toEqual([]);
  return { checked, denied };
}

const profiles = ['reference', 'cilium', 'cilium-1.15', 'weave', 'ovn-kubernetes', 'flannel'];

describe('computeMatrix equals pair-by-pair evaluateFlow (randomized, seeded)', () => {
  it('matches on 150 random clusters across profiles, with every declared port', () => {
    let cells = 0;
    let denied = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const cluster = makeRandomCluster({ seed, namespaces: 3, pods: 10, policies: 5, externals: 3 });
      const profile = profiles[seed % profiles.length] ?? 'reference';
      const counts = assertMatrixEqualsPairwise(cluster, { profile });
      cells += counts.checked;
      denied += counts.denied;
    }
    // The generator must exercise both outcomes, or the comparison proves nothing.
    expect(cells).toBeGreaterThan(3000);
    expect(denied).toBeGreaterThan(300);
  });

  it('matches with a fixed numeric port, a port name and a protocol filter', () => {
    for (let seed = 100; seed < 130; seed++) {
      const cluster = makeRandomCluster({ seed, namespaces: 4, pods: 12, policies: 6 });
      assertMatrixEqualsPairwise(cluster, { port: 80 });
      assertMatrixEqualsPairwise(cluster, { port: 'http', profile: 'ovn-kubernetes' });
      assertMatrixEqualsPairwise(cluster, { protocol: 'UDP', profile: 'cilium' });
      assertMatrixEqualsPairwise(cluster, { port: 443, protocol: 'SCTP', profile: 'weave' });
    }
  });

  it('matches on larger clusters where grouping shares many evaluations', () => {
    for (let seed = 200; seed < 205; seed++) {
      const cluster = makeRandomCluster({ seed, namespaces: 5, pods: 60, policies: 12, externals: 4 });
      const matrix = computeMatrix(cluster);
      expect(matrix.stats.directionEvaluations).toBeLessThan(matrix.stats.cells * 2);
      assertMatrixEqualsPairwise(cluster, {});
    }
  });
});
