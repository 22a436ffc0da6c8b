// The canned scenarios as the API offers them: listed with titles, shown with their YAML and counts, and loaded
// as manifest sources for a new sandbox. Names only (DNS labels): a request never names a path on this host.
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { scenarioSummarySchema, scenarioViewSchema } from '../api/protocol/schemas.ts';
import { parseManifests } from '../policy/index.ts';
import type { ManifestSource } from '../policy/index.ts';
import { findScenario, listScenarios } from '../scenario/scenario-library.ts';
import { ServiceError, ServiceErrorCodes } from './service-error.ts';

export type ScenarioSummary = z.infer<typeof scenarioSummarySchema>;
export type ScenarioView = z.infer<typeof scenarioViewSchema>;

export interface ScenarioCatalog {
  list(): ScenarioSummary[];
  show(name: string): Promise<ScenarioView>;
  /** The scenario file as a manifest source named `scenarios/<name>.yaml`. */
  load(name: string): Promise<ManifestSource>;
}

export function createScenarioCatalog(options: { readonly dir?: string } = {}): ScenarioCatalog {
  const load = async (name: string): Promise<ManifestSource> => {
    const file = findScenario(name, options.dir);
    if (file === undefined || name.includes('/')) {
      const known = listScenarios(options.dir).map((scenario) => scenario.name);
      throw new ServiceError(ServiceErrorCodes.scenarioNotFound, `there is no scenario "${name}"; known scenarios: ${known.join(', ') || 'none'}`);
    }
    return { file: `scenarios/${name}.yaml`, text: await readFile(file, 'utf8') };
  };
  return {
    list: () => listScenarios(options.dir).map((scenario) => ({ name: scenario.name, title: scenario.title, description: scenario.description })),
    load,
    async show(name) {
      const source = await load(name);
      const parsed = parseManifests([source]);
      const summary = listScenarios(options.dir).find((scenario) => scenario.name === name);
      return {
        name,
        title: parsed.scenario?.title ?? summary?.title ?? '',
        description: parsed.scenario?.description ?? summary?.description ?? '',
        teaches: [...(parsed.scenario?.teaches ?? [])],
        yaml: source.text,
        expectations: parsed.scenario?.expectations.length ?? 0,
        pods: parsed.cluster.pods.filter((pod) => !pod.isSystem).length,
        policies: parsed.cluster.policies.length,
      };
    },
  };
}
