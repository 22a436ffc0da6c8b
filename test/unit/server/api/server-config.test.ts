// The server's configuration (server/config.ts) and logger (server/log.ts): flags over environment, every bad
// value reported at once, a token whenever the bind is beyond loopback, secrets never in a log line.
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, loadServerConfig } from '../../../../server/config.ts';
import { createLogger, redactedText } from '../../../../server/log.ts';
import { runCli } from '../../../../server/cli/run-cli.ts';
import { createPalette } from '../../../../server/cli/output/colour.ts';
import type { CliIo } from '../../../../server/cli/io.ts';

describe('loadServerConfig', () => {
  it('defaults to loopback, port 7070, no token, 30 min TTLs up to 4 h', () => {
    const result = loadServerConfig({ flags: {}, env: { REHEARSAL_HOME: '/tmp/rh-config' } });
    if (!result.ok) throw new Error('expected ok');
    expect(result.config).toMatchObject({ host: '127.0.0.1', port: 7070, token: undefined, dataDir: '/tmp/rh-config', defaultTtlSeconds: 1800, maxTtlSeconds: 14_400, ttlWarningSeconds: [300, 60] });
  });

  it('lets flags win over the environment', () => {
    const result = loadServerConfig({ flags: { port: '8080', maxTtl: '1h' }, env: { REHEARSAL_PORT: '9090', REHEARSAL_MAX_TTL: '2h' } });
    expect(result.ok && result.config.port).toBe(8080);
    expect(result.ok && result.config.maxTtlSeconds).toBe(3600);
  });

  it('reports every invalid value at once, naming where it came from', () => {
    const result = loadServerConfig({ flags: { port: 'seventy' }, env: { REHEARSAL_MAX_TTL: '9h', REHEARSAL_TOKEN: 'short', REHEARSAL_ALLOWED_ORIGINS: 'localhost:5173' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => problem.source)).toEqual(['--port', 'REHEARSAL_TOKEN', 'REHEARSAL_MAX_TTL', 'REHEARSAL_ALLOWED_ORIGINS']);
  });

  it('generates a token when binding beyond loopback without one', () => {
    const result = loadServerConfig({ flags: { host: '0.0.0.0' }, env: {} });
    if (!result.ok) throw new Error('expected ok');
    expect(result.config.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(result.config.isTokenGenerated).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('127.0.0.2')).toBe(true);
  });

  it('refuses a default TTL longer than the maximum', () => {
    expect(loadServerConfig({ flags: { defaultTtl: '2h', maxTtl: '1h' }, env: {} }).ok).toBe(false);
  });
});

describe('createLogger', () => {
  it('writes JSON lines and redacts secret fields and secret values', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (line) => lines.push(line), secrets: ['s3cr3t-token-value'] });
    log.child({ requestId: 'req-1' }).info('request', { authorization: 'Bearer x', url: '/api?token=s3cr3t-token-value', nested: { kubeconfig: 'apiVersion: v1' } });
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    const parsed: unknown = JSON.parse(lines[0] ?? '');
    expect(parsed).toMatchObject({ level: 'info', msg: 'request', requestId: 'req-1', authorization: redactedText, url: `/api?token=${redactedText}`, nested: { kubeconfig: redactedText } });
  });

  it('keeps the stack and cause of an error', () => {
    const lines: string[] = [];
    createLogger({ level: 'error', write: (line) => lines.push(line) }).error('failed', { error: new Error('outer', { cause: new Error('inner') }) });
    expect(lines[0]).toContain('"stack"');
    expect(lines[0]).toContain('inner');
  });
});

describe('rehearse serve', () => {
  it('exits 2 listing every invalid flag and variable', async () => {
    let stderr = '';
    const plain = createPalette(false);
    const io: CliIo = {
      stdout: { write: () => undefined, isTty: false, colour: plain },
      stderr: { write: (text) => { stderr += text; }, isTty: false, colour: plain },
      stdin: process.stdin,
      env: { REHEARSAL_MAX_SANDBOXES: 'many' },
      cwd: process.cwd(),
    };
    const code = await runCli({ argv: ['serve', '--port', '99999'], io });
    expect(code).toBe(2);
    expect(stderr).toContain('--port="99999": must be at most 65535');
    expect(stderr).toContain('REHEARSAL_MAX_SANDBOXES="many"');
  });
});
