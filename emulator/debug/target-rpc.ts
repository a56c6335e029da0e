/**
 * DebugTarget across a message port: `serveTarget` answers calls for a target on one side (the
 * emulator worker), `connectTarget` gives the other side (the host) a `TargetProxy` that is a
 * DebugTarget itself. Pure: the port is a two-method interface over `postMessage`, so the same
 * code serves a worker_threads worker, a browser Worker or a MessageChannel in a test.
 *
 * Messages are structured-cloned, and bytes travel as bytes: memory read results, console output
 * and the data of writes are Uint8Arrays whose buffers are transferred (moved, not copied; the
 * sender keeps no view of them: outgoing data is copied first so a caller's array stays usable).
 *
 * The protocol: the serving side first sends `hello` (description, state and which optional
 * methods the target has) or `failed`; then every `call` gets exactly one `reply` holding the
 * method's Result, and target events are forwarded as `event`s in order. A proxy whose port dies
 * (`fail`) answers every waiting and later call with an error naming the cause and emits one
 * `closed` event with that cause.
 *
 * Calls made in the same turn (a view issuing its reads together, `Promise.all`) leave as one
 * `batch` message: the serving side starts them in order, back to back, so they are all answered
 * at one slice boundary of a running emulator worker (a Peripherals refresh was ~20 calls, each
 * waiting for the worker's next boundary in turn) and see one instant of the machine.
 *
 * Registers come with every stop: the serving side adds the halted target's core registers to
 * its reply to a call that stops it (step, stepRange, halt, reverse steps) and to readRegisters,
 * and sends them after each `stopped` event (`registers`). The proxy answers readRegisters from
 * them until anything may change them: a call that is not a pure read (resume, a step, a write,
 * a reset...) or a `running` event forgets them, and registers that arrive while such a call is
 * still unanswered are not kept. A source-level step read the registers after each of its range
 * steps and the stop report again (2-3 trips per row, bench:ide 3a); now none of those cross.
 *
 * Memory of a stop the same way: while the target is halted and nothing that may change it is on
 * its way, a read inside a RAM or flash region of the memory map is answered from a 4 KiB page
 * of that region read once for the stop (the same rule forgets the pages). A stop's readers (the
 * unwind, Variables, the Tock cells' walk: each a chain of dependent reads) asked for 64-byte
 * lines one trip at a time, 100-200 trips per stop with the Tock cells on; now a few pages.
 * Peripheral and system regions, reads outside the map and bus reads (`debug: false`) always
 * cross.
 *
 * @example
 *   // worker side
 *   serveTarget(target, port);
 *   // host side
 *   const proxy = await connectTarget(port);
 *   if (proxy.ok) await proxy.value.resume();
 */
import { err, ok, type Result } from '../core/result';
import {
  TargetEventHub,
  type AccessLogReply,
  type AccessLogRequest,
  type AccessRecord,
  type BoardState,
  type CoreRegisters,
  type DebugTarget,
  type MemoryAccessOptions,
  type MemoryRegion,
  type RegisterName,
  type ResetOptions,
  type StopInfo,
  type TargetDescription,
  type TargetEvent,
  type TargetState,
  type TraceEntry,
  type Watchpoint,
} from './target';
import type { RecorderReply, RecorderRequest } from './tock/recorder';
import { columnsOf, newColumns, recordsOf, type AccessLogColumns } from './peripherals/access-log';

/** The optional DebugTarget methods: a proxy has each exactly when its target does. */
const OPTIONAL_METHODS = [
  'eraseMemory',
  'programMemory',
  'saveSnapshot',
  'restoreSnapshot',
  'catchFaults',
  'reverseStep',
  'reverseContinue',
  'setTrace',
  'readTrace',
  'monitor',
  'recorder',
  'boardState',
  'setButton',
  'accessLog',
] as const;
type OptionalMethod = (typeof OPTIONAL_METHODS)[number];

/** The methods a call may name (the DebugTarget's, nothing else). */
export const TARGET_METHODS = [
  'readRegisters',
  'readRegister',
  'writeRegister',
  'readMemory',
  'writeMemory',
  'setBreakpoint',
  'clearBreakpoint',
  'setWatchpoint',
  'clearWatchpoint',
  'resume',
  'halt',
  'step',
  'stepRange',
  'reset',
  'writeConsole',
  ...OPTIONAL_METHODS,
  'close',
] as const;
export type TargetMethod = (typeof TARGET_METHODS)[number];

