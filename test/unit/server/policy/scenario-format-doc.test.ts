// The complete example in docs/scenario-format.md must stay a valid scenario.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyScenarioVariant, isScenarioVariantError, parseManifests } from '../../../../server/policy/index.ts';

const markdown = readFileSync(new URL('../../../../docs/scenario-format.md', import.meta.url), 'utf8');

function extractExample(): string {
  const start = markdown.indexOf('```yaml\n# Scenario:');
  const end = markdown.indexOf('```\n', start + 8);
  if (start < 0 || end < 0) throw new Error('docs/scenario-format.md lost its complete example');
  return markdown.slice(start + '```yaml\n'.length, end);
}

describe('docs/scenario-format.md', () => {
  it('its complete example parses with no issues, and its variant applies', () => {
    const result = parseManifests([{ file: 'shop-example.yaml', text: extractExample() }]);
    expect(result.issues).toEqual([]);
    expect(result.scenario?.expectations.map((e) => e.id)).toEqual(['web-to-api', 'web-to-api-pod', 'api-to-web', 'api-to-payments', 'api-dns', 'outside-to-web']);
    expect(result.scenario?.brokenExpectations).toEqual(['api-dns']);
    if (!result.scenario) throw new Error('scenario missing');
    const fixed = applyScenarioVariant(result.cluster, result.scenario, 'fixed');
    expect(isScenarioVariantError(fixed)).toBe(false);
  });
});
