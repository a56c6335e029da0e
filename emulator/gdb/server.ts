/**
 * GDB server: GDB's remote serial protocol spoken over any `DebugTarget`, so gdb-multiarch,
 * Cortex-Debug, CLion and other front ends drive our emulator (and, later, a real board behind
 * the same seam) as they drive QEMU or OpenOCD.
 *
 * Pure TypeScript over two small interfaces: the target below and a byte connection above
 * (`ServerConnectionIo`: send a byte string, close). The Node transport (emulator/node) owns
 * the sockets. Framing is emulator/gdb/framing.ts, shared with our GDB client. The reference is
 * the GDB manual's "Remote Protocol" appendix; the packets served:
 * - negotiation: `qSupported` (PacketSize, QStartNoAckMode, qXfer features/memory-map/threads,
 *   vContSupported, swbreak/hwbreak, ReverseStep/ReverseContinue when the target can),
 *   `QStartNoAckMode`, `!`, `qAttached`, `vMustReplyEmpty` and every unknown packet (empty reply);
 * - state: `?`, `g`/`G`, `p`/`P`, `m`/`M`/`X`, `qXfer:features:read` (m-profile, m-system, and
 *   vfp when the core has an FPU), `qXfer:memory-map:read`;
 * - running: `c`/`C`/`s`/`S`, `vCont` with c, C, s, S and r (range stepping), Ctrl-C, `bs`/`bc`
 *   (reverse step and continue), `D`, `k`, `R`;
 * - breakpoints: `Z0`/`Z1` as the target's breakpoints (no memory is patched), `Z2`/`Z3`/`Z4`
 *   watchpoints whose stop replies carry the exact data address;
 * - flash: `vFlashErase`/`vFlashWrite`/`vFlashDone`, applied at vFlashDone through the target's
 *   programmable-memory path, all or nothing (a failure puts the old flash contents back);
 * - threads: thread 1 is the core as it stands (the kernel); a `ThreadSource` adds more (Tock
 *   processes from their saved contexts): `qfThreadInfo`, `qXfer:threads:read`, `Hg`, `T`,
 *   `qThreadExtraInfo`;
 * - `qRcmd` (`monitor`): reset, reset halt, reset init, halt, reg (what Cortex-Debug sends to an
 *   "external" server), and ours: tock list, trace on|off|show, snapshot save|restore NAME.
 *
 * Several connections may be open at once (Cortex-Debug's Live Watch opens a second one and
 * reads memory while the first one's `continue` runs): the target is shared, each connection
 * gets the stop replies of the runs it started, and breakpoints are counted per connection so a
 * detaching client takes only its own away. A handler that throws answers an error; nothing a
 * client sends can stop the server answering the others.
 *
 * @example
 *   const server = new GdbServer(target, { threads });
 *   const conn = server.connect({ send: (s) => socket.write(s, 'latin1'), close: () => socket.end() });
 *   socket.on('data', (d) => conn.receive(d.toString('latin1')));
 *   socket.on('close', () => conn.disconnected());
 */
import { disassembleWord } from '../core/index';
import { err, ok, type Result } from '../core/result';
import {
  CORE_REGISTER_NAMES,
  type CoreRegisterName,
  type CoreRegisters,
  type DebugTarget,
  type StopInfo,
  type TargetEvent,
  type Watchpoint,
} from '../debug/target';
import {
  binaryToBytes,
  bytesToHex,
  encodePacket,
  hexToBytes,
  hexToText,
  isHex,
  leWordToHex,
  PacketParser,
  textToHex,
  type FramingEvent,
} from './framing';
import { SIGINT, SIGTRAP } from './protocol';
import {
  memoryMapXml,
  serverRegisters,
  targetXml,
  threadsXml,
  type ServerRegister,
} from './target-xml';

/** Largest packet we accept and announce (PacketSize): 16 KiB, as OpenOCD. */
export const PACKET_SIZE = 0x4000;
const SIGSEGV = 11;
/** The thread that is the core itself (GDB thread ids are positive). */
export const CORE_THREAD = 1;

/** One thread besides the core: a Tock process, say, shown from its saved context. */
export interface ServerThread {
  /** GDB thread id, 2 or more (1 is the core). */
  id: number;
  name: string;
  /** Shown by `info threads` (state, and what the thread is doing). */
  extra: string;
  /** True when the core is executing this thread now: its registers are the core's. */
  current: boolean;
  /** Its registers as saved (null when `current`). Missing ones read as unavailable. */
  registers: Partial<CoreRegisters> | null;
}

/** Where threads beyond the core come from (Tock's process table). */
export interface ThreadSource {
  /** The threads at the current stop. */
  threads(target: DebugTarget): Promise<Result<ServerThread[]>>;
  /** The text of `monitor tock list` (or the like); absent: not offered. */
  describe?(target: DebugTarget): Promise<Result<string>>;
}

export interface GdbServerOptions {
  threads?: ThreadSource;
  /** Largest packet (default PACKET_SIZE). */
  packetSize?: number;
  /** A line for the server's log (connections, errors). */
  log?: (line: string) => void;
  /**
   * Asked at a breakpoint stop at an address no client set a breakpoint on, while the clients
   * waiting for a stop all wait on their own `continue` (never a step: a step is told every
   * stop). True when the stop is not theirs to see (the IDE's breakpoint whose condition is
   * false): the clients keep waiting, and whoever owns this option runs the target on
   * (`deferredStop` tells it the server asked about that stop).
   */
  hideStop?: (stop: StopInfo) => Promise<boolean>;
}

/** What the transport gives a connection. */
export interface ServerConnectionIo {
  send(bytes: string): void;
  close(): void;
}

/** What the transport calls on a connection. */
export interface ServerConnection {
  readonly id: number;
  /** Bytes from the client (a latin1 byte string). */
  receive(chunk: string): void;
  /** The client went away (socket closed): forget its breakpoints. */
  disconnected(): void;
}