export type TargetMessage =
  | {
      t: 'hello';
      description: TargetDescription;
      state: TargetState;
      methods: OptionalMethod[];
    }
  | { t: 'failed'; error: string }
  | { t: 'call'; id: number; method: TargetMethod; args: unknown[] }
  | { t: 'batch'; calls: { id: number; method: TargetMethod; args: unknown[] }[] }
  /** `ms`: the serving side's time from taking the call to posting this reply (its clock). */
  | {
      t: 'reply';
      id: number;
      result: Result<unknown>;
      registers?: CoreRegisters;
      pages?: StopPage[];
      ms?: number;
    }
  | { t: 'event'; event: TargetEvent }
  /** The halted target's registers, after each `stopped` event (null: not readable). */
  | { t: 'registers'; registers: CoreRegisters | null; pages?: StopPage[] };

/** A page of a stop's memory sent with its registers (see the header): its bytes from `base`. */
export interface StopPage {
  base: number;
  bytes: Uint8Array;
}

/** Bytes of a stop's memory page (see the header). */
const PAGE = 4096;

/**
 * The stop's page holding `address`: the 4 KiB-aligned block clipped to its RAM or flash region
 * (null outside them). Both sides cut pages with this, so a page sent with a stop is the one the
 * proxy would have asked for.
 */
function pageAt(
  memoryMap: readonly MemoryRegion[],
  address: number,
): { base: number; end: number } | null {
  const at = address >>> 0;
  const region = memoryMap.find(
    (r) => (r.kind === 'ram' || r.kind === 'flash') && at >= r.start && at < r.start + r.size,
  );
  if (!region) return null;
  return {
    base: Math.max(at - (at % PAGE), region.start),
    end: Math.min(at - (at % PAGE) + PAGE, region.start + region.size),
  };
}

/**
 * Where a stop's readers start: the unwind reads the current stack from SP up, and across an
 * exception boundary the other stack (an app's frames on PSP under the kernel's on MSP). So the
 * pages of SP, of the other stack pointer, and the page after SP's when SP is in its last KiB
 * (the caller frames run on past it) go with the stop's registers: the stop handling read them
 * one trip each before (bench:ide 3a: about 4 trips a stop).
 */
function stopPageBases(
  memoryMap: readonly MemoryRegion[],
  r: CoreRegisters,
): { base: number; end: number }[] {
  const out: { base: number; end: number }[] = [];
  const add = (address: number): void => {
    const p = pageAt(memoryMap, address);
    if (p && !out.some((q) => q.base === p.base)) out.push(p);
  };
  add(r.sp);
  if (r.sp % PAGE >= PAGE - 1024) add(r.sp + 1024);
  add(r.msp);
  add(r.psp);
  return out;
}

/** The stop's pages (see `stopPageBases`) as read now; a page that does not read is left out. */
async function readStopPages(target: DebugTarget, r: CoreRegisters): Promise<StopPage[]> {
  const out: StopPage[] = [];
  for (const p of stopPageBases(target.description.memoryMap, r)) {
    const m = await target.readMemory(p.base, p.end - p.base).catch(() => null);
    if (m?.ok && m.value.length === p.end - p.base)
      out.push({ base: p.base, bytes: owned(m.value) });
  }
  return out;
}

/** Calls that stop the target: their replies carry the registers of the stop. */
const STOPPING: ReadonlySet<TargetMethod> = new Set([
  'step',
  'stepRange',
  'halt',
  'reverseStep',
  'reverseContinue',
]);

/**
 * Calls that leave the core registers as they are: the proxy keeps the registers it holds
 * across them (every other call forgets them).
 */
const KEEPS_REGISTERS: ReadonlySet<TargetMethod> = new Set([
  'readRegisters',
  'readRegister',
  'readMemory',
  'readTrace',
  'boardState',
  'accessLog',
  'setBreakpoint',
  'clearBreakpoint',
  'setWatchpoint',
  'clearWatchpoint',
]);

