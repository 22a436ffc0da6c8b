// The terminal's command language: one line in, one typed command (or what is wrong with it and the usage) out.
// Pure; the commands' descriptions here are what `help` prints and what Tab completes.

export const protocolNames = ['TCP', 'UDP', 'SCTP'] as const;
export type TerminalProtocol = (typeof protocolNames)[number];

export const runKinds = ['expectations', 'matrix', 'generated'] as const;
export type TerminalRunKind = (typeof runKinds)[number];

export type TerminalCommand =
  | { readonly name: 'help'; readonly topic?: string }
  | { readonly name: 'pods' }
  | { readonly name: 'services' }
  | { readonly name: 'policies' }
  | { readonly name: 'apply' }
  | { readonly name: 'delete-policy'; readonly policy: string }
  | { readonly name: 'label-pod'; readonly pod: string; readonly labels: Readonly<Record<string, string | null>> }
  | { readonly name: 'probe'; readonly from: string; readonly to: string; readonly port: number | string; readonly protocol: TerminalProtocol }
  | { readonly name: 'matrix'; readonly port?: number | string; readonly protocol?: TerminalProtocol }
  | { readonly name: 'explain'; readonly from: string; readonly to: string; readonly port: number | string; readonly protocol: TerminalProtocol }
  | { readonly name: 'run'; readonly kind: TerminalRunKind }
  | { readonly name: 'watch' }
  | { readonly name: 'ttl' }
  | { readonly name: 'ttl-extend'; readonly seconds: number; readonly text: string }
  | { readonly name: 'rules' }
  | { readonly name: 'clear' };

export type ParsedLine =
  | { readonly kind: 'empty' }
  | { readonly kind: 'command'; readonly command: TerminalCommand }
  | { readonly kind: 'error'; readonly message: string; readonly usage?: string };

export interface CommandSpec {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
}

export const commandSpecs: readonly CommandSpec[] = [
  { name: 'help', usage: 'help [COMMAND]', summary: 'list the commands, or explain one' },
  { name: 'pods', usage: 'pods', summary: 'pods with their addresses, labels and ports' },
  { name: 'services', usage: 'services', summary: 'services with their ClusterIPs and ports' },
  { name: 'policies', usage: 'policies', summary: 'the NetworkPolicies in force' },
  { name: 'apply', usage: 'apply', summary: 'paste NetworkPolicy YAML, end with a line ---end (Ctrl-C aborts)' },
  { name: 'delete', usage: 'delete policy [NS/]NAME', summary: 'remove a policy' },
  { name: 'label', usage: 'label pod NS/NAME KEY=VALUE... [KEY-]...', summary: 'set (or, with KEY-, remove) pod labels' },
  { name: 'probe', usage: 'probe FROM TO PORT[/PROTO]', summary: 'send one probe and show all three views' },
  { name: 'matrix', usage: 'matrix [PORT[/PROTO]]', summary: 'who can reach whom: prediction, with intent and observation marks' },
  { name: 'explain', usage: 'explain FROM TO PORT[/PROTO]', summary: 'which policy and rule decide one flow, and why' },
  { name: 'run', usage: 'run expectations|matrix|generated', summary: 'probe live; results stream as they complete (Ctrl-C cancels)' },
  { name: 'watch', usage: 'watch', summary: "every probe result and policy change, from any client (Ctrl-C stops)" },
  { name: 'ttl', usage: 'ttl | ttl extend 15m', summary: 'time left, or extend it' },
  { name: 'rules', usage: 'rules', summary: "the dataplane's compiled ruleset" },
  { name: 'clear', usage: 'clear', summary: 'clear the screen (Ctrl-L)' },
];

export function findCommandSpec(name: string): CommandSpec | undefined {
  return commandSpecs.find((spec) => spec.name === name);
}

const endpointPattern = /^[a-z0-9][-a-z0-9.]*(\/[a-z0-9][-a-z0-9.]*){1,2}$/;
const labelKeyPattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** `80`, `80/TCP`, `http`, `dns/udp` → port and protocol (TCP unless given). */
export function parsePortSpec(text: string): { readonly port: number | string; readonly protocol: TerminalProtocol } | undefined {
  const [portText, protocolText, extra] = text.split('/');
  if (portText === undefined || portText === '' || extra !== undefined) return undefined;
  const protocol = protocolText === undefined ? 'TCP' : protocolNames.find((name) => name === protocolText.toUpperCase());
  if (protocol === undefined) return undefined;
  if (/^\d{1,5}$/.test(portText)) {
    const port = Number(portText);
    return port >= 1 && port <= 65535 ? { port, protocol } : undefined;
  }
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(portText) && portText.length <= 15 ? { port: portText, protocol } : undefined;
}

function usageError(name: string, message: string): ParsedLine {
  const usage = findCommandSpec(name)?.usage;
  return { kind: 'error', message, ...(usage === undefined ? {} : { usage }) };
}

