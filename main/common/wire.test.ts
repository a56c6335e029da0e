// WebSocket framing: messages without bytes stay JSON text; bytes travel in one binary frame
// and come back as the same bytes; malformed frames are refused with a reason, never thrown.
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './wire';

describe('wire frames', () => {
  it('keeps a message without bytes as JSON text', () => {
    const m = { kind: 'reply', id: 1, result: { ok: true, value: { a: [1, 'x'] } } };
    const f = encodeFrame(m);
    expect(typeof f).toBe('string');
    expect(decodeFrame(f)).toEqual({ ok: true, value: m });
  });

  it('carries bytes (also Node Buffers) in one binary frame, in place', () => {
    const a = Uint8Array.from([0, 1, 2, 255]);
    const bytes = Buffer.from('héllo');
    const m = { kind: 'reply', id: 2, result: { ok: true, value: { a, nested: [{ bytes }] } } };
    const f = encodeFrame(m);
    expect(f).toBeInstanceOf(Uint8Array);
    const d = decodeFrame(f as Uint8Array);
    expect(d.ok).toBe(true);
    const v = (d as { value: typeof m }).value;
    expect(v.result.value.a).toEqual(a);
    expect(v.result.value.a).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(v.result.value.nested[0]!.bytes).toString()).toBe('héllo');
    // Empty byte arrays survive too.
    const e = decodeFrame(encodeFrame({ x: new Uint8Array(0) }) as Uint8Array);
    expect(e).toEqual({ ok: true, value: { x: new Uint8Array(0) } });
  });

  it('refuses malformed frames with a reason', () => {
    expect(decodeFrame('{')).toEqual({ ok: false, error: 'frame is not valid JSON' });
    expect(decodeFrame(new Uint8Array([1, 0]))).toMatchObject({ ok: false });
    const header = new TextEncoder().encode('{"x":{"$bytes":[0,10]}}');
    const frame = new Uint8Array(4 + header.length + 3);
    new DataView(frame.buffer).setUint32(0, header.length, true);
    frame.set(header, 4);
    expect(decodeFrame(frame)).toEqual({
      ok: false,
      error: 'binary frame refers to bytes outside the frame',
    });
    const long = new Uint8Array(8);
    new DataView(long.buffer).setUint32(0, 100, true);
    expect(decodeFrame(long)).toMatchObject({ ok: false });
  });

  it('leaves a "$bytes" object in a text frame as a plain object (no bytes from JSON)', () => {
    expect(decodeFrame('{"x":{"$bytes":[0,1]}}')).toEqual({
      ok: true,
      value: { x: { $bytes: [0, 1] } },
    });
  });
});
