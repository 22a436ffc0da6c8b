// The terminal's command language: lines to typed commands, bad lines to a message and the usage.
import { describe, expect, it } from 'vitest';
import { parseDurationSeconds } from '../../../../server/api/protocol/duration.ts';
import { parseCommandLine, parsePortSpec } from '../../../../server/terminal/command-line.ts';

const parse = (line: string) => parseCommandLine(line, { parseDuration: parseDurationSeconds });

describe('parseCommandLine', () => {
  it.each([
    ['pods', { name: 'pods' }],
    ['  policies  ', { name: 'policies' }],
    ['probe x/a y/b 80', { name: 'probe', from: 'x/a', to: 'y/b', port: 80, protocol: 'TCP' }],
    ['probe x/a svc/y/web 53/udp', { name: 'probe', from: 'x/a', to: 'svc/y/web', port: 53, protocol: 'UDP' }],
    ['explain x/a y/b http', { name: 'explain', from: 'x/a', to: 'y/b', port: 'http', protocol: 'TCP' }],
    ['matrix', { name: 'matrix' }],
    ['matrix 80', { name: 'matrix', port: 80 }],
    ['matrix 53/UDP', { name: 'matrix', port: 53, protocol: 'UDP' }],
    ['run expectations', { name: 'run', kind: 'expectations' }],
    ['delete policy x/deny-all', { name: 'delete-policy', policy: 'x/deny-all' }],
    ['label pod x/a app=web tier-', { name: 'label-pod', pod: 'x/a', labels: { app: 'web', tier: null } }],
    ['ttl', { name: 'ttl' }],
    ['ttl extend 15m', { name: 'ttl-extend', seconds: 900, text: '15m' }],
    ['help probe', { name: 'help', topic: 'probe' }],
  ])('%s', (line, command) => {
    expect(parse(line)).toEqual({ kind: 'command', command });
  });

  it('an empty line is not an error', () => {
    expect(parse('   ')).toEqual({ kind: 'empty' });
  });

  it.each([
    ['probe x/a y/b', 'probe FROM TO PORT[/PROTO]'],
    ['probe x/a y/b 99999', 'probe FROM TO PORT[/PROTO]'],
    ['probe ../etc y/b 80', 'probe FROM TO PORT[/PROTO]'],
    ['run everything', 'run expectations|matrix|generated'],
    ['ttl extend soon', 'ttl | ttl extend 15m'],
    ['label pod x/a =v', 'label pod NS/NAME KEY=VALUE... [KEY-]...'],
  ])('%s is refused with the usage', (line, usage) => {
    const parsed = parse(line);
    expect(parsed.kind).toBe('error');
    if (parsed.kind === 'error') expect(parsed.usage).toBe(usage);
  });

  it('names an unknown command and points at help', () => {
    expect(parse('podz')).toEqual({ kind: 'error', message: 'unknown command "podz"; type help for the list' });
  });
});

describe('parsePortSpec', () => {
  it('defaults to TCP and accepts any case of the protocol', () => {
    expect(parsePortSpec('80')).toEqual({ port: 80, protocol: 'TCP' });
    expect(parsePortSpec('5432/sctp')).toEqual({ port: 5432, protocol: 'SCTP' });
  });

  it('refuses port 0, names with capitals and a third part', () => {
    expect(parsePortSpec('0')).toBeUndefined();
    expect(parsePortSpec('Http')).toBeUndefined();
    expect(parsePortSpec('80/TCP/x')).toBeUndefined();
  });
});
