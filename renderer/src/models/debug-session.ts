/**
 * The debug-session model: what the window knows of the running session (phase, stop, figures,
 * call stack, registers, variables, watches, faults) and the console's bytes, fed by the host's
 * `session.*` events and refreshed with `session.*` calls at every stop.
 *
 * The model asks for the data the panels show only when the target halts (one round of calls
 * per stop, in parallel); the current line is known from the stop event itself, so the editor
 * moves without waiting for them. A read the host answers 'stale' (a step or continue left its
 * stop first) changes nothing shown: the next stop is read again, and until a stop's own values
 * arrive the last stop's stay, marked as such (`framesAt`, `scopesAt` against `stopSeq`).
 * Registers that changed since the previous stop are marked.
 * Watches are re-evaluated at every stop. The console keeps its bytes outside the snapshot
 * (`ConsoleLog`): output can be megabytes and must not re-render React on every chunk.
 *
 * @example
 *   const session = new DebugSessionModel(host);
 *   await session.step('over');
 *   session.snapshot().session?.stop?.location; // { path: 'capsules/src/console.rs', line: 158 }
 */
import type {
  FaultReport,
  HostError,
  RegisterValue,
  SessionInfo,
  StackFrame,
  VariableNode,
  VariableScope,
} from '../../../main/common/contract';
import type { HostConnection } from '../client';
import { Model } from './model';

export interface Watch {
  expression: string;
  value: VariableNode | null;
  error: string | null;
}

export interface RunFigures {
  instructions: number;
  virtualSeconds: number;
  mips: number;
}

export interface DebugState {
  session: SessionInfo | null;
  stats: RunFigures | null;
  frames: StackFrame[];
  selectedFrame: number;
  registers: RegisterValue[];
  /** Register names whose value changed since the previous stop. */
  changed: string[];
  scopes: VariableScope[];
  watches: Watch[];
  /** Faults the kernel handled (process faults) and the fault that halted the session. */
  faults: FaultReport[];
  /** Notices from the session (diagnostics, program notices, the end's cause). */
  output: { level: 'info' | 'warning' | 'error'; message: string }[];
  /** Show numbers in hexadecimal (Variables, Watch). */
  hex: boolean;
  /** The last request's failure, until the next request. */
  error: HostError | null;
  /** Refreshing the panels after a stop. */
  loading: boolean;
  /** Writes the window made to the target (registers, memory): views read at a halt read again. */
  writes: number;
  /**
   * Counts the stops the window was told of (each halted state): `framesAt` and `scopesAt` say
   * at which one the frames and the variables and watches shown were read. Until a stop's own
   * are read, the last stop's stay shown, marked as such (never as this stop's values).
   */
  stopSeq: number;
  framesAt: number;
  scopesAt: number;
  /** Variables' Statics group is open: the kernel's statics are read at each stop. */
  staticsOpen: boolean;
}

/** A read the host dropped because a step or continue left its stop (it reads the next). */
const isStale = (r: { ok: boolean; error?: HostError } | null | undefined): boolean =>
  !!r && !r.ok && r.error?.code === 'stale';

/**
 * When a console chunk was transmitted by the board (`sentAt`), posted by the emulator worker
 * (`postedAt`) and passed on by the host (`forwardedAt`), epoch ms: output latency's parts.
 */
export interface ConsoleStamps {
  sentAt: number;
  postedAt?: number;
  /** The host thread took them from the worker's message. */
  arrivedAt?: number;
  forwardedAt?: number;
}

/** The console's bytes, outside the snapshot; terminals subscribe to new chunks. */
export class ConsoleLog {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private listeners = new Set<(bytes: Uint8Array, stamps?: ConsoleStamps) => void>();
  private clearListeners = new Set<() => void>();
  /** Kept for save and for a terminal that opens later (older output is dropped first). */
  static readonly MAX_BYTES = 4 * 1024 * 1024;

