/**
 * The host's DebugService: one debug session at a time over a `DebugTarget`, for the IDE's
 * Run, Debug and Attach, and for every view that reads a running board.
 *
 * Run and Debug start the selected board's last build (debug-images.ts) in the emulator worker
 * (`startEmulatorWorker`: the machine never runs on the host thread); Attach launches QEMU with
 * its gdbstub (`launchQemuGdb`), or OpenOCD for a board on a probe (or the emulated board on
 * remote_bitbang, `startOpenocdTarget`), and drives it through the GDB remote target. Everything after
 * the start is target-independent: breakpoints resolved through the program's line tables and
 * kept per project (breakpoint-store.ts), stops turned into a location, a backtrace and
 * variables (debug-program.ts), source-level stepping built from range steps and temporary
 * breakpoints (debug-stepping.ts), faults in words, console bytes and run figures streamed as
 * the contract's `session.*` events (the host batches them per tick).
 *
 * For the views built on it (Tock processes and cells, peripherals, the GDB server's switch,
 * real boards) the service exposes the active `target`, its `program` (names, lines, DWARF),
 * `onStop` / `onSession` listeners, and `addLiveRead`: a read a view wants repeated while the
 * board runs (only on targets whose reads are side-effect free and allowed while running).
 *
 * @example
 *   const debug = new DebugService({ projectRoot, emit });
 *   const r = await debug.start({ mode: 'debug', board: 'nrf52840dk' });
 *   debug.onStop(({ stop }) => console.log(stop.description));
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOARDS, findBoard } from '../../emulator/boards/registry';
import type { Result as EmuResult } from '../../emulator/core/result';
import { disassembleWord } from '../../emulator/core/cpu/table';
import type { EmulatorTargetSpec } from '../../emulator/debug/emulator-target';
import {
  CORE_REGISTER_NAMES,
  describeStop,
  type CoreRegisterName,
  type CoreRegisters,
  type DebugTarget,
  type StopInfo,
  type TargetEvent,
} from '../../emulator/debug/target';
import { TargetProxy } from '../../emulator/debug/target-rpc';
import { launchQemuGdb, type QemuGdbSession } from '../../emulator/node/qemu-gdb';
import { cfsrCauses } from '../../emulator/session/fault-report';
import type {
  BreakpointSpec,
  BuildArtifacts,
  BuildCheck,
  Disassembly,
  DisassemblyLine,
  FaultReport,
  FileBreakpoints,
  GdbServerInfo,
  HostEvents,
  MemoryBlock,
  RegisterValue,
  ResolvedBreakpoint,
  Result,
  SessionAttachArgsShape,
  SessionInfo,
  SessionMode,
  SessionStop,
  StackFrame,
  StepTiming,
  StopReason,
  VariableNode,
  VariableScope,
} from '../common/contract.js';
import { BreakpointStore, hitConditionProblem, hitStops } from './breakpoint-store.js';
import {
  builtBoards,
  changedSince,
  findImages,
  withApps,
  machineForBoard,
  type BoardImages,
} from './debug-images.js';
import {
  ElfProgramView,
  projectPath,
  sourceLocation,
  type FrameAt,
  type ProgramView,
  type ReadMemory,
} from './debug-program.js';
import { DwarfProgramView, exceptionName } from './debug-dwarf.js';
import { stepSource, type StepKind } from './debug-stepping.js';
import {
  prepareEmulatorWorker,
  startEmulatorWorker,
  type SpareEmulatorWorker,
} from './emulator-worker-target.js';
import { hostErrorOf } from './hardware.js';
import { openocdForBoard, openocdForEmulator } from './openocd.js';
import { startOpenocdTarget } from './openocd-target.js';
import { err } from './project.js';
import { gdbServerInfo, serveToGdb, sharePoints, type SharedPoints } from './gdb-switch.js';
import type { GdbServerHandle } from '../../emulator/node/gdb-server';

const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

type Emit = <K extends keyof HostEvents>(name: K, payload: HostEvents[K]) => void;

export interface DebugServiceOptions {
  projectRoot: string;
  emit: Emit;
  /** Where the project's breakpoints are kept (default: the user's cache folder). */
  breakpointDir?: string;
  /** Starts the emulator target (default: in a worker thread). */
  startEmulator?: (spec: EmulatorTargetSpec) => Promise<EmuResult<DebugTarget>>;
  /**
   * Keep a spare emulator worker started ahead (default off; the studio's host turns it on):
   * from `warmUp()` (a window opened) and after each session ends, until `dispose()`, so Run
   * and Debug do not wait for the worker's modules to load. Only with the default worker.
   */
  spareWorker?: boolean;
  /** Launches QEMU under its gdbstub (default: launchQemuGdb). */
  launchQemu?: typeof launchQemuGdb;
  /** Loads what the session knows about its code (default: DWARF when present, else symbols). */
  loadProgram?: (images: BoardImages, projectRoot: string) => ProgramView;
  /** Pace of the nRF boards (default 'realtime', as the command line). mps2-an386 runs fast. */
  pace?: 'fast' | 'realtime';
  /** The app's resources folder (resources/openocd/ for the emulated board); default: the repository's. */
  resourcesDir?: string;
}

/** A read a view repeats while the board runs (see `addLiveRead`). */
export interface LiveRead {
  /** How often, at least (the service never runs two of the same read at once). */
  intervalMs: number;
  run(target: DebugTarget): Promise<void>;
}

export interface StopEvent {
  session: SessionInfo;
  stop: SessionStop;
  target: DebugTarget;
  program: ProgramView;
}

interface ArmedBreakpoint {
  path: string;
  line: number;
}

interface Active {
  info: SessionInfo;
  target: DebugTarget;
  program: ProgramView;
  images: BoardImages | null;
  /** The apps Run was asked to load (restart keeps them), or undefined for all the build's. */
  chosenApps: string[] | undefined;
  qemu: QemuGdbSession | null;
  off: () => void;
  /** Address -> user breakpoints armed there. */
  armed: Map<number, ArmedBreakpoint[]>;
  /** Address of a temporary breakpoint (run to cursor). */
  temp: number | null;
  /** A step or run-to is driving the target: its stops are its own. */
  internal: boolean;
  stopWaiters: ((stop: StopInfo) => void)[];
  frames: FrameAt[] | null;
  /** The stop's stack being unwound after the stop was shown (`frames` once it is done). */
  framesPending: Promise<FrameAt[] | null> | null;
  registers: CoreRegisters | null;
  selected: number;
  hits: Map<string, number>;
  breakOnProcessFaults: boolean;
  consolePort: number;
  /** Instruction breakpoints of this session (Disassembly's gutter). */
  instructions: Set<number>;
  /** The target's breakpoints held per driver (the IDE, the GDB server). */
  shared: SharedPoints;
  /** The GDB server serving this session's target (the "GDB server" switch), when on. */
  gdb: GdbServerHandle | null;
  /** The last breakpoint stop's verdict (ideBreakpointStops), shared with the GDB server. */
  verdict?: { stop: StopInfo; stops: Promise<boolean> };
  /** The reads of the stop shown now (see `StopReads`). */
  reads: StopReads;
  /** Source files' lines Disassembly interleaves, by recorded path (until a file is saved). */
  sourceLines: Map<string, string[] | null>;
}

/**
 * The reads made for one stop the user sees: its unwind and the views' reads (Call Stack,
 * Variables, Watch, the sources read ahead, Disassembly). A control request (step, continue, run
 * to cursor, restart) leaves the stop as it arrives, and so does the next stop: the reads still
 * going for it give way (each memory read first lets the event loop take what waits, so a step
 * that arrives while they run starts at their next read, not after them) and end as 'stale'
 * (their reads fail fast, their answers are dropped): the window keeps what it shows and reads
 * again at the next stop. A read asked for after the stop was left answers 'stale' at once.
 * (The Tock cells' and Peripherals' readings at a stop read the target on their own.)
 */
class StopReads {
  /** A control request left this stop: its reads are stale. */
  left = false;
  constructor(private readonly target: DebugTarget) {}

  /** The stop's memory reader (the program's per-stop cache is built over it). */
  readonly read: ReadMemory = async (address, length) => {
    // A turn of the event loop first: a request waiting there (a step) runs before this read.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.left) return { ok: false, error: STALE };
    return this.target.readMemory(address, length);
  };
}

const STALE = 'the stop was left (a step or continue came) before this read ended';
const staleError = (): Result<never> =>
  err('stale', `${STALE}; the next stop is read again`, undefined);

/** The longest a console line waits in the emulator worker (EmulatorTargetOptions). */
const CONSOLE_FLUSH_MS = 4;

const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const bpKey = (p: string, line: number): string => `${p}:${line}`;

