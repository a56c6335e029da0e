/**
 * GDB remote serial protocol framing: packet encoding, checksums, escapes and run-length
 * decoding, as a pure byte-stream parser.
 *
 * A packet is `$payload#cc` where cc is the modulo-256 sum of the payload bytes in two hex
 * digits; `}` escapes `$`, `#`, `}` and `*` (the byte XOR 0x20), and a reply may compress runs
 * as `c*n` (n-29 more copies of c). Acknowledgements are `+`/`-` until no-ack mode. This layer
 * knows nothing about sockets, so both the client (QEMU lockstep) and a future server (the
 * emulator's own gdbstub) share it.
 *
 * @example
 *   const parser = new PacketParser((p) => console.log(p), (ack) => undefined);
 *   parser.push(bytes); socket.write(encodePacket('qSupported'));
 */

export function checksum(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload.charCodeAt(i)) & 0xff;
  return sum;
}

/** Escapes the characters the protocol reserves. */
export function escapePayload(payload: string): string {
  return payload.replace(/[$#}*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

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
      out += String.fromCharCode(body.charCodeAt(++i) ^ 0x20);
    } else if (c === '*') {
      const count = body.charCodeAt(++i) - 29;
      out += out[out.length - 1]!.repeat(count);
    } else out += c;
  }
  return out;
}

export type FramingEvent =
  | { kind: 'packet'; payload: string }
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'bad-checksum'; body: string }
  | { kind: 'interrupt' };

/** Incremental parser: feed it bytes as they arrive; it emits whole events. */
export class PacketParser {
  private buf = '';
  constructor(private readonly emit: (e: FramingEvent) => void) {}

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
        // Noise between packets (e.g. a stray newline) is skipped.
        const next = this.buf.indexOf('$');
        this.buf = next < 0 ? '' : this.buf.slice(next);
        continue;
      }
      const hash = this.findHash();
      if (hash < 0 || this.buf.length < hash + 3) return;
      const body = this.buf.slice(1, hash);
      const sum = parseInt(this.buf.slice(hash + 1, hash + 3), 16);
      this.buf = this.buf.slice(hash + 3);
      if (sum !== checksum(body)) this.emit({ kind: 'bad-checksum', body });
      else this.emit({ kind: 'packet', payload: decodeBody(body) });
    }
  }

  /** Index of the terminating '#', skipping escaped bytes (an escaped '#' is data). */
  private findHash(): number {
    for (let i = 1; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (c === '}') i++;
      else if (c === '#') return i;
    }
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

export function leWordToHex(v: number): string {
  return bytesToHex(
    Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff),
  );
}

export function hexToLeWord(hex: string): number {
  const b = hexToBytes(hex.slice(0, 8));
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}
