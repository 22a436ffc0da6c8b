// The agent's line protocol as the TypeScript side writes and reads it, including lines no honest agent writes.
import { describe, expect, it } from 'vitest';
import {
  checkAgentLaunchOptions,
  checkAgentRequest,
  encodeAgentRequest,
  findDnsPort,
  formatAgentArgs,
  isAgentHostname,
  parseAgentReadyLine,
  parseAgentResponse,
} from '../../../../../../server/sandbox/local/agent/agent-protocol.ts';
import type { AgentRequest } from '../../../../../../server/sandbox/local/agent/agent-protocol.ts';

describe('encodeAgentRequest', () => {
  it.each<[AgentRequest, string]>([
    [{ kind: 'ping', id: 'p1' }, 'PING p1\n'],
    [{ kind: 'stats', id: 's.1' }, 'STATS s.1\n'],
    [{ kind: 'probe', id: 'a:b-c_d', protocol: 'tcp', ip: '10.244.0.5', port: 80, timeoutMs: 1000 }, 'PROBE a:b-c_d tcp 10.244.0.5 80 1000 -\n'],
    [{ kind: 'probe', id: 'x', protocol: 'udp', ip: 'fd00::5', port: 53, timeoutMs: 1, sourceIp: 'fd00::1' }, 'PROBE x udp fd00::5 53 1 fd00::1\n'],
    [{ kind: 'probe-name', id: 'n', protocol: 'sctp', hostname: 'web.x.svc.cluster.local.', port: 9000, timeoutMs: 600000 }, 'PROBE_NAME n sctp web.x.svc.cluster.local. 9000 600000 -\n'],
    [{ kind: 'resolve', id: 'r', hostname: '_http._tcp.web', timeoutMs: 250 }, 'RESOLVE r _http._tcp.web 250\n'],
    [{ kind: 'reload', id: 'd1' }, 'RELOAD d1\n'],
  ])('writes %j as one line', (request, line) => {
    expect(encodeAgentRequest(request)).toBe(line);
  });

  it.each<[string, AgentRequest]>([
    ['an id with a space', { kind: 'ping', id: 'a b' }],
    ['an empty id', { kind: 'ping', id: '' }],
    ['an id of 65 characters', { kind: 'ping', id: 'x'.repeat(65) }],
    ['an id with a newline', { kind: 'ping', id: 'a\nPING b' }],
    ['a hostname with a space', { kind: 'resolve', id: 'r', hostname: 'a b', timeoutMs: 1 }],
    ['a hostname with a newline', { kind: 'resolve', id: 'r', hostname: 'a\nPING x', timeoutMs: 1 }],
    ['a hostname with an empty label', { kind: 'resolve', id: 'r', hostname: 'a..b', timeoutMs: 1 }],
    ['a label of 64 characters', { kind: 'resolve', id: 'r', hostname: `${'a'.repeat(64)}.b`, timeoutMs: 1 }],
    ['a hostname of 254 characters', { kind: 'resolve', id: 'r', hostname: `${'a.'.repeat(127)}a`, timeoutMs: 1 }],
    ['port 0', { kind: 'probe', id: 'p', protocol: 'tcp', ip: '10.0.0.1', port: 0, timeoutMs: 1 }],
    ['port 65536', { kind: 'probe', id: 'p', protocol: 'tcp', ip: '10.0.0.1', port: 65536, timeoutMs: 1 }],
    ['a fractional timeout', { kind: 'probe', id: 'p', protocol: 'tcp', ip: '10.0.0.1', port: 80, timeoutMs: 1.5 }],
    ['a timeout over 10 minutes', { kind: 'probe', id: 'p', protocol: 'tcp', ip: '10.0.0.1', port: 80, timeoutMs: 600_001 }],
    ['a destination that is not an IP', { kind: 'probe', id: 'p', protocol: 'tcp', ip: 'web', port: 80, timeoutMs: 1 }],
    ['a source that is not an IP', { kind: 'probe', id: 'p', protocol: 'tcp', ip: '10.0.0.1', port: 80, timeoutMs: 1, sourceIp: '-' }],
  ])('refuses %s', (_name, request) => {
    expect(checkAgentRequest(request)).toBeTypeOf('string');
    expect(() => encodeAgentRequest(request)).toThrow(TypeError);
  });
});

