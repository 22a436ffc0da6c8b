// The server's configuration: flags and environment variables → one typed ServerConfig (zod), every default
// documented here. Invalid input is data: every bad variable or flag is reported at once, with what to write.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseDurationSeconds } from './api/protocol/duration.ts';
import { Limits } from './api/protocol/limits.ts';

export const LogLevels = { debug: 'debug', info: 'info', warn: 'warn', error: 'error' } as const;
export type LogLevel = (typeof LogLevels)[keyof typeof LogLevels];

export interface ServerConfig {
  /** Interface to bind. Default 127.0.0.1: anything else requires a token. */
  readonly host: string;
  /** Default 7070; 0 picks a free port (tests). */
  readonly port: number;
  /** Database and sandbox records. `--data-dir`, else REHEARSAL_HOME, else ~/.rehearsal. */
  readonly dataDir: string;
  /** Required on every request when set; generated when binding beyond loopback without one. */
  readonly token: string | undefined;
  /** The token was generated at start (print it, as Jupyter prints its URL). */
  readonly isTokenGenerated: boolean;
  /** Destroy live sandboxes on shutdown instead of leaving them to their own TTL supervisors. */
  readonly isTeardownOnExit: boolean;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  /** Sandboxes provisioning, ready or expiring at once. */
  readonly maxLiveSandboxes: number;
  /** Sandboxes provisioning at once (provisioning is the CPU- and I/O-heavy part). */
  readonly maxProvisioning: number;
  readonly maxPodsPerSandbox: number;
  readonly maxProbesPerRun: number;
  /** Seconds before expiry at which a `ttl-warning` event goes out. Default 300 and 60. */
  readonly ttlWarningSeconds: readonly number[];
  /** The built web UI (Vite output). Default <repo>/web/dist. */
  readonly webDistDir: string;
  /** Browser origins allowed besides the server's own (a Vite dev server, e.g. http://localhost:5173). */
  readonly allowedOrigins: readonly string[];
  readonly logLevel: LogLevel;
}

export interface ConfigProblem {
  /** `--port` or `REHEARSAL_PORT`. */
  readonly source: string;
  readonly value: string;
  readonly message: string;
}

export type ConfigResult = { readonly ok: true; readonly config: ServerConfig } | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** Flag values as commander hands them over (strings, booleans, or absent). */
export type ConfigFlags = Readonly<Record<string, string | boolean | undefined>>;

export const defaultServerPort = 7070;
export const defaultWebDistDir = resolve(import.meta.dirname, '..', 'web', 'dist');
const defaultTtlWarningSeconds = [300, 60] as const;

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

const durationSchema = (min: number, max: number): z.ZodType<number, string> =>
  z.string().transform((text, context) => {
    const seconds = parseDurationSeconds(text);
    if (seconds === undefined) {
      context.addIssue({ code: 'custom', message: 'use a duration like 30m, 2h, 90s, 1h30m or a number of seconds' });
      return z.NEVER;
    }
    if (seconds < min || seconds > max) {
      context.addIssue({ code: 'custom', message: `must be between ${min}s and ${max}s` });
      return z.NEVER;
    }
    return seconds;
  });

const integerSchema = (min: number, max: number): z.ZodType<number, string> =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const hostSchema = z
  .string()
  .min(1)
  .max(253)
  .refine((host) => isIP(host) !== 0 || /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i.test(host), 'must be an IP address or a host name');

const tokenSchema = z.string().regex(/^[\x21-\x7e]{16,256}$/, 'must be 16 to 256 printable characters without spaces');

const originSchema = z.string().regex(/^https?:\/\/[a-z0-9.\-[\]:]+$/i, 'must be an origin like http://localhost:5173 (scheme, host, optional port; no path)');

const warningListSchema = z.string().transform((text, context) => {
  const parts = text.split(',').map((part) => part.trim()).filter((part) => part !== '');
  const seconds: number[] = [];
  for (const part of parts) {
    const value = parseDurationSeconds(part);
    if (value === undefined || value < 1) {
      context.addIssue({ code: 'custom', message: `"${part}" is not a duration; write e.g. 5m,1m` });
      return z.NEVER;
    }
    seconds.push(value);
  }
  return [...new Set(seconds)].sort((a, b) => b - a);
});

/** One setting: its flag, its environment variable, and how its text is parsed. */
interface Setting<T> {
  readonly flag?: string;
  readonly env?: string;
  readonly schema: z.ZodType<T, string>;
}

