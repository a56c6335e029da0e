/**
 * GDB remote protocol client: talks to a gdbstub (QEMU's, OpenOCD's, a probe's) over any byte
 * transport, with every answer a `Result`.
 *
 * Layers (house style: target, protocol, framing, transport): `framing.ts` turns bytes into
 * packets; `protocol.ts` decodes replies; this client runs the conversation; only the transport
 * (emulator/node/gdb-socket.ts for TCP) touches a socket. The client
 * - negotiates on `open`: `qSupported`, no-ack mode when the stub offers `QStartNoAckMode`,
 *   `vCont?` (which resume actions exist, range stepping among them), the target description
 *   (`qXfer:features:read`, so registers and the `g` layout come from the stub), the memory map
 *   (`qXfer:memory-map:read`) when offered, and the initial stop status (`?`);
 * - sends one packet at a time and matches its reply; in acknowledged mode it acknowledges each
 *   packet, answers a bad checksum with `-` and resends on `-`;
 * - collects `O` packets: the text of a `qRcmd` (monitor) command, or target output while a
 *   resume is in flight (`onOutput`);
 * - sends the out-of-band ^C byte to interrupt a running target;
 * - turns a closed connection or a silent stub into error values for every waiting call.
 *
 * Nothing here uses host timers: pass `timers` for request time limits.
 *
 * @example
 *   const c = await GdbRemoteClient.open(transport, { timers });
 *   if (!c.ok) throw new Error(c.error);
 *   const mem = await c.value.readMemory(0x2000_0000, 16);
 */
import { err, ok, type Result } from '../core/result';
import type { MemoryRegion } from '../debug/target';
import {
  bytesToBinary,
  bytesToHex,
  encodePacket,
  hexToBytes,
  hexToText,
  isHex,
  PacketParser,
  textToHex,
} from './framing';
import {
  errorText,
  isErrorReply,
  parseMemoryMap,
  parseStopReply,
  parseSupported,
  readTargetDescription,
  type StopReply,
  type TargetDescriptionInfo,
} from './protocol';

/** A byte pipe to a stub (bytes as a latin1 string, one char per byte). */
export interface GdbTransport {
  write(data: string): void;
  /** Closes the connection; the `onClose` given to `listen` fires once. */
  close(): void;
  /** Installs the receiver: bytes as they arrive, then one close notice naming the cause. */
  listen(onData: (chunk: string) => void, onClose: (reason: string) => void): void;
}

/** Host timers, injected so the client stays pure. */
export interface ClientTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ClientOptions {
  timers?: ClientTimers;
  /** Longest wait for a reply to an ordinary request (not a resume). Default 10 s. */
  requestTimeoutMs?: number;
  /** Features announced in qSupported. */
  features?: string;
  /** A line for each protocol anomaly (unexpected packets, resends). */
  log?: (line: string) => void;
}

/** Z/z point types (GDB manual, "insert breakpoint or watchpoint packet"). */
export const PointType = {
  Software: 0,
  Hardware: 1,
  WriteWatch: 2,
  ReadWatch: 3,
  AccessWatch: 4,
} as const;
export type PointType = (typeof PointType)[keyof typeof PointType];

/** How to resume: continue, one step, or steps while the PC stays in [start, end). */
export type ResumeAction =
  { kind: 'continue' } | { kind: 'step' } | { kind: 'range'; start: number; end: number };

interface Pending {
  packet: string;
  /** A resume: no time limit, and `O` packets are target output. */
  resume: boolean;
  output: string;
  resolve: (r: Result<{ reply: string; output: string }>) => void;
  timer: unknown;
  resends: number;
}

const DEFAULT_FEATURES =
  'multiprocess+;swbreak+;hwbreak+;vContSupported+;qRelocInsn-;xmlRegisters=arm';
const MAX_RESENDS = 3;
const hex = (v: number): string => (v >>> 0).toString(16);

export class GdbRemoteClient {
  /** The stub's qSupported answer. */
  features = new Map<string, string | boolean>();
  /** Resume actions `vCont?` listed ('c', 's', 'r', ...); empty without vCont. */
  vCont = new Set<string>();
  description: TargetDescriptionInfo | null = null;
  memoryMap: MemoryRegion[] | null = null;
  /** The stop status `?` reported on connection. */
  initialStop: StopReply | null = null;
  /** Largest packet the stub accepts (PacketSize), in bytes. */
  packetSize = 400;
  noAck = false;
  /** Packets sent and answered, for rate figures. */
  roundTrips = 0;
  private queue: Pending[] = [];
  private inFlight: Pending | null = null;
  private closedReason: string | null = null;
  private binaryWrite: boolean | null = null;
  private readonly parser: PacketParser;
  private outputListeners: ((text: string) => void)[] = [];
  private closeListeners: ((reason: string) => void)[] = [];

