// Which ports the matrix can be drawn for: every port a workload or external endpoint declares, the most
// widely served first (that is the port most flows are about), with the names pods give it.

export interface PortedEndpoint {
  readonly isSystem?: boolean;
  readonly ports: readonly { readonly name?: string; readonly port: number; readonly protocol: 'TCP' | 'UDP' | 'SCTP' }[];
}

export interface PortChoice {
  /** `8080/TCP`: the select's value. */
  readonly value: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  /** `8080/TCP · http (5 pods)`. */
  readonly label: string;
  readonly endpointCount: number;
}

export function listPortChoices(endpoints: readonly PortedEndpoint[]): PortChoice[] {
  const byValue = new Map<string, { port: number; protocol: 'TCP' | 'UDP' | 'SCTP'; names: Set<string>; count: number }>();
  for (const endpoint of endpoints) {
    // The cluster DNS serves 53 to everyone; it is not what a user's matrix is about.
    if (endpoint.isSystem === true) continue;
    const seen = new Set<string>();
    for (const port of endpoint.ports) {
      const value = `${port.port}/${port.protocol}`;
      const entry = byValue.get(value) ?? { port: port.port, protocol: port.protocol, names: new Set<string>(), count: 0 };
      byValue.set(value, entry);
      if (port.name !== undefined && port.name !== '') entry.names.add(port.name);
      if (!seen.has(value)) {
        seen.add(value);
        entry.count += 1;
      }
    }
  }
  return [...byValue.entries()]
    .map(([value, entry]) => {
      const names = [...entry.names].sort().join(', ');
      const served = `${entry.count} endpoint${entry.count === 1 ? '' : 's'}`;
      return { value, port: entry.port, protocol: entry.protocol, endpointCount: entry.count, label: names === '' ? `${value} (${served})` : `${value} · ${names} (${served})` };
    })
    .sort((a, b) => b.endpointCount - a.endpointCount || a.port - b.port || a.protocol.localeCompare(b.protocol));
}