/** One end of a message channel. */
export interface TargetPort {
  post(message: TargetMessage, transfer: ArrayBuffer[]): void;
  /** Delivers incoming messages; returns the function that stops delivery. */
  listen(handler: (message: TargetMessage) => void): () => void;
}

/** A Uint8Array that owns its whole buffer (copied when it is a view into a larger one). */
function owned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
    ? bytes
    : new Uint8Array(bytes);
}

const buffersOf = (pages: readonly StopPage[]): ArrayBuffer[] =>
  pages.map((p) => p.bytes.buffer as ArrayBuffer);

function transferOf(value: unknown): ArrayBuffer[] {
  return value instanceof Uint8Array ? [value.buffer as ArrayBuffer] : [];
}

/**
 * An access-log page as columns (typed arrays, their buffers moved): a page is up to 10,000
 * entries, and structured-cloning that many objects cost the worker and the host tens of ms
 * a page (bench:periph), where moving a few buffers costs nothing and rebuilding the objects
 * on arrival a millisecond or two.
 */
interface PackedAccessLog extends AccessLogColumns {
  on: boolean;
  next: number;
  missed: number;
  passed?: number;
  frequencyHz: number;
}

function packAccessLog(reply: AccessLogReply): PackedAccessLog & { buffers: ArrayBuffer[] } {
  // The emulator's reply already is columns; another target's entries are packed here.
  const c = columnsOf(reply) ?? columnsFrom(reply.entries);
  return {
    on: reply.on,
    next: reply.next,
    missed: reply.missed,
    ...(reply.passed !== undefined ? { passed: reply.passed } : {}),
    frequencyHz: reply.frequencyHz,
    ...c,
    buffers: [c.seq, c.cycle, c.address, c.value, c.pc, c.flags, c.callers, c.callerEnds].map(
      (x) => x.buffer as ArrayBuffer,
    ),
  };
}

function columnsFrom(e: readonly AccessRecord[]): AccessLogColumns {
  const n = e.length;
  const c = newColumns(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += e[i]!.callers?.length ?? 0;
  c.callers = new Uint32Array(total);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const r = e[i]!;
    c.seq[i] = r.seq;
    c.cycle[i] = r.cycle;
    c.address[i] = r.address;
    c.value[i] = r.value;
    c.pc[i] = r.pc;
    c.flags[i] =
      (r.write ? 1 : 0) |
      (r.debugger ? 2 : 0) |
      (r.dma ? 4 : 0) |
      (r.callers ? 8 : 0) |
      (r.size << 4);
    if (r.callers) for (const x of r.callers) c.callers[at++] = x;
    c.callerEnds[i] = at;
  }
  return c;
}

function unpackAccessLog(p: PackedAccessLog): AccessLogReply {
  return {
    on: p.on,
    entries: recordsOf(p),
    next: p.next,
    missed: p.missed,
    ...(p.passed !== undefined ? { passed: p.passed } : {}),
    frequencyHz: p.frequencyHz,
  };
}

/**
 * Serves `target` on `port`: sends `hello`, answers calls, forwards events. Returns a function
 * that stops serving.
 */