/** xPSR in words: flags, Thumb bit, IPSR exception number (ARMv7-M ARM B1.4.2). */
export function decodeXpsr(v: number): string {
  const flags = ['N', 'Z', 'C', 'V', 'Q']
    .map((f, i) => ((v >>> (31 - i)) & 1 ? f : f.toLowerCase()))
    .join('');
  const exc = v & 0x1ff;
  const e = exc === 0 ? 'Thread mode' : exceptionName(exc);
  return `${flags} T=${(v >>> 24) & 1} ${exc === 0 ? e : `exception ${exc} (${e})`}`;
}

/** CONTROL in words (ARMv7-M ARM B1.4.4). */
export function decodeControl(v: number): string {
  return `${v & 2 ? 'PSP' : 'MSP'}, ${v & 1 ? 'unprivileged' : 'privileged'}${v & 4 ? ', FP active' : ''}`;
}

export class DebugService {
  readonly breakpoints: BreakpointStore;
  private active: Active | null = null;
  private nextId = 1;
  private stopListeners = new Set<(e: StopEvent) => void>();
  private sessionListeners = new Set<(info: SessionInfo) => void>();
  private liveReads = new Set<LiveRead>();
  private liveTimers: NodeJS.Timeout[] = [];
  private readonly opts: DebugServiceOptions;
  /** Serializes the control requests (start, stop, step...) so none runs into another. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The files each board's last build reported (`build.finished.artifacts`), by board. */
  private readonly built = new Map<string, BuildArtifacts>();
  /** The emulator worker started ahead of the next session (`spareWorker`), if any. */
  private spare: SpareEmulatorWorker | null = null;
  /** A window is open: keep a spare ready (set by `warmUp`, cleared by `dispose`). */
  private warm = false;

  constructor(opts: DebugServiceOptions) {
    this.opts = opts;
    this.breakpoints = BreakpointStore.open(opts.projectRoot, opts.breakpointDir);
  }

  // -------------------------------------------------------------------------------------------
  // For the views built on the service

  /** The active session's target (null when none runs). */
  get target(): DebugTarget | null {
    return this.active && this.active.info.phase !== 'ended' ? this.active.target : null;
  }

  /** What the active session knows about its code (null when none runs). */
  get program(): ProgramView | null {
    return this.active && this.active.info.phase !== 'ended' ? this.active.program : null;
  }

  get session(): SessionInfo | null {
    return this.active?.info ?? null;
  }

  /** The build the active session runs (board, kernel ELF, apps), null when none runs. */
  get images(): BoardImages | null {
    return this.active && this.active.info.phase !== 'ended' ? this.active.images : null;
  }

