/**
 * Raw HTTP and WebSocket wire helpers for the host's hardening tests and its fuzz suite.
 *
 * A browser or the `ws` client only sends well-formed traffic; these helpers write exactly the
 * bytes a test asks for (request lines no client would produce, frames with reserved opcodes,
 * unmasked or oversized frames, invalid UTF-8) over a plain TCP socket, and parse what the
 * server sends back, so a test can assert on status codes and close codes.
 *
 * @example
 *   const status = await rawRequest(port, 'GET //[x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
 *   const ws = await rawUpgrade(port, { cookie, origin });
 *   ws.socket.write(encodeFrame({ opcode: 0x3, payload: Buffer.from('x') }));
 *   expect((await ws.closed).code).toBe(1002);
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** Sends raw bytes and resolves with the first response's status code (0: no response). */
export function rawRequest(
  port: number,
  bytes: string | Buffer,
  timeoutMs = 5000,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(String(bytes))}`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve(m ? Number(m[1]) : 0);
    };
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.write(bytes);
  });
}

/** Sends raw bytes and resolves with the whole response head (status line and headers). */
export function rawResponseHead(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(data.slice(0, end));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
    socket.write(bytes);
  });
}

export interface FrameSpec {
  fin?: boolean;
  /** RSV1..3 as a 3-bit number. */
  rsv?: number;
  opcode: number;
  payload?: Buffer;
  /** Clients must mask; false sends an unmasked frame (a protocol error from a client). */
  mask?: boolean;
  /** Announce this payload length instead of the real one (for oversized-frame tests). */
  announcedLength?: number;
}

/** Encodes one WebSocket frame as a client would send it (RFC 6455 section 5.2). */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = spec.payload ?? Buffer.alloc(0);
  const length = spec.announcedLength ?? payload.length;
  const masked = spec.mask ?? true;
  const head: number[] = [
    ((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0xf),
  ];
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 0x10000) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    head.push(maskBit | 127);
    const big = BigInt(length);
    for (let i = 7; i >= 0; i--) head.push(Number((big >> BigInt(i * 8)) & 0xffn));
  }
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, body]);
}

export const textFrame = (text: string): Buffer =>
  encodeFrame({ opcode: 0x1, payload: Buffer.from(text, 'utf8') });

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** Incremental parser for the unmasked frames a server sends. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): ServerFrame[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: ServerFrame[] = [];
    for (;;) {
      if (this.buffer.length < 2) break;
      const opcode = this.buffer[0]! & 0xf;
      let length = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) break;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) break;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) break;
      frames.push({ opcode, payload: this.buffer.subarray(offset, offset + length) });
      this.buffer = this.buffer.subarray(offset + length);
    }
    return frames;
  }
}

export interface RawWebSocket {
  socket: net.Socket;
  /** Text messages received (replies and events), in order. */
  messages: string[];
  /** Resolves with the close code the server sent (0 when it just dropped the connection). */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first text message for which `match` returns true. */
  waitFor(match: (text: string) => boolean, timeoutMs?: number): Promise<string>;
}

/** Opens a WebSocket to /rpc by hand and resolves once the server answered 101. */
export function rawUpgrade(
  port: number,
  headers: Record<string, string>,
  path = '/rpc',
): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const key = randomBytes(16).toString('base64');
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    let head = Buffer.alloc(0);
    let upgraded = false;
    const reader = new FrameReader();
    const messages: string[] = [];
    const waiters = new Set<() => void>();
    let settleClose: (c: { code: number; reason: string }) => void = () => {};
    const closed = new Promise<{ code: number; reason: string }>((r) => (settleClose = r));
    const onFrames = (chunk: Buffer): void => {
      for (const f of reader.push(chunk)) {
        if (f.opcode === 0x1) messages.push(f.payload.toString('utf8'));
        else if (f.opcode === 0x8)
          settleClose({
            code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005,
            reason: f.payload.subarray(2).toString('utf8'),
          });
      }
      for (const w of waiters) w();
    };
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) return onFrames(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head.toString('latin1'))?.[1];
      if (status !== '101') {
        socket.destroy();
        reject(new Error(`upgrade answered HTTP ${status ?? '?'}`));
        return;
      }
      upgraded = true;
      resolve({
        socket,
        messages,
        closed,
        waitFor(match, timeoutMs = 10_000) {
          return new Promise((res, rej) => {
            const check = (): void => {
              const hit = messages.find(match);
              if (hit === undefined) return;
              waiters.delete(check);
              clearTimeout(timer);
              res(hit);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rej(new Error(`no matching message within ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
      });
      const rest = head.subarray(end + 4);
      if (rest.length) onFrames(rest);
    });
    socket.on('error', (e) => (upgraded ? settleClose({ code: 0, reason: e.message }) : reject(e)));
    socket.on('close', () => {
      settleClose({ code: 0, reason: 'connection dropped' });
      if (!upgraded) reject(new Error('connection closed before the upgrade'));
    });
    socket.write(lines.join('\r\n') + '\r\n\r\n');
  });
}
