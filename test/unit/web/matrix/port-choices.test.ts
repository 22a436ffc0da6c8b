import { describe, expect, it } from 'vitest';
import { listPortChoices } from '../../../../web/src/matrix/port-choices.ts';

describe('listPortChoices', () => {
  it('offers the most widely served port first, with its names, and leaves system pods out', () => {
    const choices = listPortChoices([
      { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
      { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }] },
      { ports: [{ name: 'postgres', port: 5432, protocol: 'TCP' }] },
      { isSystem: true, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] },
    ]);
    expect(choices.map((c) => c.value)).toEqual(['8080/TCP', '5432/TCP', '9090/TCP']);
    expect(choices[0]?.label).toBe('8080/TCP · http (2 endpoints)');
  });

  it('counts an endpoint once per port even when it lists it twice', () => {
    const choices = listPortChoices([{ ports: [{ port: 53, protocol: 'UDP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }]);
    expect(choices).toEqual([{ value: '53/UDP', port: 53, protocol: 'UDP', endpointCount: 1, label: '53/UDP · dns (1 endpoint)' }]);
  });
});
