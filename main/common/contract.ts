/**
 * The one contract between the Capsule Studio host (Node or Electron main) and the renderer.
 *
 * Every request the renderer can make is declared here once, in `contract`: its service, its
 * argument schema (checked at run time by the host) and its result type (checked at compile
 * time by both sides). `HostApi` (the renderer's view) and `HostHandlers` (the host's) are
 * derived from that one line, and the dispatcher, the preload and the client proxy walk the
 * same table, so no channel name or method list is written twice. Both transports (Electron
 * IPC and the browser-mode WebSocket, framed by wire.ts) carry these calls, their
 * cancellation, raw bytes, and the `HostEvents` below in batches, so a feature written once
 * works in both. New services (the emulator session, kernel views) add entries to `contract`.
 *
 * Pure TypeScript: no Node, DOM or Electron imports, so the renderer can import it.
 *
 * @example
 *   const r = await api.project.readFile({ path: 'capsules/src/led.rs' });
 *   if (r.ok) editor.setValue(r.value.content); else notify(r.error.message);
 */
import type { Connections } from '../../emulator/debug/peripherals/connections';
import type { InterruptRow } from '../../emulator/debug/peripherals/interrupts';
import type { AccessRecord } from '../../emulator/debug/target';
import type { SvdDevice, SvdPeripheral } from '../../emulator/peripherals/nrf/svd';
import {
  arr,
  bool,
  bytes,
  literal,
  num,
  obj,
  opt,
  str,
  type Infer,
  type Schema,
} from './schema.js';
import type {
  TockCellsView,
  TockDmaView,
  TockProcessActionResult,
  TockProcessesView,
  TockTimelineView,
} from './tock-views.js';

export type {
  TockCell,
  TockCellsView,
  TockDmaChannel,
  TockDmaView,
  TockFaultExplanation,
  TockGrant,
  TockMpuRegion,
  TockProcess,
  TockProcessAction,
  TockProcessActionResult,
  TockProcessesView,
  TockTimelineEvent,
  TockTimelineView,
} from './tock-views.js';
export { TIMELINE_EVENTS_SHOWN } from './tock-views.js';

/** Errors are values: every call resolves to one of these. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: HostError };

export type HostErrorCode =
  | 'bad-request'
  | 'outside-project'
  | 'not-found'
  | 'too-large'
  | 'binary'
  | 'conflict'
  | 'io'
  | 'no-project'
  | 'build-running'
  | 'unavailable'
  | 'cancelled'
  | 'exists'
  | 'not-built'
  | 'no-session'
  | 'session-running'
  /** A read for a debug stop that a step or continue left before it ended (read the next). */
  | 'stale';

export interface HostError {
  code: HostErrorCode;
  message: string;
  /** What the user can do about it, when there is something. */
  fix?: string;
}

// ---------------------------------------------------------------------------------------------
// How a method is declared

/** Carries a method's result type; there is nothing in it at run time. */
export interface Returns<R> {
  readonly __result?: (r: R) => R;
}
export const returns = <R>(): Returns<R> => ({});

/** One method: its argument schema (checked by the host) and its result type. */
export interface MethodSpec<A, R> extends Returns<R> {
  readonly args: Schema<A>;
}
export function method<A, R>(args: Schema<A>, _result: Returns<R>): MethodSpec<A, R> {
  return { args };
}

// ---------------------------------------------------------------------------------------------
// Shapes returned by the host

export interface HostHello {
  /** Random per host process: a different value after a reconnect means the host restarted. */
  instance: string;
  /** The open project's folder. */
  projectRoot: string;
}

export interface FileBytes {
  path: string;
  offset: number;
  bytes: Uint8Array;
  /** The file's whole size. */
  size: number;
}

export interface ProjectInfo {
  name: string;
  /** Absolute folder on the host (shown, never used by the renderer to build paths). */
  root: string;
  /** True when the folder holds a Cargo.toml (a kernel workspace that can be built). */
  isCargoWorkspace: boolean;
  /** Why the project cannot be built, when it cannot. */
  problem?: string;
  boards: string[];
  transport: 'electron' | 'browser';
}

export interface FileNode {
  /** Project-relative path with forward slashes. */
  path: string;
  name: string;
  kind: 'file' | 'dir';
  children?: FileNode[];
}

export interface FileContent {
  path: string;
  content: string;
  mtimeMs: number;
  size: number;
  /** Set when the file may not be edited (for example not valid UTF-8); the reason is `notice`. */
  readOnly: boolean;
  notice?: string;
}

export interface SavedFile {
  path: string;
  mtimeMs: number;
  size: number;
}