function parseFlow(name: 'probe' | 'explain', args: readonly string[]): ParsedLine {
  const [from, to, portText, ...rest] = args;
  if (from === undefined || to === undefined || portText === undefined || rest.length > 0) return usageError(name, `${name} takes FROM TO PORT[/PROTO]`);
  if (!endpointPattern.test(from)) return usageError(name, `"${from}" is not an endpoint (ns/pod or external/name)`);
  if (!endpointPattern.test(to)) return usageError(name, `"${to}" is not an endpoint (ns/pod, svc/ns/name or external/name)`);
  const port = parsePortSpec(portText);
  if (port === undefined) return usageError(name, `"${portText}" is not a port: write 80, 80/TCP, 53/UDP or a port name`);
  return { kind: 'command', command: { name, from, to, port: port.port, protocol: port.protocol } };
}

function parseLabels(args: readonly string[]): Record<string, string | null> | string {
  const labels: Record<string, string | null> = {};
  for (const arg of args) {
    if (arg.endsWith('-') && !arg.includes('=')) {
      const key = arg.slice(0, -1);
      if (!labelKeyPattern.test(key)) return `"${key}" is not a label key`;
      labels[key] = null;
      continue;
    }
    const equals = arg.indexOf('=');
    if (equals <= 0) return `"${arg}" is not KEY=VALUE or KEY-`;
    const key = arg.slice(0, equals);
    const value = arg.slice(equals + 1);
    if (!labelKeyPattern.test(key)) return `"${key}" is not a label key ([prefix/]name)`;
    if (!labelValuePattern.test(value)) return `"${value}" is not a label value (up to 63 of A-Z a-z 0-9 - _ .)`;
    labels[key] = value;
  }
  return labels;
}

export function tokenizeLine(line: string): string[] {
  return line.trim().split(/\s+/).filter((token) => token !== '');
}

export function parseCommandLine(line: string, options: { readonly parseDuration: (text: string) => number | undefined }): ParsedLine {
  const tokens = tokenizeLine(line);
  const [name, ...args] = tokens;
  if (name === undefined) return { kind: 'empty' };
  switch (name) {
    case 'help':
    case '?':
      return { kind: 'command', command: args[0] === undefined ? { name: 'help' } : { name: 'help', topic: args[0] } };
    case 'pods':
    case 'services':
    case 'policies':
    case 'apply':
    case 'watch':
    case 'rules':
    case 'clear':
      return args.length > 0 ? usageError(name, `${name} takes no arguments`) : { kind: 'command', command: { name } };
    case 'delete': {
      if (args[0] !== 'policy' || args[1] === undefined || args.length > 2) return usageError(name, 'delete takes: policy [NS/]NAME');
      return { kind: 'command', command: { name: 'delete-policy', policy: args[1] } };
    }
    case 'label': {
      const [kind, pod, ...pairs] = args;
      if (kind !== 'pod' || pod === undefined || pairs.length === 0) return usageError(name, 'label takes: pod NS/NAME KEY=VALUE...');
      if (!/^[a-z0-9][-a-z0-9]*\/[a-z0-9][-a-z0-9.]*$/.test(pod)) return usageError(name, `"${pod}" is not NS/NAME`);
      const labels = parseLabels(pairs);
      if (typeof labels === 'string') return usageError(name, labels);
      return { kind: 'command', command: { name: 'label-pod', pod, labels } };
    }
    case 'probe':
    case 'explain':
      return parseFlow(name, args);
    case 'matrix': {
      if (args.length === 0) return { kind: 'command', command: { name: 'matrix' } };
      const port = args.length === 1 && args[0] !== undefined ? parsePortSpec(args[0]) : undefined;
      if (port === undefined) return usageError(name, `"${args.join(' ')}" is not a port: write 80, 80/TCP or a port name`);
      const hasProtocol = args[0]?.includes('/') === true;
      return { kind: 'command', command: { name: 'matrix', port: port.port, ...(hasProtocol ? { protocol: port.protocol } : {}) } };
    }
    case 'run': {
      const kind = runKinds.find((candidate) => candidate === args[0]);
      if (kind === undefined || args.length !== 1) return usageError(name, 'run takes one of: expectations, matrix, generated');
      return { kind: 'command', command: { name: 'run', kind } };
    }
    case 'ttl': {
      if (args.length === 0) return { kind: 'command', command: { name: 'ttl' } };
      if (args[0] !== 'extend' || args[1] === undefined || args.length !== 2) return usageError(name, 'ttl takes nothing, or: extend DURATION (e.g. 15m)');
      const seconds = options.parseDuration(args[1]);
      if (seconds === undefined || seconds <= 0) return usageError(name, `"${args[1]}" is not a duration: write 15m, 1h or 90s`);
      return { kind: 'command', command: { name: 'ttl-extend', seconds, text: args[1] } };
    }
    default:
      return { kind: 'error', message: `unknown command "${name}"; type help for the list` };
  }
}
