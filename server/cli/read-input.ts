// -f paths to a Cluster for engine commands: read the sources (files, directories, stdin), parse them, print
// every issue to stderr. Error-severity issues stop the command (exit 2), unless the caller reports them itself.
import { loadSources } from '../scenario/load-sources.ts';
import type { LoadSourcesResult } from '../scenario/load-sources.ts';
import { parseManifests } from '../policy/index.ts';
import type { Cluster, Issue, Scenario } from '../policy/index.ts';
import { CliError, CliErrorCodes } from './cli-error.ts';
import type { CliIo } from './io.ts';
import { formatIssue } from './output/issues.ts';

export interface ReadManifestsOptions {
  readonly commandName: string;
  /**
   * True for `lint`: problems come back to be reported as findings, nothing is printed and nothing stops.
   * Otherwise warnings print and errors end the command with exit 2.
   */
  readonly isCollectingIssues?: boolean;
  /** -v: say on stderr what was read (files, object counts). */
  readonly isVerbose?: boolean;
}

export interface ManifestInput {
  readonly cluster: Cluster;
  readonly scenario?: Scenario;
  /** Read and parse issues, in the order found. */
  readonly issues: readonly Issue[];
}

/** Read -f paths (files, directories, `-` for stdin once) without parsing, so one read can feed two parses. */
export async function readSources(io: CliIo, files: readonly string[]): Promise<LoadSourcesResult> {
  return loadSources(files, { stdin: io.stdin });
}

export async function readManifests(io: CliIo, files: readonly string[], options: ReadManifestsOptions): Promise<ManifestInput> {
  return parseSources(io, await readSources(io, files), options);
}

export function parseSources(io: CliIo, loaded: LoadSourcesResult, options: ReadManifestsOptions): ManifestInput {
  const parsed = parseManifests(loaded.sources);
  if (options.isVerbose === true) {
    const { cluster } = parsed;
    const files = loaded.sources.map((source) => source.file);
    io.stderr.write(
      io.stderr.colour.dim(
        `read ${files.length} ${files.length === 1 ? 'file' : 'files'} (${files.join(', ')}): ${cluster.namespaces.length} namespaces, ` +
          `${cluster.pods.length} pods, ${cluster.services.length} services, ${cluster.externals.length} external endpoints, ` +
          `${cluster.policies.length} NetworkPolicies${parsed.ignored.length > 0 ? `; ignored ${parsed.ignored.map((o) => `${o.kind} ${o.name}`).join(', ')}` : ''}`,
      ) + '\n',
    );
  }
  const issues = [...loaded.issues, ...parsed.issues];
  const input: ManifestInput = {
    cluster: parsed.cluster,
    ...(parsed.scenario === undefined ? {} : { scenario: parsed.scenario }),
    issues,
  };
  if (options.isCollectingIssues === true) return input;
  reportInputIssues(io, issues, { commandName: options.commandName, isVerbose: options.isVerbose === true });
  return input;
}

/**
 * Print warnings and errors (info notes only with -v); throw (exit 2) when one is an error, so nothing is
 * evaluated from a half-read input.
 */
export function reportInputIssues(io: CliIo, issues: readonly Issue[], options: { readonly commandName: string; readonly isVerbose: boolean }): void {
  const commandName = options.commandName;
  for (const issue of issues) {
    if (issue.severity !== 'info' || options.isVerbose) io.stderr.write(formatIssue(issue, io.stderr.colour));
  }
  const errors = issues.filter((issue) => issue.severity === 'error').length;
  if (errors > 0) {
    throw new CliError(CliErrorCodes.invalidInput, `${errors} ${errors === 1 ? 'error' : 'errors'} in the input; nothing was evaluated`, {
      hints: [`Fix the problems above (rehearse lint -f ... lists them all), then run rehearse ${commandName} again.`],
    });
  }
}
