/**
 * GDB remote serial protocol framing: packets, checksums, escapes, run-length decoding and the
 * out-of-band bytes, as a pure byte-stream parser shared by the client and the server.
 *
 * A packet is `$payload#cc` where cc is the modulo-256 sum of the payload bytes as sent, in two
 * hex digits; `}` escapes `$`, `#`, `}` and `*` (the byte XOR 0x20), and a packet may compress
 * runs as `c*n` (n - 29 more copies of c). Outside packets a peer sends `+`/`-` (acknowledge or
 * ask for a resend, until no-ack mode) and the client sends the single byte 0x03 to interrupt a
 * running target (GDB manual, "Overview" and "Interrupts" of the Remote Protocol appendix).
 * Strings here are byte strings: one char per byte (latin1), so binary payloads (`X`, `qXfer`)
 * pass through unchanged. This layer knows nothing about sockets.
 *
 * @example
 *   const parser = new PacketParser((e) => e.kind === 'packet' && handle(e.payload));
 *   socket.on('data', (d) => parser.push(d.toString('latin1')));
 *   socket.write(encodePacket('qSupported'), 'latin1');
 */

export function checksum(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum = (sum + body.charCodeAt(i)) & 0xff;
  return sum;
}

/** Escapes the bytes the protocol reserves inside a packet ($ # } and *). */
export function escapePayload(payload: string): string {
  return payload.replace(/[$#}*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

/** A whole packet ready to send; the checksum covers the escaped body. */
export function encodePacket(payload: string): string {
  const body = escapePayload(payload);
  return `$${body}#${checksum(body).toString(16).padStart(2, '0')}`;
}

/** Undo escapes and run-length encoding in a received packet body. */
export function decodeBody(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '}') {
      if (i + 1 < body.length) out += String.fromCharCode(body.charCodeAt(++i) ^ 0x20);
    } else if (c === '*' && out.length > 0 && i + 1 < body.length) {
      const count = body.charCodeAt(++i) - 29;
      if (count > 0) out += out[out.length - 1]!.repeat(count);
    } else out += c;
  }
  return out;
}

export type FramingEvent =
  | { kind: 'packet'; payload: string }
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'bad-checksum'; body: string }
  /** A packet longer than the parser's `maxPacket` was dropped unread. */
  | { kind: 'oversized' }
  | { kind: 'interrupt' };

export interface ParserOptions {
  /** Longest packet body kept (bytes); a longer one is dropped with an 'oversized' event. */
  maxPacket?: number;
}

/** Incremental parser: feed it bytes as they arrive; it emits whole events in order. */
export class PacketParser {
  private buf = '';
  /** Where the scan for '#' resumes in a packet still arriving (avoids rescanning). */
  private scanned = 1;
  private readonly maxPacket: number;
  constructor(
    private readonly emit: (e: FramingEvent) => void,
    options: ParserOptions = {},
  ) {
    this.maxPacket = options.maxPacket ?? Infinity;
  }

  push(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      if (this.buf.length === 0) return;
      const c = this.buf[0]!;
      if (c === '+' || c === '-' || c === '\x03') {
        this.buf = this.buf.slice(1);
        this.emit(
          c === '+' ? { kind: 'ack' } : c === '-' ? { kind: 'nak' } : { kind: 'interrupt' },
        );
        continue;
      }
      if (c !== '$') {
        // Noise between packets (a stray newline, a non-stop '%' notification we never ask
        // for) is skipped up to the next thing we understand.
        let next = 1;
        while (next < this.buf.length && !'$+-\x03'.includes(this.buf[next]!)) next++;
        this.buf = this.buf.slice(next);
        continue;
      }
      const hash = this.findHash();
      if (hash < 0 && this.buf.length > this.maxPacket + 3) {
        // Oversized (or a '$' that never ends): drop it and resynchronise on the next '$'.
        const next = this.buf.indexOf('$', 1);
        this.buf = next < 0 ? '' : this.buf.slice(next);
        this.scanned = 1;
        this.emit({ kind: 'oversized' });
        continue;
      }
      if (hash < 0 || this.buf.length < hash + 3) return;
      this.scanned = 1;
      const body = this.buf.slice(1, hash);
      const sum = parseInt(this.buf.slice(hash + 1, hash + 3), 16);
      this.buf = this.buf.slice(hash + 3);
      if (sum !== checksum(body)) this.emit({ kind: 'bad-checksum', body });
      else this.emit({ kind: 'packet', payload: decodeBody(body) });
    }
  }

  /** Index of the terminating '#', skipping escaped bytes (an escaped '#' is data). */
  private findHash(): number {
    let i = this.scanned;
    for (; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (c === '}') {
        if (i + 1 >= this.buf.length) break; // the escaped byte has not arrived yet
        i++;
      } else if (c === '#') {
        this.scanned = 1;
        return i;
      }
    }
    this.scanned = i;
    return -1;
  }
}

/** Hex helpers for register and memory payloads (target byte order: little-endian). */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** True when `s` is a non-empty string of hex digit pairs. */
export function isHex(s: string): boolean {
  return s.length > 0 && s.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(s);
}

export function leWordToHex(v: number): string {
  return bytesToHex(
    Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff),
  );
}

export function hexToLeWord(hex: string): number {
  const b = hexToBytes(hex.slice(0, 8).padEnd(8, '0'));
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

/** Bytes as a byte string (one char per byte), for binary packets such as `X`. */
export function bytesToBinary(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x2000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x2000));
  return s;
}

/** A byte string (one char per byte) as bytes. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Text as the hex string `qRcmd` and `O` packets carry (UTF-8). */
export function textToHex(text: string): string {
  return bytesToHex(new TextEncoder().encode(text));
}

export function hexToText(hex: string): string {
  return new TextDecoder().decode(hexToBytes(hex));
}
