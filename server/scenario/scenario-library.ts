// The canned scenario library: `scenarios/<name>.yaml` files, listed with their titles and found by name or path.
// Listing reads only each file's Scenario document; full validation is parseManifests' job (and the golden tests').

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateDnsLabel } from '../policy/index.ts';

export interface ScenarioSummary {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly file: string;
}

/** `<repo>/scenarios`, found from this module's own location so it works from any working directory. */
export const defaultScenarioDir = resolve(import.meta.dirname, '..', '..', 'scenarios');

const scenarioFilePattern = /\.ya?ml$/;
/** Library files are small; a bigger one is not a scenario and is not read for its title. */
const maxScenarioFileBytes = 5 * 1024 * 1024;

function readScenarioHeader(file: string): { title: string; description: string } {
  if (statSync(file).size > maxScenarioFileBytes) return { title: '', description: '' };
  const text = readFileSync(file, 'utf8');
  for (const doc of parseAllDocuments(text, { version: '1.1' })) {
    if (doc.errors.length > 0) continue;
    if (doc.get('kind') !== 'Scenario') continue;
    const title = doc.getIn(['spec', 'title']);
    const description = doc.getIn(['spec', 'description']);
    return { title: typeof title === 'string' ? title : '', description: typeof description === 'string' ? description.trim() : '' };
  }
  return { title: '', description: '' };
}

/** Every `<name>.yaml` in `dir`, sorted by name; a file without a readable Scenario document is listed with an empty title. */
export function listScenarios(dir: string = defaultScenarioDir): ScenarioSummary[] {
  if (!existsSync(dir)) return [];
  const summaries: ScenarioSummary[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (!scenarioFilePattern.test(entry)) continue;
    const file = join(dir, entry);
    if (!statSync(file).isFile()) continue;
    const name = entry.replace(scenarioFilePattern, '');
    summaries.push({ name, ...readScenarioHeader(file), file });
  }
  return summaries;
}

/**
 * A scenario file by library name (`three-tier`) or by path (`./my-scenario.yaml`). Names are DNS labels, so
 * `../etc/passwd` is never looked up inside the library; a path must name an existing file.
 */
export function findScenario(nameOrPath: string, dir: string = defaultScenarioDir): string | undefined {
  const isPath = nameOrPath.includes('/') || scenarioFilePattern.test(nameOrPath) || nameOrPath.endsWith('.json');
  if (isPath) {
    const file = resolve(nameOrPath);
    return existsSync(file) && statSync(file).isFile() ? file : undefined;
  }
  if (validateDnsLabel(nameOrPath).length > 0) return undefined;
  for (const extension of ['.yaml', '.yml']) {
    const file = join(dir, `${nameOrPath}${extension}`);
    if (existsSync(file) && statSync(file).isFile() && basename(file) === `${nameOrPath}${extension}`) return file;
  }
  return undefined;
}
