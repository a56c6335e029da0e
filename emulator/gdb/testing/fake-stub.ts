/**
 * A scripted gdbstub for tests: the far end of a `GdbTransport`, speaking the framing for real
 * (acknowledgements until no-ack mode, checksums, escapes) and answering each packet through a
 * handler the test writes. It can corrupt a packet, refuse ours with `-`, stay silent, send
 * `O` output, deliver a stop reply later (`stop`), and drop the connection (`drop`).
 *
 * Real stubs (QEMU's gdbstub) are tested in tests/kernel and tests/lockstep; this one reaches
 * the corners a real stub will not show on demand.
 *
 * @example
 *   const stub = new FakeStub((p) => (p === 'g' ? '00'.repeat(68) : undefined));
 *   const client = await GdbRemoteClient.open(stub.transport);
 */
import type { GdbTransport } from '../client';
import { checksum, encodePacket, escapePayload, PacketParser, textToHex } from '../framing';

/** A reply: one payload, several (sent in order), or nothing (undefined: the default answer). */
export type StubReply = string | string[] | null | undefined;

export class FakeStub {
  /** Every packet the client sent, in order (payloads, decoded). */
  readonly received: string[] = [];
  /** Raw bytes the client sent outside packets (acks, ^C). */
  readonly outOfBand: string[] = [];
  noAck = false;
  /** Corrupt the checksum of the next packet sent (the client must ask for a resend). */
  corruptNext = false;
  /** Answer the next packet with '-' once (the client must resend it). */
  nakNext = false;
  closed = false;
  private onData: ((chunk: string) => void) | null = null;
  private onClose: ((reason: string) => void) | null = null;
  private lastSent = '';
  private readonly parser: PacketParser;

  constructor(
    private readonly handler: (payload: string, stub: FakeStub) => StubReply,
    /** Called for the ^C byte; return a stop reply to send, or null. */
    private readonly onInterrupt: (stub: FakeStub) => string | null = () => 'T02',
  ) {
    this.parser = new PacketParser((e) => {
      if (e.kind === 'packet') this.onPacket(e.payload);
      else if (e.kind === 'interrupt') {
        this.outOfBand.push('\x03');
        const r = this.onInterrupt(this);
        if (r !== null) this.send(r);
      } else if (e.kind === 'nak') {
        this.outOfBand.push('-');
        this.deliver(this.lastSent);
      } else if (e.kind === 'ack') this.outOfBand.push('+');
    });
  }

  readonly transport: GdbTransport = {
    write: (data) => {
      if (!this.closed) this.parser.push(data);
    },
    close: () => this.drop('closed by the client'),
    listen: (onData, onClose) => {
      this.onData = onData;
      this.onClose = onClose;
    },
  };

  private onPacket(payload: string): void {
    if (this.nakNext) {
      this.nakNext = false;
      this.deliver('-');
      return;
    }
    this.received.push(payload);
    if (!this.noAck) this.deliver('+');
    const r = this.handler(payload, this);
    if (payload === 'QStartNoAckMode' && r === 'OK') {
      this.send('OK');
      this.noAck = true;
      return;
    }
    if (r === null) return; // silent (a resume waiting for `stop`, or a dead stub)
    const replies = r === undefined ? [''] : Array.isArray(r) ? r : [r];
    for (const x of replies) this.send(x);
  }

  /** Sends one packet to the client now (a stop reply for a resume, `O` output...). */
  send(payload: string): void {
    let packet = encodePacket(payload);
    if (this.corruptNext) {
      this.corruptNext = false;
      const body = escapePayload(payload);
      packet = `$${body}#${((checksum(body) + 1) & 0xff).toString(16).padStart(2, '0')}`;
      this.lastSent = encodePacket(payload);
    } else this.lastSent = packet;
    this.deliver(packet);
  }

  /** `O` console output. */
  output(text: string): void {
    this.send(`O${textToHex(text)}`);
  }

  private deliver(data: string): void {
    if (!this.closed) queueMicrotask(() => this.onData?.(data));
  }

  /** Drops the connection. */
  drop(reason = 'connection reset'): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.onClose?.(reason));
  }
}
