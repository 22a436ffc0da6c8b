// `rehearse generate`: expectations derived from the policies (just inside and just outside every rule, plus
// default-deny checks), printed as a scenario `expectations:` block to paste, or as JSON.
import { z } from 'zod';
import { generateExpectations, renderExpectationsYaml } from '../../policy/index.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import { addFileOption, addOutputOption, parseCommandOptions, requireFiles } from '../options.ts';
import { readManifests } from '../read-input.ts';

const optionsSchema = z.object({
  filename: z.array(z.string()).default([]),
  output: z.enum(['yaml', 'json']),
});

export const command: CommandModule = {
  description:
    'Generate test cases from the policies themselves: for every rule, a flow just inside it (a matching peer on\n' +
    'an allowed port) and just outside it (a neighbouring port or protocol, a peer one label away, the reverse\n' +
    'direction), plus a default-deny check for every isolated pod. Each case expects what the engine predicts\n' +
    'under the Kubernetes API semantics, so a sandbox that enforces faithfully passes them all; the output is an\n' +
    'expectations: block to paste into a scenario file and edit.',
  usage: 'generate -f PATH... [-o yaml|json]',
  examples: [
    {
      description: 'Expectations for the upstream model with one policy',
      command: 'rehearse generate -f test/fixtures/upstream-model.yaml -f test/fixtures/policies/allow-from-y.yaml',
    },
    { description: 'Append them to a scenario file', command: 'rehearse generate -f scenario.yaml >> generated-expectations.yaml' },
  ],
  configure(command) {
    addFileOption(command);
    addOutputOption(command, ['yaml', 'json'], 'yaml');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'generate');
    const files = requireFiles(options.filename, 'generate');
    const { io } = context;
    const { cluster } = await readManifests(io, files, { commandName: 'generate', isVerbose: context.isVerbose });
    const expectations = generateExpectations(cluster);
    if (options.output === 'json') {
      io.stdout.write(`${JSON.stringify({ expectations }, null, 2)}\n`);
    } else {
      io.stdout.write(renderExpectationsYaml(expectations));
    }
    const allowed = expectations.filter((e) => e.allowed).length;
    // The count goes to stderr so stdout stays exactly what can be pasted.
    io.stderr.write(
      `generated ${expectations.length} expectations (${allowed} allowed, ${expectations.length - allowed} denied) from ${cluster.policies.length} ${cluster.policies.length === 1 ? 'policy' : 'policies'}\n`,
    );
    return ExitCodes.ok;
  },
};