export function serveTarget(target: DebugTarget, port: TargetPort): () => void {
  const methods = OPTIONAL_METHODS.filter((m) => typeof target[m] === 'function');
  port.post({ t: 'hello', description: target.description, state: target.state(), methods }, []);
  // Calls that stop the target and are not answered yet: their replies carry the stop's pages,
  // so the `registers` after its `stopped` event (which the proxy does not keep while such a
  // call is on its way) does not read and send them again.
  let stopping = 0;
  const offEvents = target.onEvent((event) => {
    if (event.kind === 'console') {
      const bytes = owned(event.bytes);
      port.post({ t: 'event', event: { ...event, bytes } }, [bytes.buffer as ArrayBuffer]);
    } else port.post({ t: 'event', event }, []);
    // The stop's registers follow it (read in this turn's microtasks: before any later call).
    if (event.kind === 'stopped') {
      // Counted now: the stopping call's answer settles in this turn's microtasks.
      const withPages = stopping === 0;
      void haltedRegisters(target).then(async (registers) => {
        const pages = registers && withPages ? await readStopPages(target, registers) : [];
        port.post(
          { t: 'registers', registers, ...(pages.length ? { pages } : {}) },
          buffersOf(pages),
        );
      });
    }
  });
  const serve = (m: { id: number; method: TargetMethod; args: unknown[] }): void => {
    const taken = performance.now();
    const ms = (): number => performance.now() - taken;
    const stops = STOPPING.has(m.method);
    if (stops) stopping++;
    void answer(target, m.method, m.args).then(
      (result) => {
        if (stops) stopping--;
        let r = result;
        if (r.ok && r.value instanceof Uint8Array) r = ok(owned(r.value));
        if (r.ok && m.method === 'accessLog') {
          const { buffers, ...packed } = packAccessLog(r.value as AccessLogReply);
          port.post({ t: 'reply', id: m.id, result: ok(packed), ms: ms() }, buffers);
          return;
        }
        if (r.ok && (STOPPING.has(m.method) || m.method === 'readRegisters')) {
          void haltedRegisters(target).then(async (registers) => {
            // A stop's pages come with it; readRegisters is asked at a stop already sent.
            const pages =
              registers && STOPPING.has(m.method) ? await readStopPages(target, registers) : [];
            port.post(
              {
                t: 'reply',
                id: m.id,
                result: r,
                ...(registers ? { registers } : {}),
                ...(pages.length ? { pages } : {}),
                ms: ms(),
              },
              buffersOf(pages),
            );
          });
          return;
        }
        port.post({ t: 'reply', id: m.id, result: r, ms: ms() }, r.ok ? transferOf(r.value) : []);
      },
      (e: unknown) => {
        if (stops) stopping--;
        port.post(
          {
            t: 'reply',
            id: m.id,
            result: err(
              `${m.method} failed inside the target: ${e instanceof Error ? e.message : String(e)}`,
            ),
          },
          [],
        );
      },
    );
  };
  const offCalls = port.listen((m) => {
    if (m.t === 'call') serve(m);
    else if (m.t === 'batch') for (const c of m.calls) serve(c);
  });
  return () => {
    offEvents();
    offCalls();
  };
}

/** The target's core registers when it is halted (null when running, closed or unreadable). */
async function haltedRegisters(target: DebugTarget): Promise<CoreRegisters | null> {
  if (target.state() !== 'halted') return null;
  const r = await target.readRegisters().catch(() => null);
  return r?.ok ? r.value : null;
}

async function answer(
  target: DebugTarget,
  method: TargetMethod,
  args: unknown[],
): Promise<Result<unknown>> {
  if (!(TARGET_METHODS as readonly string[]).includes(method))
    return err(`'${String(method)}' is not a target method`);
  if (method === 'close') {
    await target.close();
    return ok(undefined);
  }
  const fn = target[method] as ((...a: unknown[]) => Promise<Result<unknown>>) | undefined;
  if (typeof fn !== 'function')
    return err(`${target.description.label} does not support ${method}`);
  return fn.apply(target, args);
}

/**
 * Waits for the serving side's `hello` and returns the proxy (or the side's start error).
 * `afterClose` runs once the target has answered `close` (the host ends the worker there).
 */
export function connectTarget(
  port: TargetPort,
  afterClose?: () => void | Promise<void>,
): Promise<Result<TargetProxy>> {
  return new Promise((resolve) => {
    const off = port.listen((m) => {
      if (m.t === 'hello') {
        off();
        resolve(ok(new TargetProxy(port, m.description, m.state, m.methods, afterClose)));
      } else if (m.t === 'failed') {
        off();
        resolve(err(m.error));
      }
    });
  });
}

