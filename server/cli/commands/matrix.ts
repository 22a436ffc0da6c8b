// `rehearse matrix`: the predicted connectivity of every source to every target port, as truth tables or JSON.
import { z } from 'zod';
import { computeMatrix, listMatrixCells, summarizeDecision } from '../../policy/index.ts';
import type { MatrixOptions, MatrixResult } from '../../policy/index.ts';
import type { CommandModule } from '../command.ts';
import { ExitCodes } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import {
  addCniOption,
  addFileOption,
  addOutputOption,
  addPortOptions,
  parseCommandOptions,
  parsePortFilter,
  protocolSchema,
  requireFiles,
  resolveCniProfile,
} from '../options.ts';
import { renderTruthTableLegend, renderTruthTables } from '../output/truth-table.ts';
import { readManifests } from '../read-input.ts';

const optionsSchema = z.object({
  filename: z.array(z.string()).default([]),
  port: z.string().optional(),
  protocol: protocolSchema.optional(),
  cni: z.string(),
  output: z.enum(['table', 'json']),
  includeSystem: z.boolean().optional(),
});

/** The JSON document `-o json` prints: one object, `results` holding every flow. */
export function describeMatrixJson(matrix: MatrixResult): Record<string, unknown> {
  const results = [...listMatrixCells(matrix)].map((cell) => {
    const summary = summarizeDecision(cell.deciding);
    return {
      from: cell.from,
      to: cell.to,
      port: cell.port,
      ...(cell.portName === undefined ? {} : { portName: cell.portName }),
      protocol: cell.protocol,
      // A flow the engine cannot form (no address in the family) is neither allowed nor denied.
      predicted: cell.deciding.error !== undefined ? 'not-evaluated' : cell.isAllowed ? 'allowed' : 'denied',
      isLoopback: cell.isLoopback,
      decidedBy: summary.decidedBy,
      summary: summary.text,
      ...(cell.deciding.profileNotes.length > 0 ? { profileNotes: cell.deciding.profileNotes } : {}),
      ...(cell.deciding.error === undefined ? {} : { error: cell.deciding.error }),
    };
  });
  return {
    profile: matrix.profile,
    sources: matrix.sources.map((s) => s.key),
    targets: matrix.targets.map((t) => t.key),
    results,
    stats: matrix.stats,
  };
}

function printTables(io: CliIo, matrix: MatrixResult): void {
  const colour = io.stdout.colour;
  const { text, counts } = renderTruthTables(matrix, colour);
  io.stdout.write(`${colour.dim(`profile ${matrix.profile}`)}\n\n${text}`);
  io.stdout.write(renderTruthTableLegend(colour));
  const skipped = counts.notEvaluated > 0 ? `, ${counts.notEvaluated} not evaluated` : '';
  io.stdout.write(`${counts.allowed + counts.denied + counts.notEvaluated} flows: ${counts.allowed} allowed, ${counts.denied} denied${skipped}\n`);
}

export const command: CommandModule = {
  description:
    'Predict the connectivity matrix of a set of manifests: every source (pods, external endpoints) to every\n' +
    'target port, as the Kubernetes API semantics (or a CNI profile) decide it. One truth table per\n' +
    'port/protocol, as the upstream e2e suite prints them. No sandbox needed.',
  usage: 'matrix -f PATH... [--port PORT] [--protocol TCP|UDP|SCTP] [--cni NAME] [-o table|json] [--include-system]',
  examples: [
    { description: 'Truth tables for every declared port of the upstream e2e model', command: 'rehearse matrix -f test/fixtures/upstream-model.yaml' },
    {
      description: 'Only 80/TCP, with a deny-all policy applied',
      command: 'rehearse matrix -f test/fixtures/upstream-model.yaml -f test/fixtures/policies/deny-all-x.yaml --port 80',
    },
    { description: 'As Cilium enforces it, as JSON for scripts', command: 'rehearse matrix -f manifests/ --cni cilium -o json' },
    { description: 'Policies piped from a cluster, with the topology from a file', command: 'kubectl get netpol -A -o yaml | rehearse matrix -f topology.yaml -f -' },
  ],
  configure(command) {
    addFileOption(command);
    addPortOptions(command, 'only this target port (a number, or a container port name); default: every declared port');
    addCniOption(command);
    addOutputOption(command, ['table', 'json'], 'table');
    command.option('--include-system', 'include system pods (the cluster DNS) as rows and columns');
  },
  async run(context) {
    const options = parseCommandOptions(optionsSchema, context.options, 'matrix');
    const files = requireFiles(options.filename, 'matrix');
    const profile = resolveCniProfile(options.cni);
    const portFilter = parsePortFilter(options);
    const { cluster } = await readManifests(context.io, files, { commandName: 'matrix', isVerbose: context.isVerbose });
    const matrixOptions: MatrixOptions = {
      profile,
      includeSystem: options.includeSystem === true,
      ...portFilter,
    };
    const matrix = computeMatrix(cluster, matrixOptions);
    if (options.output === 'json') {
      context.io.stdout.write(`${JSON.stringify(describeMatrixJson(matrix), null, 2)}\n`);
    } else {
      printTables(context.io, matrix);
    }
    return ExitCodes.ok;
  },
};
