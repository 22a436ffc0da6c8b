// The shared provider contract, run against the local (netns + nftables) provider on this host.
import { afterAll, beforeAll, describe } from 'vitest';
import { generateSandboxId } from '../../server/sandbox/local/names.ts';
import { describeProviderContract } from '../conformance/provider-contract.ts';
import { canRunPrivileged } from '../helpers/env.ts';
import { findLeftovers, makeTempHome, makeTestProvider } from './local-helpers.ts';

describe.runIf(canRunPrivileged())('local provider', () => {
  let home: Awaited<ReturnType<typeof makeTempHome>> | undefined;
  beforeAll(async () => {
    home = await makeTempHome('conformance');
  });
  afterAll(async () => {
    await home?.dispose();
  });

  describeProviderContract(
    'local',
    () => {
      if (home === undefined) throw new Error('state home not ready');
      return makeTestProvider(home.dir);
    },
    { cni: 'reference', makeId: generateSandboxId, findLeftovers: (record) => findLeftovers(record.id) },
  );
});
