// `rehearse drift`: the same manifests under several CNI profiles ("worked in staging, failed in production"),
// printing only the flows whose outcome differs, each with the documented CNI difference and its source.
import type { CommandModule } from '../command.ts';
import { configureTestOptions, runTestCommand } from './test.ts';

export const command: CommandModule = {
  description:
    'Run the same manifests under several CNI profiles (one sandbox each, real packets) and print the flows whose\n' +
    'outcome differs between them, each with the documented difference of the CNI that explains it and its source.\n' +
    'Takes the options of rehearse test; the reports (--json) include the drift report.\n\n' +
    'Exit 0 when every difference is documented and every run agrees with its prediction; 1 when a difference is\n' +
    'undocumented, a run drifted from its own prediction or a probe failed, or (with --exit-code) when any flow\n' +
    'differs at all; 2 input error; 3 environment/provider error or interrupted.',
  usage: 'drift [-f PATH...] [--scenario NAME|FILE] --cni a,b,... [--matrix] [--generated] [--json FILE] [--exit-code]',
  examples: [
    { description: 'What changes when the cni-drift scenario moves from the API reference to Cilium and flannel', command: 'rehearse drift --scenario cni-drift --cni reference,cilium,flannel' },
    { description: 'Fail a pipeline when staging (flannel) and production (calico) would disagree', command: 'rehearse drift -f k8s/ --scenario my-app.yaml --cni flannel,calico --exit-code' },
  ],
  handlesInterrupt: true,
  configure(command) {
    configureTestOptions(command, { cni: 'reference,cilium,flannel', failOn: 'drift' });
    command.option('--exit-code', 'exit 1 when any flow differs between the CNIs (like git diff --exit-code)');
  },
  run(context) {
    return runTestCommand(context, 'drift');
  },
};
