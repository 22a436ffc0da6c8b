// The server's one logger: JSON lines with a short fixed `msg` and the variable data in fields. Secrets are
// redacted here (by field name and by value), so no call site has to remember to.
import type { LogLevel } from './config.ts';

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` (sandboxId, requestId, runId) to every line. */
  child(fields: LogFields): Logger;
}

export interface CreateLoggerOptions {
  readonly level: LogLevel;
  /** Where a finished line goes (one JSON object, no newline). Default: stderr. */
  readonly write?: (line: string) => void;
  /** Secret values (the access token) replaced wherever they appear in a logged string. */
  readonly secrets?: readonly string[];
}

const levelRank: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
const secretKeyPattern = /token|secret|password|passphrase|authorization|cookie|kubeconfig|credential/i;
export const redactedText = '[redacted]';
const maxDepth = 6;

function describeError(error: Error, depth: number): Record<string, unknown> {
  const code: unknown = Reflect.get(error, 'code');
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(error.cause === undefined || depth >= maxDepth ? {} : { cause: error.cause instanceof Error ? describeError(error.cause, depth + 1) : String(error.cause) }),
  };
}

function redactValue(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') {
    let text = value;
    for (const secret of secrets) if (secret !== '') text = text.split(secret).join(redactedText);
    return text;
  }
  if (depth >= maxDepth) return '[nested]';
  if (value instanceof Error) return redactValue(describeError(value, depth), secrets, depth + 1);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      result[key] = secretKeyPattern.test(key) ? redactedText : redactValue(item, secrets, depth + 1);
    }
    return result;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const secrets = options.secrets ?? [];
  const threshold = levelRank[options.level];
  const make = (bound: LogFields): Logger => {
    const emit = (level: LogLevel, msg: string, fields: LogFields | undefined): void => {
      if (levelRank[level] < threshold) return;
      const merged = redactValue({ ...bound, ...fields }, secrets, 0);
      const body = typeof merged === 'object' && merged !== null ? merged : {};
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...body }));
    };
    return {
      debug: (msg, fields) => emit('debug', msg, fields),
      info: (msg, fields) => emit('info', msg, fields),
      warn: (msg, fields) => emit('warn', msg, fields),
      error: (msg, fields) => emit('error', msg, fields),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}