interface FlashOp {
  erases: { address: number; length: number }[];
  writes: { address: number; data: Uint8Array }[];
}

const hex8 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** Parses `addr,len` (hex) into numbers, or null. */
function addrLen(text: string): [number, number] | null {
  const m = /^([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(text);
  if (!m) return null;
  return [parseInt(m[1]!, 16) >>> 0, parseInt(m[2]!, 16) >>> 0];
}

/** Little-endian hex of a value of `bits` bits (64-bit pairs from two words). */
function leHex(lo: number, hi: number | null): string {
  return hi === null ? leWordToHex(lo) : leWordToHex(lo) + leWordToHex(hi);
}

/** The shared state of all connections to one target. */
export class GdbServer {
  readonly packetSize: number;
  readonly registers: ServerRegister[];
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  /** Breakpoint and watchpoint owners: key -> connection ids holding it. */
  private readonly holders = new Map<string, Set<number>>();
  lastStop: StopInfo | null = null;
  /** Packets handled so far, over all connections (for logs and tests). */
  packetsHandled = 0;
  private readonly offEvents: () => void;
  private closedReason: string | null = null;

  constructor(
    readonly target: DebugTarget,
    readonly options: GdbServerOptions = {},
  ) {
    this.packetSize = options.packetSize ?? PACKET_SIZE;
    this.registers = serverRegisters(target.description.capabilities.fpu);
    this.offEvents = target.onEvent((e) => this.onTarget(e));
  }

  log(line: string): void {
    try {
      this.options.log?.(line);
    } catch {
      // logging never breaks serving
    }
  }

  /** A new client; the transport feeds it bytes and tells it when the socket closes. */
  connect(io: ServerConnectionIo): ServerConnection {
    const c = new Connection(this, this.nextId++, io);
    this.connections.add(c);
    this.log(`gdb client ${c.id} connected`);
    if (this.closedReason !== null) c.targetClosed(this.closedReason);
    return c;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Called by a connection that is gone: its breakpoints go with it. */
  async forget(c: Connection): Promise<void> {
    if (!this.connections.delete(c)) return;
    this.log(`gdb client ${c.id} disconnected`);
    for (const [key, ids] of [...this.holders]) {
      if (!ids.delete(c.id) || ids.size > 0) continue;
      this.holders.delete(key);
      await this.removePoint(key);
    }
  }

  /** The stop `hideStop` was asked about last (until it answers), or null. */
  deferredStop: StopInfo | null = null;

  private onTarget(e: TargetEvent): void {
    if (e.kind === 'stopped') {
      const stop = e.stop;
      if (this.mayHide(stop)) {
        this.deferredStop = stop;
        void this.options.hideStop!(stop).then(
          (hide) => {
            if (this.deferredStop === stop) this.deferredStop = null;
            if (!hide) this.tellStop(stop);
          },
          () => this.tellStop(stop),
        );
        return;
      }
      this.tellStop(stop);
    } else if (e.kind === 'closed') {
      this.closedReason = e.reason;
      for (const c of [...this.connections]) c.targetClosed(e.reason);
    }
  }

  private tellStop(stop: StopInfo): void {
    this.lastStop = stop;
    for (const c of this.connections) c.targetStopped(stop);
  }

  /** Whether `hideStop` is asked about `stop` (see GdbServerOptions.hideStop). */
  private mayHide(stop: StopInfo): boolean {
    if (!this.options.hideStop || stop.cause.kind !== 'breakpoint') return false;
    if (this.holders.has(`b:${stop.pc >>> 0}`)) return false;
    const waiting = [...this.connections].filter((c) => c.waitingOn !== null);
    return waiting.length > 0 && waiting.every((c) => c.waitingOn === 'continue');
  }

  /** Adds a breakpoint or watchpoint for a connection (the target's is shared). */
  async addPoint(c: Connection, key: string): Promise<Result<void>> {
    const ids = this.holders.get(key);
    if (ids) {
      ids.add(c.id);
      return ok(undefined);
    }
    const r = await this.applyPoint(key, true);
    if (r.ok) this.holders.set(key, new Set([c.id]));
    return r;
  }

  async dropPoint(c: Connection, key: string): Promise<Result<void>> {
    const ids = this.holders.get(key);
    if (!ids || !ids.delete(c.id)) return ok(undefined); // GDB removes what it never set, too
    if (ids.size > 0) return ok(undefined);
    this.holders.delete(key);
    return this.removePoint(key);
  }

  private removePoint(key: string): Promise<Result<void>> {
    return this.applyPoint(key, false);
  }

  /** Keys: 'b:ADDR' for breakpoints, 'w:ACCESS:ADDR:LEN' for watchpoints. */
  private applyPoint(key: string, on: boolean): Promise<Result<void>> {
    const parts = key.split(':');
    if (parts[0] === 'b') {
      const a = Number(parts[1]);
      return on ? this.target.setBreakpoint(a) : this.target.clearBreakpoint(a);
    }
    const watch: Watchpoint = {
      access: parts[1] as Watchpoint['access'],
      address: Number(parts[2]),
      length: Number(parts[3]),
    };
    return on ? this.target.setWatchpoint(watch) : this.target.clearWatchpoint(watch);
  }

  /** The kind of breakpoint a client asked for at `address` (for swbreak/hwbreak replies). */
  breakpointKind(address: number): 'sw' | 'hw' | null {
    for (const c of this.connections) {
      const k = c.breakpointKinds.get(address >>> 0);
      if (k) return k;
    }
    return null;
  }

  get otherConnections(): number {
    return this.connections.size - 1;
  }

  /** Stops serving: every connection is closed. */
  close(): void {
    this.offEvents();
    for (const c of [...this.connections]) c.close();
    this.connections.clear();
  }
}

/** One client: its framing state, negotiated features and the runs it is waiting for. */
class Connection implements ServerConnection {
  private readonly parser: PacketParser;
  private noAck = false;
  private lastSent = '';
  /** Packets waiting to be handled, in order (handlers are async; one at a time). */
  private queue: string[] = [];
  private busy = false;
  /** The packet being handled (for diagnostics). */
  current = '';
  private gone = false;
  /** A run this client started and whose stop it has not been told. */
  private waiting = false;
  /** What that run is: a continue, or a step of some kind (reverse runs count as steps). */
  private runKind: 'continue' | 'step' = 'step';
  /** Whether the pending stop was asked for by this client's Ctrl-C. */
  private interrupted = false;

  /** The kind of run this client waits on the stop of, or null. */
  get waitingOn(): 'continue' | 'step' | null {
    return this.waiting ? this.runKind : null;
  }
  private features = new Set<string>();
  /** Thread for g/G/p/P (0 or -1: any, i.e. the core). */
  private gThread = CORE_THREAD;
  /** Threads listed at this stop (cache; cleared on run). */
  private threadCache: ServerThread[] | null = null;
  private flash: FlashOp | null = null;
  readonly breakpointKinds = new Map<number, 'sw' | 'hw'>();
  private traceDepth = 0;

  constructor(
    private readonly server: GdbServer,
    readonly id: number,
    private readonly io: ServerConnectionIo,
  ) {
    this.parser = new PacketParser((e) => this.onFrame(e), { maxPacket: server.packetSize * 2 });
  }

  private get target(): DebugTarget {
    return this.server.target;
  }

  receive(chunk: string): void {
    if (this.gone) return;
    try {
      this.parser.push(chunk);
    } catch (e) {
      this.server.log(`gdb client ${this.id}: framing error ${(e as Error).message}`);
    }
  }

  disconnected(): void {
    if (this.gone) return;
    this.gone = true;
    this.queue = [];
    void this.server.forget(this);
  }

  close(): void {
    this.disconnected();
    try {
      this.io.close();
    } catch {
      // already closed
    }
  }

  private raw(bytes: string): void {
    if (this.gone) return;
    try {
      this.io.send(bytes);
    } catch (e) {
      this.server.log(`gdb client ${this.id}: send failed (${(e as Error).message})`);
      this.disconnected();
    }
  }

  private send(payload: string): void {
    const packet = encodePacket(payload);
    this.lastSent = packet;
    this.raw(packet);
  }

  private onFrame(e: FramingEvent): void {
    switch (e.kind) {
      case 'ack':
        return;
      case 'nak':
        if (!this.noAck && this.lastSent) this.raw(this.lastSent);
        return;
      case 'bad-checksum':
        if (!this.noAck) this.raw('-');
        return;
      case 'oversized':
        // Dropped unread; the client resends, or gives up on a packet it should not send.
        this.server.log(
          `gdb client ${this.id}: packet over ${this.server.packetSize} bytes dropped`,
        );
        if (!this.noAck) this.raw('-');
        else this.send('E.packet too long');
        return;
      case 'interrupt':
        void this.interrupt();
        return;
      case 'packet':
        if (!this.noAck) this.raw('+');
        this.queue.push(e.payload);
        void this.drain();
    }
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.gone) {
        const payload = this.queue.shift()!;
        this.current = payload;
        this.server.packetsHandled++;
        let reply: string | null;
        try {
          reply = await this.handle(payload);
        } catch (e) {
          this.server.log(
            `gdb client ${this.id}: '${payload.slice(0, 40)}' failed: ${(e as Error).stack ?? e}`,
          );
          reply = this.error(`internal error: ${(e as Error).message}`);
        }
        if (reply !== null) this.send(reply);
      }
    } finally {
      this.busy = false;
    }
  }

  /** An error reply: `E.text` when the client speaks error-message, else `E01`. */
  private error(text: string): string {
    this.server.log(`gdb client ${this.id}: ${text}`);
    return this.features.has('error-message') ? `E.${text}` : 'E01';
  }

  targetStopped(stop: StopInfo): void {
    this.threadCache = null;
    if (!this.waiting) return;
    this.waiting = false;
    const interrupted = this.interrupted;
    this.interrupted = false;
    void this.stopReply(stop, interrupted).then((r) => this.send(r));
  }

  targetClosed(reason: string): void {
    if (this.gone) return;
    if (this.waiting) {
      this.waiting = false;
      this.send('X09');
    } else this.send(`O${textToHex(`target closed: ${reason}\n`)}`);
    this.close();
  }

  private async interrupt(): Promise<void> {
    if (!this.waiting) return; // nothing of ours runs: a stray ^C
    this.interrupted = true;
    const r = await this.target.halt();
    if (!r.ok) this.server.log(`gdb client ${this.id}: halt failed: ${r.error}`);
  }

  // ---- stop replies -----------------------------------------------------------------------

  private async stopReply(stop: StopInfo, interrupted: boolean): Promise<string> {
    const c = stop.cause;
    if (c.kind === 'exit') return `W${(c.code & 0xff).toString(16).padStart(2, '0')}`;
    let signal = SIGTRAP;
    let reason = '';
    switch (c.kind) {
      case 'breakpoint': {
        // Only at a breakpoint a client set: GDB drops a swbreak stop where it has none (it takes
        // it for one it just removed) and runs on, so it would never see the IDE's breakpoints.
        const kind = this.server.breakpointKind(c.address);
        if (kind === 'hw' && this.features.has('hwbreak')) reason = 'hwbreak:;';
        else if (kind === 'sw' && this.features.has('swbreak')) reason = 'swbreak:;';
        break;
      }
      case 'watchpoint': {
        const name =
          c.watch.access === 'write' ? 'watch' : c.watch.access === 'read' ? 'rwatch' : 'awatch';
        reason = `${name}:${(c.dataAddress >>> 0).toString(16)};`;
        break;
      }
      case 'halted':
        signal = interrupted ? SIGINT : SIGTRAP;
        break;
      case 'fault':
      case 'lockup':
        signal = SIGSEGV;
        break;
      case 'signal':
        signal = c.signal;
        break;
      default:
        break;
    }
    if (stop.history === 'begin') reason += 'replaylog:begin;';
    const thread = await this.stopThread();
    this.gThread = thread;
    // Expedite sp, lr and pc of the stopping thread: GDB needs no `g` to show where it is.
    let expedite = '';
    const regs = await this.threadRegisters(thread);
    if (regs.ok) {
      for (const n of [13, 14, 15] as const) {
        const v = regs.value[CORE_REGISTER_NAMES[n]!];
        if (v !== undefined) expedite += `${n.toString(16).padStart(2, '0')}:${leWordToHex(v)};`;
      }
    }
    return `T${signal.toString(16).padStart(2, '0')}${reason}thread:${thread.toString(16)};${expedite}`;
  }

  /** The thread the core is in now: a process thread marked current, else the core. */
  private async stopThread(): Promise<number> {
    const threads = await this.threads();
    return threads.find((t) => t.current)?.id ?? CORE_THREAD;
  }

  private async threads(): Promise<ServerThread[]> {
    if (this.threadCache) return this.threadCache;
    const source = this.server.options.threads;
    let list: ServerThread[] = [];
    if (source) {
      const r = await source.threads(this.target);
      if (r.ok) list = r.value;
      else this.server.log(`threads unavailable: ${r.error}`);
    }
    if (this.target.state() !== 'running') this.threadCache = list;
    return list;
  }

  private async threadRegisters(id: number): Promise<Result<Partial<CoreRegisters>>> {
    if (id === CORE_THREAD || id <= 0) return this.target.readRegisters();
    const t = (await this.threads()).find((x) => x.id === id);
    if (!t) return err(`no thread ${id}`);
    if (t.current || t.registers === null) return this.target.readRegisters();
    return ok(t.registers);
  }

  // ---- dispatch ---------------------------------------------------------------------------

  /** Answers one packet: the reply payload, or null when the reply comes later (a stop). */
  private async handle(p: string): Promise<string | null> {
    const head = p[0] ?? '';
    switch (head) {
      case '?':
        return this.question();
      case 'g':
        return p === 'g' ? this.readAllRegisters() : '';
      case 'G':
        return this.writeAllRegisters(p.slice(1));
      case 'p':
        return this.readOneRegister(p.slice(1));
      case 'P':
        return this.writeOneRegister(p.slice(1));
      case 'm':
        return this.readMemory(p.slice(1));
      case 'M':
        return this.writeMemoryHex(p.slice(1));
      case 'X':
        return this.writeMemoryBinary(p.slice(1));
      case 'c':
      case 'C':
        return this.run('continue', head === 'c' ? p.slice(1) : p.split(';')[1]);
      case 's':
      case 'S':
        return this.run('step', head === 's' ? p.slice(1) : p.split(';')[1]);
      case 'b':
        if (p === 'bs' || p === 'bc') return this.reverse(p === 'bs' ? 'step' : 'continue');
        return '';
      case 'Z':
      case 'z':
        return this.point(head === 'Z', p.slice(1));
      case 'H':
        return this.setThread(p.slice(1));
      case 'T':
        return this.threadAlive(p.slice(1));
      case 'D':
        return this.detach();
      case 'k':
        this.close();
        return null;
      case '!':
        return 'OK';
      case 'R':
        await this.target.reset({ halt: true });
        return null;
      case 'q':
      case 'Q':
        return this.query(p);
      case 'v':
        return this.vPacket(p);
      default:
        return '';
    }
  }

  private async question(): Promise<string> {
    // The first client to attach finds the target halted, as with a probe; later ones (Live
    // Watch) leave it running and are told the last stop.
    if (this.target.state() === 'running' && this.server.otherConnections === 0) {
      const h = await this.target.halt();
      if (h.ok) return this.stopReply(h.value, true);
    }
    const last = this.server.lastStop;
    if (last) return this.stopReply(last, false);
    const regs = await this.target.readRegisters();
    const pc = regs.ok ? regs.value.pc : 0;
    return this.stopReply(
      { cause: { kind: 'halted' }, pc, instructions: null, cycles: null },
      false,
    );
  }

  // ---- registers --------------------------------------------------------------------------

  private async registerHex(reg: ServerRegister, regs: Partial<CoreRegisters>): Promise<string> {
    const width = reg.bitsize / 4;
    const src = reg.source;
    if ('core' in src) {
      const v = regs[src.core];
      return v === undefined ? 'x'.repeat(width) : leHex(v, null);
    }
    if ('fp' in src) {
      const lo = await this.target.readRegister(src.fp[0] as `s${number}`);
      const hi = await this.target.readRegister(src.fp[1] as `s${number}`);
      return lo.ok && hi.ok ? leHex(lo.value, hi.value) : 'x'.repeat(width);
    }
    const v = await this.target.readRegister('fpscr');
    return v.ok ? leHex(v.value, null) : 'x'.repeat(width);
  }

  private async readAllRegisters(): Promise<string> {
    const regs = await this.threadRegisters(this.gThread);
    if (!regs.ok) return this.error(regs.error);
    let out = '';
    for (const r of this.server.registers) out += await this.registerHex(r, regs.value);
    return out;
  }

  private async readOneRegister(arg: string): Promise<string> {
    const n = parseInt(arg, 16);
    const reg = this.server.registers[n];
    if (!/^[0-9a-fA-F]+$/.test(arg) || !reg) return this.error(`no register ${arg}`);
    const regs = await this.threadRegisters(this.gThread);
    if (!regs.ok) return this.error(regs.error);
    return this.registerHex(reg, regs.value);
  }

  /** Writes go to the core; a saved process context is read-only here. */
  private writableThread(): Result<void> {
    if (this.gThread === CORE_THREAD || this.gThread <= 0) return ok(undefined);
    const t = this.threadCache?.find((x) => x.id === this.gThread);
    if (t?.current) return ok(undefined);
    return err(
      `thread ${this.gThread} shows a saved process context; select thread 1 to change registers`,
    );
  }

  private async writeRegisterValue(reg: ServerRegister, hex: string): Promise<Result<void>> {
    const src = reg.source;
    const lo = hexToLeWordSafe(hex.slice(0, 8));
    if ('core' in src) return this.target.writeRegister(src.core, lo);
    if ('fp' in src) {
      const a = await this.target.writeRegister(src.fp[0] as `s${number}`, lo);
      if (!a.ok) return a;
      return this.target.writeRegister(src.fp[1] as `s${number}`, hexToLeWordSafe(hex.slice(8)));
    }
    return this.target.writeRegister('fpscr', lo);
  }

  private async writeOneRegister(arg: string): Promise<string> {
    const m = /^([0-9a-fA-F]+)=([0-9a-fA-Fx]+)$/.exec(arg);
    const reg = m ? this.server.registers[parseInt(m[1]!, 16)] : undefined;
    if (!m || !reg) return this.error(`bad register write '${arg.slice(0, 40)}'`);
    if (m[2]!.length !== reg.bitsize / 4 || !isHex(m[2]!))
      return this.error(`register ${reg.name} takes ${reg.bitsize / 4} hex digits`);
    const w = this.writableThread();
    if (!w.ok) return this.error(w.error);
    const r = await this.writeRegisterValue(reg, m[2]!);
    this.threadCache = null;
    return r.ok ? 'OK' : this.error(r.error);
  }

  private async writeAllRegisters(hex: string): Promise<string> {
    const regs = this.server.registers;
    const total = regs.reduce((n, r) => n + r.bitsize / 4, 0);
    if (hex.length < total || !/^[0-9a-fA-Fx]+$/.test(hex))
      return this.error(`G needs ${total} hex digits (got ${hex.length})`);
    const w = this.writableThread();
    if (!w.ok) return this.error(w.error);
    let at = 0;
    for (const r of regs) {
      const part = hex.slice(at, at + r.bitsize / 4);
      at += r.bitsize / 4;
      if (part.includes('x')) continue; // unavailable: left alone
      const res = await this.writeRegisterValue(r, part);
      if (!res.ok) return this.error(`${r.name}: ${res.error}`);
    }
    this.threadCache = null;
    return 'OK';
  }

  // ---- memory -----------------------------------------------------------------------------

  private async readMemory(arg: string): Promise<string> {
    const al = addrLen(arg);
    if (!al) return this.error(`bad memory read '${arg.slice(0, 40)}'`);
    const [address, length] = al;
    const len = Math.min(length, Math.floor((this.server.packetSize - 4) / 2));
    if (len === 0) return '';
    const r = await this.target.readMemory(address, len);
    if (r.ok) return bytesToHex(r.value);
    // A range that runs into unmapped memory: answer the readable start (GDB allows a short
    // reply) so a view over a region's end still shows what exists.
    let good = 0;
    for (let step = len >> 1; step > 0 && good < len; step >>= 1) {
      const probe = await this.target.readMemory(address, good + step);
      if (probe.ok) good += step;
    }
    if (good > 0) {
      const part = await this.target.readMemory(address, good);
      if (part.ok) return bytesToHex(part.value);
    }
    return this.error(`cannot read ${hex8(address)}+${len}: ${r.error}`);
  }

  private async writeBytes(address: number, data: Uint8Array): Promise<string> {
    const r = await this.target.writeMemory(address, data);
    this.threadCache = null;
    return r.ok ? 'OK' : this.error(`cannot write ${hex8(address)}+${data.length}: ${r.error}`);
  }

  private async writeMemoryHex(arg: string): Promise<string> {
    const colon = arg.indexOf(':');
    const al = colon < 0 ? null : addrLen(arg.slice(0, colon));
    const data = arg.slice(colon + 1);
    if (!al || (data.length > 0 && !isHex(data)) || data.length !== al[1] * 2)
      return this.error(`bad memory write '${arg.slice(0, 40)}'`);
    if (al[1] === 0) return 'OK';
    return this.writeBytes(al[0], hexToBytes(data));
  }

  private async writeMemoryBinary(arg: string): Promise<string> {
    const colon = arg.indexOf(':');
    const al = colon < 0 ? null : addrLen(arg.slice(0, colon));
    if (!al) return this.error(`bad binary write '${arg.slice(0, 40)}'`);
    const data = binaryToBytes(arg.slice(colon + 1));
    if (data.length !== al[1])
      return this.error(`binary write says ${al[1]} bytes but carries ${data.length}`);
    if (al[1] === 0) return 'OK'; // GDB's probe for X support
    return this.writeBytes(al[0], data);
  }

  // ---- running ----------------------------------------------------------------------------

  /** c/s with an optional resume address; the stop reply comes with the stop. */
  private async run(kind: 'continue' | 'step', addr: string | undefined): Promise<string | null> {
    if (addr !== undefined && addr !== '') {
      if (!/^[0-9a-fA-F]{1,8}$/.test(addr)) return this.error(`bad resume address '${addr}'`);
      const w = await this.target.writeRegister('pc', parseInt(addr, 16));
      if (!w.ok) return this.error(w.error);
    }
    return this.start(kind === 'step' ? { kind: 'step' } : { kind: 'continue' });
  }

  private async start(
    action: { kind: 'continue' } | { kind: 'step' } | { kind: 'range'; start: number; end: number },
  ): Promise<string | null> {
    this.runKind = action.kind === 'continue' ? 'continue' : 'step';
    if (this.target.state() === 'running') {
      // Another client runs it already: this one waits for the same stop.
      this.waiting = true;
      return null;
    }
    this.waiting = true;
    this.interrupted = false;
    this.threadCache = null;
    // Not awaited: a range step runs until it leaves the range (or a ^C), and this client's
    // later packets must not wait behind it. The stop reply comes with the stop event.
    const run =
      action.kind === 'continue'
        ? this.target.resume()
        : action.kind === 'step'
          ? this.target.step()
          : this.target.stepRange(action.start, action.end);
    void run.then((r) => {
      if (r.ok || !this.waiting) return;
      this.waiting = false;
      this.send(this.error(r.error));
    });
    return null;
  }

  private async reverse(kind: 'step' | 'continue'): Promise<string | null> {
    const t = this.target;
    const fn = kind === 'step' ? t.reverseStep?.bind(t) : t.reverseContinue?.bind(t);
    if (!fn) return this.error('this target cannot execute in reverse');
    if (t.state() === 'running') return this.error('the target is running: halt it first');
    this.waiting = true;
    this.runKind = 'step';
    this.threadCache = null;
    const r = await fn();
    if (!r.ok) {
      this.waiting = false;
      return this.error(r.error);
    }
    return null;
  }

  private async vCont(actions: string): Promise<string | null> {
    // One action applies to each thread; our threads share one core, so the first step-like
    // action decides (GDB sends e.g. `vCont;s:1;c` or `vCont;r1000,1010:1;c`).
    let chosen:
      { kind: 'continue' } | { kind: 'step' } | { kind: 'range'; start: number; end: number } = {
      kind: 'continue',
    };
    for (const a of actions.split(';')) {
      const act = a.split(':')[0]!;
      const k = act[0];
      if (k === 's' || k === 'S') {
        chosen = { kind: 'step' };
        break;
      }
      if (k === 'r') {
        const m = /^r([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(act);
        if (!m) return this.error(`bad range step '${act}'`);
        chosen = { kind: 'range', start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16) };
        break;
      }
      if (k !== 'c' && k !== 'C' && k !== 't') return this.error(`unknown vCont action '${act}'`);
    }
    return this.start(chosen);
  }

  private async detach(): Promise<null> {
    // Take this client's breakpoints away; a client alone with a halted target leaves it
    // running, as a probe's server does.
    const alone = this.server.otherConnections === 0;
    this.waiting = false;
    this.send('OK');
    this.close();
    if (alone && this.target.state() === 'halted') await this.target.resume();
    return null;
  }

  // ---- breakpoints ------------------------------------------------------------------------

  private async point(insert: boolean, arg: string): Promise<string> {
    const m = /^([0-4]),([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})(;.*)?$/.exec(arg);
    if (!m) return this.error(`bad breakpoint packet '${arg.slice(0, 40)}'`);
    const type = Number(m[1]);
    const address = parseInt(m[2]!, 16) >>> 0;
    const kind = parseInt(m[3]!, 16);
    let key: string;
    if (type <= 1) {
      const a = address & ~1;
      key = `b:${a}`;
      if (insert) this.breakpointKinds.set(a, type === 0 ? 'sw' : 'hw');
      else this.breakpointKinds.delete(a);
    } else {
      if (kind < 1) return this.error(`watchpoint length must be at least 1`);
      const access = type === 2 ? 'write' : type === 3 ? 'read' : 'access';
      key = `w:${access}:${address}:${kind}`;
    }
    const r = insert
      ? await this.server.addPoint(this, key)
      : await this.server.dropPoint(this, key);
    return r.ok ? 'OK' : this.error(r.error);
  }

  // ---- threads ----------------------------------------------------------------------------

  private async setThread(arg: string): Promise<string> {
    const op = arg[0];
    const id = parseThreadId(arg.slice(1));
    if ((op !== 'g' && op !== 'c') || id === null) return this.error(`bad H packet '${arg}'`);
    if (op === 'c') return 'OK'; // all threads run together: the core is one
    if (id <= 0 || id === CORE_THREAD) {
      this.gThread = CORE_THREAD;
      return 'OK';
    }
    if (!(await this.threads()).some((t) => t.id === id)) return this.error(`no thread ${id}`);
    this.gThread = id;
    return 'OK';
  }

  private async threadAlive(arg: string): Promise<string> {
    const id = parseThreadId(arg);
    if (id === CORE_THREAD) return 'OK';
    if (id !== null && (await this.threads()).some((t) => t.id === id)) return 'OK';
    return this.error(`no thread ${arg}`);
  }

  private async allThreads(): Promise<{ id: number; name: string; extra: string }[]> {
    const others = await this.threads();
    const current = others.find((t) => t.current);
    return [
      {
        id: CORE_THREAD,
        name: 'kernel',
        extra: current ? `core (in ${current.name})` : 'core',
      },
      ...others.map((t) => ({ id: t.id, name: t.name, extra: t.extra })),
    ];
  }

  // ---- queries ----------------------------------------------------------------------------

  private supported(arg: string): string {
    for (const f of arg.split(';')) {
      if (f.endsWith('+')) this.features.add(f.slice(0, -1));
    }
    const t = this.target;
    const features = [
      `PacketSize=${this.server.packetSize.toString(16)}`,
      'QStartNoAckMode+',
      'qXfer:features:read+',
      'qXfer:memory-map:read+',
      'qXfer:threads:read+',
      'vContSupported+',
      'swbreak+',
      'hwbreak+',
    ];
    if (t.reverseStep && t.reverseContinue) features.push('ReverseStep+', 'ReverseContinue+');
    return features.join(';');
  }

  private async query(p: string): Promise<string | null> {
    const [name, ...rest] = p.split(':');
    const arg = rest.join(':');
    switch (name) {
      case 'qSupported':
        return this.supported(arg);
      case 'QStartNoAckMode':
        // The OK still travels under acks; from the next packet on, none.
        this.send('OK');
        this.noAck = true;
        return null;
      case 'qAttached':
        return '1';
      case 'qC':
        return `QC${(await this.stopThread()).toString(16)}`;
      case 'qfThreadInfo':
        return `m${(await this.allThreads()).map((t) => t.id.toString(16)).join(',')}`;
      case 'qsThreadInfo':
        return 'l';
      case 'qThreadExtraInfo': {
        const id = parseThreadId(p.split(',')[1] ?? '');
        const t = (await this.allThreads()).find((x) => x.id === id);
        return t ? textToHex(`${t.name}: ${t.extra}`) : this.error('no such thread');
      }
      case 'qXfer':
        return this.xfer(arg);
      case 'qSymbol':
        return 'OK';
      case 'qOffsets':
        return 'Text=0;Data=0;Bss=0';
      case 'qRcmd': {
        const hex = p.slice('qRcmd,'.length);
        if (!isHex(hex)) return this.error('qRcmd needs hex text');
        return this.monitor(hexToText(hex).trim());
      }
      default:
        if (p.startsWith('qRcmd,')) {
          const hex = p.slice('qRcmd,'.length);
          if (!isHex(hex)) return this.error('qRcmd needs hex text');
          return this.monitor(hexToText(hex).trim());
        }
        if (p.startsWith('qThreadExtraInfo,')) return this.query(p.replace(',', ':,'));
        return '';
    }
  }

  private async xfer(arg: string): Promise<string> {
    const m = /^([a-z-]+):read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(arg);
    if (!m) return '';
    const [, object, annex, offHex, lenHex] = m;
    let doc: string;
    if (object === 'features') {
      if (annex !== 'target.xml') return this.error(`no target description document '${annex}'`);
      doc = targetXml(this.target.description.capabilities.fpu);
    } else if (object === 'memory-map') {
      doc = memoryMapXml(this.target.description.memoryMap);
    } else if (object === 'threads') {
      doc = threadsXml(await this.allThreads());
    } else return '';
    const off = parseInt(offHex!, 16);
    const len = Math.min(parseInt(lenHex!, 16), this.server.packetSize - 8);
    if (off > doc.length) return this.error('offset past the end of the document');
    const part = doc.slice(off, off + len);
    return (off + len >= doc.length ? 'l' : 'm') + part;
  }

  private async vPacket(p: string): Promise<string | null> {
    if (p === 'vCont?') return 'vCont;c;C;s;S;r';
    if (p.startsWith('vCont;')) return this.vCont(p.slice(6));
    if (p.startsWith('vFlashErase:')) return this.flashErase(p.slice(12));
    if (p.startsWith('vFlashWrite:')) return this.flashWrite(p.slice(12));
    if (p === 'vFlashDone') return this.flashDone();
    if (p.startsWith('vKill')) {
      this.send('OK');
      this.close();
      return null;
    }
    return ''; // vMustReplyEmpty, vRun, vAttach, ...: not ours
  }

  // ---- flash ------------------------------------------------------------------------------

  private flashRegion(address: number, length: number): Result<number> {
    const r = this.target.description.memoryMap.find(
      (m) =>
        m.kind === 'flash' &&
        m.blockSize !== undefined &&
        address >= m.start &&
        address + length <= m.start + m.size,
    );
    if (!r)
      return err(
        `${hex8(address)}+${length} is not inside one flash region (${this.target.description.memoryMap
          .filter((m) => m.kind === 'flash' && m.blockSize)
          .map((m) => `${m.name} ${hex8(m.start)}-${hex8(m.start + m.size - 1)}`)
          .join(', ')}): the image does not fit, flash left untouched`,
      );
    return ok(r.blockSize!);
  }

  private flashErase(arg: string): string {
    const al = addrLen(arg);
    if (!al) return this.error(`bad vFlashErase '${arg.slice(0, 40)}'`);
    if (!this.target.programMemory || !this.target.eraseMemory)
      return this.error('this target cannot program flash');
    const region = this.flashRegion(al[0], al[1]);
    if (!region.ok) {
      this.flash = null;
      return this.error(region.error);
    }
    this.flash ??= { erases: [], writes: [] };
    this.flash.erases.push({ address: al[0], length: al[1] });
    return 'OK';
  }

  private flashWrite(arg: string): string {
    const colon = arg.indexOf(':');
    if (colon < 0 || !/^[0-9a-fA-F]{1,8}$/.test(arg.slice(0, colon)))
      return this.error(`bad vFlashWrite`);
    const address = parseInt(arg.slice(0, colon), 16) >>> 0;
    const data = binaryToBytes(arg.slice(colon + 1));
    const region = this.flashRegion(address, data.length);
    if (!region.ok) {
      this.flash = null;
      return this.error(region.error);
    }
    this.flash ??= { erases: [], writes: [] };
    this.flash.writes.push({ address, data });
    return 'OK';
  }

  /** Applies the buffered erases and writes; on any failure the old contents are put back. */
  private async flashDone(): Promise<string> {
    const op = this.flash;
    this.flash = null;
    const t = this.target;
    if (!op) return 'OK';
    if (!t.eraseMemory || !t.programMemory) return this.error('this target cannot program flash');
    if (t.state() === 'running') return this.error('halt the target before loading flash');
    const saved: { address: number; data: Uint8Array }[] = [];
    for (const e of op.erases) {
      const old = await t.readMemory(e.address, e.length);
      if (!old.ok) return this.error(old.error);
      saved.push({ address: e.address, data: old.value });
    }
    const fail = async (why: string): Promise<string> => {
      for (const s of saved) {
        await t.eraseMemory!(s.address, s.data.length);
        await t.programMemory!(s.address, s.data);
      }
      return this.error(`${why} (flash restored to what it held)`);
    };
    for (const e of op.erases) {
      const r = await t.eraseMemory(e.address, e.length);
      if (!r.ok) return fail(r.error);
    }
    for (const w of op.writes) {
      const r = await t.programMemory(w.address, w.data);
      if (!r.ok) return fail(r.error);
    }
    this.threadCache = null;
    const bytes = op.writes.reduce((n, w) => n + w.data.length, 0);
    this.server.log(`gdb client ${this.id}: flash programmed (${bytes} bytes)`);
    return 'OK';
  }

  // ---- monitor ----------------------------------------------------------------------------

  /** Runs a monitor command; its text goes out in an `O` packet, then OK or an error. */
  private async monitor(command: string): Promise<string> {
    const r = await this.monitorText(command);
    const text = r.ok ? r.value : `${r.error}\n`;
    if (text !== '') this.send(`O${textToHex(text.endsWith('\n') ? text : `${text}\n`)}`);
    return r.ok ? 'OK' : this.error(r.error);
  }

  private async monitorText(command: string): Promise<Result<string>> {
    const words = command.split(/\s+/).filter((w) => w !== '');
    const t = this.target;
    const [w0, w1, w2] = words;
    switch (w0) {
      case undefined:
      case 'help':
        return ok(MONITOR_HELP);
      case 'reset': {
        const halt = w1 === 'halt' || w1 === 'init';
        if (w1 !== undefined && !halt && w1 !== 'run')
          return err(`monitor reset takes run, halt or init (got '${w1}')`);
        this.threadCache = null;
        const r = await t.reset({ halt });
        if (!r.ok) return r;
        if (halt) {
          const regs = await t.readRegisters();
          return ok(regs.ok ? `target halted at the reset vector, pc ${hex8(regs.value.pc)}` : '');
        }
        return ok('target reset and running');
      }
      case 'halt': {
        if (t.state() === 'halted') return ok('target halted');
        const r = await t.halt();
        return r.ok ? ok(`target halted at pc ${hex8(r.value.pc)}`) : r;
      }
      case 'resume': {
        const r = await t.resume();
        return r.ok ? ok('target running') : r;
      }
      case 'reg':
        return this.monitorReg(w1, w2);
      case 'tock': {
        if (w1 !== 'list') return err(`monitor tock takes 'list' (got '${w1 ?? ''}')`);
        const source = this.server.options.threads;
        if (!source?.describe)
          return err('no Tock process table: the server was started without the kernel ELF');
        return source.describe(t);
      }
      case 'trace':
        return this.monitorTrace(w1, w2);
      case 'snapshot': {
        if ((w1 !== 'save' && w1 !== 'restore') || !w2)
          return err('monitor snapshot takes save NAME or restore NAME');
        const fn = w1 === 'save' ? t.saveSnapshot?.bind(t) : t.restoreSnapshot?.bind(t);
        if (!fn) return err('this target cannot take snapshots');
        this.threadCache = null;
        const r = await fn(w2);
        return r.ok ? ok(`snapshot '${w2}' ${w1 === 'save' ? 'saved' : 'restored'}`) : r;
      }
      default:
        return err(`unknown monitor command '${command}' (monitor help lists them)`);
    }
  }

  private async monitorReg(
    name: string | undefined,
    value: string | undefined,
  ): Promise<Result<string>> {
    const t = this.target;
    if (name === undefined) {
      const regs = await t.readRegisters();
      if (!regs.ok) return regs;
      const lines = CORE_REGISTER_NAMES.map((n, i) => `(${i}) ${n} (/32): ${hex8(regs.value[n])}`);
      return ok(`===== arm v7m registers\n${lines.join('\n')}`);
    }
    if (!(CORE_REGISTER_NAMES as readonly string[]).includes(name))
      return err(`no register '${name}' (monitor reg lists them)`);
    const reg = name as CoreRegisterName;
    if (value !== undefined) {
      const v = Number(value);
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
        return err(`'${value}' is not a 32-bit value`);
      const w = await t.writeRegister(reg, v);
      if (!w.ok) return w;
      this.threadCache = null;
    }
    const r = await t.readRegister(reg);
    return r.ok ? ok(`${name} (/32): ${hex8(r.value)}`) : r;
  }

  private async monitorTrace(
    what: string | undefined,
    count: string | undefined,
  ): Promise<Result<string>> {
    const t = this.target;
    if (!t.setTrace || !t.readTrace) return err('this target cannot trace instructions');
    if (what === 'on') {
      this.traceDepth = Math.max(1, Math.min(1 << 20, Number(count ?? 4096) || 4096));
      const r = await t.setTrace(this.traceDepth);
      return r.ok
        ? ok(
            `instruction trace on (the last ${this.traceDepth} instructions are kept; the core runs one instruction at a time while tracing)`,
          )
        : r;
    }
    if (what === 'off') {
      const r = await t.setTrace(0);
      return r.ok ? ok('instruction trace off') : r;
    }
    if (what === 'show' || what === undefined) {
      const r = await t.readTrace();
      if (!r.ok) return r;
      const n = Math.max(1, Number(count ?? 32) || 32);
      const tail = r.value.slice(-n);
      if (tail.length === 0) return ok('the trace is empty (monitor trace on, then run)');
      const lines: string[] = [];
      for (const e of tail) {
        const mem = await t.readMemory(e.pc, 4);
        const text = mem.ok
          ? disassembleWord(
              mem.value[0]! | (mem.value[1]! << 8),
              mem.value[2]! | (mem.value[3]! << 8),
              e.pc,
            ).text
          : '?';
        lines.push(`${String(e.instructions).padStart(12)}  ${hex8(e.pc)}  ${text}`);
      }
      return ok(lines.join('\n'));
    }
    return err(`monitor trace takes on [DEPTH], off or show [N] (got '${what}')`);
  }
}

const MONITOR_HELP = [
  'monitor commands:',
  '  reset [run|halt|init]    reset the board (halt/init: stop at the reset vector)',
  '  halt                     halt the core',
  '  resume                   let the core run',
  '  reg [NAME [VALUE]]       show (or set) core registers',
  '  tock list                the Tock process table (name, state, registers)',
  '  trace on [DEPTH]|off     record the last DEPTH executed instructions',
  '  trace show [N]           the last N traced instructions, disassembled',
  '  snapshot save|restore NAME   save or restore the whole machine',
].join('\n');

function parseThreadId(text: string): number | null {
  if (text === '-1') return -1;
  if (text === '0') return 0;
  // Multiprocess form pPID.TID is not negotiated; plain hex only.
  if (!/^[0-9a-fA-F]{1,8}$/.test(text)) return null;
  return parseInt(text, 16);
}

function hexToLeWordSafe(hex: string): number {
  const clean = hex.padEnd(8, '0').slice(0, 8);
  const b = hexToBytes(clean);
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}