describe('parseAgentResponse', () => {
  it('reads a connected result with the peer identity', () => {
    expect(parseAgentResponse('RESULT r1 connected 812 - x/b')).toEqual({
      ok: true,
      value: { kind: 'result', id: 'r1', status: 'connected', latencyUs: 812, detail: 'x/b' },
    });
  });

  it('reads a resolved address and a detail with spaces', () => {
    expect(parseAgentResponse('RESULT r2 timeout 300412 10.96.0.10 no answer within 300 ms')).toEqual({
      ok: true,
      value: { kind: 'result', id: 'r2', status: 'timeout', latencyUs: 300412, resolvedIp: '10.96.0.10', detail: 'no answer within 300 ms' },
    });
  });

  it.each(['connected', 'refused', 'net-unreachable', 'host-unreachable', 'timeout', 'unsupported', 'resolved', 'dns-nxdomain', 'dns-net-unreachable', 'dns-host-unreachable', 'dns-timeout', 'error'])(
    'accepts status %s',
    (status) => {
      const parsed = parseAgentResponse(`RESULT id ${status} 1 - detail`);
      expect(parsed.ok && parsed.value.kind === 'result' && parsed.value.status).toBe(status);
    },
  );

  it('reads PONG, STATS and ERROR lines', () => {
    expect(parseAgentResponse('PONG p')).toEqual({ ok: true, value: { kind: 'pong', id: 'p' } });
    expect(parseAgentResponse('STATS s rss_kb=1024 probes=7')).toEqual({ ok: true, value: { kind: 'stats', id: 's', rssKb: 1024, probes: 7 } });
    expect(parseAgentResponse('ERROR x port must be an integer 1..65535')).toEqual({ ok: true, value: { kind: 'error', id: 'x', message: 'port must be an integer 1..65535' } });
    expect(parseAgentResponse('ERROR - empty request')).toEqual({ ok: true, value: { kind: 'error', message: 'empty request' } });
  });

  it('reads RELOADED with the number of names the DNS server now answers', () => {
    expect(parseAgentResponse('RELOADED d1 names=212')).toEqual({ ok: true, value: { kind: 'reloaded', id: 'd1', names: 212 } });
  });

  it.each([
    ['an unknown status', 'RESULT r allowed 1 - x/b'],
    ['a negative latency', 'RESULT r connected -1 - x/b'],
    ['a latency with a sign', 'RESULT r connected +1 - x/b'],
    ['a latency with leading zeros', 'RESULT r connected 01 - x/b'],
    ['an absurd latency', 'RESULT r connected 99999999999999999999 - x/b'],
    ['a missing detail', 'RESULT r connected 1 -'],
    ['an address that is not an IP', 'RESULT r connected 1 web x/b'],
    ['a malformed id', 'RESULT r! connected 1 - x/b'],
    ['a verb in lowercase', 'result r connected 1 - x/b'],
    ['an unknown verb', 'HELLO r'],
    ['an empty line', ''],
    ['a PONG with two ids', 'PONG a b'],
    ['STATS fields out of order', 'STATS s probes=1 rss_kb=2'],
    ['RELOADED without a count', 'RELOADED d1'],
    ['RELOADED with a negative count', 'RELOADED d1 names=-1'],
    ['an ERROR without a message', 'ERROR x'],
    ['a control character', 'RESULT r connected 1 - x/b\u0000'],
    ['a non-ASCII character', 'RESULT r connected 1 - x/bé'],
    ['a carriage return', 'PONG p\r'],
    ['a line of 5000 characters', `RESULT r error 1 - ${'x'.repeat(5000)}`],
  ])('rejects %s', (_name, line) => {
    expect(parseAgentResponse(line).ok).toBe(false);
  });
});

describe('parseAgentReadyLine', () => {
  it('reads every listener status', () => {
    expect(parseAgentReadyLine('READY tcp:80=ok sctp:80=unsupported udp:53@10.0.0.1=error:EADDRINUSE tcp:443@fd00::1=ok')).toEqual({
      ok: true,
      value: [
        { spec: 'tcp:80', status: { state: 'ok' } },
        { spec: 'sctp:80', status: { state: 'unsupported' } },
        { spec: 'udp:53@10.0.0.1', status: { state: 'error', errno: 'EADDRINUSE' } },
        { spec: 'tcp:443@fd00::1', status: { state: 'ok' } },
      ],
    });
  });

  it('reads an agent without listeners', () => {
    expect(parseAgentReadyLine('READY')).toEqual({ ok: true, value: [] });
  });

  it('reads the DNS server of a kube-dns agent and the port it is bound to', () => {
    const ready = parseAgentReadyLine('READY tcp:8080=ok dns:53=ok');
    expect(ready).toEqual({ ok: true, value: [{ spec: 'tcp:8080', status: { state: 'ok' } }, { spec: 'dns:53', status: { state: 'ok' } }] });
    expect(ready.ok ? findDnsPort(ready.value) : undefined).toBe(53);
    const loopback = parseAgentReadyLine('READY dns:40123@127.0.0.1=ok');
    expect(loopback.ok ? findDnsPort(loopback.value) : undefined).toBe(40123);
    const failed = parseAgentReadyLine('READY dns:53=error:EADDRINUSE');
    expect(failed.ok ? failed.value[0]?.status : undefined).toEqual({ state: 'error', errno: 'EADDRINUSE' });
    expect(failed.ok ? findDnsPort(failed.value) : 0).toBeUndefined();
  });

  it.each(['agent: --control is required', 'READY tcp:80=maybe', 'READY tcp:80', 'READY icmp:1=ok', 'READY  tcp:80=ok'])('rejects %j', (line) => {
    expect(parseAgentReadyLine(line).ok).toBe(false);
  });
});

