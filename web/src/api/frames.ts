// Parsing websocket frames at the edge: JSON text in, a frame the protocol schema accepted out, or the
// reason it was refused. Nothing from the wire is trusted before this.
import type { z } from 'zod';

export type ParsedFrame<T> = { readonly ok: true; readonly frame: T } | { readonly ok: false; readonly error: string };

const maxQuotedChars = 120;

function quote(text: string): string {
  return text.length > maxQuotedChars ? `${text.slice(0, maxQuotedChars)}…` : text;
}

export function parseJsonFrame<S extends z.ZodType>(data: unknown, schema: S): ParsedFrame<z.output<S>> {
  if (typeof data !== 'string') return { ok: false, error: 'binary frame received where JSON text was expected' };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, error: `frame is not JSON: ${quote(data)}` };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first === undefined || first.path.length === 0 ? '' : ` at ${first.path.join('.')}`;
    return { ok: false, error: `frame does not match the protocol${where}: ${first?.message ?? 'invalid'} (${quote(data)})` };
  }
  return { ok: true, frame: parsed.data };
}

/** Serializes a frame we send after checking it against the same schema the server checks it with. */
export function serializeFrame<S extends z.ZodType>(frame: z.input<S>, schema: S): ParsedFrame<string> {
  const parsed = schema.safeParse(frame);
  if (!parsed.success) return { ok: false, error: parsed.error.issues[0]?.message ?? 'invalid frame' };
  return { ok: true, frame: JSON.stringify(parsed.data) };
}