export interface RecoveredBuffer {
  path: string;
  content: string;
  /** The on-disk mtime the edits were based on (0 for a file that did not exist). */
  baseMtimeMs: number;
  savedAt: number;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface RelatedLocation {
  path: string;
  line: number;
  column: number;
  message: string;
}

/** One rustc diagnostic turned into an editor marker. Lines and columns are 1-based. */
export interface Diagnostic {
  /** Project-relative path, or absolute when outside the project (a dependency). */
  path: string;
  inProject: boolean;
  severity: Severity;
  message: string;
  code?: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  related: RelatedLocation[];
  /** The crate cargo was compiling when rustc reported this. */
  crate?: string;
}

export type BuildStatus = 'succeeded' | 'failed' | 'cancelled' | 'crashed' | 'toolchain-missing';

export interface BuildStarted {
  buildId: number;
  board: string;
}

/**
 * What a successful build wrote (paths relative to the project, '/'-separated): the same files
 * the command-line build writes, in <project>/target/images/<board>/.
 */
export interface BuildArtifacts {
  /** The board as the board registry names it. */
  board: string;
  /** The emulator machine that runs the board's image, or null when none does. */
  machine: string | null;
  dir: string;
  kernelElf: string;
  /** One TBF per app. */
  apps: string[];
  /** Every TBF at its slot, to be placed at the apps' flash start. */
  appsBin: string | null;
  /** Kernel and apps exactly as flashed. */
  imageHex: string | null;
  /** What went where (apps, addresses). */
  appsJson: string | null;
}

// ---------------------------------------------------------------------------------------------
// Requests

/**
 * The longest text one call may carry (a file's content, a recovery buffer), in UTF-16 code
 * units. The browser-mode transport sizes its frame limit from it, so every call the contract
 * accepts also fits on the wire.
 */
export const MAX_CONTENT_CHARS = 16 * 1024 * 1024;

export const ReadFileArgs = obj({ path: str({ min: 1, max: 4096 }) });
export const WriteFileArgs = obj({
  path: str({ min: 1, max: 4096 }),
  content: str({ max: MAX_CONTENT_CHARS }),
  /** Refuse to overwrite when the file on disk changed since this mtime (0 = must not exist). */
  expectedMtimeMs: opt(num({ min: 0 })),
});
export const PathsArgs = obj({ paths: arr(str({ min: 1, max: 4096 }), { max: 500 }) });
export const RecoveryPutArgs = obj({
  path: str({ min: 1, max: 4096 }),
  content: str({ max: MAX_CONTENT_CHARS }),
  baseMtimeMs: num({ min: 0 }),
});
export const PathArgs = obj({ path: str({ min: 1, max: 4096 }) });
export const ReadBytesArgs = obj({
  path: str({ min: 1, max: 4096 }),
  offset: opt(num({ integer: true, min: 0 })),
  length: num({ integer: true, min: 0, max: 1024 * 1024 }),
});
export const CreateArgs = obj({ path: str({ min: 1, max: 4096 }), kind: literal('file', 'dir') });
export const RenameArgs = obj({ from: str({ min: 1, max: 4096 }), to: str({ min: 1, max: 4096 }) });
export const DeleteArgs = obj({
  path: str({ min: 1, max: 4096 }),
  /** Delete for good instead of moving to the system trash (asked of the user first). */
  permanently: opt(bool()),
});
export const BuildArgs = obj({ board: str({ min: 1, max: 100 }) });
export const BuildIdArgs = obj({ buildId: num({ integer: true, min: 1 }) });
export const CapsuleArgs = obj({
  /** Rust identifier in snake_case: the module and file name (`capsules/src/<name>.rs`). */
  name: str({ min: 1, max: 40 }),
  driverNumber: num({ integer: true, min: 0, max: 0xffff_ffff }),
  /** Also write a split-phase HIL client (a `Client` trait and its `done` callback). */
  hil: bool(),
});
/** Flash a built image into a board through OpenOCD. */
export const FlashArgs = obj({
  /** Board registry name (its OpenOCD configuration). */
  board: str({ min: 1, max: 100 }),
  /** Project-relative image: the build's image.hex or an ELF. */
  image: str({ min: 1, max: 4096 }),
  /** Read back and compare (default true). */
  verify: opt(bool()),
  /** Reset into the new image (default true). */
  reset: opt(bool()),
  /** USB serial number of the probe to use when several are plugged in. */
  probeSerial: opt(str({ min: 1, max: 128 })),
  /** The emulated board: the remote_bitbang port of the emulator (instead of a probe). */
  emulatorPort: opt(num({ integer: true, min: 1, max: 65535 })),
});
export type FlashArgsShape = Infer<typeof FlashArgs>;
export const NoArgs = obj({});
export const PortArgs = obj({ path: str({ min: 1, max: 4096 }) });
export const BootloaderOpenArgs = obj({
  path: str({ min: 1, max: 4096 }),
  /** Board registry name the user says is on the port. */
  board: str({ min: 1, max: 100 }),
});
export const BootloaderInstallArgs = obj({
  path: str({ min: 1, max: 4096 }),
  /** Project-relative path of the file: a .tab or .tbf app (install), an .elf or .hex kernel (flashKernel). */
  file: str({ min: 1, max: 4096 }),
});
export const BootloaderUninstallArgs = obj({
  path: str({ min: 1, max: 4096 }),
  name: str({ min: 1, max: 200 }),
});
export const BootloaderEraseArgs = obj({ path: str({ min: 1, max: 4096 }), force: bool() });
export const BootloaderAttributeArgs = obj({
  path: str({ min: 1, max: 4096 }),
  index: num({ integer: true, min: 0, max: 15 }),
  key: str({ min: 1, max: 8 }),
  value: str({ min: 1, max: 55 }),
});
export const AppFilesArgs = obj({ board: str({ min: 1, max: 100 }) });
/** Baud rates a serial console offers (the nRF52 UARTE's up to 1 Mbaud). */
export const BAUD_RATES: readonly number[] = [
  1200, 2400, 4800, 9600, 14400, 19200, 28800, 38400, 57600, 76800, 115200, 230400, 250000, 460800,
  921600, 1000000,
];
export const ConsoleOpenArgs = obj({
  path: str({ min: 1, max: 4096 }),
  baudRate: num({ integer: true, min: 1200, max: 1_000_000 }),
  /** Project-relative file the console's output is appended to. */
  logFile: opt(str({ min: 1, max: 4096 })),
});
export const ConsoleWriteArgs = obj({
  path: str({ min: 1, max: 4096 }),
  bytes: bytes({ max: 64 * 1024 }),
});
export const ConsoleBaudArgs = obj({
  path: str({ min: 1, max: 4096 }),
  baudRate: num({ integer: true, min: 1200, max: 1_000_000 }),
});
const registerAddress = () => num({ integer: true, min: 0, max: 0xffff_ffff });
export const RegisterReadArgs = obj({
  addresses: arr(registerAddress(), { max: 4096 }),
  /** Also read registers whose read has a side effect (the person asked). */
  demand: opt(bool()),
});
export const RegisterWatchArgs = obj({
  addresses: arr(registerAddress(), { max: 4096 }),
  /** Also read PPI, EasyDMA and shortcuts with each refresh (the Connections panel is open). */
  connections: opt(bool()),
});
export const RegisterWriteValueArgs = obj({
  address: registerAddress(),
  /** The whole register's new value. */
  value: opt(registerAddress()),
  /** Or one field, set to `input` (a number or an enumerated name). */
  field: opt(str({ min: 1, max: 100 })),
  input: opt(str({ min: 1, max: 100 })),
});
export const ButtonArgs = obj({ name: str({ min: 1, max: 40 }), pressed: bool() });
/**
 * `peripherals.describe`: with `detail`, only those peripherals (by name) come with their
 * registers' fields; the others' fields are left out (all but those whose read has an effect,
 * which the read policy needs) and listed in `partial`, to ask for with `peripherals.detail`.
 */
export const DescribeArgs = obj({ detail: opt(arr(str({ min: 1, max: 100 }), { max: 1000 })) });
export const PeripheralNamesArgs = obj({ names: arr(str({ min: 1, max: 100 }), { max: 1000 }) });

export const AccessLogArgs = obj({
  enable: opt(bool()),
  clear: opt(bool()),
  since: opt(num({ integer: true, min: 0 })),
  /** Only entries before this sequence number. */
  until: opt(num({ integer: true, min: 0 })),
  max: opt(num({ integer: true, min: 0, max: 20_000 })),
  /** Only entries of this peripheral (its name, any case). */
  peripheral: opt(str({ max: 100 })),
  /** Only entries whose register name contains this (any case). */
  register: opt(str({ max: 100 })),
  /**
   * Only the debugger's own accesses and the entries the emulator keeps however busy the others
   * are (EasyDMA transfers, the quiet peripherals' entries): what a reader skipping ahead keeps.
   */
  debuggerOnly: opt(bool()),
  /**
   * The newest `max` entries before `until` (the head when absent) that pass the filters, not
   * the oldest from `since`: a view following a run needs only the tail (`passed` counts the
   * older ones left out).
   */
  newest: opt(bool()),
  /** The entries as `rows` (columns, see access-log-rows.ts) instead of `entries`. */
  compact: opt(bool()),
});

/** Addresses are unsigned 32-bit. */
const address = () => num({ integer: true, min: 0, max: 0xffff_ffff });
export const SessionStartArgs = obj({
  /** 'run' ignores breakpoints; 'debug' arms them (both halt on a kernel fault). */
  mode: literal('run', 'debug'),
  board: str({ min: 1, max: 100 }),
  /** The apps the kernel loads (at most 8; it loads no more), composed into the apps region
   * at their linked addresses; all the build packed when absent. */
  apps: opt(arr(str({ min: 1, max: 100 }), { max: 8 })),
});
export const BoardArgs = obj({ board: str({ min: 1, max: 100 }) });
export const SessionAttachArgs = obj({
  /** QEMU's gdbstub, or a board through OpenOCD's GDB port (a probe, or the emulated board). */
  kind: literal('qemu', 'openocd'),
  board: str({ min: 1, max: 100 }),
  /** OpenOCD: USB serial number of the probe to use when several are plugged in. */
  probeSerial: opt(str({ min: 1, max: 128 })),
  /** OpenOCD: the emulated board's remote_bitbang port (instead of a probe). */
  emulatorPort: opt(num({ integer: true, min: 1, max: 65535 })),
});
export type SessionAttachArgsShape = Infer<typeof SessionAttachArgs>;
export const StepArgs = obj({ kind: literal('instruction', 'over', 'into', 'out') });
export const LocationArgs = obj({
  path: str({ min: 1, max: 4096 }),
  line: num({ integer: true, min: 1 }),
});
export const RegisterWriteArgs = obj({ name: str({ min: 1, max: 20 }), value: address() });
export const MemoryReadArgs = obj({
  address: address(),
  length: num({ integer: true, min: 0, max: 64 * 1024 }),
});
export const MemoryWriteArgs = obj({ address: address(), bytes: bytes({ max: 64 * 1024 }) });
export const DisassembleArgs = obj({
  address: address(),
  /** Instructions to show from the start of the function (or of the window) holding `address`. */
  count: num({ integer: true, min: 1, max: 2000 }),
});
export const FrameArgs = obj({ frame: num({ integer: true, min: 0, max: 10_000 }) });
export const VariablesArgs = obj({
  frame: num({ integer: true, min: 0, max: 10_000 }),
  /** Read the kernel's statics too (default: not; their scope comes back `unread`). */
  statics: opt(bool()),
});
export const ChildrenArgs = obj({ ref: num({ integer: true, min: 1 }) });
export const EvaluateArgs = obj({
  expression: str({ min: 1, max: 1000 }),
  frame: num({ integer: true, min: 0, max: 10_000 }),
});
export const SetVariableArgs = obj({
  ref: num({ integer: true, min: 1 }),
  value: str({ min: 1, max: 200 }),
});
export const SymbolArgs = obj({ query: str({ min: 1, max: 500 }) });
export const ConsoleInputArgs = obj({ bytes: bytes({ max: 64 * 1024 }) });
/** An action on a process from the Processes view (main/host/tock-service.ts `processAction`). */
export const TockProcessActionArgs = obj({
  slot: num({ integer: true, min: 0, max: 63 }),
  id: num({ integer: true, min: 0 }),
  action: literal('stop', 'start', 'fault', 'terminate', 'restart'),
});
export const BreakpointSpecSchema = obj({
  line: num({ integer: true, min: 1 }),
  /** An expression over the frame's variables; the breakpoint stops only when it is true. */
  condition: opt(str({ max: 1000 })),
  /** "5" (from the 5th hit on), ">= 5", "== 5" or "% 5" (every 5th hit). */
  hitCondition: opt(str({ max: 40 })),
  enabled: opt(bool()),
});
export const SetBreakpointsArgs = obj({
  path: str({ min: 1, max: 4096 }),
  breakpoints: arr(BreakpointSpecSchema, { max: 1000 }),
});
export const InstructionBreakpointsArgs = obj({ addresses: arr(address(), { max: 1000 }) });
export const TimelineRecordArgs = obj({ on: bool() });
/** A timeline event's place: its PC, or the exception whose handler to open (an IRQ's). */
export const TimelineSourceArgs = obj({
  pc: opt(num({ integer: true, min: 0, max: 0xffff_ffff })),
  exception: opt(num({ integer: true, min: 1, max: 511 })),
  /** The event is a system call (`pc` its `svc`): the app's call site is wanted, not the svc. */
  syscall: opt(bool()),
  /** The system call's record (`TockTimelineEvent.seq`): its kept stack is unwound to the app. */
  seq: opt(num({ integer: true, min: 0, max: Number.MAX_SAFE_INTEGER })),
});
/** The session's GDB server switch: on (at `port`, 0: any free one) or off. */
export const GdbServerArgs = obj({
  on: bool(),
  port: opt(num({ integer: true, min: 0, max: 65535 })),
});
export const FaultOptionsArgs = obj({
  /** Halt when a process faults too (the kernel handles those; by default they are only listed). */
  breakOnProcessFaults: bool(),
});

/**
 * The method table, the one declaration of every call: service -> method -> argument schema
 * and result type. `HostApi` (what the renderer calls) and `HostHandlers` (what the host
 * implements) are both derived from it, so a new method is one line here plus its handler.
 */
export const contract = {
  host: {
    /** Who answers: asked after every (re)connect to tell a restarted host from the same one. */
    hello: method(NoArgs, returns<HostHello>()),
  },
  project: {
    info: method(NoArgs, returns<ProjectInfo>()),
    listFiles: method(NoArgs, returns<FileNode[]>()),
    readFile: method(ReadFileArgs, returns<FileContent>()),
    /** Raw bytes of a file (binary files the editor does not open as text). */
    readBytes: method(ReadBytesArgs, returns<FileBytes>()),
    writeFile: method(WriteFileArgs, returns<SavedFile>()),
    /** Files the renderer has open; the host reports when they change or vanish on disk. */
    watch: method(PathsArgs, returns<null>()),
  },
  files: {
    create: method(CreateArgs, returns<FileNode>()),
    rename: method(RenameArgs, returns<{ from: string; to: string }>()),
    delete: method(DeleteArgs, returns<{ path: string; trashed: boolean }>()),
  },
  recovery: {
    put: method(RecoveryPutArgs, returns<null>()),
    discard: method(PathArgs, returns<null>()),
    list: method(NoArgs, returns<RecoveredBuffer[]>()),
  },
  build: {
    start: method(BuildArgs, returns<BuildStarted>()),
    cancel: method(BuildIdArgs, returns<null>()),
  },
  probes: {
    /** Debug probes on the USB bus (kind, OpenOCD interface, serial, permission problems). */
    list: method(NoArgs, returns<ProbeListing>()),
  },
  flash: {
    /** Program, verify and reset a board through OpenOCD; progress as `flash.progress`. */
    program: method(FlashArgs, returns<FlashResult>()),
    /** The board's build output OpenOCD can program (project-relative image.hex, kernel.elf). */
    images: method(BoardArgs, returns<string[]>()),
  },
  peripherals: {
    /** The running session's chip description (SVD) with the warnings it raised. */
    describe: method(DescribeArgs, returns<PeripheralsDescription>()),
    /** Peripherals whole (with every register's fields), by name: what `describe` left out. */
    detail: method(PeripheralNamesArgs, returns<SvdPeripheral[]>()),
    /** Loads the person's SVD (project path); a malformed one is refused with line and reason. */
    loadSvd: method(PathArgs, returns<PeripheralsDescription>()),
    /** Back to the board's own SVD. */
    resetSvd: method(NoArgs, returns<PeripheralsDescription>()),
    /** Reads registers; those whose read has a side effect only with `demand`. */
    read: method(RegisterReadArgs, returns<RegisterReading[]>()),
    /** Writes a register or one field, then reads it back. Read-only ones are refused. */
    write: method(RegisterWriteValueArgs, returns<RegisterReading>()),
    /**
     * The registers shown (and the connections, when asked): refreshed at 10 Hz while the
     * emulator runs, else at each stop, in `peripherals.values` events.
     */
    watch: method(RegisterWatchArgs, returns<null>()),
    interrupts: method(NoArgs, returns<InterruptRow[]>()),
    board: method(NoArgs, returns<BoardView>()),
    button: method(ButtonArgs, returns<null>()),
    /** The MMIO access log (emulator): on/off, entries from `since`, named and with source. */
    log: method(AccessLogArgs, returns<AccessLogPage>()),
    connections: method(NoArgs, returns<Connections>()),
  },
  capsule: {
    /** Driver numbers the boards' driver table uses, and the boards that compose it. */
    drivers: method(NoArgs, returns<DriverTable>()),
    /** Checks a new capsule and lists what `create` would write, without writing. */
    plan: method(CapsuleArgs, returns<CapsulePlan>()),
    create: method(CapsuleArgs, returns<CapsulePlan>()),
  },
  session: {
    /** Whether the board's last build can run as it is, or must be built (first). */
    check: method(BoardArgs, returns<BuildCheck>()),
    /** Starts the selected board's last build in the emulator; `not-built` when there is none. */
    start: method(SessionStartArgs, returns<SessionInfo>()),
    /** The boards whose kernel runs under QEMU (the board registry's `qemuMachine`): Attach's. */
    attachable: method(NoArgs, returns<string[]>()),
    /** Attaches to the board's kernel under QEMU's gdbstub (mps2-an386). */
    attach: method(SessionAttachArgs, returns<SessionInfo>()),
    /** What runs now (a reloaded window asks), or null. */
    status: method(NoArgs, returns<SessionInfo | null>()),
    stop: method(NoArgs, returns<null>()),
    restart: method(NoArgs, returns<null>()),
    pause: method(NoArgs, returns<SessionStop>()),
    resume: method(NoArgs, returns<null>()),
    step: method(StepArgs, returns<SessionStop>()),
    runToCursor: method(LocationArgs, returns<null>()),
    /** Moves the selected frame (the editor and Variables follow it). */
    selectFrame: method(FrameArgs, returns<StackFrame>()),
    registers: method(NoArgs, returns<RegisterValue[]>()),
    writeRegister: method(RegisterWriteArgs, returns<null>()),
    readMemory: method(MemoryReadArgs, returns<MemoryBlock>()),
    writeMemory: method(MemoryWriteArgs, returns<null>()),
    disassemble: method(DisassembleArgs, returns<Disassembly>()),
    stack: method(NoArgs, returns<StackFrame[]>()),
    /**
     * Project files a step from this stop may show (the frames' files, files inlined into
     * their functions), nearest first: the window opens them ahead of the step.
     */
    sources: method(NoArgs, returns<string[]>()),
    /** Arguments, locals and statics of a frame, as Rust shows them. */
    variables: method(VariablesArgs, returns<VariableScope[]>()),
    children: method(ChildrenArgs, returns<VariableNode[]>()),
    evaluate: method(EvaluateArgs, returns<VariableNode>()),
    setVariable: method(SetVariableArgs, returns<VariableNode>()),
    /** A symbol's address, or an expression's when it is a pointer (Memory's "go to"). */
    lookup: method(SymbolArgs, returns<{ address: number; label: string }>()),
    consoleInput: method(ConsoleInputArgs, returns<null>()),
    faultOptions: method(FaultOptionsArgs, returns<null>()),
    /** Serves the emulator session's target to GDB on 127.0.0.1 (or stops); the state comes
     * back in `SessionInfo.gdbServer`. Port taken: `unavailable`, naming the port. */
    gdbServer: method(GdbServerArgs, returns<GdbServerInfo | null>()),
  },
  tock: {
    /** The kernel's cells reachable from its debug anchor, read now (main/host/tock-service.ts). */
    cells: method(NoArgs, returns<TockCellsView>()),
    /** The chip's EasyDMA channels with their buffers' owners and violations, read now. */
    dma: method(NoArgs, returns<TockDmaView>()),
    /** Every process: counters, memory map, MPU regions, its last fault explained. */
    processes: method(NoArgs, returns<TockProcessesView>()),
    /** Stop, start, fault, terminate or restart a process (the slot's incarnation `id`). */
    processAction: method(TockProcessActionArgs, returns<TockProcessActionResult>()),
    /** The kernel timeline recorded so far on the emulator (fetches what is new). */
    timeline: method(NoArgs, returns<TockTimelineView>()),
    /** Recording on (with the kernel's trace port) or off. */
    record: method(TimelineRecordArgs, returns<TockTimelineView>()),
    clearTimeline: method(NoArgs, returns<TockTimelineView>()),
    /** The recording as a Chrome / Perfetto trace (Trace Event Format JSON text). */
    exportTimeline: method(NoArgs, returns<string>()),
    /** Live cells on or off: while on, `tock.cells` events come 10 times a second while the emulator runs, and at each stop. */
    liveCells: method(TimelineRecordArgs, returns<null>()),
    /** The source line of a timeline event (its PC, or an IRQ's handler). */
    timelineSource: method(TimelineSourceArgs, returns<SourceLocation>()),
  },
  breakpoints: {
    /** Every breakpoint of the project, as kept across restarts, resolved when a session runs. */
    list: method(NoArgs, returns<FileBreakpoints[]>()),
    /** Replaces one file's breakpoints. */
    set: method(SetBreakpointsArgs, returns<FileBreakpoints>()),
    /** Replaces the session's instruction breakpoints (Disassembly's gutter; not kept). */
    setInstructions: method(InstructionBreakpointsArgs, returns<number[]>()),
  },
  boards: {
    /** Debug probes and serial ports attached now (the host then reports changes as they come). */
    list: method(NoArgs, returns<AttachedBoards>()),
    /** Adds a port by path (a pseudo-terminal, a port the listing does not show). */
    addPort: method(PortArgs, returns<AttachedBoards>()),
    removePort: method(PortArgs, returns<AttachedBoards>()),
  },
  bootloader: {
    /** Opens the port, gets the board into its Tock bootloader, reads its layout and apps. */
    open: method(BootloaderOpenArgs, returns<BootloaderSession>()),
    apps: method(PortArgs, returns<BootloaderSession>()),
    install: method(BootloaderInstallArgs, returns<BootloaderSession>()),
    uninstall: method(BootloaderUninstallArgs, returns<BootloaderSession>()),
    eraseApps: method(BootloaderEraseArgs, returns<BootloaderSession>()),
    setAttribute: method(BootloaderAttributeArgs, returns<BootloaderSession>()),
    /** Leaves the bootloader (EXIT: the board starts its kernel) and closes the port. */
    exit: method(PortArgs, returns<null>()),
    close: method(PortArgs, returns<null>()),
    /** Writes a kernel image (ELF or Intel HEX, project-relative) into the kernel region. */
    flashKernel: method(BootloaderInstallArgs, returns<BootloaderSession>()),
    /** Kernel images builds of `board` wrote that its bootloader can take, project-relative. */
    kernelFiles: method(AppFilesArgs, returns<string[]>()),
    /** The app files (TAB, TBF) the last build of `board` wrote, project-relative. */
    appFiles: method(AppFilesArgs, returns<string[]>()),
  },
  serialConsole: {
    /** Opens a console on a board's serial port (output comes as `serialConsole.data`). */
    open: method(ConsoleOpenArgs, returns<SerialConsoleInfo>()),
    write: method(ConsoleWriteArgs, returns<null>()),
    setBaudRate: method(ConsoleBaudArgs, returns<SerialConsoleInfo>()),
    close: method(PortArgs, returns<null>()),
  },
} as const;

type Contract = typeof contract;
export type ServiceName = keyof Contract;
export type MethodName<S extends ServiceName> = keyof Contract[S] & string;
type SpecOf<S extends ServiceName, M extends MethodName<S>> = Contract[S][M];
export type ArgsOf<S extends ServiceName, M extends MethodName<S>> =
  SpecOf<S, M> extends { args: Schema<infer A> } ? A : never;
export type ResultOf<S extends ServiceName, M extends MethodName<S>> =
  SpecOf<S, M> extends Returns<infer R> ? R : never;

/** Options of one call made by the renderer. */
export interface CallOptions {
  /** Aborting it cancels the call: the host's handler sees its signal fire and the call
   * resolves at once to a `cancelled` error. */
  signal?: AbortSignal;
}

/** What the renderer calls: every method of the table, typed from it. */
export type HostApi = {
  [S in ServiceName]: {
    [M in MethodName<S>]: (
      args: ArgsOf<S, M>,
      opts?: CallOptions,
    ) => Promise<Result<ResultOf<S, M>>>;
  };
};

/** What a handler is given besides its arguments. */
export interface CallContext {
  /** Fires when the caller cancels the call or its connection closes. */
  signal: AbortSignal;
}

/** What the host implements: one handler per method of the table. */
export type HostHandlers = {
  [S in ServiceName]: {
    [M in MethodName<S>]: (
      args: ArgsOf<S, M>,
      ctx: CallContext,
    ) => Promise<Result<ResultOf<S, M>>> | Result<ResultOf<S, M>>;
  };
};

/** "service.method" names, for transports that need one flat string per call. */
export function methodIds(): string[] {
  const ids: string[] = [];
  for (const [service, methods] of Object.entries(contract)) {
    for (const m of Object.keys(methods)) ids.push(`${service}.${m}`);
  }
  return ids;
}

/** Finds the declaration of "service.method", or undefined for an unknown method. */
export function specFor(id: string): MethodSpec<unknown, unknown> | undefined {
  const dot = id.indexOf('.');
  if (dot < 0) return undefined;
  const service = id.slice(0, dot);
  const name = id.slice(dot + 1);
  if (!Object.prototype.hasOwnProperty.call(contract, service)) return undefined;
  const methods = contract[service as ServiceName] as Record<string, MethodSpec<unknown, unknown>>;
  if (!Object.prototype.hasOwnProperty.call(methods, name)) return undefined;
  return methods[name];
}

/** Finds the argument schema for "service.method", or undefined for an unknown method. */
export function schemaFor(id: string): Schema<unknown> | undefined {
  return specFor(id)?.args;
}

/**
 * Builds the typed API from the table over any way of making a call (a transport in the
 * renderer, the dispatcher itself in the host's own command line).
 */
export function createApi(
  call: (method: string, args: unknown, opts?: CallOptions) => Promise<Result<unknown>>,
): HostApi {
  const api: Record<string, Record<string, (args: unknown, opts?: CallOptions) => unknown>> = {};
  for (const [service, methods] of Object.entries(contract)) {
    api[service] = {};
    for (const m of Object.keys(methods)) {
      api[service][m] = (args: unknown, opts?: CallOptions) =>
        call(`${service}.${m}`, args ?? {}, opts);
    }
  }
  return api as unknown as HostApi;
}

// ---------------------------------------------------------------------------------------------
// Build summary and new capsules

/** Bytes used against the bytes available, for one memory of one part of the image. */
export interface Usage {
  used: number;
  /** What the board's layout gives this part (0 = unknown). */
  available: number;
}

export interface BuildSummaryPart {
  /** "kernel" or an app's name. */
  name: string;
  kind: 'kernel' | 'app';
  flash: Usage;
  ram: Usage;
}

/** Flash and RAM use of the last build, against the board's layout (boards/<b>/layout.json). */
export interface BuildSummary {
  board: string;
  parts: BuildSummaryPart[];
  /** Totals of each region (kernel region, apps region) against the layout. */
  regions: { name: string; memory: 'flash' | 'ram'; used: number; size: number }[];
  /** Limits that are near or passed, in words ("kernel flash 91% used (233 of 256 KiB)"). */
  warnings: string[];
  /** Why a part could not be measured (an app image missing, no layout.json). */
  notes: string[];
}

export interface DriverTableEntry {
  number: number;
  /** The capsule module that owns it (`console`, `rng`, ...). */
  capsule: string;
}

export interface DriverTable {
  drivers: DriverTableEntry[];
  /** Board crates whose composition a new capsule is wired into. */
  boards: string[];
  /** Why the table could not be read (the project is not a kernel workspace like ours). */
  problem?: string;
}

export interface CapsulePlanFile {
  path: string;
  action: 'create' | 'modify';
  /** The file's text after the change. */
  content: string;
}

export interface CapsulePlan {
  name: string;
  driverNumber: number;
  files: CapsulePlanFile[];
  /** The app crate that calls the capsule (under apps/). */
  app: string;
}

// ---------------------------------------------------------------------------------------------
// Debug sessions (main/host/debug-service.ts)

export type SessionMode = 'run' | 'debug' | 'attach';
/** Where a session is: running, halted (at a breakpoint, a step, a fault...), or ended. */
export type SessionPhase = 'starting' | 'running' | 'halted' | 'ended';

/** A place in the source. `path` is project-relative when `inProject`, else absolute. */
export interface SourceLocation {
  path: string;
  inProject: boolean;
  line: number;
  column: number;
}

/** A fault in words (ARMv7-M ARM B3.2.15-B3.2.18). */
export interface FaultReport {
  exception: string;
  cfsr: number;
  hfsr: number;
  mmfar: number;
  bfar: number;
  causes: string[];
  /** The faulting instruction (stacked return address). */
  pc: number;
  function: string | null;
  location: SourceLocation | null;
  /** The app whose code faulted, when a process faulted. */
  process: string | null;
  /** The kernel handles it (a process fault): listed, the session goes on. */
  handled: boolean;
  /** Virtual seconds since reset, when known. */
  at: number | null;
}

export type StopReason =
  | 'entry'
  | 'breakpoint'
  | 'step'
  | 'pause'
  | 'fault'
  | 'lockup'
  | 'exit'
  | 'watchpoint'
  | 'bkpt'
  | 'signal';

export interface SessionStop {
  reason: StopReason;
  /** One line for the status bar ("Breakpoint at console.rs:154", "HardFault at 0x..."). */
  description: string;
  pc: number;
  function: string | null;
  location: SourceLocation | null;
  fault?: FaultReport;
  /** The exit status when the program exited. */
  exitCode?: number;
  /** Where a step's time went in the host (Step over/into/out/instruction only). */
  timing?: StepTiming;
}

/**
 * A step's time in the host, for the step latency's split (bench:ide 3a). Epoch stamps (Date.now:
 * the window reads the same clock) and durations in ms.
 */
export interface StepTiming {
  /** The host took the step request. */
  receivedAt: number;
  /** Waiting for the control requests before it (start, stop, step... run one at a time). */
  queuedMs: number;
  /** The step itself: range steps, single steps, temporary breakpoints. */
  stepMs: number;
  /** The target calls the step made, and their round trips summed (the host's wait on them). */
  calls: number;
  callsMs: number;
  /** Messages posted to the emulator worker and the worker's time answering them (instructions
   * run, regions compiled, registers and pages sent); absent for a target in this thread. */
  trips?: number;
  workerMs?: number;
  /** Waiting for stops while the target ran to a temporary breakpoint (over a call). */
  waitMs: number;
  /** The stop's handling: registers, unwind, location, up to the state being sent; and the
   * messages it posted to the emulator worker (registers and pages the unwind read). */
  stopMs: number;
  stopTrips?: number;
  /** The stop's session state was sent toward the window. */
  emittedAt: number;
}

/** What Run and Debug find before starting (session.check). */
export interface BuildCheck {
  /** 'ready': run it; 'missing': no build at all; 'other-board': only another board's build;
   * 'stale': sources were saved after the build. */
  state: 'ready' | 'missing' | 'other-board' | 'stale';
  /** For people: "The last build is for microbit-v2, not nrf52840dk." */
  message: string;
  /** The board the newest build is for, when it is another one. */
  otherBoard?: string;
  /** Files saved after the build (project-relative). */
  staleFiles: string[];
  builtAt: number | null;
}

export interface SessionInfo {
  id: number;
  mode: SessionMode;
  board: string;
  /** 'emulated nRF52840-DK', 'QEMU mps2-an386 gdbstub at 127.0.0.1:1234'. */
  target: string;
  targetKind: 'emulator' | 'gdb-remote';
  phase: SessionPhase;
  stop: SessionStop | null;
  /** Why it ended (worker crash, Stop, exit). */
  ended: string | null;
  /** Files saved after the build this session runs (project-relative). */
  staleFiles: string[];
  /** When the images were built (ms since the epoch). */
  builtAt: number;
  /** Names of the apps in the image. */
  apps: string[];
  /** Source-level debugging is available (the images carry DWARF). */
  sourceLevel: boolean;
  /** Console UART ports the target carries. */
  consoles: number[];
  /** Registers the target cannot read (QEMU 7.2: no M-profile system registers). */
  unavailableRegisters: string[];
  /** The GDB server serving this session's target, when switched on. */
  gdbServer?: GdbServerInfo | null;
}

/** A GDB server on the session (Run and Debug's "GDB server" switch). */
export interface GdbServerInfo {
  /** Always the loopback interface: a debugger port gives full control of the board. */
  host: string;
  port: number;
  /** The kernel ELF GDB loads symbols from (absolute path). */
  elf: string;
  /** Ready to paste: `gdb-multiarch <elf> -ex 'target extended-remote 127.0.0.1:<port>'`. */
  command: string;
  /** A Cortex-Debug `launch.json` configuration attaching to it (servertype "external"). */
  launchJson: string;
  /** GDB clients connected now. */
  clients: number;
}

export interface RegisterValue {
  name: string;
  value: number;
  /** A decoded view (xPSR flags and exception number, CONTROL bits). */
  detail?: string;
  available: boolean;
}

export interface MemoryBlock {
  address: number;
  bytes: Uint8Array;
  /** Region names covering the block (from the machine's memory map). */
  regions: { name: string; kind: string; start: number; size: number }[];
  /** Why some bytes could not be read (unmapped), when they could not. */
  problem?: string;
}

export interface DisassemblyLine {
  address: number;
  /** Raw halfwords as hex ("b510" or "f000 f8a2"). */
  bytes: string;
  text: string;
  /** Symbol and offset ("<capsules::console::...+0x12>") at a function's first instruction or for branches. */
  symbol?: string;
  /** The source line this instruction begins, when it begins one. */
  source?: { location: SourceLocation; text: string };
}

export interface Disassembly {
  lines: DisassemblyLine[];
  /** Why the listing is short (unreadable memory), when it is. */
  problem?: string;
}

export interface StackFrame {
  index: number;
  /** Demangled function name, or the symbol, or the address. */
  function: string;
  pc: number;
  location: SourceLocation | null;
  /** 'kernel' or the app's (process's) name. */
  program: string;
  /** This frame was interrupted by an exception ("SVCall", "SysTick", ...): the boundary is
   * drawn above it. */
  exception?: string;
  /** Words drawn above the frame where the stack changes hands (a process, the scheduler). */
  boundary?: string;
  inlined: boolean;
  /** No source: the panels show disassembly for it. */
  hasSource: boolean;
}

export interface VariableNode {
  name: string;
  /** Rust-style rendering (`Some(3)`, `"hello"`, `[1, 2, 3]`). */
  value: string;
  type: string;
  /** Non-zero when expandable: pass it to `session.children`. */
  ref: number;
  /** A scalar that `session.setVariable` can change (pass `editRef`). */
  editable: boolean;
  editRef?: number;
  /** A number as such (for the hex/decimal toggle). */
  numeric?: { value: string; signed: boolean };
}

export interface VariableScope {
  name: 'Arguments' | 'Locals' | 'Statics';
  variables: VariableNode[];
  /** Not read (the statics unless asked for: `session.variables`' `statics`). */
  unread?: boolean;
}

export interface BreakpointSpec {
  line: number;
  condition?: string;
  hitCondition?: string;
  enabled?: boolean;
}

export interface ResolvedBreakpoint extends BreakpointSpec {
  /** 'verified': armed at `addresses`; 'pending': no session; 'unresolved': see `reason`. */
  status: 'verified' | 'pending' | 'unresolved';
  /** Where it really sits when the line had no code (moved to the next line with code). */
  resolvedLine?: number;
  addresses: number[];
  reason?: string;
  hits: number;
  /** The source file changed after the build the session runs. */
  stale?: boolean;
}

export interface FileBreakpoints {
  path: string;
  breakpoints: ResolvedBreakpoint[];
}

// Boards, serial ports and the Tock bootloader

export interface SerialPortEntry {
  path: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  manufacturer?: string;
  product?: string;
  /** Added by hand (a pseudo-terminal), not found by the listing. */
  manual: boolean;
  /** Why it cannot be opened (permissions, with the fix), when it cannot. */
  problem?: string;
  fix?: string;
  /** The debug probe on the same USB device (matched by serial number), if any. */
  probe?: string;
}

export interface ProbeEntry {
  /** For people: 'SEGGER J-Link OB (nRF52840-DK)'. */
  name: string;
  vendorId: string;
  productId: string;
  serialNumber?: string;
  problem?: string;
  fix?: string;
  /** Serial ports of the same USB device. */
  ports: string[];
}

export interface AttachedBoards {
  probes: ProbeEntry[];
  ports: SerialPortEntry[];
  /** Boards whose Tock bootloader the host knows how to enter and use (the board registry's). */
  bootloaderBoards: { name: string; label: string }[];
  /** Boards the registry knows how to flash and debug through OpenOCD. */
  openocdBoards: { name: string; label: string }[];
  /** What could not be looked at (no probe discovery in this build, sysfs unreadable). */
  notes: string[];
}

export interface BootloaderApp {
  address: number;
  size: number;
  name: string;
  enabled: boolean;
  sticky: boolean;
  padding: boolean;
  /** Fixed flash address of its binary, or null when position independent. */
  fixedFlash: number | null;
}

export interface BootloaderSession {
  path: string;
  board: string;
  /** 'Tock bootloader 1.1.0 on /dev/ttyACM0'. */
  label: string;
  version: string;
  layout: {
    bootloader: [number, number];
    kernel: [number, number];
    apps: [number, number];
  };
  attributes: { index: number; key: string; value: string }[];
  apps: BootloaderApp[];
  /** Why the app walk stopped early, when it did. */
  problem?: string;
}

export interface SerialConsoleInfo {
  path: string;
  baudRate: number;
  /** 'reconnecting': the port went away (the board reset) and is looked for again;
   * 'paused': lent to the bootloader. */
  state: 'open' | 'reconnecting' | 'paused' | 'closed';
  /** Project-relative log file, when the output is kept. */
  logFile?: string;
  message?: string;
}

// ---------------------------------------------------------------------------------------------
// Peripherals (main/host/peripheral-service.ts)

export interface PeripheralsDescription {
  board: string;
  source: 'built-in' | 'user';
  /** The SVD file (repository-relative for the board's own, as given for the person's). */
  path: string | null;
  device: SvdDevice;
  /**
   * Peripherals whose registers came without their fields (a `describe` with `detail`): ask
   * for them with `peripherals.detail` before showing their fields.
   */
  partial?: string[];
  /** Disagreements with the machine (memory map, chip name), each naming the line. */
  warnings: string[];
  /** Implemented NVIC priority bits. */
  priorityBits: number;
}

/** One register's value, or why there is none. */
export interface RegisterReading {
  address: number;
  value: number | null;
  /** Not read on purpose (its read has a side effect, or it is write-only). */
  skipped?: string;
  /** The read failed (a bus error), the target unharmed. */
  error?: string;
}

export interface PinView {
  port: number;
  pin: number;
  output: boolean;
  out: boolean;
  in: boolean;
  /** Peripherals that have the pin ('UARTE0 PSEL.TXD'). */
  functions: string[];
}

export interface BoardView {
  board: string;
  /** The LEDs' `duty` was measured over time (emulator), not only sampled now. */
  live: boolean;
  leds: { name: string; lit: boolean; duty: number; pins: { port: number; pin: number }[] }[];
  /** The LED matrix's shape (micro:bit), null for discrete LEDs. */
  matrix: { rows: number; cols: number } | null;
  buttons: { name: string; pressed: boolean; port: number; pin: number; activeLow: boolean }[];
  pins: PinView[];
}

export interface AccessLogEntry extends AccessRecord {
  peripheral: string | null;
  /** 'UARTE0.TXD.PTR', 'UARTE0+0x5F0', or null outside every peripheral. */
  register: string | null;
  /** Fields with their enumerated names ('ENABLE=Enabled'). */
  decoded: string | null;
  /** Where the PC is in the source (null for the debugger's own accesses). */
  source: AccessLogSource | null;
  /**
   * The first capsule among the callers (the capsule line that asked a chip driver for this
   * access), when the PC is not in a capsule itself and the call chain reaches one.
   */
  caller?: AccessLogSource | null;
}

export interface AccessLogSource {
  path: string | null;
  inProject: boolean;
  line: number;
  column: number;
  function: string | null;
}

/**
 * A page of access-log entries as columns (asked for with `compact`): what the Access Log's
 * window keeps, without an object per entry (access-log-rows.ts writes and reads them).
 */
export interface AccessLogRows {
  count: number;
  /** The columns, little-endian (see access-log-rows.ts). */
  data: Uint8Array;
  /** Peripheral and register names and decodings the rows refer to by index. */
  strings: string[];
  /** Source places (a row's PC and its capsule caller) the rows refer to by index. */
  sources: AccessLogSource[];
}

export interface AccessLogPage {
  on: boolean;
  /** Empty when the page was asked for `compact` (see `rows`). */
  entries: AccessLogEntry[];
  rows?: AccessLogRows;
  next: number;
  missed: number;
  /** A `newest` read: the entries after `since` that passed the filters but were left out. */
  passed?: number;
  frequencyHz: number;
}

// ---------------------------------------------------------------------------------------------
// Events pushed from the host

/** A debug probe found on the USB bus. */
export interface ProbeInfo {
  /** For people: 'DAPLink (BBC micro:bit CMSIS-DAP)'. */
  name: string;
  /** Four lower-case hex digits. */
  vendorId: string;
  productId: string;
  serialNumber?: string;
  kind: 'jlink' | 'stlink' | 'daplink' | 'cmsis-dap-v2' | 'cmsis-dap-v1';
  /** The OpenOCD interface file that drives it ('interface/cmsis-dap.cfg'). */
  openocdInterface: string;
  /** Why it cannot be used now (no permission), and the fix (the udev rule). */
  problem?: string;
  fix?: string;
}

export interface ProbeListing {
  probes: ProbeInfo[];
  /** Why the USB bus could not be read, when it could not (the list is then empty). */
  note?: string;
}

export type FlashPhaseName = 'connect' | 'erase' | 'program' | 'verify' | 'reset' | 'recover';

export interface FlashResult {
  flashId: number;
  board: string;
  /** Bytes written. */
  bytes: number;
  verified: boolean;
  reset: boolean;
  ms: number;
}

export interface HostEvents {
  /** A flash in progress: `done`/`total` in bytes where known (0/0: indeterminate). */
  'flash.progress': {
    flashId: number;
    board: string;
    phase: FlashPhaseName;
    done: number;
    total: number;
    message?: string;
  };
  'build.output': { buildId: number; stream: 'stdout' | 'stderr' | 'host'; line: string };
  'build.progress': { buildId: number; crate: string; done: number; phase: string };
  'build.diagnostics': { buildId: number; diagnostics: Diagnostic[] };
  'build.finished': {
    buildId: number;
    /** The board built (registry name); absent when the host never started the build. */
    board?: string;
    /** The files written, when the build succeeded and said what it wrote. */
    artifacts?: BuildArtifacts;
    status: BuildStatus;
    message: string;
    fix?: string;
    errors: number;
    warnings: number;
    seconds: number;
  };
  /** Sent after a successful build's `build.finished`. */
  'build.summary': { buildId: number; summary: BuildSummary };
  'project.fileChanged': { path: string; kind: 'changed' | 'deleted'; mtimeMs: number };
  /** Something was created, renamed or deleted under these folders ('' = the project root). */
  'project.treeChanged': { folders: string[] };
  /** The session changed phase (started, ran, halted, ended). */
  'session.state': SessionInfo;
  /** Figures while running, a few times a second. */
  'session.stats': {
    id: number;
    instructions: number;
    virtualSeconds: number;
    mips: number;
  };
  /** Bytes the board sent on a console UART (or a stub's output), as they come. */
  'session.console': {
    id: number;
    port: number;
    bytes: Uint8Array;
    source: string;
    /** When the board transmitted the first of these bytes (ms since the epoch), if known. */
    sentAt?: number;
    /** When the emulator worker posted them to the host thread (ms since the epoch), if known. */
    postedAt?: number;
    /** When the host thread took them from the worker's message (ms since the epoch), if known. */
    arrivedAt?: number;
    /** When the host passed them on to the windows (ms since the epoch), with `sentAt`. */
    forwardedAt?: number;
  };
  /** A notice about the target (a firmware mistake the silicon ignores, a stale image). */
  'session.output': { id: number; level: 'info' | 'warning' | 'error'; message: string };
  /** A fault the kernel handled (a process fault), listed without halting. */
  'session.fault': { id: number; fault: FaultReport };
  /** A file's breakpoints changed (resolved at a start, moved, hit). */
  'breakpoints.changed': FileBreakpoints;
  /** The session's instruction breakpoints changed. */
  'breakpoints.instructions': { addresses: number[] };
  /** Probes or serial ports came or went. */
  'boards.changed': AttachedBoards;
  /** Bytes a board printed on the serial console `path`. */
  'serialConsole.data': { path: string; bytes: Uint8Array };
  'serialConsole.status': SerialConsoleInfo;
  /** A bootloader operation's progress on the port `path`. */
  'bootloader.progress': {
    path: string;
    phase: string;
    done: number;
    total: number;
    message?: string;
  };
  /** The kernel's cells (10 Hz while the emulator runs, after `tock.liveCells`). */
  'tock.cells': TockCellsView;
  /** The watched registers, the board and the interrupts (10 Hz while the emulator runs). */
  'peripherals.values': {
    values: RegisterReading[];
    board: BoardView | null;
    interrupts: InterruptRow[];
    /** Present when the connections are watched. */
    connections?: Connections | null;
  };
}

export type HostEventName = keyof HostEvents;
export type { Connections, InterruptRow, SvdDevice, SvdPeripheral };

export interface HostEvent<K extends HostEventName = HostEventName> {
  name: K;
  payload: HostEvents[K];
}

// ---------------------------------------------------------------------------------------------
// Messages shared by both transports (wire.ts frames them for the WebSocket)

export interface CallMessage {
  kind: 'call';
  id: number;
  method: string;
  args: unknown;
}
/** Cancels call `id` of the same connection. */
export interface CancelMessage {
  kind: 'cancel';
  id: number;
}
export interface ReplyMessage {
  kind: 'reply';
  id: number;
  result: Result<unknown>;
}
/** Events in the order the host emitted them; one message carries everything one tick emitted. */
export interface EventsMessage {
  kind: 'events';
  events: HostEvent[];
}
export type WireMessage = CallMessage | CancelMessage | ReplyMessage | EventsMessage;

const badRequest = (message: string): { ok: false; error: HostError } => ({
  ok: false,
  error: { code: 'bad-request', message },
});

/** Checks one incoming renderer message (already decoded from its frame) without trusting it. */
export function parseIncoming(raw: unknown): Result<CallMessage | CancelMessage> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return badRequest('request must be an object');
  const r = raw as Record<string, unknown>;
  if (r.kind !== 'call' && r.kind !== 'cancel')
    return badRequest('request kind must be "call" or "cancel"');
  if (typeof r.id !== 'number' || !Number.isInteger(r.id) || r.id < 0)
    return badRequest('request id must be an integer');
  if (r.kind === 'cancel') return { ok: true, value: { kind: 'cancel', id: r.id } };
  if (typeof r.method !== 'string' || r.method.length > 100)
    return badRequest('request method must be a name');
  return { ok: true, value: { kind: 'call', id: r.id, method: r.method, args: r.args ?? {} } };
}

/** Parses one incoming call frame of JSON text without trusting it. */
export function parseCall(text: string): Result<CallMessage | CancelMessage> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return badRequest('request is not valid JSON');
  }
  return parseIncoming(raw);
}