/** A DebugTarget whose every call crosses the port. */
export class TargetProxy implements DebugTarget {
  private st: TargetState;
  private readonly events = new TargetEventHub();
  private pending = new Map<number, (r: Result<unknown>) => void>();
  private nextId = 1;
  private failure: string | null = null;
  private readonly stopListening: () => void;
  /** Calls made this turn, posted together at its end (see the header). */
  private outbox: { id: number; method: TargetMethod; args: unknown[] }[] = [];
  private outboxTransfer: ArrayBuffer[] = [];
  /** Messages posted (a `batch` counts once): how many trips to the target a view costs. */
  posted = 0;
  /** Replies received, and the serving side's time answering them summed (their `ms`): with
   * the callers' own round trips, what a step's calls cost in the worker vs on the way. */
  replies = 0;
  servedMs = 0;
  /** The halted target's registers as last received, while nothing may have changed them. */
  private registers: CoreRegisters | null = null;
  /** Calls sent and not answered that may change the registers (see the header). */
  private changing = new Set<number>();
  /** Pages of the halted target's RAM and flash read for this stop (see the header). */
  private pages = new Map<number, Promise<Result<Uint8Array>>>();
  /** Settles when the registers of the last `stopped` event arrive (or the port fails). */
  private registersComing: Promise<void> = Promise.resolve();
  private stopRegisters: (() => void) | null = null;

  eraseMemory?: (address: number, length: number) => Promise<Result<void>>;
  programMemory?: (address: number, data: Uint8Array) => Promise<Result<void>>;
  saveSnapshot?: (name: string) => Promise<Result<void>>;
  restoreSnapshot?: (name: string) => Promise<Result<void>>;
  catchFaults?: (enabled: boolean) => Promise<Result<void>>;
  reverseStep?: () => Promise<Result<StopInfo>>;
  reverseContinue?: () => Promise<Result<StopInfo>>;
  setTrace?: (depth: number) => Promise<Result<void>>;
  readTrace?: () => Promise<Result<TraceEntry[]>>;
  monitor?: (command: string) => Promise<Result<string>>;
  recorder?: (request: RecorderRequest) => Promise<Result<RecorderReply>>;
  boardState?: () => Promise<Result<BoardState>>;
  setButton?: (name: string, pressed: boolean) => Promise<Result<void>>;
  accessLog?: (request: AccessLogRequest) => Promise<Result<AccessLogReply>>;

  constructor(
    private readonly port: TargetPort,
    readonly description: TargetDescription,
    state: TargetState,
    methods: readonly OptionalMethod[],
    private afterClose?: () => void | Promise<void>,
  ) {
    this.st = state;
    this.stopListening = port.listen((m) => this.receive(m));
    // Optional methods exist on the proxy exactly when the target has them.
    if (methods.includes('eraseMemory'))
      this.eraseMemory = (address, length) => this.call('eraseMemory', [address, length]);
    if (methods.includes('programMemory'))
      this.programMemory = (address, data) => this.callWithBytes('programMemory', [address], data);
    if (methods.includes('saveSnapshot')) this.saveSnapshot = (n) => this.call('saveSnapshot', [n]);
    if (methods.includes('restoreSnapshot'))
      this.restoreSnapshot = (n) => this.call('restoreSnapshot', [n]);
    if (methods.includes('catchFaults')) this.catchFaults = (on) => this.call('catchFaults', [on]);
    if (methods.includes('reverseStep')) this.reverseStep = () => this.call('reverseStep', []);
    if (methods.includes('reverseContinue'))
      this.reverseContinue = () => this.call('reverseContinue', []);
    if (methods.includes('setTrace')) this.setTrace = (d) => this.call('setTrace', [d]);
    if (methods.includes('readTrace')) this.readTrace = () => this.call('readTrace', []);
    if (methods.includes('monitor')) this.monitor = (c) => this.call('monitor', [c]);
    if (methods.includes('recorder')) this.recorder = (r) => this.call('recorder', [r]);
    if (methods.includes('boardState')) this.boardState = () => this.call('boardState', []);
    if (methods.includes('setButton'))
      this.setButton = (name, pressed) => this.call('setButton', [name, pressed]);
    if (methods.includes('accessLog'))
      this.accessLog = async (req) => {
        const r = await this.call<PackedAccessLog>('accessLog', [req]);
        return r.ok ? ok(unpackAccessLog(r.value)) : r;
      };
  }