const settings = {
  host: { flag: 'host', env: 'REHEARSAL_HOST', schema: hostSchema },
  port: { flag: 'port', env: 'REHEARSAL_PORT', schema: integerSchema(0, 65535) },
  dataDir: { flag: 'dataDir', env: 'REHEARSAL_HOME', schema: z.string().min(1).max(4096) },
  token: { flag: 'token', env: 'REHEARSAL_TOKEN', schema: tokenSchema },
  defaultTtl: { flag: 'defaultTtl', env: 'REHEARSAL_DEFAULT_TTL', schema: durationSchema(Limits.minTtlSeconds, Limits.maxTtlSeconds) },
  maxTtl: { flag: 'maxTtl', env: 'REHEARSAL_MAX_TTL', schema: durationSchema(Limits.minTtlSeconds, Limits.maxTtlSeconds) },
  maxSandboxes: { flag: 'maxSandboxes', env: 'REHEARSAL_MAX_SANDBOXES', schema: integerSchema(1, 1000) },
  maxProvisioning: { flag: 'maxProvisioning', env: 'REHEARSAL_MAX_PROVISIONING', schema: integerSchema(1, 100) },
  maxPods: { flag: 'maxPods', env: 'REHEARSAL_MAX_PODS', schema: integerSchema(1, Limits.maxPodsPerSandbox) },
  maxProbes: { flag: 'maxProbes', env: 'REHEARSAL_MAX_PROBES', schema: integerSchema(1, Limits.maxProbesPerRun) },
  ttlWarnings: { flag: 'ttlWarnings', env: 'REHEARSAL_TTL_WARNINGS', schema: warningListSchema },
  webDist: { flag: 'webDist', env: 'REHEARSAL_WEB_DIST', schema: z.string().min(1).max(4096) },
  allowedOrigins: {
    flag: 'allowedOrigin',
    env: 'REHEARSAL_ALLOWED_ORIGINS',
    schema: z.string().transform((text, context) => {
      const origins = text.split(',').map((part) => part.trim()).filter((part) => part !== '');
      for (const origin of origins) {
        const parsed = originSchema.safeParse(origin);
        if (!parsed.success) {
          context.addIssue({ code: 'custom', message: `"${origin}": ${parsed.error.issues[0]?.message ?? 'invalid origin'}` });
          return z.NEVER;
        }
      }
      return origins;
    }),
  },
  logLevel: { flag: 'logLevel', env: 'REHEARSAL_LOG_LEVEL', schema: z.enum(['debug', 'info', 'warn', 'error']) },
} satisfies Record<string, Setting<unknown>>;

function kebab(flag: string): string {
  return `--${flag.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

function readSetting<T>(setting: Setting<T>, input: { flags: ConfigFlags; env: Readonly<Record<string, string | undefined>>; problems: ConfigProblem[] }): T | undefined {
  const flagValue = setting.flag === undefined ? undefined : input.flags[setting.flag];
  const fromFlag = typeof flagValue === 'string' ? { source: kebab(setting.flag ?? ''), value: flagValue } : undefined;
  const envValue = setting.env === undefined ? undefined : input.env[setting.env];
  const fromEnv = envValue !== undefined && envValue !== '' ? { source: setting.env ?? '', value: envValue } : undefined;
  const chosen = fromFlag ?? fromEnv;
  if (chosen === undefined) return undefined;
  const parsed = setting.schema.safeParse(chosen.value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) input.problems.push({ source: chosen.source, value: chosen.value, message: issue.message });
  return undefined;
}

/** Flags win over environment variables; both are validated, and every problem is returned. */
export function loadServerConfig(input: { readonly flags: ConfigFlags; readonly env: Readonly<Record<string, string | undefined>> }): ConfigResult {
  const problems: ConfigProblem[] = [];
  const context = { flags: input.flags, env: input.env, problems };
  const host = readSetting(settings.host, context) ?? '127.0.0.1';
  const port = readSetting(settings.port, context) ?? defaultServerPort;
  const dataDir = resolve(readSetting(settings.dataDir, context) ?? join(homedir(), '.rehearsal'));
  const givenToken = readSetting(settings.token, context);
  const maxTtlSeconds = readSetting(settings.maxTtl, context) ?? Limits.maxTtlSeconds;
  const defaultTtlSeconds = readSetting(settings.defaultTtl, context) ?? Math.min(Limits.defaultTtlSeconds, maxTtlSeconds);
  if (defaultTtlSeconds > maxTtlSeconds) {
    problems.push({ source: '--default-ttl', value: String(defaultTtlSeconds), message: `the default TTL (${defaultTtlSeconds}s) is longer than the maximum (${maxTtlSeconds}s)` });
  }
  const config: ServerConfig = {
    host,
    port,
    dataDir,
    token: givenToken ?? (isLoopbackHost(host) ? undefined : randomBytes(24).toString('base64url')),
    isTokenGenerated: givenToken === undefined && !isLoopbackHost(host),
    isTeardownOnExit: input.flags['teardownOnExit'] === true,
    defaultTtlSeconds,
    maxTtlSeconds,
    maxLiveSandboxes: readSetting(settings.maxSandboxes, context) ?? 10,
    maxProvisioning: readSetting(settings.maxProvisioning, context) ?? 2,
    maxPodsPerSandbox: readSetting(settings.maxPods, context) ?? Limits.maxPodsPerSandbox,
    maxProbesPerRun: readSetting(settings.maxProbes, context) ?? Limits.maxProbesPerRun,
    ttlWarningSeconds: readSetting(settings.ttlWarnings, context) ?? [...defaultTtlWarningSeconds],
    webDistDir: resolve(readSetting(settings.webDist, context) ?? defaultWebDistDir),
    allowedOrigins: readSetting(settings.allowedOrigins, context) ?? [],
    logLevel: readSetting(settings.logLevel, context) ?? 'info',
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

/** Every problem on its own line, naming the flag or variable and what to write instead. */
export function formatConfigProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((problem) => `  ${problem.source}=${JSON.stringify(problem.value)}: ${problem.message}`).join('\n');
}

/** Where the environment variable of each flag is, for `rehearse serve --help`. */
export const configEnvironment: readonly (readonly [string, string])[] = Object.values(settings).map((setting: Setting<unknown>) => [
  kebab(setting.flag ?? ''),
  setting.env ?? '',
]);
