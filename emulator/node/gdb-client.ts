/**
 * GDB remote-protocol client: drives a gdbstub (QEMU's, for the lockstep harness) over TCP.
 *
 * Layers: `gdb-packet.ts` frames bytes; `GdbClient` sends one command at a time and matches
 * its reply, handles acknowledgements until it switches the stub to no-ack mode, reads the
 * target description to learn which registers `g` returns, and offers typed calls for the
 * packets the harness needs (g, p, P, m, M, s, c, ^C, Z/z, vCont, Qqemu.sstep). Only `connect`
 * touches the socket. Errors come back as values (`GdbError` results) where a stub can
 * reasonably refuse; a dead connection rejects pending calls.
 *
 * @example
 *   const gdb = await GdbClient.connect('127.0.0.1', 1234);
 *   await gdb.step();
 *   const regs = await gdb.readRegisters();
 */
import { Socket } from 'node:net';
import {
  encodePacket,
  hexToBytes,
  hexToLeWord,
  leWordToHex,
  bytesToHex,
  PacketParser,
} from '../gdb/framing';

export interface RegisterInfo {
  name: string;
  bitsize: number;
  regnum: number;
  feature: string;
}

export interface StopReply {
  signal: number;
  raw: string;
}

/** Flags of QEMU's Qqemu.sstep: single-step enable, and whether IRQs and timers run meanwhile. */
export const SSTEP_ENABLE = 1;
export const SSTEP_NOIRQ = 2;
export const SSTEP_NOTIMER = 4;

export class GdbError extends Error {}

interface Pending {
  resolve: (reply: string) => void;
  reject: (e: Error) => void;
}

export class GdbClient {
  private pending: Pending[] = [];
  private noAck = false;
  private closed = false;
  /** Registers in `g` order, from the target description. */
  registers: RegisterInfo[] = [];
  private readonly parser: PacketParser;
  /** Round trips made, for rate measurements. */
  roundTrips = 0;