  private receive(m: TargetMessage): void {
    if (m.t === 'reply') {
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      this.changing.delete(m.id);
      this.replies++;
      this.servedMs += m.ms ?? 0;
      if (m.registers) this.keepRegisters(m.registers, m.pages);
      done?.(m.result);
    } else if (m.t === 'registers') {
      if (m.registers) this.keepRegisters(m.registers, m.pages);
      this.stopRegisters?.();
      this.stopRegisters = null;
    } else if (m.t === 'event') {
      const e = m.event;
      if (e.kind === 'console' && e.sentAt !== undefined) e.arrivedAt = Date.now();
      if (e.kind !== 'stats' && e.kind !== 'console') {
        if (e.kind !== 'stopped') this.registers = null;
        this.pages = new Map();
      }
      if (e.kind === 'running') this.st = 'running';
      else if (e.kind === 'stopped') {
        this.st = 'halted';
        // Its registers come next: a readRegisters meanwhile waits for them.
        this.stopRegisters?.();
        this.registersComing = new Promise((r) => (this.stopRegisters = r));
      } else if (e.kind === 'closed') {
        this.st = 'closed';
        this.failure ??= e.reason;
      }
      this.events.emit(e);
    }
  }

  /** What the proxy holds of a stop (registers, memory pages): the target may change now. */
  private forgetStop(): void {
    this.registers = null;
    if (this.pages.size > 0) this.pages = new Map();
  }

  /**
   * A read answered from this stop's pages (see the header), or null when it must cross: the
   * target is not halted, a changing call is on its way, or the range is not all in one RAM or
   * flash region.
   */
  private pagedRead(address: number, length: number): Promise<Result<Uint8Array>> | null {
    if (this.st !== 'halted' || this.changing.size > 0 || this.failure !== null) return null;
    const a = address >>> 0;
    if (!(length > 0) || length > PAGE) return null;
    const map = this.description.memoryMap;
    const region = map.find(
      (r) =>
        (r.kind === 'ram' || r.kind === 'flash') && a >= r.start && a + length <= r.start + r.size,
    );
    if (!region) return null;
    const pages = this.pages;
    const page = (at: number): { base: number; read: Promise<Result<Uint8Array>> } => {
      // `at` is inside `region` (checked above), so it has a page.
      const { base, end } = pageAt(map, at)!;
      let read = pages.get(base);
      if (!read) {
        read = this.call<Uint8Array>('readMemory', [base, end - base]);
        pages.set(base, read);
      }
      return { base, read };
    };
    return (async () => {
      const out = new Uint8Array(length);
      let at = a;
      while (at < a + length) {
        const { base, read } = page(at);
        const r = await read;
        const n = Math.min(a + length - at, base + (r.ok ? r.value.length : 0) - at);
        // A page that did not read whole: this read crosses as it is.
        if (!r.ok || n <= 0) return this.call<Uint8Array>('readMemory', [address, length]);
        out.set(r.value.subarray(at - base, at - base + n), at - a);
        at += n;
      }
      return ok(out);
    })();
  }

  /**
   * Registers the serving side sent, and the stop's pages with them: kept unless a call that may
   * change them is on its way.
   */
  private keepRegisters(registers: CoreRegisters, pages?: readonly StopPage[]): void {
    const keep = this.changing.size === 0 && this.st !== 'closed';
    this.registers = keep ? registers : null;
    if (!keep || !pages) return;
    for (const p of pages)
      if (!this.pages.has(p.base)) this.pages.set(p.base, Promise.resolve(ok(p.bytes)));
  }