  private constructor(
    private readonly transport: GdbTransport,
    private readonly options: ClientOptions,
  ) {
    this.parser = new PacketParser((e) => {
      switch (e.kind) {
        case 'packet':
          if (!this.noAck) this.transport.write('+');
          this.onPacket(e.payload);
          break;
        case 'bad-checksum':
          if (!this.noAck) this.transport.write('-');
          this.options.log?.(`bad checksum on '${e.body.slice(0, 40)}': asked for a resend`);
          break;
        case 'nak': {
          const p = this.inFlight;
          if (p && p.resends++ < MAX_RESENDS) this.transport.write(p.packet);
          break;
        }
        default:
          break;
      }
    });
    transport.listen(
      (chunk) => this.parser.push(chunk),
      (reason) => this.fail(reason),
    );
  }

  /** Connects the conversation over an open transport and negotiates what the stub offers. */
  static async open(
    transport: GdbTransport,
    options: ClientOptions = {},
  ): Promise<Result<GdbRemoteClient>> {
    const c = new GdbRemoteClient(transport, options);
    const r = await c.handshake();
    if (!r.ok) {
      c.close();
      return r;
    }
    return ok(c);
  }

  private async handshake(): Promise<Result<void>> {
    const sup = await this.command(`qSupported:${this.options.features ?? DEFAULT_FEATURES}`);
    if (!sup.ok) return err(`no answer to qSupported: ${sup.error}`);
    this.features = parseSupported(sup.value);
    const size = this.features.get('PacketSize');
    if (typeof size === 'string' && /^[0-9a-fA-F]+$/.test(size))
      this.packetSize = Math.max(64, parseInt(size, 16));
    if (this.features.get('QStartNoAckMode') === true) {
      const r = await this.command('QStartNoAckMode');
      if (r.ok && r.value === 'OK') this.noAck = true;
    }
    const vc = await this.command('vCont?');
    if (vc.ok && vc.value.startsWith('vCont'))
      for (const a of vc.value.split(';').slice(1)) this.vCont.add(a);
    if (this.features.get('qXfer:features:read') === true) {
      const d = await readTargetDescription((annex) => this.readXfer('features', annex));
      if (!d.ok) return err(`target description: ${d.error}`);
      this.description = d.value;
    }
    if (this.features.get('qXfer:memory-map:read') === true) {
      const m = await this.readXfer('memory-map', '');
      if (m.ok) {
        const map = parseMemoryMap(m.value);
        if (map.ok) this.memoryMap = map.value;
        else this.options.log?.(`ignored the stub's memory map: ${map.error}`);
      }
    }
    const q = await this.command('?');
    if (!q.ok) return err(`no answer to '?': ${q.error}`);
    const stop = parseStopReply(q.value);
    if (stop.ok) this.initialStop = stop.value;
    return ok(undefined);
  }

  /** Reads a whole qXfer object in chunks. */
  async readXfer(object: string, annex: string): Promise<Result<string>> {
    let out = '';
    const chunk = Math.max(64, this.packetSize - 8);
    for (;;) {
      const r = await this.command(
        `qXfer:${object}:read:${annex}:${hex(out.length)},${hex(chunk)}`,
      );
      if (!r.ok) return r;
      if (r.value === '' || isErrorReply(r.value))
        return err(`qXfer ${object} '${annex}' refused: ${errorText(r.value)}`);
      out += r.value.slice(1);
      if (r.value[0] === 'l') return ok(out);
      if (r.value[0] !== 'm') return err(`qXfer ${object} '${annex}': bad reply '${r.value[0]}'`);
    }
  }

  onOutput(listener: (text: string) => void): void {
    this.outputListeners.push(listener);
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closedReason !== null) listener(this.closedReason);
    else this.closeListeners.push(listener);
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Sends one packet and resolves with its reply (and any `O` text that came before it). */
  request(payload: string, resume = false): Promise<Result<{ reply: string; output: string }>> {
    if (this.closedReason !== null) return Promise.resolve(err(this.closedReason));
    return new Promise((resolve) => {
      this.queue.push({
        packet: encodePacket(payload),
        resume,
        output: '',
        resolve,
        timer: undefined,
        resends: 0,
      });
      this.pump();
    });
  }

