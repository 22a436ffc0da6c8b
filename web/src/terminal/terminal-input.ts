// Splits what the user typed or pasted into input frames the server accepts: a pasted policy for `apply`
// can exceed one frame's limit, so it goes as several frames, in order, never cut inside a character.
import { Limits } from '../../../server/api/protocol/index.ts';

/** Characters per frame: a UTF-16 code unit is at most 3 UTF-8 bytes, so this stays under the byte limit. */
export const maxInputChars = Math.floor(Limits.maxTerminalInputBytes / 3);

export function splitInput(data: string, maxChars: number = maxInputChars): string[] {
  if (data.length <= maxChars) return data === '' ? [] : [data];
  const chunks: string[] = [];
  let start = 0;
  while (start < data.length) {
    let end = Math.min(start + maxChars, data.length);
    // Do not split a surrogate pair (an emoji in a label value) across two frames.
    const last = data.charCodeAt(end - 1);
    if (end < data.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    chunks.push(data.slice(start, end));
    start = end;
  }
  return chunks;
}

/** The terminal frame schema's bounds; a panel squeezed very small still sends a size the server accepts. */
export function clampTerminalSize(cols: number, rows: number): { readonly cols: number; readonly rows: number } {
  const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, Math.floor(Number.isFinite(value) ? value : min)));
  return { cols: clamp(cols, 10, 1000), rows: clamp(rows, 2, 500) };
}
