/**
 * WebSocket framing of the contract's messages: JSON text, or one binary frame when a message
 * carries raw bytes.
 *
 * Electron's IPC clones `Uint8Array`s as they are; JSON cannot. So that the contract's `bytes`
 * kind means the same on both transports, a message holding bytes is sent as a binary frame:
 * a little-endian u32 with the length of a JSON header, the header (the message with each
 * `Uint8Array` replaced by `{"$bytes":[offset,length]}`), then the bytes back to back. Messages
 * without bytes stay plain JSON text, readable in the browser's network tools. Pure TypeScript,
 * used by the host's server and the renderer's client alike.
 *
 * @example
 *   ws.send(encodeFrame({ kind: 'reply', id: 3, result: { ok: true, value: { bytes } } }));
 *   const r = decodeFrame(event.data); // { ok: true, value: message } | { ok: false, error }
 */
import type { Checked } from './schema.js';

const BYTES_KEY = '$bytes';

/** Text for a message without bytes, else one binary frame. */
export function encodeFrame(message: unknown): string | Uint8Array {
  const blobs: Uint8Array[] = [];
  let offset = 0;
  const text = JSON.stringify(message, function (this: Record<string, unknown>, key, value) {
    // `this[key]` is the value before toJSON (a Node Buffer would otherwise become an array).
    const raw = this[key];
    if (raw instanceof Uint8Array) {
      blobs.push(raw);
      const at = offset;
      offset += raw.length;
      return { [BYTES_KEY]: [at, raw.length] };
    }
    return value as unknown;
  });
  if (blobs.length === 0) return text;
  const header = new TextEncoder().encode(text);
  const frame = new Uint8Array(4 + header.length + offset);
  new DataView(frame.buffer).setUint32(0, header.length, true);
  frame.set(header, 4);
  let at = 4 + header.length;
  for (const b of blobs) {
    frame.set(b, at);
    at += b.length;
  }
  return frame;
}

/** Decodes one frame (text or binary) into a message; never throws. */
export function decodeFrame(data: string | Uint8Array): Checked<unknown> {
  if (typeof data === 'string') {
    try {
      return { ok: true, value: JSON.parse(data) };
    } catch {
      return { ok: false, error: 'frame is not valid JSON' };
    }
  }
  if (data.length < 4) return { ok: false, error: 'binary frame is shorter than its header' };
  const headerLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(
    0,
    true,
  );
  if (headerLength > data.length - 4)
    return { ok: false, error: 'binary frame header is longer than the frame' };
  const body = data.subarray(4 + headerLength);
  let bad: string | null = null;
  let value: unknown;
  try {
    value = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(4, 4 + headerLength)),
      (_key, v: unknown) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
        const keys = Object.keys(v);
        if (keys.length !== 1 || keys[0] !== BYTES_KEY) return v;
        const ref = (v as Record<string, unknown>)[BYTES_KEY];
        if (
          !Array.isArray(ref) ||
          ref.length !== 2 ||
          !ref.every((n) => Number.isInteger(n) && n >= 0) ||
          (ref[0] as number) + (ref[1] as number) > body.length
        ) {
          bad = 'binary frame refers to bytes outside the frame';
          return null;
        }
        // A copy, so a kept value does not pin the whole frame in memory.
        return body.slice(ref[0] as number, (ref[0] as number) + (ref[1] as number));
      },
    );
  } catch {
    return { ok: false, error: 'binary frame header is not valid JSON' };
  }
  return bad ? { ok: false, error: bad } : { ok: true, value };
}