  /** Sends one packet and resolves with its reply text. */
  async command(payload: string): Promise<Result<string>> {
    const r = await this.request(payload);
    return r.ok ? ok(r.value.reply) : r;
  }

  /** Sends a packet whose only good answer is `OK`. */
  async expectOk(payload: string, what: string): Promise<Result<void>> {
    const r = await this.command(payload);
    if (!r.ok) return r;
    if (r.value === 'OK') return ok(undefined);
    return err(`${what}: ${errorText(r.value)}`);
  }

  private pump(): void {
    if (this.inFlight !== null || this.queue.length === 0 || this.closedReason !== null) return;
    const p = this.queue.shift()!;
    this.inFlight = p;
    const { timers } = this.options;
    if (!p.resume && timers) {
      const ms = this.options.requestTimeoutMs ?? 10_000;
      p.timer = timers.setTimeout(() => {
        // A reply that never came leaves the conversation out of step: end it.
        this.fail(
          `the stub did not answer '${p.packet.slice(1, 40).replace(/#..$/, '')}' within ${ms} ms`,
        );
      }, ms);
    }
    this.transport.write(p.packet);
  }

  private onPacket(payload: string): void {
    const p = this.inFlight;
    if (payload === 'O') {
      // An empty console-output packet: OpenOCD's keep-alive while the target runs (it sends
      // one when GDB has waited about a second). Not the resume's answer: taking it for the stop
      // reply left the session "running" with nothing able to halt it.
      return;
    }
    if (payload.length > 1 && payload[0] === 'O' && isHex(payload.slice(1))) {
      // Console output: a monitor command's text, or the target's while it runs.
      const text = hexToText(payload.slice(1));
      if (p && !p.resume) p.output += text;
      else for (const l of this.outputListeners) l(text);
      return;
    }
    if (p === null) {
      this.options.log?.(`ignored a packet nothing asked for: '${payload.slice(0, 60)}'`);
      return;
    }
    this.inFlight = null;
    if (p.timer !== undefined) this.options.timers?.clearTimeout(p.timer);
    this.roundTrips++;
    p.resolve(ok({ reply: payload, output: p.output }));
    this.pump();
  }

  /** The out-of-band interrupt (^C): a running target stops and its resume request resolves. */
  interrupt(): void {
    if (this.closedReason === null) this.transport.write('\x03');
  }

