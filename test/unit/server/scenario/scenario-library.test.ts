// The scenario library: listing `scenarios/*.yaml` with titles, and finding a scenario by name or path safely.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultScenarioDir, findScenario, listScenarios } from '../../../../server/scenario/scenario-library.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rehearsal-lib-'));
  await writeFile(join(dir, 'b-second.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\napiVersion: rehearsal.dev/v1alpha1\nkind: Scenario\nmetadata: {name: b-second}\nspec:\n  title: Second\n  description: |\n    Two lines\n    here.\n');
  await writeFile(join(dir, 'a-first.yaml'), 'apiVersion: rehearsal.dev/v1alpha1\nkind: Scenario\nmetadata: {name: a-first}\nspec: {title: First}\n');
  await writeFile(join(dir, 'broken.yaml'), 'kind: [\n');
  await writeFile(join(dir, 'notes.md'), '# not a scenario\n');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('listScenarios', () => {
  it('lists <name>.yaml files sorted, with title and description; a file without a readable Scenario has an empty title', () => {
    expect(listScenarios(dir)).toEqual([
      { name: 'a-first', title: 'First', description: '', file: join(dir, 'a-first.yaml') },
      { name: 'b-second', title: 'Second', description: 'Two lines\nhere.', file: join(dir, 'b-second.yaml') },
      { name: 'broken', title: '', description: '', file: join(dir, 'broken.yaml') },
    ]);
  });

  it('a missing directory lists nothing', () => {
    expect(listScenarios(join(dir, 'nope'))).toEqual([]);
  });

  it('the default directory is <repo>/scenarios, found from the module location', () => {
    expect(defaultScenarioDir.endsWith('/scenarios')).toBe(true);
    expect(listScenarios().every((s) => s.file.startsWith(defaultScenarioDir))).toBe(true);
  });
});

describe('findScenario', () => {
  it('finds by library name', () => {
    expect(findScenario('a-first', dir)).toBe(join(dir, 'a-first.yaml'));
  });

  it('finds by path', () => {
    expect(findScenario(join(dir, 'b-second.yaml'), dir)).toBe(join(dir, 'b-second.yaml'));
  });

  it.each([['nope'], ['../etc/passwd'], ['A-First'], ['a-first/..'], ['./no-such-scenario.yaml']])('returns undefined for %j', (text) => {
    expect(findScenario(text, dir)).toBeUndefined();
  });
});
