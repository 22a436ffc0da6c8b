// When a sandbox is stale: decided from the record and three facts, so the reaper never needs the creator.
import { describe, expect, it } from 'vitest';
import type { SandboxRecord } from '../../../../../server/sandbox/contract.ts';
import { findStaleReason } from '../../../../../server/sandbox/local/reconcile.ts';

const now = new Date('2026-01-01T12:00:00Z');

function makeRecord(overrides: Partial<SandboxRecord>): SandboxRecord {
  return {
    id: 'sb-0123abcd',
    provider: 'local',
    cni: 'reference',
    owner: 'qa',
    createdAt: '2026-01-01T11:50:00Z',
    expiresAt: '2026-01-01T12:20:00Z',
    status: 'ready',
    providerState: {},
    ...overrides,
  };
}

const live = { now, isCreatorAlive: true, hasRouterNetns: true };

describe('findStaleReason', () => {
  it('leaves a ready sandbox before its expiry alone, even after its creator exited', () => {
    expect(findStaleReason(makeRecord({}), { ...live, isCreatorAlive: false })).toBeUndefined();
  });

  it('reaps any sandbox past its expiry', () => {
    for (const status of ['ready', 'provisioning', 'expiring', 'failed'] as const) {
      expect(findStaleReason(makeRecord({ status, expiresAt: '2026-01-01T11:59:59Z' }), live)).toBe('expired');
    }
  });

  it('reaps a half-built sandbox whose creator is gone (kill -9 mid-creation)', () => {
    expect(findStaleReason(makeRecord({ status: 'provisioning' }), { ...live, isCreatorAlive: false })).toBe('half-built');
  });

  it('does not touch a sandbox still being built by a live creator', () => {
    expect(findStaleReason(makeRecord({ status: 'provisioning' }), { ...live, hasRouterNetns: false })).toBeUndefined();
  });

  it('cleans up after a failed creation and after namespaces vanished', () => {
    expect(findStaleReason(makeRecord({ status: 'failed' }), live)).toBe('failed');
    expect(findStaleReason(makeRecord({ status: 'ready' }), { ...live, hasRouterNetns: false })).toBe('vanished');
  });

  it('never reaps a destroyed record again', () => {
    expect(findStaleReason(makeRecord({ status: 'destroyed', expiresAt: '2020-01-01T00:00:00Z' }), live)).toBeUndefined();
  });
});