  private fail(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    const waiting = [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0)];
    this.inFlight = null;
    for (const p of waiting) {
      if (p.timer !== undefined) this.options.timers?.clearTimeout(p.timer);
      p.resolve(err(reason));
    }
    for (const l of this.closeListeners.splice(0)) l(reason);
    this.transport.close();
  }

  /** Closes the connection (without detaching: see `detach`). Idempotent. */
  close(reason = 'connection closed by the client'): void {
    this.fail(reason);
  }

  // ---- typed requests -------------------------------------------------------------------

  /** `g`: all registers as the stub's hex string. */
  async readRegistersHex(): Promise<Result<string>> {
    const r = await this.command('g');
    if (!r.ok) return r;
    if (isErrorReply(r.value) || r.value === '')
      return err(`reading registers failed: ${errorText(r.value)}`);
    return ok(r.value);
  }

  /** `p`: one register's target-order hex, or an error ('not supported' when `p` is absent). */
  async readRegisterHex(regnum: number): Promise<Result<string>> {
    const r = await this.command(`p${hex(regnum)}`);
    if (!r.ok) return r;
    if (isErrorReply(r.value) || r.value === '')
      return err(`reading register ${regnum} failed: ${errorText(r.value)}`);
    return ok(r.value);
  }

  async writeRegisterHex(regnum: number, value: string): Promise<Result<void>> {
    return this.expectOk(`P${hex(regnum)}=${value}`, `writing register ${regnum}`);
  }

  async writeRegistersHex(all: string): Promise<Result<void>> {
    return this.expectOk(`G${all}`, 'writing registers');
  }

  /** `m`, in chunks that fit the stub's packet size; a short reply continues where it ended. */
  async readMemory(address: number, length: number): Promise<Result<Uint8Array>> {
    const out = new Uint8Array(length);
    const max = Math.max(16, Math.floor((this.packetSize - 4) / 2));
    let done = 0;
    while (done < length) {
      const a = (address + done) >>> 0;
      const n = Math.min(max, length - done);
      const r = await this.command(`m${hex(a)},${hex(n)}`);
      if (!r.ok) return r;
      if (isErrorReply(r.value) || r.value === '' || !isHex(r.value))
        return err(`cannot read ${n} byte(s) at 0x${hex(a)}: ${errorText(r.value)}`);
      const bytes = hexToBytes(r.value.slice(0, n * 2));
      out.set(bytes, done);
      done += bytes.length;
    }
    return ok(out);
  }

  /** `X` (binary) when the stub takes it, else `M`; chunked to the packet size. */
  async writeMemory(address: number, data: Uint8Array): Promise<Result<void>> {
    if (this.binaryWrite === null) {
      const probe = await this.command(`X${hex(address)},0:`);
      if (!probe.ok) return probe;
      this.binaryWrite = probe.value === 'OK';
    }
    // Escapes can double binary bytes; hex always does. Leave room for the header.
    const max = Math.max(16, Math.floor((this.packetSize - 32) / 2));
    for (let done = 0; done < data.length;) {
      const a = (address + done) >>> 0;
      const part = data.subarray(done, done + max);
      const packet = this.binaryWrite
        ? `X${hex(a)},${hex(part.length)}:${bytesToBinary(part)}`
        : `M${hex(a)},${hex(part.length)}:${bytesToHex(part)}`;
      const r = await this.expectOk(packet, `cannot write ${part.length} byte(s) at 0x${hex(a)}`);
      if (!r.ok) return r;
      done += part.length;
    }
    return ok(undefined);
  }

  /** Z: insert a breakpoint (`kind` 2 for Thumb) or a watchpoint (`kind` = length). */
  insertPoint(type: PointType, address: number, kind: number): Promise<Result<void>> {
    return this.expectOk(`Z${type},${hex(address)},${hex(kind)}`, pointWhat(type, address));
  }

  removePoint(type: PointType, address: number, kind: number): Promise<Result<void>> {
    return this.expectOk(
      `z${type},${hex(address)},${hex(kind)}`,
      `removing ${pointWhat(type, address)}`,
    );
  }

  /**
   * Resumes and resolves when the target stops again (the stop reply). Uses vCont when the stub
   * has it (`vCont;r` for a range when offered); a range without `r` is refused here (the
   * caller steps instead).
   */
  async resume(action: ResumeAction): Promise<Result<StopReply>> {
    let packet: string;
    if (action.kind === 'range') {
      if (!this.vCont.has('r')) return err('the stub does not offer range stepping (vCont;r)');
      packet = `vCont;r${hex(action.start)},${hex(action.end)}`;
    } else if (action.kind === 'step') packet = this.vCont.has('s') ? 'vCont;s' : 's';
    else packet = this.vCont.has('c') ? 'vCont;c' : 'c';
    const r = await this.request(packet, true);
    if (!r.ok) return r;
    if (isErrorReply(r.value.reply)) return err(`${packet} refused: ${errorText(r.value.reply)}`);
    return parseStopReply(r.value.reply);
  }

  /** `qRcmd`: a monitor command; resolves with the text it printed. */
  async monitor(command: string): Promise<Result<string>> {
    const r = await this.request(`qRcmd,${textToHex(command)}`);
    if (!r.ok) return r;
    const { reply, output } = r.value;
    if (reply === 'OK') return ok(output);
    if (reply === '') return err(`the stub has no monitor commands (qRcmd unsupported)`);
    if (isErrorReply(reply))
      return err(`monitor '${command}' failed: ${errorText(reply)}${output ? `\n${output}` : ''}`);
    // Some stubs answer with the text itself, hex-encoded, instead of O packets.
    if (isHex(reply)) return ok(output + hexToText(reply));
    return err(`monitor '${command}': unexpected reply '${reply.slice(0, 60)}'`);
  }

  /** `D`: let the target run on without us, then close. */
  async detach(): Promise<void> {
    if (this.closedReason !== null) return;
    await this.command('D');
    this.close('detached');
  }

  /** `k`: ask the stub to kill the target (QEMU exits), then close. */
  kill(): void {
    if (this.closedReason !== null) return;
    this.transport.write(encodePacket('k'));
    this.close('killed the target');
  }
}

function pointWhat(type: PointType, address: number): string {
  const what = [
    'software breakpoint',
    'hardware breakpoint',
    'write watchpoint',
    'read watchpoint',
    'access watchpoint',
  ][type];
  return `${what} at 0x${hex(address)}`;
}
