/**
 * The host's PeripheralService: the Peripherals, Interrupts, Access log, Connections and Board
 * views of the running debug session, through the session's `DebugTarget`.
 *
 * It reads the chip only as the read policy allows (emulator/debug/peripherals/register-view.ts):
 * registers whose read has a side effect are read when the person asks (`demand`), never by a
 * refresh; everything else goes through side-effect-free debug reads, in runs of neighbouring
 * registers, never across a read-on-demand register. While the board runs on a target that
 * reads without side effects while running (the emulator), the watched registers, the board and
 * the interrupt table are read ten times a second through the debug service's live reads and
 * sent as one `peripherals.values` event; on other targets, at each stop and on demand.
 *
 * The SVD is the board's (resources/svd, from the board registry) unless the person loads their
 * own; a malformed one is refused with its line and reason, one that disagrees with the
 * machine's memory map or names another chip is loaded with warnings.
 *
 * @example
 *   const periph = new PeripheralService({ projectRoot, appRoot, debug, emit });
 *   const d = await periph.describe();          // the SVD, warnings
 *   await periph.watch({ addresses: [0x40002500] });
 *   await periph.write({ address: 0x5000050c, field: 'PIN14', input: 'Clear' });
 */
import path from 'node:path';
import { findBoard } from '../../emulator/boards/registry';
import {
  connectionRegisters,
  connections,
  type Connections,
} from '../../emulator/debug/peripherals/connections';
import {
  interruptCount,
  interruptTable,
  NVIC_IABR,
  NVIC_ICTR,
  NVIC_IPR,
  NVIC_ISER,
  NVIC_ISPR,
  type InterruptRow,
} from '../../emulator/debug/peripherals/interrupts';
import {
  decodeFields,
  encodeFieldWrite,
  readPolicy,
  svdDisagreements,
  writeRefusal,
  type ReadPolicy,
} from '../../emulator/debug/peripherals/register-view';
import type { CallerTable } from '../../emulator/debug/peripherals/call-chain';
import type { AccessRecord, BoardState, DebugTarget } from '../../emulator/debug/target';
import type { Result as TargetResult } from '../../emulator/core/result';
import { NRF52_MACHINES } from '../../emulator/machines/nrf52';
import {
  RegisterNamer,
  SvdError,
  type SvdDevice,
  type SvdPeripheral,
  type SvdRegister,
} from '../../emulator/peripherals/nrf/svd';
import type {
  AccessLogEntry,
  AccessLogPage,
  AccessLogSource,
  BoardView,
  HostEvents,
  PeripheralsDescription,
  RegisterReading,
  Result,
} from '../common/contract.js';
import { err } from './project.js';
import { RowsWriter } from '../common/access-log-rows.js';
import { parseSvdFile } from './peripheral-svd.js';

type Emit = <K extends keyof HostEvents>(name: K, payload: HostEvents[K]) => void;

/** What the service needs of the debug service (main/host/debug-service.ts). */
export interface DebugSeam {
  readonly target: DebugTarget | null;
  readonly program: {
    lineAt(address: number): { file: string; line: number; column: number } | null;
    symbolize(address: number): { name: string; offset: number } | null;
    /** The kernel's unwind rows, for the access log's call chains. */
    callerTable?(): CallerTable | null;
  } | null;
  readonly session: { board: string; phase: string } | null;
  onStop(listener: (e: { target: DebugTarget }) => void): () => void;
  onSession(listener: (info: { board: string; phase: string }) => void): () => void;
  addLiveRead(read: { intervalMs: number; run(target: DebugTarget): Promise<void> }): () => void;
}

/** The seam when no debug service is wired (every view says no session runs). */
export const NO_DEBUG_SESSION: DebugSeam = {
  target: null,
  program: null,
  session: null,
  onStop: () => () => undefined,
  onSession: () => () => undefined,
  addLiveRead: () => () => undefined,
};

export interface PeripheralServiceOptions {
  projectRoot: string;
  /** Folder of the installation (holds resources/svd). */
  appRoot: string;
  debug: DebugSeam;
  emit: Emit;
  /** Live refresh period (default 100 ms: 10 Hz). */
  intervalMs?: number;
}

interface Located {
  peripheral: string;
  register: SvdRegister;
  address: number;
  policy: ReadPolicy;
}

interface ActiveSvd {
  board: string;
  device: SvdDevice;
  namer: RegisterNamer;
  byAddress: Map<number, Located>;
  description: PeripheralsDescription;
}

/**
 * Built-in SVDs by file, parsed in a worker thread once (they ship with the app and do not
 * change while it runs); a failed parse is forgotten so the next ask tries again.
 */
const BUILT_IN = new Map<string, Promise<SvdDevice>>();