describe('formatAgentArgs', () => {
  it('writes the command line agent.c reads', () => {
    expect(
      formatAgentArgs({
        controlPath: '/run/rehearsal/sb-1/x-a.sock',
        identity: 'x/a',
        listeners: [
          { protocol: 'tcp', port: 80 },
          { protocol: 'udp', port: 53, ip: '192.0.2.10' },
        ],
        nameserver: '10.96.0.10',
        search: ['x.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
        ndots: 5,
      }),
    ).toEqual([
      '--control', '/run/rehearsal/sb-1/x-a.sock', '--identity', 'x/a', '--listen', 'tcp:80', '--listen', 'udp:53@192.0.2.10',
      '--nameserver', '10.96.0.10', '--search', 'x.svc.cluster.local', '--search', 'svc.cluster.local', '--search', 'cluster.local', '--ndots', '5',
    ]);
  });

  it('enters a namespace first and serves DNS from a records file when asked', () => {
    expect(formatAgentArgs({ netns: 'rh-0a0b0c0d-p3', controlPath: '/run/rehearsal/sb-1/p3.sock', identity: 'kube-system/coredns', listeners: [], dns: { recordsFile: '/run/rehearsal/sb-1/dns-records.txt' } })).toEqual([
      '--netns', 'rh-0a0b0c0d-p3', '--control', '/run/rehearsal/sb-1/p3.sock', '--identity', 'kube-system/coredns', '--dns-records', '/run/rehearsal/sb-1/dns-records.txt',
    ]);
    expect(formatAgentArgs({ controlPath: '/tmp/d.sock', identity: 'x/d', listeners: [], dns: { recordsFile: '/tmp/r.txt', port: 0, ip: '127.0.0.1' } }).slice(-4)).toEqual([
      '--dns-records', '/tmp/r.txt', '--dns-listen', '0@127.0.0.1',
    ]);
  });

  it.each([
    ['a namespace name with a slash', { netns: '../etc', controlPath: '/tmp/a.sock', identity: 'x/a', listeners: [] }],
    ['a DNS port out of range', { controlPath: '/tmp/a.sock', identity: 'x/a', listeners: [], dns: { recordsFile: '/tmp/r.txt', port: 70000 } }],
    ['a DNS address that is not an IP', { controlPath: '/tmp/a.sock', identity: 'x/a', listeners: [], dns: { recordsFile: '/tmp/r.txt', ip: 'localhost' } }],
    ['a control path longer than a unix socket allows', { controlPath: `/tmp/${'x'.repeat(110)}`, identity: 'x/a', listeners: [] }],
    ['an identity with a space', { controlPath: '/tmp/a.sock', identity: 'x a', listeners: [] }],
    ['a listener on port 0', { controlPath: '/tmp/a.sock', identity: 'x/a', listeners: [{ protocol: 'tcp' as const, port: 0 }] }],
    ['a search domain with a trailing dot', { controlPath: '/tmp/a.sock', identity: 'x/a', listeners: [], search: ['cluster.local.'] }],
    ['ndots 16', { controlPath: '/tmp/a.sock', identity: 'x/a', listeners: [], ndots: 16 }],
  ])('refuses %s', (_name, options) => {
    expect(checkAgentLaunchOptions(options)).toBeTypeOf('string');
    expect(() => formatAgentArgs(options)).toThrow(TypeError);
  });
});

describe('isAgentHostname', () => {
  it.each(['web', 'web.x', 'web.x.svc.cluster.local.', '_http._tcp.web', 'a-b', '10.244.0.5'])('accepts %s', (name) => {
    expect(isAgentHostname(name)).toBe(true);
  });
  it.each(['', '.', 'a..b', '.a', 'a b', 'a/b', 'a\u00e9'])('rejects %j', (name) => {
    expect(isAgentHostname(name)).toBe(false);
  });
});