  private call<T>(
    method: TargetMethod,
    args: unknown[],
    transfer: ArrayBuffer[] = [],
  ): Promise<Result<T>> {
    if (this.failure !== null) return Promise.resolve(err(this.failure));
    const id = this.nextId++;
    if (!KEEPS_REGISTERS.has(method)) {
      this.forgetStop();
      this.changing.add(id);
    }
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (r: Result<unknown>) => void);
      if (this.outbox.length === 0) queueMicrotask(() => this.flush());
      this.outbox.push({ id, method, args });
      this.outboxTransfer.push(...transfer);
    });
  }

  /** Posts the calls made this turn: one `call`, or one `batch` of several. */
  private flush(): void {
    const calls = this.outbox;
    const transfer = this.outboxTransfer;
    this.outbox = [];
    this.outboxTransfer = [];
    if (calls.length === 0) return;
    // A failure meanwhile already answered them (`fail` / `close` settle every pending call).
    if (!calls.some((c) => this.pending.has(c.id))) return;
    this.posted++;
    if (calls.length === 1) this.port.post({ t: 'call', ...calls[0]! }, transfer);
    else this.port.post({ t: 'batch', calls }, transfer);
  }

  /** A call whose last argument is bytes: copied, and the copy's buffer transferred. */
  private callWithBytes<T>(
    method: TargetMethod,
    args: unknown[],
    data: Uint8Array,
  ): Promise<Result<T>> {
    // A real copy: `slice` on a Node Buffer is a view, and moving its (pooled) buffer would
    // detach memory the caller's socket still uses.
    const copy = new Uint8Array(data);
    return this.call(method, [...args, copy], [copy.buffer]);
  }

  /**
   * The far side is gone (worker died, port closed): every waiting and later call answers
   * `reason`, and listeners get one `closed` event naming it.
   */
  fail(reason: string): void {
    if (this.failure !== null && this.st === 'closed') return;
    this.failure = reason;
    for (const done of this.pending.values()) done(err(reason));
    this.pending.clear();
    this.stopRegisters?.();
    this.stopRegisters = null;
    this.stopListening();
    if (this.st !== 'closed') {
      this.st = 'closed';
      this.events.emit({ kind: 'closed', reason });
    }
  }

  state(): TargetState {
    return this.st;
  }

  onEvent(listener: (event: TargetEvent) => void): () => void {
    return this.events.on(listener);
  }

  async readRegisters(): Promise<Result<CoreRegisters>> {
    if (this.stopRegisters) await this.registersComing;
    if (this.registers && this.failure === null) return ok({ ...this.registers });
    return this.call('readRegisters', []);
  }
  readRegister(name: RegisterName): Promise<Result<number>> {
    return this.call('readRegister', [name]);
  }
  writeRegister(name: RegisterName, value: number): Promise<Result<void>> {
    return this.call('writeRegister', [name, value]);
  }
  readMemory(
    address: number,
    length: number,
    options?: MemoryAccessOptions,
  ): Promise<Result<Uint8Array>> {
    const paged = options?.debug === false ? null : this.pagedRead(address, length);
    if (paged) return paged;
    return this.call('readMemory', options ? [address, length, options] : [address, length]);
  }
  writeMemory(
    address: number,
    data: Uint8Array,
    options?: MemoryAccessOptions,
  ): Promise<Result<void>> {
    const copy = new Uint8Array(data);
    return this.call('writeMemory', options ? [address, copy, options] : [address, copy], [
      copy.buffer,
    ]);
  }
  setBreakpoint(address: number): Promise<Result<void>> {
    return this.call('setBreakpoint', [address]);
  }
  clearBreakpoint(address: number): Promise<Result<void>> {
    return this.call('clearBreakpoint', [address]);
  }
  setWatchpoint(watch: Watchpoint): Promise<Result<void>> {
    return this.call('setWatchpoint', [watch]);
  }
  clearWatchpoint(watch: Watchpoint): Promise<Result<void>> {
    return this.call('clearWatchpoint', [watch]);
  }
  resume(): Promise<Result<void>> {
    return this.call('resume', []);
  }
  halt(): Promise<Result<StopInfo>> {
    return this.call('halt', []);
  }
  step(): Promise<Result<StopInfo>> {
    return this.call('step', []);
  }
  stepRange(
    start: number,
    end: number,
    also?: readonly (readonly [number, number])[],
  ): Promise<Result<StopInfo>> {
    return this.call('stepRange', also && also.length > 0 ? [start, end, also] : [start, end]);
  }
  reset(options: ResetOptions): Promise<Result<void>> {
    return this.call('reset', [options]);
  }
  writeConsole(port: number, bytes: Uint8Array): Promise<Result<void>> {
    return this.callWithBytes('writeConsole', [port], bytes);
  }
  async close(): Promise<void> {
    if (this.failure === null) await this.call('close', []);
    // Nothing answers on the port from here on (the host ends the worker): a call made later,
    // or one the target never answered, gets an error now instead of waiting forever (a view
    // that waits for one stops refreshing for good).
    this.failure ??= 'the target was closed';
    for (const done of this.pending.values()) done(err(this.failure));
    this.pending.clear();
    this.stopRegisters?.();
    this.stopRegisters = null;
    const after = this.afterClose;
    this.afterClose = undefined;
    await after?.();
  }
}