  /** Called at every stop the user sees (not at the internal stops of a step). */
  onStop(listener: (e: StopEvent) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  /** Called at every phase change of a session (started, running, halted, ended). */
  onSession(listener: (info: SessionInfo) => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  /**
   * Repeats `read` while a session runs, on targets whose reads are side-effect free and allowed
   * while running (the emulator), and once at every stop on every target.
   */
  addLiveRead(read: LiveRead): () => void {
    this.liveReads.add(read);
    this.restartLiveReads();
    return () => {
      this.liveReads.delete(read);
      this.restartLiveReads();
    };
  }

  private restartLiveReads(): void {
    for (const t of this.liveTimers) clearTimeout(t);
    this.liveTimers = [];
    const a = this.active;
    if (!a || a.info.phase !== 'running') return;
    const caps = a.target.description.capabilities;
    if (!caps.readWhileRunning || !caps.sideEffectFreeReads) return;
    for (const read of this.liveReads) {
      const tick = (): void => {
        if (this.active !== a || a.info.phase !== 'running' || !this.liveReads.has(read)) return;
        void read
          .run(a.target)
          .catch(() => undefined)
          .then(() => {
            if (this.active === a && a.info.phase === 'running' && this.liveReads.has(read))
              this.liveTimers.push(setTimeout(tick, read.intervalMs));
          });
      };
      this.liveTimers.push(setTimeout(tick, read.intervalMs));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  /** A build succeeded: Run and Debug start the files it reported. */
  buildFinished(artifacts: BuildArtifacts): void {
    this.built.set(artifacts.board, artifacts);
  }

  private buildOf(board: string): EmuResult<BoardImages> {
    const named = findBoard(board);
    const reported = this.built.get(named.ok ? named.value.board.name : board);
    return findImages(this.opts.projectRoot, board, reported);
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Control requests (`control`) arrived and not finished. */
  private controls = 0;

  /**
   * A control request that leaves the stop shown (step, continue, run to cursor, restart): the
   * stop's reads give way and go stale as it arrives (`StopReads`), unless `leave` is false
   * (step out leaves once it has the stack it needs). When it ends with the target still at
   * that stop (it failed) and no other control request waits, the stop is published again so
   * the views read it anew.
   */
  private control<T>(job: () => Promise<T>, leave = true): Promise<T> {
    const a = this.active;
    if (leave && a && a.info.phase === 'halted') a.reads.left = true;
    this.controls++;
    return this.serial(async () => {
      try {
        return await job();
      } finally {
        this.controls--;
        if (a && this.active === a && a.info.phase === 'halted' && a.reads.left && !this.controls)
          this.readAgain(a);
      }
    });
  }

  /** The stop shown is read anew (a control request that left it failed). */
  private readAgain(a: Active): void {
    a.reads = new StopReads(a.target);
    a.program.newStop();
    a.frames = null;
    a.framesPending = null;
    this.publish(a);
  }

  /**
   * A read of the stop shown now (`StopReads`): 'stale' when a control request left the stop
   * before or while it ran.
   */
  private async stopRead<T>(
    run: (a: Active, reads: StopReads) => Promise<Result<T>>,
  ): Promise<Result<T>> {
    const h = this.halted();
    if (!h.ok) return h;
    const reads = h.value.reads;
    if (reads.left) return staleError();
    const r = await run(h.value, reads);
    return reads.left ? staleError() : r;
  }

  /** Whether the board's last build can run as it is. */
  check(board: string): BuildCheck {
    const images = this.buildOf(board);
    if (!images.ok) {
      const other = builtBoards(this.opts.projectRoot).find((b) => b.board !== board);
      if (other)
        return {
          state: 'other-board',
          message: `The last build is for ${other.board}, not ${board}: ${board} has to be built first.`,
          otherBoard: other.board,
          staleFiles: [],
          builtAt: null,
        };
      return {
        state: 'missing',
        message: `There is no build for ${board} yet.`,
        staleFiles: [],
        builtAt: null,
      };
    }
    const stale = changedSince(this.opts.projectRoot, images.value.builtAt);
    if (stale.length)
      return {
        state: 'stale',
        message: `${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''} changed after the last build of ${board}.`,
        staleFiles: stale,
        builtAt: images.value.builtAt,
      };
    return {
      state: 'ready',
      message: `${board} was built ${new Date(images.value.builtAt).toLocaleString()}.`,
      staleFiles: [],
      builtAt: images.value.builtAt,
    };
  }

  /**
   * Starts the board's last build. `apps` picks the apps the kernel loads (it loads at most 8,
   * so an app past the eighth runs only in an image of a chosen few); all of the build's when
   * absent.
   */
  start(args: {
    mode: 'run' | 'debug';
    board: string;
    apps?: string[] | undefined;
  }): Promise<Result<SessionInfo>> {
    return this.serial(() => this.startNow(args.mode, args.board, args.apps));
  }

  private async startNow(
    mode: 'run' | 'debug',
    board: string,
    apps?: string[],
  ): Promise<Result<SessionInfo>> {
    await this.endNow('a new session started');
    const machine = machineForBoard(board);
    if (!machine.ok) return err('unavailable', machine.error);
    const built = this.buildOf(board);
    if (!built.ok) {
      const c = this.check(board);
      return err('not-built', c.message, `Build ${board} (Ctrl+B); Run and Debug offer to.`);
    }
    const images = apps && apps.length > 0 ? withApps(built.value, apps) : built;
    if (!images.ok) return err('bad-request', `The apps could not be composed: ${images.error}`);
    const pace =
      machine.value === 'mps2-an386' ? 'fast' : (this.opts.pace ?? ('realtime' as const));
    const spec: EmulatorTargetSpec = {
      machine: machine.value,
      files: images.value.files,
      board,
      // Run (without debugging) records history for reverse execution only from its first
      // stop: its free run from reset costs no checkpoints, as the CLI's costs none.
      // Console output leaves the worker as the UART sends it (at most every 4 ms), so a slice
      // the machine's load stretches does not hold it until the slice ends.
      target: {
        pace,
        consoleFlushMs: CONSOLE_FLUSH_MS,
        ...(mode === 'run' ? { historyFrom: 'first-stop' as const } : {}),
      },
      // mps2-an386 programs may use semihosting, as under QEMU's -semihosting (its output goes
      // to the Console; the command line is the image's path, as the emulator's CLI gives it).
      ...(machine.value === 'mps2-an386'
        ? { session: { semihosting: true, cmdline: images.value.kernelElf } }
        : {}),
    };
    // The worker boots (its modules, the machine, the image) on its own thread while this one
    // reads the debug information and looks for sources changed since the build: neither
    // waits for the other before the machine runs.
    const starting = this.opts.startEmulator
      ? this.opts.startEmulator(spec)
      : this.startWorker(spec);
    const program = this.loadProgram(images.value);
    const staleFiles = changedSince(this.opts.projectRoot, images.value.builtAt);
    const started = await starting;
    if (!started.ok) {
      this.prepareSpare(); // the next attempt's
      return err('unavailable', `The emulator could not start: ${started.error}`);
    }
    return this.begin({
      mode,
      board,
      target: started.value,
      program,
      images: images.value,
      chosenApps: apps && apps.length > 0 ? apps : undefined,
      qemu: null,
      staleFiles,
    });
  }

  /** Boards Attach can run under QEMU: the registry's boards with a QEMU machine. */
  attachableBoards(): string[] {
    return BOARDS.filter((b) => b.qemuMachine !== null).map((b) => b.name);
  }

  attach(args: SessionAttachArgsShape): Promise<Result<SessionInfo>> {
    if (args.kind === 'openocd') return this.attachOpenocd(args);
    return this.serial(async () => {
      await this.endNow('a new session started');
      // The board registry says which boards QEMU models (its `-M` machine).
      const named = findBoard(args.board);
      if (!named.ok) return err('unavailable', named.error);
      const qemuMachine = named.value.board.qemuMachine;
      if (qemuMachine === null) {
        const qemuBoards = BOARDS.filter((b) => b.qemuMachine !== null).map((b) => b.name);
        return err(
          'unavailable',
          `QEMU does not model ${args.board} (it runs ${qemuBoards.join(', ')})`,
          `Choose ${qemuBoards.join(' or ')} and build it, then attach.`,
        );
      }
      const images = this.buildOf(args.board);
      if (!images.ok)
        return err(
          'not-built',
          `There is no build for ${args.board} yet.`,
          `Build ${args.board} (Ctrl+B) first.`,
        );
      const appsBin = images.value.files.find((f) => f.format === 'bin');
      const launched = await (this.opts.launchQemu ?? launchQemuGdb)({
        machine: qemuMachine,
        kernel: images.value.kernelElf,
        loaders:
          appsBin && appsBin.address !== undefined
            ? [{ file: appsBin.name, address: appsBin.address }]
            : [],
        serial: 'pipe',
        board: args.board,
        onSerial: (bytes) => {
          const a = this.active;
          if (a && a.qemu === qemuRef)
            this.opts.emit('session.console', {
              id: a.info.id,
              port: 0,
              bytes,
              source: 'uart',
            });
        },
      });
      if (!launched.ok) return err('unavailable', `QEMU could not start: ${launched.error}`);
      const qemuRef: QemuGdbSession = launched.value;
      return this.begin({
        mode: 'attach',
        board: args.board,
        target: launched.value.target,
        program: this.loadProgram(images.value),
        images: images.value,
        qemu: qemuRef,
      });
    });
  }

  /**
   * Attach to a board through OpenOCD's GDB port: a probe (the registry's OpenOCD configuration,
   * `adapter serial` when one is named) or the emulated board behind `--remote-bitbang PORT`.
   * The program is the board's last build (the image that was flashed), for source and symbols.
   */
  private attachOpenocd(args: SessionAttachArgsShape): Promise<Result<SessionInfo>> {
    return this.serial(async () => {
      await this.endNow('a new session started');
      const named = findBoard(args.board);
      if (!named.ok) return err('unavailable', named.error);
      const board = named.value.board;
      let setup;
      if (args.emulatorPort !== undefined) {
        setup = openocdForEmulator(
          args.emulatorPort,
          this.opts.resourcesDir ??
            path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources'),
        );
      } else {
        const s = openocdForBoard(board, args.probeSerial);
        if (!s.ok) return err('unavailable', s.error);
        setup = s.value;
      }
      const images = this.buildOf(board.name);
      if (!images.ok)
        return err(
          'not-built',
          `There is no build for ${board.name} yet.`,
          `Build ${board.name} (Ctrl+B) and flash it, then debug.`,
        );
      const started = await startOpenocdTarget({ board: board.name, setup });
      if (!started.ok) return hostErrorOf(started.error);
      return this.begin({
        mode: 'attach',
        board: board.name,
        target: started.value,
        program: this.loadProgram(images.value),
        images: images.value,
        qemu: null,
      });
    });
  }

  private loadProgram(images: BoardImages): ProgramView {
    try {
      return (this.opts.loadProgram ?? DwarfProgramView.load)(images, this.opts.projectRoot);
    } catch (e) {
      const v = ElfProgramView.load(images);
      v.notices.push(`the debug information could not be read: ${(e as Error).message}`);
      return v;
    }
  }

  private async begin(s: {
    mode: SessionMode;
    board: string;
    target: DebugTarget;
    program: ProgramView;
    images: BoardImages;
    chosenApps?: string[] | undefined;
    qemu: QemuGdbSession | null;
    /** Sources changed after the build, when the caller has looked already. */
    staleFiles?: string[];
  }): Promise<Result<SessionInfo>> {
    const d = s.target.description;
    const info: SessionInfo = {
      id: this.nextId++,
      mode: s.mode,
      board: s.board,
      target: d.label,
      targetKind: d.kind,
      phase: 'starting',
      stop: null,
      ended: null,
      staleFiles: s.staleFiles ?? changedSince(this.opts.projectRoot, s.images.builtAt),
      builtAt: s.images.builtAt,
      apps: s.images.apps.map((a) => a.name),
      sourceLevel: s.program.sourceLevel,
      consoles: s.qemu ? [0] : d.capabilities.consoles,
      unavailableRegisters: d.unavailableRegisters ?? [],
    };
    const shared = sharePoints(s.target);
    const a: Active = {
      info,
      target: shared.view('ide'),
      shared,
      gdb: null,
      program: s.program,
      images: s.images,
      chosenApps: s.chosenApps,
      qemu: s.qemu,
      off: () => undefined,
      armed: new Map(),
      temp: null,
      internal: false,
      stopWaiters: [],
      frames: null,
      framesPending: null,
      registers: null,
      selected: 0,
      hits: new Map(),
      breakOnProcessFaults: false,
      instructions: new Set(),
      consolePort: (s.qemu ? [0] : d.capabilities.consoles)[0] ?? 0,
      reads: new StopReads(shared.view('ide')),
      sourceLines: new Map(),
    };
    this.active = a;
    a.off = s.target.onEvent((e) => this.onTargetEvent(a, e));
    for (const n of s.program.notices)
      this.opts.emit('session.output', { id: info.id, level: 'info', message: n });
    if (this.breakpoints.problem)
      this.opts.emit('session.output', {
        id: info.id,
        level: 'warning',
        message: this.breakpoints.problem,
      });
    // Faults halt the session (a process fault is listed and the kernel handles it).
    if (s.target.catchFaults) await s.target.catchFaults(true);
    if (s.mode !== 'run') await this.armAll(a);
    this.publish(a);
    const resumed = await s.target.resume();
    if (!resumed.ok) {
      await this.endSession(a, `the target could not start: ${resumed.error}`);
      return err('unavailable', `The session could not start: ${resumed.error}`);
    }
    if (a.info.phase === 'starting') this.setPhase(a, 'running');
    return ok(a.info);
  }

  stop(): Promise<Result<null>> {
    return this.serial(async () => {
      if (!this.active || this.active.info.phase === 'ended') return ok(null);
      await this.endNow('stopped');
      return ok(null);
    });
  }

  /** Ends whatever runs (the window closed, the host is going away), and the spare worker. */
  dispose(): Promise<void> {
    this.warm = false;
    return this.serial(async () => {
      await this.endNow('Capsule Studio closed the session');
      await this.endSpare();
      // A window opened again meanwhile (a reload): it gets a spare of its own.
      this.prepareSpare();
    });
  }

  /**
   * A window opened: with `spareWorker`, an emulator worker starts now and waits for the next
   * Run or Debug (its modules loaded), and another after each session ends.
   */
  warmUp(): void {
    if (!this.opts.spareWorker || this.opts.startEmulator) return;
    this.warm = true;
    this.prepareSpare();
  }

  /** The number of spare workers alive (0 or 1), for tests. */
  get spareWorkers(): number {
    return this.spare && this.spare.unusable() === null ? 1 : 0;
  }

  /** Resolves true once the spare worker (if any) has its modules loaded; for tests, benches. */
  spareReady(): Promise<boolean> {
    return this.spare?.ready ?? Promise.resolve(false);
  }

  private prepareSpare(): void {
    if (!this.warm || (this.spare && this.spare.unusable() === null)) return;
    this.spare = prepareEmulatorWorker();
  }

  private async endSpare(): Promise<void> {
    const spare = this.spare;
    this.spare = null;
    await spare?.end();
  }

  /** The session's worker: the spare when one is ready, else a new one. */
  private startWorker(spec: EmulatorTargetSpec): Promise<EmuResult<DebugTarget>> {
    const spare = this.spare;
    this.spare = null;
    if (spare && spare.unusable() === null) return spare.start(spec);
    void spare?.end();
    return startEmulatorWorker(spec);
  }

  private async endNow(reason: string): Promise<void> {
    const a = this.active;
    if (!a || a.info.phase === 'ended') return;
    await this.endSession(a, reason);
  }

  private async endSession(a: Active, reason: string): Promise<void> {
    if (a.info.phase === 'ended') return;
    a.off();
    const gdb = a.gdb;
    a.gdb = null;
    if (gdb) await gdb.close().catch(() => undefined);
    for (const w of a.stopWaiters.splice(0))
      w({ cause: { kind: 'halted' }, pc: 0, instructions: null, cycles: null });
    a.info = { ...a.info, phase: 'ended', ended: reason };
    this.restartLiveReads();
    if (a.qemu) await a.qemu.stop().catch(() => undefined);
    else await a.target.close().catch(() => undefined);
    // The next session's worker loads its modules now (a window is open: `warmUp`).
    this.prepareSpare();
    this.publish(a);
    // Breakpoints go back to pending.
    for (const f of this.breakpoints.all())
      this.opts.emit('breakpoints.changed', this.resolve(f.path));
  }

  restart(): Promise<Result<null>> {
    return this.control(async () => {
      const a = this.liveSession();
      if (!a.ok) return a;
      const s = a.value;
      // A newer build of the same board: run it (as a fresh session does).
      if (s.images && s.info.mode !== 'attach') {
        const now = this.buildOf(s.info.board);
        if (now.ok && now.value.builtAt > s.images.builtAt) {
          const r = await this.startNow(s.info.mode as 'run' | 'debug', s.info.board, s.chosenApps);
          return r.ok ? ok(null) : r;
        }
      }
      s.temp = null;
      s.hits.clear();
      s.internal = true;
      const r = await s.target.reset({ halt: true });
      s.internal = false;
      if (!r.ok) return err('io', `Restart failed: ${r.error}`);
      this.opts.emit('session.output', {
        id: s.info.id,
        level: 'info',
        message: `Restarted ${s.info.board} from its reset vector.`,
      });
      const resumed = await s.target.resume();
      if (!resumed.ok) return err('io', `Restart failed: ${resumed.error}`);
      if ((s.info.phase as string) !== 'running') this.setPhase(s, 'running');
      return ok(null);
    });
  }

  private liveSession(): Result<Active> {
    const a = this.active;
    if (!a || a.info.phase === 'ended')
      return err('no-session', 'No session is running.', 'Start one with Run or Debug.');
    return ok(a);
  }

  private halted(): Result<Active> {
    const a = this.liveSession();
    if (!a.ok) return a;
    if (a.value.info.phase !== 'halted')
      return err('session-running', 'The target is running.', 'Pause it first.');
    return a;
  }

  // -------------------------------------------------------------------------------------------
  // Target events and stops

  private onTargetEvent(a: Active, e: TargetEvent): void {
    if (this.active !== a) return;
    switch (e.kind) {
      case 'running':
        if (!a.internal && a.info.phase !== 'running' && a.info.phase !== 'starting')
          this.setPhase(a, 'running');
        break;
      case 'stopped': {
        const w = a.stopWaiters.shift();
        if (w) w(e.stop);
        else if (!a.internal) void this.serial(() => this.freeStop(a, e.stop));
        break;
      }
      case 'stats':
        this.opts.emit('session.stats', {
          id: a.info.id,
          instructions: e.stats.instructions,
          virtualSeconds: e.stats.virtualSeconds,
          mips: e.stats.mips,
        });
        break;
      case 'console':
        this.opts.emit('session.console', {
          id: a.info.id,
          port: e.port,
          bytes: e.bytes,
          source: e.source ?? 'uart',
          ...(e.sentAt !== undefined
            ? {
                sentAt: e.sentAt,
                ...(e.postedAt !== undefined ? { postedAt: e.postedAt } : {}),
                ...(e.arrivedAt !== undefined ? { arrivedAt: e.arrivedAt } : {}),
                forwardedAt: Date.now(),
              }
            : {}),
        });
        break;
      case 'diagnostic':
        this.opts.emit('session.output', { id: a.info.id, level: 'warning', message: e.message });
        break;
      case 'closed':
        if (a.info.phase !== 'ended') {
          this.opts.emit('session.output', { id: a.info.id, level: 'error', message: e.reason });
          void this.endSession(a, e.reason);
        }
        break;
    }
  }

  /** A stop that came while the target ran freely: a breakpoint, a fault, a lockup, an exit. */
  private async freeStop(a: Active, stop: StopInfo): Promise<unknown> {
    if (this.active !== a || a.info.phase === 'ended') return;
    const c = stop.cause;
    if (c.kind === 'breakpoint') {
      const pc = stop.pc >>> 0;
      if (a.temp === pc) {
        await this.clearTemp(a);
        return this.report(a, 'breakpoint', stop, 'Ran to the cursor');
      }
      const gdb = a.gdb?.server;
      // A stop GDB's server was asked to hide is decided once, for both (see ideBreakpointStops).
      const hidden = gdb?.deferredStop === stop;
      if (!(await this.ideBreakpointStops(a, stop)) && (!this.gdbAttached(a) || hidden)) {
        await a.target.resume();
        return;
      }
      return this.report(a, 'breakpoint', stop);
    }
    if (c.kind === 'fault') {
      const fault = await this.faultReport(a, stop);
      if (fault.handled && !a.breakOnProcessFaults && !this.gdbAttached(a)) {
        this.opts.emit('session.fault', { id: a.info.id, fault });
        this.opts.emit('session.output', {
          id: a.info.id,
          level: 'warning',
          message: `${fault.process ?? 'a process'} faulted (${fault.exception}: ${fault.causes.join('; ') || 'no cause recorded'}); the kernel handles it`,
        });
        await a.target.resume();
        return;
      }
      return this.report(a, 'fault', stop, undefined, fault);
    }
    if (c.kind === 'exit') {
      this.opts.emit('session.output', {
        id: a.info.id,
        level: 'info',
        message: `The program exited with status ${c.code}.`,
      });
      return this.report(a, 'exit', stop);
    }
    const reason: StopReason =
      c.kind === 'halted' ? 'pause' : c.kind === 'step' ? 'step' : (c.kind as StopReason);
    return this.report(a, reason, stop);
  }

  /**
   * True while a GDB client is connected to this session's server: the IDE then never resumes
   * the board on its own (a handled process fault, a breakpoint whose condition is false), since
   * the client was told the board stopped and would otherwise talk to a board that runs.
   */
  private gdbAttached(a: Active): boolean {
    return a.gdb !== null && a.gdb.server.connectionCount > 0;
  }

  /**
   * Whether the IDE's breakpoints at a breakpoint stop's PC stop there (true where none is the
   * IDE's): asked by the IDE and by its GDB server (`hideStop`: a stop during GDB's own continue
   * at the IDE's breakpoint whose condition is false is not GDB's to see), so conditions are
   * evaluated and hits counted once per stop.
   */
  private ideBreakpointStops(a: Active, stop: StopInfo): Promise<boolean> {
    if (a.verdict?.stop === stop) return a.verdict.stops;
    const bps = a.armed.get(stop.pc >>> 0);
    const stops = bps ? this.breakpointStops(a, bps) : Promise.resolve(true);
    a.verdict = { stop, stops };
    return stops;
  }

  /** Counts the hit and checks conditions; true when the breakpoint stops. */
  private async breakpointStops(a: Active, bps: ArmedBreakpoint[]): Promise<boolean> {
    let stops = false;
    const mem = this.memory(a);
    for (const bp of bps) {
      if (bp.path === '') {
        stops = true;
        continue;
      }
      const spec = this.breakpoints.get(bp.path).find((s) => s.line === bp.line);
      if (!spec || spec.enabled === false) continue;
      if (spec.condition) {
        a.program.newStop();
        const regs = await a.target.readRegisters();
        if (regs.ok)
          a.frames = await a.program.backtrace(regs.value, mem, a.info.unavailableRegisters);
        const v = await a.program.evaluate(spec.condition, 0, mem);
        if (!v.ok) {
          this.opts.emit('session.output', {
            id: a.info.id,
            level: 'warning',
            message: `${bp.path}:${bp.line}: the condition "${spec.condition}" could not be evaluated (${v.error}); stopping`,
          });
        } else if (!truthy(v.value)) continue;
      }
      const key = bpKey(bp.path, bp.line);
      const hits = (a.hits.get(key) ?? 0) + 1;
      a.hits.set(key, hits);
      if (hitStops(spec.hitCondition, hits)) stops = true;
    }
    if (stops)
      for (const p of new Set(bps.map((b) => b.path))) if (p !== '') this.emitBreakpoints(p);
    return stops;
  }

  private memory(a: Active): ReadMemory {
    return (address, length) => a.target.readMemory(address, length);
  }

  private async faultReport(a: Active, stop: StopInfo): Promise<FaultReport> {
    const c = stop.cause;
    const regs = await a.target.readRegisters();
    let pc = stop.pc;
    let onProcessStack = false;
    if (regs.ok) {
      const lr = regs.value.lr >>> 0;
      // EXC_RETURN bit 2: the frame was stacked on PSP, where our processes run (ARMv7-M ARM B1.5.8).
      const isExcReturn = lr >>> 28 === 0xf;
      onProcessStack = isExcReturn && (lr & 4) !== 0;
      const sp = isExcReturn ? (onProcessStack ? regs.value.psp : regs.value.msp) : regs.value.sp;
      const frame = await a.target.readMemory(sp + 24, 4);
      if (frame.ok && frame.value.length === 4)
        pc =
          (frame.value[0]! |
            (frame.value[1]! << 8) |
            (frame.value[2]! << 16) |
            (frame.value[3]! << 24)) >>>
          0;
    }
    const f = c.kind === 'fault' ? c.registers : { cfsr: 0, hfsr: 0, mmfar: 0, bfar: 0, shcsr: 0 };
    const program = a.program.programOf(pc);
    const line = a.program.lineAt(pc);
    return {
      exception: c.kind === 'fault' ? c.name : 'fault',
      cfsr: f.cfsr,
      hfsr: f.hfsr,
      mmfar: f.mmfar,
      bfar: f.bfar,
      causes: [
        ...(c.kind === 'fault' && c.exception === 3 && (f.hfsr >>> 30) & 1
          ? ['escalated to HardFault (HFSR.FORCED)']
          : []),
        ...(c.kind === 'fault' && c.exception === 3 && (f.hfsr >>> 1) & 1
          ? ['vector table read failed (HFSR.VECTTBL)']
          : []),
        ...cfsrCauses(f.cfsr, f.mmfar, f.bfar),
      ],
      pc,
      function: a.program.symbolize(pc)?.name ?? null,
      location: line
        ? sourceLocation(this.opts.projectRoot, line.file, line.line, line.column)
        : null,
      process: onProcessStack ? (program !== 'kernel' ? program : 'a process') : null,
      handled: onProcessStack,
      at: null,
    };
  }

  /** Publishes a stop the user sees: location, frames, state, listeners. */
  private async report(
    a: Active,
    reason: StopReason,
    stop: StopInfo,
    description?: string,
    fault?: FaultReport,
    timing?: Omit<StepTiming, 'stopMs' | 'emittedAt'>,
  ): Promise<SessionStop> {
    const handling = performance.now();
    const proxy = a.target instanceof TargetProxy ? a.target : null;
    const trips0 = proxy?.posted ?? 0;
    a.reads.left = true;
    a.reads = new StopReads(a.target);
    a.program.newStop();
    const regs = await a.target.readRegisters();
    a.registers = regs.ok ? regs.value : null;
    a.frames = null;
    a.framesPending = null;
    // The stop's line comes from its PC alone; the stack is unwound once the stop is out (the
    // window shows the line while the host reads the stack for the Call Stack and Variables).
    const quick = regs.ok && a.program.topFrame ? a.program.topFrame(regs.value.pc) : null;
    if (regs.ok && !quick)
      a.frames = await a.program.backtrace(regs.value, a.reads.read, a.info.unavailableRegisters);
    a.selected = 0;
    const top = quick ?? a.frames?.[0];
    const fn = top?.function ?? a.program.symbolize(stop.pc)?.name ?? null;
    const location = top?.location ?? null;
    const where = location
      ? `${location.path.split('/').pop()}:${location.line}`
      : `${hex8(stop.pc)}${fn ? ` in ${fn}` : ''}`;
    const words: Record<StopReason, string> = {
      entry: 'Stopped at entry',
      breakpoint: 'Breakpoint',
      step: 'Stepped',
      pause: 'Paused',
      fault: fault?.exception ?? 'Fault',
      lockup: 'Locked up',
      exit: 'Exited',
      watchpoint: 'Watchpoint',
      bkpt: 'BKPT',
      signal: 'Stopped',
    };
    const s: SessionStop = {
      reason,
      description:
        reason === 'lockup' || reason === 'exit' || reason === 'signal' || reason === 'watchpoint'
          ? describeStop(stop)
          : `${description ?? words[reason]} at ${where}`,
      pc: stop.pc >>> 0,
      function: fn,
      location,
      ...(fault ? { fault } : {}),
      ...(stop.cause.kind === 'exit' ? { exitCode: stop.cause.code } : {}),
      ...(timing
        ? {
            timing: {
              ...timing,
              stopMs: performance.now() - handling,
              ...(proxy ? { stopTrips: proxy.posted - trips0 } : {}),
              emittedAt: Date.now(),
            },
          }
        : {}),
    };
    a.info = { ...a.info, phase: 'halted', stop: s };
    this.restartLiveReads();
    this.publish(a);
    if (quick && regs.ok) this.unwind(a, regs.value);
    // Step over's rows of the function stopped in, built on a later turn than the stop's
    // (once per function and build): the first F10 in handle_syscall paid ~100 ms for them.
    const stoppedIn = a.program.stepRows ? a.program.functionAt(stop.pc) : null;
    if (stoppedIn)
      setImmediate(() => {
        if (this.active === a && a.info.phase === 'halted') a.program.stepRows?.(stoppedIn);
      });
    for (const l of this.stopListeners) {
      try {
        l({ session: a.info, stop: s, target: a.target, program: a.program });
      } catch {
        // a listener's mistake is its own
      }
    }
    return s;
  }

  /**
   * Unwinds the stop's stack after the stop was published (`report`): `frames` once done, and
   * `framesPending` meanwhile for whoever needs them first (the Call Stack, a step).
   */
  private unwind(a: Active, regs: CoreRegisters): void {
    // On a later turn: the published stop leaves in the host's event batch first (host.ts
    // flushes on setImmediate), not after the unwind's synchronous part.
    const reads = a.reads;
    const pending: Promise<FrameAt[] | null> = new Promise<void>((r) => setImmediate(r))
      .then(() => a.program.backtrace(regs, reads.read, a.info.unavailableRegisters))
      // Left meanwhile: not this stop's stack any more (a step out waited for it before leaving).
      .then((frames) => (reads.left ? null : frames))
      // A failed unwind is left to whoever asks next (`stack` unwinds again and says why).
      .catch(() => null);
    a.framesPending = pending;
    void pending.then((frames) => {
      // Not a later stop's (or a write's) frames: those cleared or replaced the promise.
      if (a.framesPending === pending) {
        a.frames = frames;
        a.framesPending = null;
      }
    });
  }

  private setPhase(a: Active, phase: SessionInfo['phase']): void {
    a.info = { ...a.info, phase, ...(phase === 'running' ? { stop: null } : {}) };
    if (phase === 'running') {
      a.frames = null;
      a.framesPending = null;
      a.registers = null;
    }
    this.restartLiveReads();
    this.publish(a);
  }

  private publish(a: Active): void {
    this.opts.emit('session.state', a.info);
    for (const l of this.sessionListeners) {
      try {
        l(a.info);
      } catch {
        // a listener's mistake is its own
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Control

  pause(): Promise<Result<SessionStop>> {
    return this.serial(async () => {
      const live = this.liveSession();
      if (!live.ok) return live;
      const a = live.value;
      if (a.info.phase === 'halted' && a.info.stop) return ok(a.info.stop);
      a.internal = true;
      const r = await a.target.halt();
      a.internal = false;
      if (!r.ok) return err('io', `Pause failed: ${r.error}`);
      const reason: StopReason = r.value.cause.kind === 'halted' ? 'pause' : 'breakpoint';
      return ok(await this.report(a, reason, r.value));
    });
  }

  resume(): Promise<Result<null>> {
    return this.control(async () => {
      const live = this.liveSession();
      if (!live.ok) return live;
      const a = live.value;
      if (a.info.phase === 'running') return ok(null);
      if (a.info.stop?.reason === 'exit')
        return err('session-running', 'The program exited.', 'Restart or stop the session.');
      const r = await a.target.resume();
      if (!r.ok) return err('io', `Continue failed: ${r.error}`);
      if ((a.info.phase as string) !== 'running') this.setPhase(a, 'running');
      return ok(null);
    });
  }

  step(kind: StepKind): Promise<Result<SessionStop>> {
    const receivedAt = Date.now();
    const asked = performance.now();
    // Step out needs the stop's stack: it leaves the stop once it has it (below).
    return this.control(async () => {
      const h = this.halted();
      if (!h.ok) return h;
      const a = h.value;
      // Step out needs the caller: the stack (waiting for its unwind when it is going on); over
      // and into need only the line the stop shows.
      const frames = a.frames ?? (kind === 'out' ? ((await a.framesPending) ?? null) : null);
      a.reads.left = true;
      const begun = performance.now();
      const proxy = a.target instanceof TargetProxy ? a.target : null;
      const trips0 = proxy?.posted ?? 0;
      const served0 = proxy?.servedMs ?? 0;
      const calls = { n: 0, ms: 0 };
      let waitMs = 0;
      a.internal = true;
      // A long step (over a call that runs for a while) shows as running.
      const showRunning = setTimeout(() => {
        if (a.internal && a.info.phase === 'halted') this.setPhase(a, 'running');
      }, 250);
      let result: EmuResult<StopInfo>;
      try {
        result = await stepSource(kind, {
          target: timedCalls(a.target, calls),
          program: a.program,
          registers: a.registers,
          frames,
          shown: a.registers?.pc === a.info.stop?.pc ? (a.info.stop?.location ?? null) : null,
          isArmed: (address) => a.armed.has(address),
          inOrder: a.target instanceof TargetProxy,
          waitForStop: () => {
            const t0 = performance.now();
            return new Promise<StopInfo>((resolve) => a.stopWaiters.push(resolve)).finally(
              () => (waitMs += performance.now() - t0),
            );
          },
        });
      } finally {
        clearTimeout(showRunning);
        a.internal = false;
      }
      if (!result.ok) {
        if (this.active !== a || a.info.phase === 'ended')
          return err('no-session', `The session ended: ${a.info.ended ?? result.error}`);
        return err('io', `Step failed: ${result.error}`);
      }
      const stop = result.value;
      const c = stop.cause;
      const timing: Omit<StepTiming, 'stopMs' | 'emittedAt'> = {
        receivedAt,
        queuedMs: begun - asked,
        stepMs: performance.now() - begun,
        calls: calls.n,
        callsMs: calls.ms,
        ...(proxy ? { trips: proxy.posted - trips0, workerMs: proxy.servedMs - served0 } : {}),
        waitMs,
      };
      if (c.kind === 'fault') {
        const fault = await this.faultReport(a, stop);
        return ok(await this.report(a, 'fault', stop, undefined, fault, timing));
      }
      const reason: StopReason =
        c.kind === 'breakpoint' && a.armed.has(stop.pc >>> 0)
          ? 'breakpoint'
          : c.kind === 'halted'
            ? 'pause'
            : c.kind === 'lockup' || c.kind === 'exit'
              ? c.kind
              : 'step';
      return ok(await this.report(a, reason, stop, undefined, undefined, timing));
    }, kind !== 'out');
  }

  runToCursor(file: string, line: number): Promise<Result<null>> {
    return this.control(async () => {
      const h = this.halted();
      if (!h.ok) return h;
      const a = h.value;
      const r = a.program.addressesFor(file, line);
      if (!r || r.addresses.length === 0)
        return err(
          'not-found',
          `${file}:${line} has no code in this build`,
          a.program.sourceLevel ? 'Choose a line with code.' : a.program.notices[0],
        );
      await this.clearTemp(a);
      const address = r.addresses[0]!;
      if (!a.armed.has(address)) {
        const set = await a.target.setBreakpoint(address);
        if (!set.ok) return err('io', `Run to cursor failed: ${set.error}`);
      }
      a.temp = address;
      const resumed = await a.target.resume();
      if (!resumed.ok) return err('io', `Run to cursor failed: ${resumed.error}`);
      this.setPhase(a, 'running');
      return ok(null);
    });
  }

  private async clearTemp(a: Active): Promise<void> {
    if (a.temp === null) return;
    if (!a.armed.has(a.temp)) await a.target.clearBreakpoint(a.temp);
    a.temp = null;
  }

  setFaultOptions(breakOnProcessFaults: boolean): Result<null> {
    if (this.active) this.active.breakOnProcessFaults = breakOnProcessFaults;
    return ok(null);
  }

  // -------------------------------------------------------------------------------------------
  // Breakpoints

  /** One file's breakpoints, resolved against the running session's program. */
  resolve(file: string): FileBreakpoints {
    const specs = this.breakpoints.get(file);
    const a = this.active && this.active.info.phase !== 'ended' ? this.active : null;
    const stale = a?.info.staleFiles.includes(file) ?? false;
    const out: ResolvedBreakpoint[] = specs.map((spec) => {
      const hits = a?.hits.get(bpKey(file, spec.line)) ?? 0;
      const base = { ...spec, addresses: [] as number[], hits, ...(stale ? { stale } : {}) };
      const hitProblem = spec.hitCondition ? hitConditionProblem(spec.hitCondition) : null;
      if (hitProblem) return { ...base, status: 'unresolved' as const, reason: hitProblem };
      if (!a) return { ...base, status: 'pending' as const, reason: 'no session is running' };
      if (a.info.mode === 'run')
        return {
          ...base,
          status: 'pending' as const,
          reason: 'Run ignores breakpoints (Debug arms them)',
        };
      if (!a.program.sourceLevel)
        return {
          ...base,
          status: 'unresolved' as const,
          reason: 'the images carry no debug information (no line tables)',
        };
      // Project-relative: the line index matches it against the recorded paths' tails, so a
      // build made where the project was before still resolves.
      const r = a.program.addressesFor(file, spec.line);
      if (!r || r.addresses.length === 0)
        return {
          ...base,
          status: 'unresolved' as const,
          reason: `no code at or after line ${spec.line} in this build (a comment, a declaration, or code the compiler removed)`,
        };
      return {
        ...base,
        status: 'verified' as const,
        addresses: r.addresses,
        ...(r.line !== spec.line ? { resolvedLine: r.line } : {}),
      };
    });
    return { path: file, breakpoints: out };
  }

  private emitBreakpoints(file: string): void {
    this.opts.emit('breakpoints.changed', this.resolve(file));
  }

  list(): FileBreakpoints[] {
    return this.breakpoints.all().map((f) => this.resolve(f.path));
  }

  async setBreakpoints(file: string, specs: BreakpointSpec[]): Promise<Result<FileBreakpoints>> {
    const problem = await this.breakpoints.set(file, specs);
    if (problem) return err('io', problem);
    const a = this.active;
    if (a && a.info.phase !== 'ended' && a.info.mode !== 'run')
      await this.serial(() => this.armAll(a));
    const resolvedFile = this.resolve(file);
    this.opts.emit('breakpoints.changed', resolvedFile);
    return ok(resolvedFile);
  }

  async setInstructionBreakpoints(addresses: number[]): Promise<Result<number[]>> {
    const live = this.liveSession();
    if (!live.ok) return live;
    const a = live.value;
    a.instructions = new Set(addresses.map((x) => (x & ~1) >>> 0));
    await this.serial(() => this.armAll(a));
    const list = [...a.instructions].sort((x, y) => x - y);
    this.opts.emit('breakpoints.instructions', { addresses: list });
    return ok(list);
  }

  /** Makes the target's breakpoints match the store's enabled, resolved ones. */
  private async armAll(a: Active): Promise<void> {
    const want = new Map<number, ArmedBreakpoint[]>();
    for (const addr of a.instructions) want.set(addr, [{ path: '', line: 0 }]);
    for (const f of this.breakpoints.all()) {
      const resolved = this.resolve(f.path);
      for (const bp of resolved.breakpoints) {
        if (bp.status !== 'verified' || bp.enabled === false) continue;
        for (const addr of bp.addresses) {
          const list = want.get(addr) ?? [];
          list.push({ path: f.path, line: bp.line });
          want.set(addr, list);
        }
      }
    }
    for (const addr of a.armed.keys()) {
      if (!want.has(addr) && addr !== a.temp) await a.target.clearBreakpoint(addr);
    }
    for (const addr of want.keys()) {
      if (a.armed.has(addr) || addr === a.temp) continue;
      const r = await a.target.setBreakpoint(addr);
      if (!r.ok)
        this.opts.emit('session.output', {
          id: a.info.id,
          level: 'warning',
          message: `a breakpoint at ${hex8(addr)} could not be set: ${r.error}`,
        });
    }
    a.armed = want;
    for (const f of this.breakpoints.all()) this.emitBreakpoints(f.path);
  }

  /** A project file was saved: the session's build no longer matches it. */
  fileSaved(file: string): void {
    const a = this.active;
    if (!a || a.info.phase === 'ended') return;
    a.sourceLines.clear();
    if (a.info.staleFiles.includes(file)) return;
    if (!/\.(rs|toml|c|h|s|S|ld|x)$/.test(file)) return;
    a.info = { ...a.info, staleFiles: [...a.info.staleFiles, file].sort() };
    this.publish(a);
    if (this.breakpoints.get(file).length) this.emitBreakpoints(file);
  }

  fileRenamed(from: string, to: string): void {
    void this.breakpoints.rename(from, to).then(() => {
      this.opts.emit('breakpoints.changed', this.resolve(from));
      this.emitBreakpoints(to);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Data

  async registers(): Promise<Result<RegisterValue[]>> {
    const live = this.liveSession();
    if (!live.ok) return live;
    const a = live.value;
    const r = await a.target.readRegisters();
    if (!r.ok) return err('io', `Registers could not be read: ${r.error}`);
    const missing = new Set(a.target.description.unavailableRegisters ?? []);
    return ok(
      CORE_REGISTER_NAMES.map((name) => ({
        name,
        value: r.value[name] >>> 0,
        available: !missing.has(name),
        ...(name === 'xpsr' ? { detail: decodeXpsr(r.value[name]) } : {}),
        ...(name === 'control' ? { detail: decodeControl(r.value[name]) } : {}),
      })),
    );
  }

  async writeRegister(name: string, value: number): Promise<Result<null>> {
    const h = this.halted();
    if (!h.ok) return h;
    if (!(CORE_REGISTER_NAMES as readonly string[]).includes(name))
      return err('bad-request', `unknown register ${name} (${CORE_REGISTER_NAMES.join(', ')})`);
    const r = await h.value.target.writeRegister(name as CoreRegisterName, value >>> 0);
    if (!r.ok) return err('io', `${name} could not be written: ${r.error}`);
    if (h.value.registers) h.value.registers = { ...h.value.registers, [name]: value >>> 0 };
    return ok(null);
  }

  async readMemory(address: number, length: number): Promise<Result<MemoryBlock>> {
    const live = this.liveSession();
    if (!live.ok) return live;
    const a = live.value;
    const regions = a.target.description.memoryMap
      .filter((r) => r.start < address + length && r.start + r.size > address)
      .map((r) => ({ name: r.name, kind: r.kind, start: r.start, size: r.size }));
    if (length === 0) return ok({ address, bytes: new Uint8Array(0), regions });
    const whole = await a.target.readMemory(address, length);
    if (whole.ok) return ok({ address, bytes: whole.value, regions });
    // Part of it may be readable: read line by line up to the first unreadable one.
    const parts: Uint8Array[] = [];
    let at = address;
    let problem = whole.error;
    while (at < address + length) {
      const n = Math.min(16 - (at % 16), address + length - at);
      const r = await a.target.readMemory(at, n);
      if (!r.ok) {
        problem = r.error;
        break;
      }
      parts.push(r.value);
      at += n;
    }
    const bytes = new Uint8Array(at - address);
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.length;
    }
    return ok({ address, bytes, regions, problem });
  }

  async writeMemory(address: number, bytes: Uint8Array): Promise<Result<null>> {
    const h = this.halted();
    if (!h.ok) return h;
    const r = await h.value.target.writeMemory(address, bytes);
    return r.ok ? ok(null) : err('io', `Memory could not be written: ${r.error}`);
  }

  async disassemble(address: number, count: number): Promise<Result<Disassembly>> {
    const live = this.liveSession();
    if (!live.ok) return live;
    const a = live.value;
    // At a halt, a read of the stop shown (StopReads): stale once a step leaves it.
    const reads = a.info.phase === 'halted' ? a.reads : null;
    if (reads?.left) return staleError();
    const listing = await this.listing(a, address, count);
    return reads?.left ? staleError() : listing;
  }

  private async listing(a: Active, address: number, count: number): Promise<Result<Disassembly>> {
    const fn = a.program.functionAt(address);
    // From the function's entry when it is near, so the listing decodes on instruction bounds.
    let start = fn && address - fn.low < 8192 ? fn.low : address & ~1;
    if (start === address && !fn) start = address & ~1;
    const length = Math.min(64 * 1024, Math.max(count * 4, address - start + count * 4));
    const mem = await this.readMemory(start, length);
    if (!mem.ok) return mem;
    const bytes = mem.value.bytes;
    const lines: DisassemblyLine[] = [];
    const sources = a.sourceLines;
    let lastLine = '';
    let o = 0;
    // Keep `count` instructions from the requested address on, and what precedes it in the function.
    let after = 0;
    while (o + 2 <= bytes.length && after < count) {
      const at = start + o;
      const hw1 = bytes[o]! | (bytes[o + 1]! << 8);
      const hw2 = o + 4 <= bytes.length ? bytes[o + 2]! | (bytes[o + 3]! << 8) : 0;
      const d = disassembleWord(hw1, hw2, at);
      if (d.size === 4 && o + 4 > bytes.length) break;
      const line: DisassemblyLine = {
        address: at >>> 0,
        bytes:
          d.size === 2
            ? hw1.toString(16).padStart(4, '0')
            : `${hw1.toString(16).padStart(4, '0')} ${hw2.toString(16).padStart(4, '0')}`,
        text: d.text,
      };
      const sym = a.program.symbolize(at);
      if (sym && sym.offset === 0) line.symbol = sym.name;
      const target = /\b(?:b|bl|blx|b\.\w+|b[a-z]{2}(?:\.w)?|cbn?z)\b.*?#?0x([0-9a-f]+)/i.exec(
        d.text,
      );
      if (target && !line.symbol) {
        const t = a.program.symbolize(parseInt(target[1]!, 16));
        if (t) line.symbol = `${t.name}${t.offset ? `+0x${t.offset.toString(16)}` : ''}`;
      }
      const src = a.program.lineAt(at);
      if (src && src.start === at && src.line > 0) {
        const key = `${src.file}:${src.line}`;
        if (key !== lastLine) {
          lastLine = key;
          let text = sources.get(src.file);
          if (text === undefined) {
            try {
              const rel = projectPath(this.opts.projectRoot, src.file);
              const file = rel ? path.join(this.opts.projectRoot, rel) : src.file;
              text = readFileSync(file, 'utf8').split('\n');
            } catch {
              text = null;
            }
            sources.set(src.file, text);
          }
          line.source = {
            location: sourceLocation(this.opts.projectRoot, src.file, src.line, src.column),
            text: text?.[src.line - 1]?.trim() ?? '',
          };
        }
      }
      lines.push(line);
      if (at >= address) after++;
      o += d.size;
    }
    return ok({ lines, ...(mem.value.problem ? { problem: mem.value.problem } : {}) });
  }

  stack(): Promise<Result<StackFrame[]>> {
    return this.stopRead(async (a, reads) => {
      const frames = await this.framesOf(a, reads);
      return frames.ok ? ok(frames.value.map(({ cfa: _cfa, ...f }) => f)) : frames;
    });
  }

  /** The stop's frames: its unwind's (waited for while it goes on), else unwound now. */
  private async framesOf(a: Active, reads: StopReads): Promise<Result<FrameAt[]>> {
    if (!a.frames && a.framesPending) await a.framesPending;
    if (reads.left) return staleError();
    if (!a.frames) {
      const regs = await a.target.readRegisters();
      if (!regs.ok) return err('io', regs.error);
      const frames = await a.program.backtrace(regs.value, reads.read, a.info.unavailableRegisters);
      if (reads.left) return staleError();
      a.frames = frames;
    }
    return ok(a.frames);
  }

  /**
   * The project's source files a step from this stop may show, for the window to open ahead
   * of it: the frames' lines (a step that returns shows a caller), then the files of the code
   * in the frames' functions (code inlined from other files: a step over it shows that file).
   * At most `limit`, nearest frame first; files outside the project are left out (the window
   * shows Disassembly for them).
   */
  sources(limit = 16): Promise<Result<string[]>> {
    return this.stopRead(async (a, reads) => {
      const s = await this.framesOf(a, reads);
      return s.ok ? ok(this.sourcesOf(a.program, s.value, limit)) : s;
    });
  }

  private sourcesOf(program: ProgramView, frames: StackFrame[], limit: number): string[] {
    const out = new Set<string>();
    for (const f of frames) if (f.location?.inProject) out.add(f.location.path);
    const seen = new Set<number>();
    for (const f of frames) {
      if (out.size >= limit) break;
      // A caller's PC is its return address, which may already be past its function's end.
      const fn = program.functionAt(f.index > 0 && !f.exception ? f.pc - 1 : f.pc);
      if (!fn || seen.has(fn.low)) continue;
      seen.add(fn.low);
      for (const file of program.filesOf?.(fn.ranges) ?? []) {
        const rel = projectPath(this.opts.projectRoot, file);
        if (rel !== null) out.add(rel);
      }
    }
    return [...out].slice(0, limit);
  }

  selectFrame(index: number): Promise<Result<StackFrame>> {
    return this.stopRead(async (a, reads) => {
      const s = await this.framesOf(a, reads);
      if (!s.ok) return s;
      const f = s.value[index];
      if (!f)
        return err('not-found', `there is no frame ${index} (the stack has ${s.value.length})`);
      a.selected = index;
      const { cfa: _cfa, ...frame } = f;
      return ok(frame);
    });
  }

  /** A frame's arguments and locals, and with `statics` the kernel's statics. */
  variables(frame: number, statics = false): Promise<Result<VariableScope[]>> {
    return this.stopRead(async (a, reads) => {
      const s = await this.framesOf(a, reads);
      if (!s.ok) return s;
      return ok(await a.program.variables(frame, reads.read, statics));
    });
  }

  children(ref: number): Promise<Result<VariableNode[]>> {
    return this.stopRead(async (a) => ok(await a.program.children(ref)));
  }

  evaluate(expression: string, frame: number): Promise<Result<VariableNode>> {
    return this.stopRead(async (a, reads) => {
      const s = await this.framesOf(a, reads);
      if (!s.ok) return s;
      const r = await a.program.evaluate(expression, frame, reads.read);
      return r.ok ? ok(r.value) : err('not-found', r.error);
    });
  }

  async setVariable(ref: number, value: string): Promise<Result<VariableNode>> {
    const h = this.halted();
    if (!h.ok) return h;
    const a = h.value;
    const t = a.program.editTarget?.(ref) ?? null;
    if (!t) return err('unavailable', 'this value cannot be changed (not a scalar in memory)');
    const text = value.trim().replace(/_/g, '');
    let n: bigint;
    if (text === 'true' || text === 'false') n = text === 'true' ? 1n : 0n;
    else if (/^-?(0x[0-9a-f]+|\d+)$/i.test(text))
      n = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
    else return err('bad-request', `"${value}" is not a number for ${t.type}`);
    const bits = BigInt(t.size * 8);
    const min = t.signed ? -(1n << (bits - 1n)) : 0n;
    const max = t.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (n < min || n > max)
      return err('bad-request', `${value} does not fit in ${t.type} (${min}..${max})`);
    const u = n < 0n ? (1n << bits) + n : n;
    const bytes = new Uint8Array(t.size);
    for (let i = 0; i < t.size; i++) bytes[i] = Number((u >> BigInt(8 * i)) & 0xffn);
    const w = await a.target.writeMemory(t.address, bytes);
    if (!w.ok) return err('io', `the value could not be written: ${w.error}`);
    a.program.newStop();
    a.frames = null;
    a.framesPending = null;
    return ok({ name: '', value: n.toString(), type: t.type, ref: 0, editable: true });
  }

  lookup(query: string): Result<{ address: number; label: string }> {
    const q = query.trim();
    const n = /^(0x[0-9a-f_]+|\d+)$/i.test(q) ? Number(q.replace(/_/g, '')) : NaN;
    if (Number.isFinite(n) && n >= 0 && n <= 0xffff_ffff)
      return ok({ address: n >>> 0, label: hex8(n) });
    const live = this.liveSession();
    if (!live.ok) return live;
    const reg = (CORE_REGISTER_NAMES as readonly string[]).includes(q.toLowerCase());
    if (reg && live.value.registers)
      return ok({
        address: live.value.registers[q.toLowerCase() as CoreRegisterName] >>> 0,
        label: q.toLowerCase(),
      });
    const a = live.value.program.lookup(q);
    if (a !== null) return ok({ address: a >>> 0, label: q });
    return err(
      'not-found',
      `no symbol, register or address "${q}"`,
      'Type an address (0x2000_0000), a register (sp) or a symbol name.',
    );
  }

  /**
   * The "GDB server" switch: serves the emulator session's target to GDB on 127.0.0.1:`port`
   * (0: any free port), or stops serving. The IDE keeps driving the same target; the state is
   * also published as `SessionInfo.gdbServer`.
   */
  gdbServer(on: boolean, port = 3333): Promise<Result<GdbServerInfo | null>> {
    return this.serial(async () => {
      const live = this.liveSession();
      if (!live.ok) return live;
      const a = live.value;
      if (!on || (a.gdb && a.gdb.port !== port && port !== 0)) {
        const g = a.gdb;
        a.gdb = null;
        if (g) await g.close();
        if (!on) {
          a.info = { ...a.info, gdbServer: null };
          this.publish(a);
          return ok(null);
        }
      }
      if (a.info.targetKind !== 'emulator' || a.qemu)
        return err(
          'unavailable',
          `This session is already driven over GDB's protocol (${a.info.target}).`,
          'Connect GDB to that server directly; the switch serves emulator sessions.',
        );
      if (a.gdb) return ok(a.info.gdbServer ?? null);
      const elfPath = a.images ? path.resolve(this.opts.projectRoot, a.images.kernelElf) : '';
      let elf: Uint8Array | null;
      try {
        elf = elfPath ? new Uint8Array(readFileSync(elfPath)) : null;
      } catch {
        elf = null; // no Tock threads then; GDB still gets the core
      }
      const show = (): void => {
        if (this.active !== a || !a.gdb) return;
        a.info = {
          ...a.info,
          gdbServer: gdbServerInfo(a.gdb.port, elfPath, a.gdb.server.connectionCount),
        };
        this.publish(a);
      };
      const served = await serveToGdb(a.shared.view('gdb'), {
        port,
        elf,
        hideStop: async (stop) =>
          this.active === a && !(await this.serial(() => this.ideBreakpointStops(a, stop))),
        log: (line) => {
          this.opts.emit('session.output', {
            id: a.info.id,
            level: 'info',
            message: `GDB server: ${line}`,
          });
          // Connections come and go in the log's lines: show the count (after the change).
          if (/ (dis)?connected$/.test(line)) queueMicrotask(show);
        },
      });
      if (!served.ok)
        return err(
          'unavailable',
          served.error,
          port === 0
            ? undefined
            : `Choose another port (0 picks a free one) or stop what holds ${port}.`,
        );
      if (this.active !== a || a.info.phase === 'ended') {
        await served.value.close();
        return err('no-session', 'The session ended while the GDB server started.');
      }
      a.gdb = served.value;
      show();
      this.opts.emit('session.output', {
        id: a.info.id,
        level: 'info',
        message: `GDB server on ${a.info.gdbServer?.host}:${served.value.port}: ${a.info.gdbServer?.command}`,
      });
      return ok(a.info.gdbServer ?? null);
    });
  }

  async consoleInput(bytes: Uint8Array): Promise<Result<null>> {
    const live = this.liveSession();
    if (!live.ok) return live;
    const a = live.value;
    if (a.qemu) {
      const w = a.qemu.writeSerial?.(bytes);
      return w && !w.ok ? err('io', w.error) : ok(null);
    }
    const r = await a.target.writeConsole(a.consolePort, bytes);
    return r.ok ? ok(null) : err('unavailable', `The console did not take the input: ${r.error}`);
  }
}

/** A condition's value as Rust would test it: true, or a non-zero number. */
function truthy(v: VariableNode): boolean {
  const t = v.value.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  const n = Number(t);
  if (Number.isFinite(n)) return n !== 0;
  return t.length > 0 && !t.startsWith('<');
}

/**
 * The target with its calls counted and their round trips summed into `into` (a step's split:
 * the host's wait on the target vs its own work). Calls that overlap are each counted whole.
 */
function timedCalls(target: DebugTarget, into: { n: number; ms: number }): DebugTarget {
  return new Proxy(target, {
    get(t, key, receiver) {
      const v: unknown = Reflect.get(t, key, receiver);
      if (typeof v !== 'function' || key === 'onEvent' || key === 'state') return v;
      return (...args: unknown[]): unknown => {
        const t0 = performance.now();
        const r: unknown = (v as (...a: unknown[]) => unknown).apply(t, args);
        if (!(r instanceof Promise)) return r;
        return r.finally(() => {
          into.n++;
          into.ms += performance.now() - t0;
        });
      };
    },
  });
}