  /** `stamps`: when the chunk was transmitted and passed on, when the host says. */
  append(bytes: Uint8Array, stamps?: ConsoleStamps): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
    while (this.size > ConsoleLog.MAX_BYTES && this.chunks.length > 1)
      this.size -= this.chunks.shift()!.length;
    for (const l of this.listeners) l(bytes, stamps);
  }

  all(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /** Plain text of the log (ANSI escapes removed), for saving. */
  text(): string {
    // eslint-disable-next-line no-control-regex -- ANSI escape sequences are what is removed
    return new TextDecoder().decode(this.all()).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
    for (const l of this.clearListeners) l();
  }

  onData(listener: (bytes: Uint8Array, stamps?: ConsoleStamps) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onClear(listener: () => void): () => void {
    this.clearListeners.add(listener);
    return () => this.clearListeners.delete(listener);
  }
}

const WATCH_KEY = 'capsule.watches';

export interface WatchStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The label of a session's state for the status bar and the toolbar. */
export function describeSession(s: SessionInfo | null, stats: RunFigures | null): string {
  if (!s) return 'No session';
  const what = s.mode === 'attach' ? `QEMU ${s.board}` : s.board;
  switch (s.phase) {
    case 'starting':
      return `Starting ${what}…`;
    case 'running': {
      if (!stats) return `Running ${what}`;
      return `Running ${what} · ${stats.virtualSeconds.toFixed(1)} s · ${stats.mips.toFixed(1)} MIPS`;
    }
    case 'halted': {
      const stop = s.stop;
      if (!stop) return `Halted (${what})`;
      if (stop.reason === 'fault') return `Faulted: ${stop.description}`;
      if (stop.reason === 'lockup') return `Locked up: ${stop.description}`;
      if (stop.reason === 'exit') return `Exited (status ${stop.exitCode ?? '?'})`;
      const where = stop.location
        ? `${stop.location.path.split('/').pop()}:${stop.location.line}`
        : (stop.function ?? `0x${stop.pc.toString(16)}`);
      return `Halted at ${where}`;
    }
    case 'ended':
      return s.ended ? `Session ended: ${s.ended}` : 'Session ended';
  }
}

/**
 * What a stop's views show beyond its call stack (always read: the editor's line comes from it):
 * each is read at a stop only while a view shows it (`show`), and when one is shown later.
 */
export type StopPart = 'registers' | 'variables' | 'watches';

export class DebugSessionModel extends Model<DebugState> {
  readonly console = new ConsoleLog();
  private previous = new Map<string, number>();
  private refreshing = 0;
  private stackListeners = new Set<(frames: StackFrame[]) => void>();
  /** Who shows each part now (`show`). */
  private readonly viewers = new Map<StopPart, Set<string>>();
  /** The parts asked for at this stop (variables and watches: in the selected frame). */
  private readonly asked = new Set<StopPart>();
  /** A stop's stack is being read (its frame's variables and watches are read after it). */
  private stackPending = false;

  constructor(
    private readonly host: HostConnection,
    private readonly store: WatchStore | null = null,
  ) {
    super({
      session: null,
      stats: null,
      frames: [],
      selectedFrame: 0,
      registers: [],
      changed: [],
      scopes: [],
      watches: DebugSessionModel.loadWatches(store),
      faults: [],
      output: [],
      hex: false,
      error: null,
      loading: false,
      writes: 0,
      stopSeq: 0,
      framesAt: 0,
      scopesAt: 0,
      staticsOpen: false,
    });
    host.onEvent('session.state', (s) => this.onState(s));
    host.onEvent('session.stats', (e) => {
      if (e.id === this.state.session?.id)
        this.set({
          stats: { instructions: e.instructions, virtualSeconds: e.virtualSeconds, mips: e.mips },
        });
    });
    host.onEvent('session.console', (e) =>
      this.console.append(
        e.bytes,
        e.sentAt === undefined
          ? undefined
          : {
              sentAt: e.sentAt,
              ...(e.postedAt !== undefined ? { postedAt: e.postedAt } : {}),
              ...(e.arrivedAt !== undefined ? { arrivedAt: e.arrivedAt } : {}),
              ...(e.forwardedAt !== undefined ? { forwardedAt: e.forwardedAt } : {}),
            },
      ),
    );
    host.onEvent('session.output', (e) =>
      this.set({
        output: [...this.state.output.slice(-199), { level: e.level, message: e.message }],
      }),
    );
    host.onEvent('session.fault', (e) => this.set({ faults: [...this.state.faults, e.fault] }));
  }

  private static loadWatches(store: WatchStore | null): Watch[] {
    try {
      const raw = JSON.parse(store?.getItem(WATCH_KEY) ?? '[]') as unknown;
      return Array.isArray(raw)
        ? raw
            .filter((e): e is string => typeof e === 'string')
            .map((expression) => ({ expression, value: null, error: null }))
        : [];
    } catch {
      return [];
    }
  }

  /** A window that opened (or reloaded) while a session runs picks it up. */
  async load(): Promise<void> {
    const r = await this.host.api.session.status({});
    if (r.ok && r.value) this.onState(r.value);
  }

  get active(): boolean {
    const p = this.state.session?.phase;
    return p === 'starting' || p === 'running' || p === 'halted';
  }

  get halted(): boolean {
    return this.state.session?.phase === 'halted';
  }

  private onState(s: SessionInfo): void {
    const previous = this.state.session;
    const fresh = !previous || previous.id !== s.id;
    if (fresh) {
      this.previous.clear();
      this.console.clear();
      this.set({
        session: s,
        stats: null,
        frames: [],
        registers: [],
        changed: [],
        scopes: [],
        faults: [],
        output: [],
        selectedFrame: 0,
      });
    } else this.set({ session: s });
    if (s.phase === 'halted') {
      if (s.stop?.fault) this.set({ faults: [...this.state.faults, s.stop.fault] });
      this.set({ stopSeq: this.state.stopSeq + 1 });
      void this.refresh();
    }
    if (s.phase === 'ended' && s.ended)
      this.set({
        output: [...this.state.output, { level: 'info', message: `Session ended: ${s.ended}` }],
      });
  }

  /**
   * A view showing `part` appeared (`on`) or went; `by` names it. A part no view shows is not
   * read at a stop (each read costs the host thread that serves the next step); shown at a stop
   * it was not read at, it is read then.
   */
  show(part: StopPart, by: string, on: boolean): void {
    let v = this.viewers.get(part);
    if (!v) this.viewers.set(part, (v = new Set()));
    if (on) v.add(by);
    else v.delete(by);
    if (!on || !this.halted || this.asked.has(part)) return;
    if (part === 'registers') void this.readRegisters(this.refreshing);
    // While the stop's stack is read, its frame's reading (next) takes what is shown then.
    else if (!this.stackPending)
      void this.loadFrame(this.state.selectedFrame, this.refreshing, false);
  }

  /** Some view shows `part`. */
  shows(part: StopPart): boolean {
    return (this.viewers.get(part)?.size ?? 0) > 0;
  }

  /** Reads the stop's stack, and the registers, variables and watches views show. */
  async refresh(): Promise<void> {
    const ticket = ++this.refreshing;
    this.asked.clear();
    this.stackPending = true;
    // Not read at this stop: nothing of the last one is shown as this one's.
    if (!this.shows('registers')) this.set({ registers: [], changed: [] });
    this.set({ loading: true });
    const [stack] = await Promise.all([
      this.host.api.session.stack({}),
      this.shows('registers') ? this.readRegisters(ticket) : null,
    ]);
    // Stale: a step left the stop meanwhile; its own stop reads again (what is shown stays).
    if (ticket !== this.refreshing || isStale(stack)) return;
    this.stackPending = false;
    const frames = stack.ok ? stack.value : [];
    this.set({ frames, selectedFrame: 0, framesAt: this.state.stopSeq });
    for (const l of this.stackListeners) l(frames);
    await this.loadFrame(0, ticket);
  }

  /** The registers, and which changed since they were read last. */
  private async readRegisters(ticket: number): Promise<void> {
    this.asked.add('registers');
    const regs = await this.host.api.session.registers({});
    if (ticket !== this.refreshing || isStale(regs)) return;
    const registers = regs.ok ? regs.value : [];
    const changed = registers
      .filter((r) => this.previous.has(r.name) && this.previous.get(r.name) !== r.value)
      .map((r) => r.name);
    this.previous = new Map(registers.map((r) => [r.name, r.value]));
    this.set({ registers, changed });
  }

  /** Called with each stop's call stack once it is read (the studio reads sources ahead then). */
  onStack(listener: (frames: StackFrame[]) => void): () => void {
    this.stackListeners.add(listener);
    return () => this.stackListeners.delete(listener);
  }

  /**
   * The frame's variables and watches that views show. `fresh` (a new stop, another frame, a
   * watch added): all those, and the parts not shown are emptied (not read here); else only the
   * parts shown and not read yet (a view shown at this stop).
   */
  private async loadFrame(frame: number, ticket = this.refreshing, fresh = true): Promise<void> {
    const api = this.host.api.session;
    const variables = this.shows('variables') && (fresh || !this.asked.has('variables'));
    const watching = this.shows('watches') && (fresh || !this.asked.has('watches'));
    if (fresh) {
      this.asked.delete('variables');
      this.asked.delete('watches');
    }
    if (variables) this.asked.add('variables');
    if (watching) this.asked.add('watches');
    this.set({ loading: true });
    const listed = this.state.watches;
    const [vars, ...watches] = await Promise.all([
      variables ? api.variables({ frame, statics: this.state.staticsOpen }) : null,
      ...(watching ? listed.map((w) => api.evaluate({ expression: w.expression, frame })) : []),
    ]);
    if (ticket !== this.refreshing || frame !== this.state.selectedFrame) return;
    // Stale: a step left the stop meanwhile; its own stop reads again (what is shown stays).
    if (isStale(vars) || watches.some(isStale)) return;
    const update: Partial<DebugState> = { loading: false, scopesAt: this.state.stopSeq };
    if (vars !== null) {
      update.scopes = vars.ok ? vars.value : [];
      update.error = vars.ok ? null : vars.error;
    } else if (fresh) update.scopes = [];
    if (watching || fresh)
      // A watch added meanwhile is read by its own call (addWatch).
      update.watches = this.state.watches.map((w) => {
        const r = watching ? watches[listed.indexOf(w)] : undefined;
        if (r === undefined) return { ...w, value: null, error: null };
        return r.ok
          ? { ...w, value: r.value, error: null }
          : { ...w, value: null, error: r.error.message };
      });
    this.set(update);
  }

  async selectFrame(index: number): Promise<StackFrame | null> {
    const f = this.state.frames[index];
    if (!f) return null;
    this.set({ selectedFrame: index });
    await this.loadFrame(index);
    return f;
  }

  async children(ref: number): Promise<VariableNode[]> {
    const r = await this.host.api.session.children({ ref });
    return r.ok ? r.value : [];
  }

  toggleHex(): void {
    this.set({ hex: !this.state.hex });
  }

  /**
   * Opens or closes Variables' Statics group. Open, the kernel's statics are read with the
   * frame's variables at each stop (now, when halted); closed, they are not read at all.
   */
  async openStatics(open: boolean): Promise<void> {
    if (open === this.state.staticsOpen) return;
    this.set({ staticsOpen: open });
    if (!open || !this.halted || this.stackPending || !this.shows('variables')) return;
    const ticket = this.refreshing;
    const frame = this.state.selectedFrame;
    const r = await this.host.api.session.variables({ frame, statics: true });
    if (ticket !== this.refreshing || frame !== this.state.selectedFrame || !r.ok) return;
    const statics = r.value.find((v) => v.name === 'Statics');
    if (statics)
      this.set({
        scopes: this.state.scopes.map((v) => (v.name === 'Statics' ? statics : v)),
      });
  }

  private saveWatches(): void {
    this.store?.setItem(WATCH_KEY, JSON.stringify(this.state.watches.map((w) => w.expression)));
  }

  async addWatch(expression: string): Promise<void> {
    const e = expression.trim();
    if (!e) return;
    this.set({ watches: [...this.state.watches, { expression: e, value: null, error: null }] });
    this.saveWatches();
    if (this.halted) await this.loadFrame(this.state.selectedFrame);
  }

  removeWatch(index: number): void {
    this.set({ watches: this.state.watches.filter((_, i) => i !== index) });
    this.saveWatches();
  }

  // -------------------------------------------------------------------------------------------
  // Control (each resolves to the host's error, or null)

  /** Control requests (step, continue, ...) sent and not answered yet. */
  private controlling = 0;

  /** A control request is on its way: work that can wait (reading ahead) waits. */
  get controlPending(): boolean {
    return this.controlling > 0;
  }

  private async control<T>(
    call: Promise<{ ok: true; value: T } | { ok: false; error: HostError }>,
  ): Promise<HostError | null> {
    this.controlling++;
    const r = await call.finally(() => this.controlling--);
    this.set({ error: r.ok ? null : r.error });
    return r.ok ? null : r.error;
  }

  start(mode: 'run' | 'debug', board: string, apps?: string[]): Promise<HostError | null> {
    return this.control(
      this.host.api.session.start(apps ? { mode, board, apps } : { mode, board }),
    );
  }

  attachQemu(board: string): Promise<HostError | null> {
    return this.control(this.host.api.session.attach({ kind: 'qemu', board }));
  }

  /** Attach to a board through OpenOCD: a probe (by USB serial) or the emulated board's port. */
  attachOpenocd(
    board: string,
    via: { probeSerial?: string; emulatorPort?: number },
  ): Promise<HostError | null> {
    return this.control(this.host.api.session.attach({ kind: 'openocd', board, ...via }));
  }

  stop(): Promise<HostError | null> {
    return this.control(this.host.api.session.stop({}));
  }

  restart(): Promise<HostError | null> {
    return this.control(this.host.api.session.restart({}));
  }

  pause(): Promise<HostError | null> {
    return this.control(this.host.api.session.pause({}));
  }

  resume(): Promise<HostError | null> {
    return this.control(this.host.api.session.resume({}));
  }

  step(kind: 'instruction' | 'over' | 'into' | 'out'): Promise<HostError | null> {
    return this.control(this.host.api.session.step({ kind }));
  }

  runToCursor(path: string, line: number): Promise<HostError | null> {
    return this.control(this.host.api.session.runToCursor({ path, line }));
  }

  async setRegister(name: string, value: number): Promise<HostError | null> {
    const e = await this.control(this.host.api.session.writeRegister({ name, value }));
    if (!e) {
      this.wroteTarget();
      await this.refresh();
    }
    return e;
  }

  /** A panel wrote the target's memory or registers: the views read at this halt read again. */
  wroteTarget(): void {
    this.set({ writes: this.state.writes + 1 });
  }

  /** The "GDB server" switch: serve the session to GDB on 127.0.0.1:`port`, or stop. */
  gdbServer(on: boolean, port: number): Promise<HostError | null> {
    return this.control(this.host.api.session.gdbServer({ on, port }));
  }

  input(text: string | Uint8Array): Promise<HostError | null> {
    const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    return this.control(this.host.api.session.consoleInput({ bytes }));
  }
}
