// Frames are parsed at the edge: JSON that the protocol schema accepts, or a reason why not.
import { describe, expect, it } from 'vitest';
import { eventFrameSchema, terminalClientFrameSchema, terminalServerFrameSchema } from '../../../../server/api/protocol/index.ts';
import { parseJsonFrame, serializeFrame } from '../../../../web/src/api/frames.ts';

describe('parseJsonFrame', () => {
  it('accepts a frame the protocol defines', () => {
    const parsed = parseJsonFrame(JSON.stringify({ type: 'output', data: '\x1b[32mallowed\x1b[0m' }), terminalServerFrameSchema);
    expect(parsed).toEqual({ ok: true, frame: { type: 'output', data: '\x1b[32mallowed\x1b[0m' } });
  });

  it('refuses text that is not JSON and quotes (a bounded part of) it', () => {
    const parsed = parseJsonFrame('not json'.repeat(50), terminalServerFrameSchema);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(/^frame is not JSON: not json/);
      expect(parsed.error.length).toBeLessThan(200);
    }
  });

  it('refuses an unknown frame type with the path of the problem', () => {
    const parsed = parseJsonFrame(JSON.stringify({ type: 'sandbox', sandbox: { id: 'nope' } }), eventFrameSchema);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain('at sandbox.');
  });

  it('refuses binary frames', () => {
    expect(parseJsonFrame(new ArrayBuffer(4), terminalServerFrameSchema)).toEqual({ ok: false, error: 'binary frame received where JSON text was expected' });
  });
});

describe('serializeFrame', () => {
  it('checks what we send against the schema the server checks it with', () => {
    expect(serializeFrame({ type: 'resize', cols: 120, rows: 40 }, terminalClientFrameSchema)).toEqual({ ok: true, frame: '{"type":"resize","cols":120,"rows":40}' });
    expect(serializeFrame({ type: 'resize', cols: 3, rows: 40 }, terminalClientFrameSchema).ok).toBe(false);
  });
});