  private constructor(private readonly socket: Socket) {
    this.parser = new PacketParser((e) => {
      if (e.kind === 'packet') {
        if (!this.noAck) socket.write('+');
        // Console output from the stub ('O' packets while running) is not a reply.
        if (e.payload.startsWith('O') && e.payload.length > 1 && /^O[0-9a-f]+$/.test(e.payload))
          return;
        this.pending.shift()?.resolve(e.payload);
      } else if (e.kind === 'bad-checksum') {
        socket.write('-');
      }
    });
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => this.parser.push(d));
    const fail = (err: Error): void => {
      this.closed = true;
      for (const p of this.pending.splice(0)) p.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new GdbError('gdbstub connection closed')));
  }

  /** Connect, retrying while the stub starts (QEMU opens its port a moment after launch). */
  static async connect(host: string, port: number, timeoutMs = 5000): Promise<GdbClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = new Socket();
          s.once('error', reject);
          s.connect(port, host, () => {
            s.off('error', reject);
            resolve(s);
          });
        });
        const client = new GdbClient(socket);
        await client.handshake();
        return client;
      } catch (e) {
        if (Date.now() > deadline)
          throw new GdbError(`cannot reach gdbstub at ${host}:${port}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private async handshake(): Promise<void> {
    await this.command('qSupported:multiprocess-;swbreak+;hwbreak+;qRelocInsn-;xmlRegisters=arm');
    const r = await this.command('QStartNoAckMode');
    if (r === 'OK') this.noAck = true;
    this.registers = await this.readTargetDescription();
  }

  /** Send one packet and wait for its reply. */
  command(payload: string): Promise<string> {
    if (this.closed) return Promise.reject(new GdbError('gdbstub connection closed'));
    this.roundTrips++;
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encodePacket(payload));
    });
  }

  /** Send several packets back to back and collect their replies in order (fewer waits). */
  pipeline(payloads: string[]): Promise<string[]> {
    return Promise.all(payloads.map((p) => this.command(p)));
  }

  private async readXfer(annex: string): Promise<string> {
    let out = '';
    for (;;) {
      const r = await this.command(`qXfer:features:read:${annex}:${out.length.toString(16)},ffb`);
      if (r.startsWith('E') || r === '')
        throw new GdbError(`target description ${annex} unavailable (${r || 'empty'})`);
      out += r.slice(1);
      if (r[0] === 'l') return out;
    }
  }

  /** Registers of the target description in order (including included feature files). */
  private async readTargetDescription(): Promise<RegisterInfo[]> {
    const top = await this.readXfer('target.xml');
    const files = [...top.matchAll(/<xi:include href="([^"]+)"/g)].map((m) => m[1]!);
    const docs = files.length ? await Promise.all(files.map((f) => this.readXfer(f))) : [top];
    const regs: RegisterInfo[] = [];
    let next = 0;
    for (const doc of docs) {
      const feature = /<feature name="([^"]+)"/.exec(doc)?.[1] ?? '';
      for (const m of doc.matchAll(/<reg ([^>]*)\/?>/g)) {
        const attrs = Object.fromEntries(
          [...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]),
        );
        const regnum = attrs.regnum !== undefined ? Number(attrs.regnum) : next;
        next = regnum + 1;
        regs.push({
          name: attrs.name ?? `r${regnum}`,
          bitsize: Number(attrs.bitsize ?? 32),
          regnum,
          feature,
        });
      }
    }
    return regs;
  }

  /** All registers `g` returns, by name (values up to 32 bits; wider ones are skipped). */
  async readRegisters(): Promise<Map<string, number>> {
    const hex = await this.command('g');
    if (hex.startsWith('E')) throw new GdbError(`g failed: ${hex}`);
    return this.parseRegisters(hex);
  }

  parseRegisters(hex: string): Map<string, number> {
    const out = new Map<string, number>();
    let pos = 0;
    for (const r of [...this.registers].sort((a, b) => a.regnum - b.regnum)) {
      const len = (r.bitsize / 8) * 2;
      if (pos + len > hex.length) break;
      if (r.bitsize <= 32 && !hex.startsWith('xx', pos))
        out.set(r.name, hexToLeWord(hex.slice(pos, pos + len).padEnd(8, '0')));
      pos += len;
    }
    return out;
  }

  async readRegister(regnum: number): Promise<number> {
    const r = await this.command(`p${regnum.toString(16)}`);
    if (r.startsWith('E') || r === '')
      throw new GdbError(`p${regnum.toString(16)} failed: ${r || 'unsupported'}`);
    return hexToLeWord(r.padEnd(8, '0'));
  }

  async writeRegister(regnum: number, value: number): Promise<void> {
    const r = await this.command(`P${regnum.toString(16)}=${leWordToHex(value)}`);
    if (r !== 'OK') throw new GdbError(`P${regnum.toString(16)} failed: ${r || 'unsupported'}`);
  }

  async readMemory(address: number, length: number): Promise<Uint8Array> {
    const r = await this.command(`m${(address >>> 0).toString(16)},${length.toString(16)}`);
    if (r.startsWith('E'))
      throw new GdbError(`cannot read ${length} bytes at 0x${(address >>> 0).toString(16)}: ${r}`);
    return hexToBytes(r);
  }

  async writeMemory(address: number, data: Uint8Array): Promise<void> {
    const r = await this.command(
      `M${(address >>> 0).toString(16)},${data.length.toString(16)}:${bytesToHex(data)}`,
    );
    if (r !== 'OK') throw new GdbError(`cannot write at 0x${(address >>> 0).toString(16)}: ${r}`);
  }

  private parseStop(r: string): StopReply {
    if (r[0] !== 'T' && r[0] !== 'S') throw new GdbError(`unexpected stop reply: ${r}`);
    return { signal: parseInt(r.slice(1, 3), 16), raw: r };
  }

  async step(): Promise<StopReply> {
    return this.parseStop(await this.command('s'));
  }

  async cont(): Promise<StopReply> {
    return this.parseStop(await this.command('c'));
  }

  /**
   * Interrupt a running target (the protocol's out-of-band ^C byte): the pending `cont` then
   * resolves with the stub's stop reply.
   */
  interrupt(): void {
    if (!this.closed) this.socket.write('\x03');
  }

  /** QEMU: choose whether IRQs and timers run during single-steps (default: both masked). */
  async setSingleStepFlags(flags: number): Promise<void> {
    const r = await this.command(`Qqemu.sstep=${flags.toString(16)}`);
    if (r !== 'OK') throw new GdbError(`Qqemu.sstep not accepted: ${r || 'unsupported'}`);
  }

  async insertBreakpoint(address: number, hardware = false): Promise<void> {
    const r = await this.command(`Z${hardware ? 1 : 0},${(address >>> 0).toString(16)},2`);
    if (r !== 'OK')
      throw new GdbError(`breakpoint at 0x${address.toString(16)} refused: ${r || 'unsupported'}`);
  }

  async removeBreakpoint(address: number, hardware = false): Promise<void> {
    const r = await this.command(`z${hardware ? 1 : 0},${(address >>> 0).toString(16)},2`);
    if (r !== 'OK')
      throw new GdbError(
        `breakpoint removal at 0x${address.toString(16)} refused: ${r || 'unsupported'}`,
      );
  }

  /** Ask the stub to kill the target, then close. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.socket.write(encodePacket('k'));
      this.socket.end();
      this.closed = true;
    }
  }
}