function builtInDevice(file: string): Promise<SvdDevice> {
  let device = BUILT_IN.get(file);
  if (device === undefined) {
    device = parseSvdFile(file);
    BUILT_IN.set(file, device);
    device.catch(() => BUILT_IN.delete(file));
  }
  return device;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export class PeripheralService {
  private svd: ActiveSvd | null = null;
  /** A user SVD, kept across sessions of the same board. */
  private userSvd: { board: string; path: string; device: SvdDevice; warnings: string[] } | null =
    null;
  private watched: number[] = [];
  /** The Connections panel is open: its registers are read with every refresh. */
  private watchConnections = false;
  private stopLive: (() => void) | null = null;
  private readonly offs: (() => void)[] = [];
  /** The refresh running now and its target (one at a time per target). */
  private inFlight: { target: DebugTarget; run: Promise<void> } | null = null;
  private pinCache: { svd: ActiveSvd; at: number; map: Map<string, string[]> } | null = null;
  /** The NVIC's interrupt lines (ICTR), per SVD. */
  private nvicLines: { svd: ActiveSvd; count: number } | null = null;
  private queued: Promise<void> | null = null;
  /** The call-chain table each target was last given (see `log`). */
  private readonly callersSent = new WeakMap<DebugTarget, CallerTable | null>();

  constructor(private readonly opts: PeripheralServiceOptions) {
    const d = opts.debug;
    this.offs.push(d.onStop(({ target }) => void this.refresh(target)));
    this.offs.push(
      d.onSession((info) => {
        // The board's SVD is parsed (in a worker) while the session starts, not at its first stop.
        if (info.phase !== 'ended') this.prefetch();
        if (info.phase === 'ended') this.setLive(false);
        else if (this.watched.length > 0 || this.watchConnections) this.setLive(true);
      }),
    );
  }

  dispose(): void {
    this.setLive(false);
    for (const off of this.offs) off();
  }

  private board(): string | null {
    return this.opts.debug.session?.board ?? null;
  }

  private target(): Result<DebugTarget> {
    const t = this.opts.debug.target;
    if (!t)
      return err('unavailable', 'No debug session runs.', 'Start one with Run or Debug first.');
    return { ok: true, value: t };
  }

  // -------------------------------------------------------------------------------------------
  // The SVD

  private activate(
    board: string,
    device: SvdDevice,
    source: PeripheralsDescription['source'],
    svdPath: string | null,
    warnings: string[],
  ): ActiveSvd {
    const namer = new RegisterNamer(device);
    const byAddress = new Map<number, Located>();
    for (const p of device.peripherals) {
      for (const r of p.registers) {
        const address = (p.baseAddress + r.addressOffset) >>> 0;
        // The primary peripheral's register names an address (UARTE0 over its UART0 view).
        const l = namer.locate(address);
        if (byAddress.has(address) && l?.peripheral.name !== p.name) continue;
        byAddress.set(address, { peripheral: p.name, register: r, address, policy: readPolicy(r) });
      }
    }
    const description: PeripheralsDescription = {
      board,
      source,
      path: svdPath,
      device,
      warnings,
      priorityBits: device.cpu?.nvicPrioBits ?? 3,
    };
    this.svd = { board, device, namer, byAddress, description };
    return this.svd;
  }

  private async builtIn(board: string): Promise<Result<ActiveSvd>> {
    if (this.svd?.board === board) return { ok: true, value: this.svd };
    if (this.userSvd?.board === board) {
      const u = this.userSvd;
      return { ok: true, value: this.activate(board, u.device, 'user', u.path, u.warnings) };
    }
    const found = findBoard(board);
    if (!found.ok) return err('not-found', found.error);
    const rel = found.value.board.svd;
    if (rel === null)
      return err('unavailable', `${found.value.board.label} has no chip description (SVD).`);
    let device: SvdDevice;
    try {
      device = await builtInDevice(path.join(this.opts.appRoot, rel));
    } catch (e) {
      const code = (e as { code?: string }).code;
      return err(
        'io',
        code ? `Cannot read ${rel}: ${(e as Error).message}` : `${rel}: ${(e as Error).message}`,
      );
    }
    // Another board's SVD may have become the active one meanwhile.
    if (this.svd?.board === board) return { ok: true, value: this.svd };
    const warnings = this.disagreements(device, null);
    return { ok: true, value: this.activate(board, device, 'built-in', rel, warnings) };
  }

  /** Starts parsing the session board's SVD (see `builtInDevice`); nothing waits for it. */
  private prefetch(): void {
    const board = this.board();
    if (board === null || this.svd?.board === board || this.userSvd?.board === board) return;
    const found = findBoard(board);
    if (!found.ok || found.value.board.svd === null) return;
    void builtInDevice(path.join(this.opts.appRoot, found.value.board.svd)).catch(() => undefined);
  }

  private disagreements(device: SvdDevice, expected: string | null): string[] {
    const t = this.opts.debug.target;
    return t
      ? svdDisagreements(device, t.description.memoryMap, expected ?? undefined)
      : expected !== null && expected.toLowerCase() !== device.name.toLowerCase()
        ? [`the SVD describes ${device.name}, but the board's chip is ${expected}`]
        : [];
  }

  private async active(): Promise<Result<ActiveSvd>> {
    const board = this.board();
    if (board === null)
      return err('unavailable', 'No debug session runs.', 'Start one with Run or Debug first.');
    return this.builtIn(board);
  }

  /**
   * The session's SVD (the board's, or the one the person loaded), with its warnings. With
   * `detail`, only the peripherals named there come with their registers' fields (the fields
   * are four fifths of a chip's description: 1.2 MB for the nRF52840, 0.3 MB without); the
   * others keep only the fields whose read has an effect (the read policy needs them) and are
   * listed in `partial`, for `detail()` when the panel shows them.
   */
  async describe(args: { detail?: string[] } = {}): Promise<Result<PeripheralsDescription>> {
    const a = await this.active();
    if (!a.ok) return a;
    const d = a.value.description;
    if (args.detail === undefined) return { ok: true, value: d };
    const wanted = new Set(args.detail.map((n) => n.toUpperCase()));
    const partial: string[] = [];
    const peripherals = d.device.peripherals.map((p) => {
      if (wanted.has(p.name.toUpperCase())) return p;
      partial.push(p.name);
      return {
        ...p,
        registers: p.registers.map((r) => ({ ...r, fields: r.fields.filter((f) => f.readAction) })),
      };
    });
    return { ok: true, value: { ...d, device: { ...d.device, peripherals }, partial } };
  }

  /** Peripherals whole, by name (any case): those a `describe` with `detail` left partial. */
  async detail(args: { names: string[] }): Promise<Result<SvdPeripheral[]>> {
    const a = await this.active();
    if (!a.ok) return a;
    const wanted = new Set(args.names.map((n) => n.toUpperCase()));
    const found = a.value.description.device.peripherals.filter((p) =>
      wanted.has(p.name.toUpperCase()),
    );
    if (found.length < wanted.size) {
      const have = new Set(found.map((p) => p.name.toUpperCase()));
      const missing = args.names.filter((n) => !have.has(n.toUpperCase()));
      return err('not-found', `The SVD has no peripheral ${missing.join(', ')}.`);
    }
    return { ok: true, value: found };
  }

  /**
   * Loads the person's SVD (a path in the project, or absolute) for the session's board. A file
   * that does not parse is refused, naming the line and the reason; the one in use stays.
   */
  async loadSvd(args: { path: string }): Promise<Result<PeripheralsDescription>> {
    const board = this.board();
    if (board === null)
      return err('unavailable', 'No debug session runs.', 'Start one, then load an SVD for it.');
    const file = path.resolve(this.opts.projectRoot, args.path);
    let device: SvdDevice;
    try {
      // Off this thread too: a user's SVD is as large as the board's.
      device = await parseSvdFile(file);
    } catch (e) {
      if ((e as { code?: string }).code !== undefined)
        return err('not-found', `Cannot read ${args.path}: ${(e as Error).message}`);
      if (e instanceof SvdError)
        return err('bad-request', `${args.path} is not a usable SVD: ${e.where}: ${e.problem}`);
      return err('bad-request', `${args.path}: ${(e as Error).message}`);
    }
    const found = findBoard(board);
    const chip = found.ok ? found.value.board.chip : null;
    const warnings = this.disagreements(device, chip);
    this.userSvd = { board, path: args.path, device, warnings };
    this.svd = null;
    return this.describe();
  }

  /** Back to the board's own SVD. */
  async resetSvd(): Promise<Result<PeripheralsDescription>> {
    this.userSvd = null;
    this.svd = null;
    return this.describe();
  }

  // -------------------------------------------------------------------------------------------
  // Registers

  /**
   * Reads registers by address. Registers whose read has a side effect are read only with
   * `demand` (an ordinary bus access, as the firmware's would be); otherwise they come back
   * `skipped` with the reason. A read the bus refuses comes back with its error, the target
   * unharmed.
   */
  async read(args: { addresses: number[]; demand?: boolean }): Promise<Result<RegisterReading[]>> {
    const t = this.target();
    if (!t.ok) return t;
    const a = await this.active();
    if (!a.ok) return a;
    return { ok: true, value: await this.readAll(t.value, a.value, args.addresses, !!args.demand) };
  }

  private async readAll(
    target: DebugTarget,
    svd: ActiveSvd,
    addresses: readonly number[],
    demand: boolean,
  ): Promise<RegisterReading[]> {
    const out = new Map<number, RegisterReading>();
    const live: Located[] = [];
    // Every read is issued before any is awaited: over the emulator worker they cross as one
    // message, answered at one slice boundary (target-rpc.ts), not one boundary each.
    const reads: Promise<void>[] = [];
    for (const address of new Set(addresses)) {
      const l = svd.byAddress.get(address >>> 0);
      if (!l) {
        out.set(address, {
          address,
          value: null,
          error: `no register at ${hex(address)} in the SVD`,
        });
        continue;
      }
      if (l.policy.kind === 'unreadable') {
        out.set(address, { address, value: null, skipped: l.policy.reason });
      } else if (l.policy.kind === 'on-demand') {
        if (!demand) out.set(address, { address, value: null, skipped: l.policy.reason });
        else
          reads.push(
            target.readMemory(address, l.register.size / 8, { debug: false }).then((r) => {
              out.set(
                address,
                r.ok ? { address, value: word(r.value) } : { address, value: null, error: r.error },
              );
            }),
          );
      } else live.push(l);
    }
    // Neighbouring live registers in one read; a run never spans a register it must not read.
    live.sort((x, y) => x.address - y.address);
    let i = 0;
    while (i < live.length) {
      let j = i + 1;
      while (
        j < live.length &&
        live[j]!.address === live[j - 1]!.address + live[j - 1]!.register.size / 8 &&
        j - i < 256
      )
        j++;
      reads.push(this.readRun(target, live.slice(i, j), out));
      i = j;
    }
    await Promise.all(reads);
    return addresses.map((ad) => out.get(ad)!).filter((x) => x !== undefined);
  }

  /** One read of the adjacent live registers `run`, into `out` (one by one if the bus refuses). */
  private async readRun(
    target: DebugTarget,
    run: Located[],
    out: Map<number, RegisterReading>,
  ): Promise<void> {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    const length = last.address + last.register.size / 8 - first.address;
    const r = await target.readMemory(first.address, length);
    if (r.ok) {
      for (const l of run) {
        const off = l.address - first.address;
        out.set(l.address, {
          address: l.address,
          value: word(r.value.subarray(off, off + l.register.size / 8)),
        });
      }
    } else if (run.length > 1) {
      // Find which of them the bus refuses: one by one.
      const ones = await Promise.all(
        run.map((l) => target.readMemory(l.address, l.register.size / 8)),
      );
      run.forEach((l, k) => {
        const one = ones[k]!;
        out.set(
          l.address,
          one.ok
            ? { address: l.address, value: word(one.value) }
            : { address: l.address, value: null, error: `bus error: ${one.error}` },
        );
      });
    } else
      out.set(first.address, {
        address: first.address,
        value: null,
        error: `bus error: ${r.error}`,
      });
  }

  /**
   * Writes a register (`value`) or one of its fields (`field` with `input`: a number or an
   * enumerated name), then reads it back (unless reading it has a side effect). Read-only
   * registers and fields are refused with the reason.
   */
  async write(args: {
    address: number;
    value?: number;
    field?: string;
    input?: string;
  }): Promise<Result<RegisterReading>> {
    const t = this.target();
    if (!t.ok) return t;
    const a = await this.active();
    if (!a.ok) return a;
    const l = a.value.byAddress.get(args.address >>> 0);
    if (!l) return err('bad-request', `no register at ${hex(args.address)} in the SVD`);
    let value: number;
    const name = `${l.peripheral}.${l.register.name}`;
    if (args.field !== undefined) {
      if (args.input === undefined) return err('bad-request', 'a field write needs a value');
      let current: number | null = null;
      if (l.policy.kind === 'live') {
        const r = await this.readAll(t.value, a.value, [l.address], false);
        current = r[0]?.value ?? null;
      }
      const enc = encodeFieldWrite(l.register, current, args.field, args.input);
      if (!enc.ok) return err('bad-request', `${name}: ${enc.error}`);
      value = enc.value.value;
    } else {
      if (args.value === undefined) return err('bad-request', 'give a value or a field');
      const refusal = writeRefusal(l.register);
      if (refusal) return err('bad-request', `${l.peripheral}.${refusal}`);
      if (args.value > 2 ** l.register.size - 1)
        return err('bad-request', `${args.value} does not fit ${name}'s ${l.register.size} bits`);
      value = args.value;
    }
    const bytes = new Uint8Array(l.register.size / 8);
    for (let k = 0; k < bytes.length; k++) bytes[k] = (value >>> (8 * k)) & 0xff;
    const w = await t.value.writeMemory(l.address, bytes);
    if (!w.ok) return err('io', `writing ${name}: ${w.error}`);
    const back = await this.readAll(t.value, a.value, [l.address], false);
    void this.refresh(t.value);
    return { ok: true, value: back[0] ?? { address: l.address, value: null } };
  }

  /** The registers the panel shows: read live (10 Hz on the emulator) and at every stop. */
  async watch(args: { addresses: number[]; connections?: boolean }): Promise<Result<null>> {
    this.watched = [...new Set(args.addresses.map((x) => x >>> 0))].slice(0, 4096);
    this.watchConnections = args.connections === true;
    this.setLive(true);
    const t = this.opts.debug.target;
    if (t) void this.refresh(t);
    return { ok: true, value: null };
  }

  private setLive(on: boolean): void {
    if (!on) {
      this.stopLive?.();
      this.stopLive = null;
      return;
    }
    if (this.stopLive) return;
    this.stopLive = this.opts.debug.addLiveRead({
      intervalMs: this.opts.intervalMs ?? 100,
      run: (target) => this.refresh(target),
    });
  }

  /**
   * Reads what the views show and sends it as one `peripherals.values` event. Calls made while
   * one runs share a single next pass (a slow target is never asked twice at once).
   */
  refresh(target: DebugTarget): Promise<void> {
    // A refresh of another target (the session ended or was replaced) is not waited for: a
    // closed target's reads may never answer, and waiting for one stopped every later refresh
    // (the next session's Board view stayed as it was first drawn: a held button never shown).
    if (this.inFlight === null || this.inFlight.target !== target) {
      const run = this.refreshNow(target).finally(() => {
        if (this.inFlight?.run === run) this.inFlight = null;
      });
      this.inFlight = { target, run };
      this.queued = null;
      return run;
    }
    if (this.queued === null) {
      const queued = this.inFlight.run.then(() => {
        if (this.queued !== queued) return; // a refresh of the next session's target replaced it
        this.queued = null;
        return this.refresh(target);
      });
      this.queued = queued;
    }
    return this.queued;
  }

  private async refreshNow(target: DebugTarget): Promise<void> {
    const a = await this.active();
    if (!a.ok) return;
    // Every read of the pass is issued before any is awaited (one message to the emulator
    // worker, answered at one slice boundary: target-rpc.ts), the buttons' state first.
    const state: Promise<TargetResult<BoardState> | null> = target.boardState
      ? target.boardState()
      : Promise.resolve(null);
    const [values, board, interrupts, links] = await Promise.all([
      this.readAll(target, a.value, this.watched, false),
      this.boardView(target, a.value, state),
      this.interruptRows(target, a.value, state),
      this.watchConnections ? this.connectionsOf(target, a.value) : null,
    ]);
    // The session ended or another began while this read: its values are not the board's now.
    if (this.opts.debug.target !== target) return;
    this.opts.emit('peripherals.values', {
      values,
      board: board.ok ? board.value : null,
      interrupts: interrupts.ok ? interrupts.value : [],
      ...(this.watchConnections ? { connections: links?.ok ? links.value : null } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Interrupts

  async interrupts(): Promise<Result<InterruptRow[]>> {
    const t = this.target();
    if (!t.ok) return t;
    const a = await this.active();
    if (!a.ok) return a;
    return this.interruptRows(t.value, a.value);
  }

  private async interruptRows(
    target: DebugTarget,
    svd: ActiveSvd,
    state?: Promise<TargetResult<BoardState> | null>,
  ): Promise<Result<InterruptRow[]>> {
    // ICTR is fixed by the silicon: read once per SVD, then the NVIC's arrays go in the same
    // message as the rest of a refresh's reads.
    let count = this.nvicLines?.svd === svd ? this.nvicLines.count : null;
    if (count === null) {
      const ictr = await target.readMemory(NVIC_ICTR, 4);
      if (!ictr.ok) return err('io', `reading the NVIC: ${ictr.error}`);
      count = interruptCount(word(ictr.value));
      this.nvicLines = { svd, count };
    }
    const words = count / 8;
    const [iser, ispr, iabr, ipr, b] = await Promise.all([
      target.readMemory(NVIC_ISER, words),
      target.readMemory(NVIC_ISPR, words),
      target.readMemory(NVIC_IABR, words),
      target.readMemory(NVIC_IPR, count),
      state !== undefined ? state : target.boardState ? target.boardState() : null,
    ]);
    if (!iser.ok || !ispr.ok || !iabr.ok || !ipr.ok)
      return err('io', 'the NVIC registers could not be read');
    let levels: Uint8Array | null = null;
    if (b?.ok) levels = Uint8Array.from(b.value.irqLevels);
    return {
      ok: true,
      value: interruptTable(
        { iser: iser.value, ispr: ispr.value, iabr: iabr.value, ipr: ipr.value },
        svd.device,
        svd.description.priorityBits,
        levels,
      ),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Board

  async boardState(): Promise<Result<BoardView>> {
    const t = this.target();
    if (!t.ok) return t;
    const a = await this.active();
    if (!a.ok) return a;
    return this.boardView(t.value, a.value);
  }

  private async boardView(
    target: DebugTarget,
    svd: ActiveSvd,
    state?: Promise<TargetResult<BoardState> | null>,
  ): Promise<Result<BoardView>> {
    const spec = (NRF52_MACHINES as Record<string, (typeof NRF52_MACHINES)['nrf52840dk']>)[
      svd.board
    ];
    if (!spec) return err('unavailable', `no board drawing for ${svd.board}`);
    // The buttons first, then the pins (issued in this order, they are answered in it): a press
    // between the two reads shows as the pin read low with the button drawn released for one
    // refresh, never as a pressed button whose pin still reads high.
    const buttons = state !== undefined ? state : target.boardState ? target.boardState() : null;
    // Both GPIO ports' OUT, IN, DIR (PS §6.8.2: plain state, reading them changes nothing).
    const [b, p0, p1, functions] = await Promise.all([
      buttons,
      target.readMemory(0x50000000 + 0x504, 0x14),
      target.readMemory(0x50000300 + 0x504, 0x14),
      this.pinFunctions(target, svd),
    ]);
    const ports: { out: number; in: number; dir: number }[] = [];
    for (const r of [p0, p1]) {
      if (!r.ok) return err('io', `reading GPIO: ${r.error}`);
      const w = (o: number) => word(r.value.subarray(o, o + 4));
      ports.push({ out: w(0), in: w(0x0c), dir: w(0x10) });
    }
    const pinOf = (p: { port: number; pin: number }) => {
      const g = ports[p.port]!;
      const bit = 1 << p.pin;
      return {
        port: p.port,
        pin: p.pin,
        output: (g.dir & bit) !== 0,
        out: (g.out & bit) !== 0,
        in: (g.in & bit) !== 0,
        functions: functions.get(`${p.port}.${p.pin}`) ?? [],
      };
    };
    // LEDs from the pins (a real board at a halt); the emulator adds how long each was lit.
    let leds = spec.matrix
      ? spec.matrix.rows.flatMap((r, ri) =>
          spec.matrix!.cols.map((c, ci) => {
            const lit = pinOf(r).output && pinOf(r).out && pinOf(c).output && !pinOf(c).out;
            return { name: `(${ri},${ci})`, lit, duty: lit ? 1 : 0 };
          }),
        )
      : spec.leds.map((l) => {
          const p = pinOf(l);
          const lit = p.output && p.out === !l.activeLow;
          return { name: l.name, lit, duty: lit ? 1 : 0 };
        });
    let pressed = new Set<string>();
    let live = false;
    const got = b?.ok ? b.value : null;
    if (got) {
      leds = got.leds;
      pressed = new Set(got.buttons.filter((x) => x.pressed).map((x) => x.name));
      live = true;
    }
    const pins = new Map<string, ReturnType<typeof pinOf>>();
    for (const p of [
      ...spec.leds,
      ...spec.buttons,
      ...(spec.matrix ? [...spec.matrix.rows, ...spec.matrix.cols] : []),
      spec.uartTx,
      spec.uartRx,
    ])
      pins.set(`${p.port}.${p.pin}`, pinOf(p));
    for (const key of functions.keys()) {
      const [port, pin] = key.split('.').map(Number) as [number, number];
      if (!pins.has(key)) pins.set(key, pinOf({ port, pin }));
    }
    return {
      ok: true,
      value: {
        board: svd.board,
        live,
        leds: leds.map((l, i) => ({
          ...l,
          pins: spec.matrix
            ? [
                spec.matrix.rows[Math.floor(i / spec.matrix.cols.length)]!,
                spec.matrix.cols[i % spec.matrix.cols.length]!,
              ]
            : [spec.leds[i]!].map((p) => ({ port: p.port, pin: p.pin })),
        })),
        matrix: spec.matrix
          ? { rows: spec.matrix.rows.length, cols: spec.matrix.cols.length }
          : null,
        buttons: spec.buttons.map((b) => ({
          name: b.name,
          pressed: pressed.has(b.name),
          port: b.port,
          pin: b.pin,
          activeLow: b.activeLow,
        })),
        pins: [...pins.values()].sort((x, y) => x.port - y.port || x.pin - y.pin),
      },
    };
  }

  /**
   * Which peripheral uses which pin: every PSEL register of an enabled peripheral whose
   * CONNECT field says Connected (PS §6.1.4, "Pin configuration": a peripheral takes over a pin
   * while it is enabled).
   */
  private async pinFunctions(target: DebugTarget, svd: ActiveSvd): Promise<Map<string, string[]>> {
    // Firmware sets its pins up once: while the board runs, read them again once a second.
    const now = Date.now();
    const c = this.pinCache;
    if (c && c.svd === svd && now - c.at < 1000 && target.state() === 'running') return c.map;
    const map = await this.readPinFunctions(target, svd);
    this.pinCache = { svd, at: now, map };
    return map;
  }

  private async readPinFunctions(
    target: DebugTarget,
    svd: ActiveSvd,
  ): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const psel: Located[] = [];
    const enables = new Map<string, Located>();
    for (const l of svd.byAddress.values()) {
      if (l.policy.kind !== 'live') continue;
      if (
        /^PSEL\b|^PSEL\./.test(l.register.name) &&
        l.register.fields.some((f) => f.name === 'PIN')
      )
        psel.push(l);
      if (l.register.name === 'ENABLE') enables.set(l.peripheral, l);
    }
    const values = await this.readAll(
      target,
      svd,
      [...psel, ...enables.values()].map((l) => l.address),
      false,
    );
    const v = new Map(values.map((r) => [r.address, r.value]));
    for (const l of psel) {
      const en = enables.get(l.peripheral);
      if (en && !v.get(en.address)) continue;
      const val = v.get(l.address);
      if (val === null || val === undefined) continue;
      const f = Object.fromEntries(decodeFields(l.register, val).map((x) => [x.name, x]));
      if (f['CONNECT'] && f['CONNECT'].value !== 0) continue;
      const key = `${f['PORT']?.value ?? 0}.${f['PIN']!.value}`;
      const list = out.get(key) ?? [];
      list.push(`${l.peripheral} ${l.register.name}`);
      out.set(key, list);
    }
    return out;
  }

  async button(args: { name: string; pressed: boolean }): Promise<Result<null>> {
    const t = this.target();
    if (!t.ok) return t;
    if (!t.value.setButton)
      return err('unavailable', `${t.value.description.label} has no buttons the IDE can press.`);
    const r = await t.value.setButton(args.name, args.pressed);
    if (!r.ok) return err('bad-request', r.error);
    void this.refresh(t.value);
    return { ok: true, value: null };
  }

  // -------------------------------------------------------------------------------------------
  // Access log and connections

  /**
   * Turns the access log on or off and returns its entries from `since`, each named after the
   * SVD, decoded, and tied to the source line of its PC and to the first capsule among its
   * callers. With `peripheral` / `register`, only matching entries (the target skips the rest
   * before anything is sent, so a filtered view sees every match the log holds); with
   * `debuggerOnly`, only the debugger's own accesses and what else the emulator keeps however
   * busy the others are (EasyDMA transfers, quiet peripherals' entries: a reader skipping ahead
   * keeps those).
   */
  async log(args: {
    enable?: boolean;
    clear?: boolean;
    since?: number;
    until?: number;
    max?: number;
    peripheral?: string;
    register?: string;
    debuggerOnly?: boolean;
    newest?: boolean;
    compact?: boolean;
  }): Promise<Result<AccessLogPage>> {
    const t = this.target();
    if (!t.ok) return t;
    if (!t.value.accessLog)
      return err(
        'unavailable',
        `${t.value.description.label} does not record MMIO accesses.`,
        'The access log works on the emulator.',
      );
    const a = await this.active();
    const program = this.opts.debug.program;
    const p = (args.peripheral ?? '').trim().toLowerCase();
    const rf = (args.register ?? '').trim().toLowerCase();
    const filter = args.debuggerOnly
      ? { ranges: [], debugger: true, kept: true }
      : (p !== '' || rf !== '') && a.ok
        ? { ...this.exactFilter(a.value, p, rf), debugger: false }
        : undefined;
    // The call-chain table goes with the first request after it changed for this target (not
    // only with the one turning the log on): a log turned on before the program's unwind rows
    // were at hand walks chains from the next poll on, instead of never for the whole run.
    const table = program?.callerTable?.() ?? null;
    const sendTable = args.enable === true || this.callersSent.get(t.value) !== table;
    if (sendTable) this.callersSent.set(t.value, table);
    const r = await t.value.accessLog({
      ...(args.enable !== undefined ? { enable: args.enable } : {}),
      ...(sendTable ? { callers: table } : {}),
      ...(args.clear ? { clear: true } : {}),
      ...(args.since !== undefined ? { since: args.since } : {}),
      ...(args.until !== undefined ? { until: args.until } : {}),
      ...(filter ? { filter } : {}),
      ...(args.newest ? { newest: true } : {}),
      max: Math.min(args.max ?? 5000, 20_000),
    });
    if (!r.ok) return err('io', r.error);
    const names = a.ok ? this.logNames(a.value) : null;
    const sources = this.logSources(program);
    const sourceOf = (pc: number): AccessLogSource | null => {
      const hit = sources.get(pc);
      if (hit !== undefined) return hit;
      const l = program?.lineAt(pc) ?? null;
      const fn = program?.symbolize(pc)?.name ?? null;
      const s = l
        ? {
            ...projectRelative(this.opts.projectRoot, l.file),
            line: l.line,
            column: l.column,
            function: fn,
          }
        : fn
          ? { path: null, inProject: false, line: 0, column: 0, function: fn }
          : null;
      sources.set(pc, s);
      return s;
    };
    // The first frame in a capsule: the call instruction ends just before the return address.
    const capsuleCaller = (e: AccessRecord, own: AccessLogSource | null) => {
      if (!e.callers || isCapsuleSource(own)) return null;
      for (const ra of e.callers) {
        const s = sourceOf(ra - 1);
        if (isCapsuleSource(s)) return s;
      }
      return null;
    };
    const entries: AccessLogEntry[] = [];
    // Compact: the entries go out as columns (the window decodes only the rows it shows).
    const rows = args.compact ? new RowsWriter(r.value.entries.length) : null;
    const add = (entry: AccessLogEntry) => (rows ? rows.add(entry) : entries.push(entry));
    for (const e of r.value.entries) {
      if (e.dma) {
        const dmaBy = a.ok ? dmaPeripheral(a.value.device, e.pc) : null;
        const register = `${dmaBy ?? hexWord(e.pc)}.EasyDMA`;
        if (filter && !filter.debugger && !namePasses(dmaBy, register, p, rf)) continue;
        const n = `${e.value} byte${e.value === 1 ? '' : 's'}`;
        add({
          ...e,
          peripheral: dmaBy,
          register,
          decoded: e.write
            ? `wrote ${n} to RAM ${hexWord(e.address)}`
            : `read ${n} from RAM ${hexWord(e.address)}`,
          source: null,
          caller: null,
        });
        continue;
      }
      const named = names?.of(e.address & ~3) ?? null;
      const peripheral = named?.peripheral ?? null;
      const register = named?.register ?? null;
      // The emulator's ranges are exact (`exactFilter`); the test stays for a superset's sake.
      if (filter && !filter.debugger && !namePasses(peripheral, register, p, rf)) continue;
      const source = e.debugger ? null : sourceOf(e.pc);
      // Spelled out, not spread: one object shape for every entry (spreading the target's
      // records, whose optional keys differ, cost more than the rest of the naming).
      const entry: AccessLogEntry = {
        seq: e.seq,
        cycle: e.cycle,
        write: e.write,
        size: e.size,
        address: e.address,
        value: e.value,
        pc: e.pc,
        debugger: e.debugger,
        peripheral,
        register,
        decoded: names?.decoded(e.address & ~3, e.value, e.write) ?? null,
        source,
        caller: e.debugger ? null : capsuleCaller(e, source),
      };
      if (e.callers !== undefined && rows === null) entry.callers = e.callers;
      add(entry);
    }
    return {
      ok: true,
      value: {
        on: r.value.on,
        next: r.value.next,
        missed: r.value.missed,
        ...(r.value.passed !== undefined ? { passed: r.value.passed } : {}),
        frequencyHz: r.value.frequencyHz,
        entries,
        ...(rows ? { rows: rows.finish() } : {}),
      },
    };
  }

  /**
   * The emulator's filter for the name filters `p` and `rf` (lowercase), exact (`exactRanges`),
   * remembered for the last few filters (a view polls with the same one 4 times a second).
   */
  private readonly exactFilters = new Map<string, { ranges: number[]; dma: number[] }>();
  private exactFiltersOf: ActiveSvd | null = null;
  private exactFilter(svd: ActiveSvd, p: string, rf: string): { ranges: number[]; dma: number[] } {
    if (this.exactFiltersOf !== svd) {
      this.exactFilters.clear();
      this.exactFiltersOf = svd;
    }
    const key = `${p}\n${rf}`;
    let f = this.exactFilters.get(key);
    if (f === undefined) {
      if (this.exactFilters.size >= 16) this.exactFilters.clear();
      f = exactRanges(svd.namer, p, rf);
      this.exactFilters.set(key, f);
    }
    return f;
  }

  /**
   * Names and decodings of logged accesses, kept across log pages: a kernel touches a few
   * dozen registers with a few values each, so the SVD is consulted once per register and once
   * per (register, value, direction), not once per entry (a page holds up to 20,000 entries).
   */
  private logNameCache: { svd: ActiveSvd; names: LogNames } | null = null;
  private logNames(svd: ActiveSvd): LogNames {
    if (this.logNameCache?.svd !== svd) this.logNameCache = { svd, names: new LogNames(svd.namer) };
    return this.logNameCache.names;
  }

  /** Source lines of logged PCs and return addresses, per program (null: none found). */
  private logSourceCache: { program: unknown; lines: Map<number, AccessLogSource | null> } | null =
    null;
  private logSources(program: unknown): Map<number, AccessLogSource | null> {
    const c = this.logSourceCache;
    if (c !== null && c.program === program && c.lines.size <= 1 << 16) return c.lines;
    const lines = new Map<number, AccessLogSource | null>();
    this.logSourceCache = { program, lines };
    return lines;
  }

  async connections(): Promise<Result<Connections>> {
    const t = this.target();
    if (!t.ok) return t;
    const a = await this.active();
    if (!a.ok) return a;
    return this.connectionsOf(t.value, a.value);
  }

  private async connectionsOf(target: DebugTarget, svd: ActiveSvd): Promise<Result<Connections>> {
    const regs = connectionRegisters(svd.device);
    const values = await this.readAll(target, svd, regs, false);
    const v = new Map(values.map((x) => [x.address, x.value]));
    return {
      ok: true,
      value: connections(
        svd.device,
        svd.namer,
        (ad) => v.get(ad) ?? null,
        target.description.memoryMap,
      ),
    };
  }
}

/** Register names and value decodings of logged accesses, memoised (see `logNames`). */
class LogNames {
  private readonly names = new Map<
    number,
    { peripheral: string | null; register: string | null }
  >();
  private readonly reads = new Map<number, Map<number, string | null>>();
  private readonly writes = new Map<number, Map<number, string | null>>();
  private decodings = 0;

  constructor(private readonly namer: RegisterNamer) {}

  of(address: number): { peripheral: string | null; register: string | null } {
    let n = this.names.get(address);
    if (n === undefined) {
      n = logName(this.namer, address);
      this.names.set(address, n);
    }
    return n;
  }

  decoded(address: number, value: number, write: boolean): string | null {
    const byAddress = write ? this.writes : this.reads;
    let values = byAddress.get(address);
    if (values === undefined) byAddress.set(address, (values = new Map()));
    let d = values.get(value);
    if (d === undefined) {
      // A register read as a counter or a data stream has a new value each time: bound the cache.
      if (++this.decodings > 1 << 16) {
        this.reads.clear();
        this.writes.clear();
        this.decodings = 0;
        byAddress.set(address, (values = new Map()));
      }
      d = this.namer.describe(address, value, write ? 'write' : 'read');
      values.set(value, d);
    }
    return d;
  }
}

/** Code of a capsule: a file under a `capsules/` folder (the kernel workspace's capsules crate). */
export function isCapsuleSource(s: AccessLogSource | null): boolean {
  return s !== null && s.path !== null && /(^|\/)capsules\//.test(s.path);
}

/** The names a logged access at `address` (its word) is shown and filtered by. */
function logName(
  namer: RegisterNamer,
  address: number,
): { peripheral: string | null; register: string | null } {
  return {
    peripheral: namer.locate(address)?.peripheral.name ?? null,
    register: namer.name(address),
  };
}

/**
 * Whether an entry named `peripheral`/`register` passes the Access Log's filters: the
 * peripheral named `p` exactly, the register's full name containing `rf` (both lowercase, ''
 * for any). One test for the entries and for the emulator's ranges (`exactRanges`).
 */
export function namePasses(
  peripheral: string | null,
  register: string | null,
  p: string,
  rf: string,
): boolean {
  if (p !== '' && (peripheral ?? '').toLowerCase() !== p) return false;
  return rf === '' || (register ?? '').toLowerCase().includes(rf);
}

/** Words `exactRanges` tests one by one at most (past it, the superset `filterRanges`). */
const EXACT_WORDS = 1 << 18;

/**
 * The emulator's filter for the name filters `p` and `rf` (lowercase), exact: the words whose
 * logged accesses the host would name so that `namePasses` (as `[lo, hi)` ranges, sorted and
 * joined), and the bases whose EasyDMA transfers it would. The emulator's ranges used to be a
 * superset (`filterRanges`: a peripheral's whole block, which UART0 and UARTE0 share; every
 * register whose name contains the text), so a view following a run counted, as matches passed
 * over, accesses the host then dropped, and its newest page came back short.
 *
 * Each candidate word (`filterRanges`' registers; for a peripheral, its own registers, the only
 * words `locate` names after it; for a text with no '.', every block too, whose unnamed words
 * are named 'UARTE0+0x5F0') is named as the host names entries and tested.
 */
export function exactRanges(
  namer: RegisterNamer,
  p: string,
  rf: string,
): { ranges: number[]; dma: number[] } {
  const device = namer.device;
  const candidates: number[] = [];
  for (const per of device.peripherals) {
    if (p !== '' && per.name.toLowerCase() !== p) continue;
    for (const reg of per.registers) {
      if (rf !== '' && p === '' && !`${per.name}.${reg.name}`.toLowerCase().includes(rf)) continue;
      const lo = (per.baseAddress + reg.addressOffset) >>> 0;
      candidates.push(lo, lo + Math.max(1, reg.size / 8));
    }
    if (p === '' && rf !== '' && !rf.includes('.')) pushBlocks(per, candidates);
  }
  const words = new Set<number>();
  for (let k = 0; k < candidates.length; k += 2) {
    for (let w = candidates[k]! & ~3; w < candidates[k + 1]!; w += 4) words.add(w >>> 0);
    if (words.size > EXACT_WORDS)
      return { ranges: filterRanges(device, p, rf, false), dma: dmaRanges(device, p, rf) };
  }
  const ranges: number[] = [];
  for (const w of [...words].sort((a, b) => a - b)) {
    const n = logName(namer, w);
    if (!namePasses(n.peripheral, n.register, p, rf)) continue;
    if (ranges.length > 0 && ranges[ranges.length - 1] === w) ranges[ranges.length - 1] = w + 4;
    else ranges.push(w, w + 4);
  }
  // A transfer is filed under its peripheral's base (`dmaPeripheral`), named 'UARTE0.EasyDMA'.
  const dma: number[] = [];
  const bases = [...new Set(device.peripherals.map((x) => x.baseAddress >>> 0))];
  for (const base of bases.sort((a, b) => a - b)) {
    const by = dmaPeripheral(device, base);
    if (by !== null && namePasses(by, `${by}.EasyDMA`, p, rf)) dma.push(base, base + 1);
  }
  return { ranges, dma };
}

/**
 * Address ranges ([lo, hi) flattened) that may hold an access the filters pass: the blocks of
 * the peripheral named `peripheral` (or of every one), narrowed to the registers whose full
 * name contains `register`. A superset (alternate peripherals share blocks); the exact test is
 * on the named entries.
 */
export function filterRanges(
  device: SvdDevice,
  peripheral: string,
  register: string,
  dma = true,
): number[] {
  const out: number[] = [];
  for (const per of device.peripherals) {
    if (peripheral !== '' && per.name.toLowerCase() !== peripheral) {
      // The entry is named after the register's owner, which may be the alternate of this one.
      if (per.alternatePeripheral?.toLowerCase() !== peripheral) continue;
    }
    if (register === '') {
      pushBlocks(per, out);
      continue;
    }
    // EasyDMA entries are named `UARTE0.EasyDMA` and filed under the peripheral's block.
    if (
      dma &&
      `${per.name.toLowerCase()}.easydma`.includes(register) &&
      per.alternatePeripheral === undefined
    ) {
      pushBlocks(per, out);
    }
    for (const reg of per.registers) {
      if (!`${per.name}.${reg.name}`.toLowerCase().includes(register)) continue;
      const lo = (per.baseAddress + reg.addressOffset) >>> 0;
      out.push(lo, lo + Math.max(1, reg.size / 8));
    }
  }
  return out;
}

/**
 * The [lo, hi) blocks whose EasyDMA transfers (filed under the peripheral's base) a filter
 * matches: `filterRanges` without the registers, so the emulator's filter passes no CPU access
 * that the name filter would drop (a view following a run counts what it leaves out there).
 */
export function dmaRanges(device: SvdDevice, peripheral: string, register: string): number[] {
  if (register === '') return filterRanges(device, peripheral, register);
  const out: number[] = [];
  for (const per of device.peripherals) {
    const name = per.name.toLowerCase();
    if (peripheral !== '' && name !== peripheral) continue;
    if (per.alternatePeripheral !== undefined || !`${name}.easydma`.includes(register)) continue;
    pushBlocks(per, out);
  }
  return out;
}

/** Adds a peripheral's address blocks (its first 4 KiB when its SVD lists none) to `out`. */
function pushBlocks(per: SvdDevice['peripherals'][number], out: number[]): void {
  const blocks = per.addressBlocks.length > 0 ? per.addressBlocks : [{ offset: 0, size: 0x1000 }];
  for (const b of blocks) out.push(per.baseAddress + b.offset, per.baseAddress + b.offset + b.size);
}

/** The peripheral (not an alternate view of it) whose base address is `base`. */
function dmaPeripheral(device: SvdDevice, base: number): string | null {
  return (
    device.peripherals.find((p) => p.baseAddress === base && p.alternatePeripheral === undefined)
      ?.name ?? null
  );
}

const hexWord = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

function word(b: Uint8Array): number {
  let v = 0;
  for (let i = b.length - 1; i >= 0; i--) v = v * 256 + b[i]!;
  return v >>> 0;
}

function projectRelative(root: string, file: string): { path: string; inProject: boolean } {
  const r = root.endsWith('/') ? root : `${root}/`;
  return file.startsWith(r)
    ? { path: file.slice(r.length), inProject: true }
    : { path: file, inProject: false };
}
