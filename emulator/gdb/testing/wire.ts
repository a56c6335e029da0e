/**
 * A scripted GDB client on an in-memory wire, for the server's tests: sends packets (with acks
 * or without), raw bytes and Ctrl-C, and waits for the server's next packet.
 *
 * @example
 *   const w = new Wire(server);
 *   expect(await w.ask('qSupported:swbreak+')).toContain('PacketSize');
 */
import { encodePacket, PacketParser } from '../framing';
import type { GdbServer, ServerConnection } from '../server';

export class Wire {
  readonly conn: ServerConnection;
  /** Every byte the server sent, in order (acks included). */
  sent = '';
  closed = false;
  private packets: string[] = [];
  private waiters: { resolve: (p: string) => void; reject: (e: Error) => void }[] = [];
  private readonly parser = new PacketParser((e) => {
    if (e.kind !== 'packet') return;
    const w = this.waiters.shift();
    if (w) w.resolve(e.payload);
    else this.packets.push(e.payload);
  });

  constructor(server: GdbServer) {
    this.conn = server.connect({
      send: (bytes) => {
        this.sent += bytes;
        this.parser.push(bytes);
      },
      close: () => {
        this.closed = true;
        for (const w of this.waiters.splice(0))
          w.reject(new Error('the server closed the connection'));
      },
    });
  }

  /** Bytes to the server as they are. */
  raw(bytes: string): void {
    this.conn.receive(bytes);
  }

  /** The server's next packet (already received or still to come). */
  next(timeoutMs = 20_000): Promise<string> {
    const p = this.packets.shift();
    if (p !== undefined) return Promise.resolve(p);
    if (this.closed) return Promise.reject(new Error('the server closed the connection'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no packet from the server')), timeoutMs);
      this.waiters.push({
        resolve: (x) => {
          clearTimeout(timer);
          resolve(x);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Packets already received and not yet taken. */
  get pending(): number {
    return this.packets.length;
  }

  send(payload: string): void {
    this.raw(encodePacket(payload));
  }

  /** Sends a packet and returns the reply. */
  async ask(payload: string): Promise<string> {
    this.send(payload);
    return this.next();
  }
}
