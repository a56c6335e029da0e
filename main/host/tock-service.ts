/**
 * The host's Tock views service: the kernel's cells and the EasyDMA channels of the board the
 * debug session runs, read at a stop (or live on the emulator, whose reads are side-effect
 * free), from the models in emulator/debug/tock (cells.ts, dma.ts) over the session's
 * `DebugTarget` and the kernel ELF's DWARF.
 *
 * The kernel's DWARF is loaded once per kernel image; the cells model lives as long as the
 * session (it remembers which cells it saw full, so an empty one reads "taken", and who held a
 * buffer the DMA now moves). Each failure is a sentence the panel shows as it is: no session,
 * a kernel without debug information or without the anchor, a target without EasyDMA state.
 *
 * @example
 *   const tock = new TockService(() => ({ target: debug.target, kernel: debug.images?.files[0] }));
 *   const cells = await tock.cells(); // Result<TockCellsView>
 */
import type { DebugTarget } from '../../emulator/debug/target';
import type { Result } from '../../emulator/core/result';
import { CellHistory } from '../../emulator/debug/tock/cell-history';
import { CellsModel, type CellRecord } from '../../emulator/debug/tock/cells';
import { describeOwner, dmaView } from '../../emulator/debug/tock/dma';
import { explainProcessFault } from '../../emulator/debug/tock/fault';
import { grantContents, grantOwners, type GrantOwner } from '../../emulator/debug/tock/grants';
import {
  ProcessTable,
  withLiveCore,
  type ProcessRecord,
} from '../../emulator/debug/tock/processes';
import { loadedFor, readLiveMpu } from '../../emulator/debug/tock/processes-mpu';
import { anchorNote, driverName, processesView } from '../../emulator/debug/tock/processes-view';
import type { RecorderReply, SyscallStack } from '../../emulator/debug/tock/recorder';
import { cachedMemory, DebugInfo, type ReadMemory } from '../../emulator/formats/dwarf/index';
import {
  enableKernelTrace,
  Timeline,
  type TimelineEvent,
  type TimelineProcess,
} from '../../emulator/debug/tock/timeline';
import {
  TIMELINE_EVENTS_SHOWN,
  type TockCell,
  type TockCellsView,
  type TockDmaView,
  type TockGrant,
  type TockProcessActionArgs,
  type TockProcessActionResult,
  type TockProcessesView,
  type TockTimelineEvent,
  type TockTimelineView,
} from '../common/tock-views.js';

export interface TockSession {
  target: DebugTarget | null;
  /** The kernel ELF the session runs. */
  kernel: { name: string; bytes: Uint8Array } | null | undefined;
  /** The source line of an address (kernel or app), for the fault explainer's jump. */
  lineAt?: (pc: number) => { path: string; line: number; inProject: boolean } | null;
  /** True while the session is halted (a debugger may write the kernel's memory). */
  halted?: boolean;
  /** Bytes to the kernel's console (its process console reads them). */
  consoleInput?: (bytes: Uint8Array) => Promise<Plain<null>>;
  /** The apps the session loaded (lanes when the process table cannot be read). */
  apps?: readonly { name: string; ram: number | null; inImage?: boolean }[];
  /** Where a struct's field is declared (main/host/tock-decl.ts), for the editor. */
  declaration?: (owner: string, field: string) => TockCell['decl'];
  /**
   * The stop the session is halted at (a new object at each stop), null while running: the
   * process table and the cell walk are read once per stop and shared by the views.
   */
  stop?: object | null;
}

/** Events the host keeps for one recording (the oldest go first beyond it). */
const TIMELINE_KEPT = 200_000;
/** Records fetched per recorder round trip. */
const FETCH_MAX = 65_536;
/**
 * The newest events of each lane kept in the view even when busier lanes fill its window: a
 * quiet process's last system calls (hello's one write at boot) stay visible while the fuzzer's
 * thousands of calls scroll past.
 */
const LANE_FLOOR = 64;

/** The recording of one session's target. */
interface Recording {
  target: DebugTarget;
  timeline: Timeline;
  on: boolean;
  notes: string[];
}

const sourceOf = (
  l: { path: string; line: number; inProject: boolean } | null,
): { path: string; line: number; inProject: boolean } | null =>
  l && { path: l.path, line: l.line, inProject: l.inProject };

type Plain<T> = { ok: true; value: T } | { ok: false; error: string };

const hexBytes = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

export class TockService {
  private loaded: {
    bytes: Uint8Array;
    target: DebugTarget;
    model: Plain<CellsModel>;
    info: DebugInfo | null;
    table: Plain<ProcessTable>;
  } | null = null;

  private recording: Recording | null = null;
  /** The processes' names by where they are (`ProcessTable.slots`), for one target. */
  private processNames: { target: DebugTarget; names: Map<string, string> } | null = null;
  /** The view of each timeline event written out (`Timeline.shown` reuses unchanged ones). */
  private viewEvents = new WeakMap<TimelineEvent, TockTimelineEvent>();
  /** The cells' occupancy history of one target. */
  private history: { target: DebugTarget; h: CellHistory } | null = null;
  /** Each cell's last occupancy and the cycle it changed at, by address (for one target). */
  private changes = {
    target: null as DebugTarget | null,
    by: new Map<number, { occupancy: string; at: number | null }>(),
  };
  private stopLive: (() => void) | null = null;
  /** What was read at the current stop (the views share it until the target runs again). */
  private atStop: {
    stop: object;
    target: DebugTarget;
    table?: Promise<Plain<ProcessRecord[]>>;
    walk?: Promise<Awaited<ReturnType<CellsModel['read']>>>;
  } | null = null;

  constructor(private readonly session: () => TockSession) {}

  private model(): Plain<{
    target: DebugTarget;
    cells: Plain<CellsModel>;
    info: DebugInfo | null;
  }> {
    const s = this.session();
    if (!s.target) return { ok: false, error: 'No debug session: start one with Run or Debug.' };
    if (!s.kernel) return { ok: false, error: 'The session has no kernel image.' };
    if (!this.loaded || this.loaded.bytes !== s.kernel.bytes || this.loaded.target !== s.target) {
      const info = DebugInfo.load(s.kernel.bytes, { name: s.kernel.name });
      const model: Plain<CellsModel> = info.ok
        ? CellsModel.fromDebugInfo(info.value)
        : { ok: false, error: `The kernel's debug information cannot be read: ${info.error}` };
      this.loaded = {
        bytes: s.kernel.bytes,
        target: s.target,
        model,
        info: info.ok ? info.value : null,
        table: info.ok
          ? ProcessTable.fromDebugInfo(info.value)
          : { ok: false, error: `The kernel's debug information cannot be read: ${info.error}` },
      };
    }
    return {
      ok: true,
      value: { target: this.loaded.target, cells: this.loaded.model, info: this.loaded.info },
    };
  }

  /** Once per stop (`read` again while running): the same answer for every view of the stop. */
  private perStop<K extends 'table' | 'walk'>(
    target: DebugTarget,
    key: K,
    read: () => NonNullable<NonNullable<TockService['atStop']>[K]>,
  ): NonNullable<NonNullable<TockService['atStop']>[K]> {
    const stop = this.session().stop ?? null;
    if (!stop) return read();
    if (this.atStop?.stop !== stop || this.atStop.target !== target) this.atStop = { stop, target };
    const cache = this.atStop as Record<K, ReturnType<typeof read> | undefined>;
    return (cache[key] ??= read());
  }

  /**
   * The process table with the on-CPU process's registers from the live core (its saved
   * context is stale: processes.ts `withLiveCore`), read once per stop.
   */
  private records(target: DebugTarget, table: ProcessTable): Promise<Plain<ProcessRecord[]>> {
    return this.perStop(target, 'table', async () => {
      const mem = cachedMemory((a, n) => target.readMemory(a, n));
      const r = await table.read(mem);
      if (!r.ok) return r;
      const core = await target.readRegisters();
      if (core.ok) await withLiveCore(r.value, core.value, mem);
      return r;
    });
  }

  /**
   * The cells as a full walk from the anchor finds them, once per stop: the walk itself only
   * when what it followed last time changed (`CellsModel.atStop`), else the cells' words alone.
   */
  private walk(target: DebugTarget, model: CellsModel): ReturnType<CellsModel['read']> {
    return this.perStop(target, 'walk', () => model.atStop((a, n) => target.readMemory(a, n)));
  }

  /** Every process with its counters, memory map, MPU regions and its last fault explained. */
  async processes(): Promise<Plain<TockProcessesView>> {
    const m = this.model();
    if (!m.ok) return m;
    const loaded = this.loaded!;
    if (!loaded.info) return loaded.table as { ok: false; error: string };
    if (!loaded.table.ok) return loaded.table;
    const t = m.value.target;
    const mem = cachedMemory((a, n) => t.readMemory(a, n));
    const records = await this.records(t, loaded.table.value);
    if (!records.ok)
      return { ok: false, error: `The process table cannot be read: ${records.error}` };
    const r = await processesView(loaded.info, loaded.table.value, mem, records.value);
    if (!r.ok) return { ok: false, error: `The process table cannot be read: ${r.error}` };
    const notes: string[] = [];
    const anchor = await anchorNote(loaded.info, mem);
    if (anchor) notes.push(anchor);
    const missing = new Set(r.value.flatMap((p) => p.missing));
    if (missing.size > 0) notes.push(`Not recorded by this kernel: ${[...missing].join(', ')}.`);
    const owners = await grantOwners(loaded.info, mem);
    if (!owners.ok) notes.push(owners.error);
    else notes.push(...owners.value.notes);
    const byNumber = new Map((owners.ok ? owners.value.owners : []).map((o) => [o.number, o]));
    const grants = new Map<number, TockGrant[]>();
    for (const p of r.value)
      grants.set(
        p.slot,
        await Promise.all(
          p.memory.grants.map((g) => this.grant(loaded.info!, byNumber.get(g.number), g, mem)),
        ),
      );
    const marks = await this.stackMarks(t, r.value);
    const session = this.session();
    const lineAt = session.lineAt;
    // The live registers need RNR written: only while halted.
    const live = session.halted
      ? await readLiveMpu(t)
      : { ok: false as const, error: 'the live MPU registers are read at a halt' };
    const plainRegion = ({
      rbar: _b,
      rasr: _r,
      ...region
    }: (typeof r.value)[number]['mpu'][number]) => region;
    return {
      ok: true,
      value: {
        liveMpu: live.ok
          ? {
              enabled: live.value.enabled,
              privilegedDefault: live.value.privilegedDefault,
              regions: live.value.regions.map(plainRegion),
              loadedFor: loadedFor(live.value.regions, r.value),
            }
          : null,
        liveMpuProblem: live.ok ? null : live.error,
        notes,
        processes: r.value.map((p) => {
          const explained = explainProcessFault(p, r.value, t.description.memoryMap);
          return {
            slot: p.slot,
            id: p.id,
            name: p.name,
            state: p.state,
            onCpu: p.onCpu === true,
            stackMark: marks(p.slot),
            ...p.counters,
            lastSyscall: p.lastSyscall,
            policy: p.policy,
            memory: p.memory,
            mpu: p.mpu.map(plainRegion),
            grants: grants.get(p.slot) ?? [],
            subscriptions: p.tables.subscriptions.map((x) => ({
              ...x,
              driver: driverName(x.driver),
            })),
            allows: p.tables.allows.map((x) => ({ ...x, driver: driverName(x.driver) })),
            upcalls: p.tables.upcalls.map((x) => ({ ...x, driver: driverName(x.driver) })),
            fault: explained && {
              ...explained,
              source: sourceOf(lineAt?.(explained.pc) ?? null),
            },
            missing: p.missing,
          };
        }),
      },
    };
  }

  /**
   * Each process's stack high-water mark. On the emulator: the lowest process-stack frame the
   * recorder saw at exception entries (recorder.ts `stacks`) since the view first asked, a lower
   * bound of the true depth. Elsewhere none: finding it without the emulator would need the
   * stack painted with a pattern at the process's start, which this kernel does not do.
   */
  private async stackMarks(
    t: DebugTarget,
    procs: { slot: number; id: number; ram: { start: number; end: number } }[],
  ): Promise<(slot: number) => { lowest: number | null; source: string }> {
    if (!t.recorder)
      return () => ({
        lowest: null,
        source:
          'not known on this target: the emulator records it (the kernel does not paint stacks)',
      });
    const r = await t.recorder({
      op: 'stacks',
      ranges: procs.map((p) => ({ ...p.ram, id: p.id })),
    });
    if (!r.ok || r.value.op !== 'stacks') {
      const error = r.ok ? 'unexpected recorder reply' : r.error;
      return () => ({ lowest: null, source: `the emulator could not say: ${error}` });
    }
    const lowest = r.value.lowest;
    return (slot) => {
      const i = procs.findIndex((p) => p.slot === slot);
      const at = i < 0 ? null : (lowest[i] ?? null);
      return {
        lowest: at,
        source:
          at === null
            ? 'no exception taken from its stack since the emulator started watching (at the first read of this view)'
            : 'lowest process stack pointer at an exception entry (emulator), since the first read of this view',
      };
    };
  }

  /** One allocated grant: its owner (by number) and its contents read as `T`. */
  private async grant(
    info: DebugInfo,
    owner: GrantOwner | undefined,
    g: { number: number; address: number },
    mem: ReadMemory,
  ): Promise<TockGrant> {
    const base = { number: g.number, address: g.address };
    if (!owner)
      return {
        ...base,
        capsule: null,
        path: null,
        driver: null,
        typeName: null,
        size: null,
        fields: [],
        problem: `no capsule reachable from the board holds grant ${g.number}`,
      };
    const fields = await grantContents(info, owner, g.address, mem);
    return {
      ...base,
      capsule: owner.capsule,
      path: owner.path,
      driver: owner.driver === null ? null : driverName(owner.driver),
      typeName: owner.typeName,
      size: owner.size,
      fields: fields.ok ? fields.value : [],
      problem: fields.ok ? null : fields.error,
    };
  }

  /**
   * Acts on a process. Stop, and start of a live process, are the `stopped` flag alone (all the
   * kernel's process console does for them): written at once while halted. Fault, terminate,
   * restart and start of an ended process run kernel code (fault policy, grants and upcalls
   * freed, memory reset), which a memory write cannot do exactly: they are the process
   * console's commands, sent to the kernel's console, carried out when the target runs.
   */
  async processAction(a: TockProcessActionArgs): Promise<Plain<TockProcessActionResult>> {
    const m = this.model();
    if (!m.ok) return m;
    const loaded = this.loaded!;
    if (!loaded.table.ok) return loaded.table;
    const t = m.value.target;
    const procs = await this.records(t, loaded.table.value);
    if (!procs.ok) return { ok: false, error: `The process table cannot be read: ${procs.error}` };
    const p = procs.value.find((x) => x.slot === a.slot);
    if (!p || p.id !== a.id)
      return {
        ok: false,
        error: `Slot ${a.slot} no longer holds that process (it ended or restarted): read the view again.`,
      };
    const ended = p.state === 'Faulted' || p.state === 'Terminated';
    const s = this.session();
    if ((a.action === 'stop' || (a.action === 'start' && !ended)) && s.halted) {
      const w = await t.writeMemory(
        loaded.table.value.stoppedAddress(p.address),
        Uint8Array.of(a.action === 'stop' ? 1 : 0),
      );
      // What this stop's views read is out of date now.
      this.targetWritten();
      if (!w.ok) return { ok: false, error: `Cannot write ${p.name}'s stopped flag: ${w.error}` };
      return {
        ok: true,
        value: {
          message: `${p.name} ${a.action === 'stop' ? 'stopped' : 'resumed'}: its stopped flag written while halted.`,
          whenRunning: false,
        },
      };
    }
    const commands: Record<TockProcessActionArgs['action'], string[]> = {
      stop: ['stop'],
      start: ['start'],
      fault: ['fault'],
      terminate: ['terminate'],
      restart: ended ? ['start'] : ['terminate', 'start'],
    };
    if (!s.consoleInput) return { ok: false, error: 'This session has no console to send to.' };
    const text = commands[a.action].map((c) => `${c} ${p.slot}\r`).join('');
    const sent = await s.consoleInput(new TextEncoder().encode(text));
    if (!sent.ok) return sent;
    return {
      ok: true,
      value: {
        message: `Sent "${text.replace(/\r/g, '; ').replace(/; $/, '')}" to the process console${s.halted ? ': the kernel carries it out when the target continues' : ''}.`,
        whenRunning: !!s.halted,
      },
    };
  }

  /**
   * The cells now: a full walk from the anchor (`live` false: at a halt, on demand), or a re-read
   * of the cells the last walk found (`live`: ten times a second while the emulator runs).
   */
  async cells(live = false): Promise<Plain<TockCellsView>> {
    const m = this.model();
    if (!m.ok) return m;
    if (!m.value.cells.ok) return m.value.cells;
    const t = m.value.target;
    const model = m.value.cells.value;
    // Everything a refresh needs from the target is asked for in this one turn (the cells'
    // bytes, the history's new stores, the EasyDMA channels): a running worker answers calls
    // made together in one trip (target-rpc's batch), and each trip waits for a slice boundary,
    // which at load is most of a refresh's time. The history's chunk also carries the
    // machine's time; without a history yet, an empty fetch asks for it.
    const recorder = t.recorder;
    const history0 = recorder && this.history?.target === t ? this.history.h : null;
    const firstFetch = recorder
      ? recorder({
          op: 'fetch',
          since: history0 ? history0.cursor : Number.MAX_SAFE_INTEGER,
          max: history0 ? FETCH_MAX : 0,
        })
      : null;
    const dmaAsked = recorder ? recorder({ op: 'dma' }) : null;
    const r = live ? await model.refresh((a, n) => t.readMemory(a, n)) : await this.walk(t, model);
    if (!r.ok) return r;
    const history = await this.cellHistory(
      t,
      model,
      r.value.cells,
      live,
      history0 ? firstFetch : null,
    );
    // The machine's time and the EasyDMA channels (emulator): when each cell changed, and
    // where a buffer a cell gave up went.
    let now: number | null = null;
    let frequencyHz: number | null = null;
    const reasons = new Map<number, string>();
    if (firstFetch && dmaAsked) {
      const [chunk, dma] = await Promise.all([firstFetch, dmaAsked]);
      if (chunk.ok && chunk.value.op === 'chunk') {
        now = chunk.value.chunk.now; // the instant the cells were read at (same batch)
        frequencyHz = chunk.value.chunk.frequencyHz;
      }
      if (dma.ok && dma.value.op === 'dma')
        for (const ch of dma.value.channels) {
          if (ch.state === 'idle') continue;
          for (const holder of model.formerHolders(ch.ptr, r.value.cells))
            reasons.set(holder.address, `${ch.peripheral} ${ch.channel} ${ch.state}`);
        }
    }
    if (this.changes.target !== t) this.changes = { target: t, by: new Map() };
    const declaration = this.session().declaration;
    return {
      ok: true,
      value: {
        cells: r.value.cells.map((c) => {
          const owner = c.owner.split('<')[0]!;
          const before = this.changes.by.get(c.address);
          const at =
            before === undefined ? null : before.occupancy === c.occupancy ? before.at : now;
          this.changes.by.set(c.address, { occupancy: c.occupancy, at });
          return {
            ...c,
            owner,
            decl: declaration?.(owner, c.field) ?? null,
            changedAt: at,
            history: history?.of(c.address) ?? null,
            reason: c.occupancy === 'present' ? null : (reasons.get(c.address) ?? null),
          };
        }),
        notes: history?.unknown
          ? [...r.value.notes, `${history.unknown} cell writes were for cells no longer watched.`]
          : r.value.notes,
        anchorVersion: r.value.anchorVersion,
        now,
        frequencyHz,
        historySince: history?.since ?? null,
      },
    };
  }

  /**
   * The cells' occupancy history (emulator: the recorder's write observers on every cell). At a
   * halt (`live` false) the watched set follows the walk's cells and the copies are read again;
   * at every reading the stores recorded since are applied. Null: the target has no recorder.
   */
  private async cellHistory(
    t: DebugTarget,
    model: CellsModel,
    cells: readonly CellRecord[],
    live: boolean,
    asked: Promise<Result<RecorderReply>> | null,
  ): Promise<CellHistory | null> {
    const recorder = t.recorder;
    if (!recorder) return null;
    if (this.history?.target !== t)
      this.history = {
        target: t,
        h: new CellHistory((a, b) => model.occupancyOf(a, b)),
      };
    const h = this.history.h;
    // `asked`: the first fetch, made by the caller together with its other reads.
    const pending = async (): Promise<number | null> => {
      for (let first = asked; ; first = null) {
        const f = await (first ?? recorder({ op: 'fetch', since: h.cursor, max: FETCH_MAX }));
        if (!f.ok || f.value.op !== 'chunk') return null;
        await h.add(f.value.chunk);
        if (f.value.chunk.cycles.length < FETCH_MAX) return f.value.chunk.now;
      }
    };
    const now = await pending();
    if (live || now === null) return h;
    const sized = cells.map((c) => ({ address: c.address, size: model.cellSize(c.address) ?? 0 }));
    const read = await Promise.all(
      sized.map(async (c) => {
        const b = c.size > 0 ? await t.readMemory(c.address, c.size) : null;
        const rec = cells.find((x) => x.address === c.address)!;
        return b?.ok
          ? {
              address: c.address,
              bytes: b.value,
              occupancy:
                rec.occupancy === 'taken'
                  ? ('empty' as const)
                  : (rec.occupancy as 'present' | 'empty' | 'busy'),
            }
          : null;
      }),
    );
    const known = read.filter((x): x is NonNullable<typeof x> => x !== null);
    if (!h.covers(known.map((c) => ({ address: c.address, size: c.bytes.length })))) {
      h.begin(known, 0, now);
      const watching = await recorder({
        op: 'watch',
        watches: h.watches((a) => model.occupancySpans(a)),
      });
      if (watching.ok && watching.value.op === 'watching') h.cursor = watching.value.next;
    } else h.resync(known, now);
    return h;
  }

  /**
   * The target's memory or registers were written at this stop (the Memory and Registers
   * panels): what the views read at it is out of date, the next view reads afresh.
   */
  targetWritten(): void {
    this.atStop = null;
  }

  /**
   * Live cells on or off: while on, `addLiveRead` (the debug service's repeated reads, 10 Hz on
   * the emulator while it runs) re-reads the cells, each stop reads them as a full walk would
   * find them, and each view goes to `emit`; turned on at a stop, that stop's reading goes at
   * once. The window turns them on only while something shows cells (the Cells panel, an editor
   * with cell fields): off, a stop reads nothing of them.
   */
  liveCells(
    on: boolean,
    debug: {
      addLiveRead(read: {
        intervalMs: number;
        run(target: DebugTarget): Promise<void>;
      }): () => void;
      onStop(listener: () => void): () => void;
    },
    emit: (view: TockCellsView) => void,
  ): void {
    if (!on) {
      this.stopLive?.();
      this.stopLive = null;
      return;
    }
    if (this.stopLive) return;
    const offRead = debug.addLiveRead({
      intervalMs: 100,
      run: async () => {
        const r = await this.cells(true);
        if (r.ok) emit(r.value);
      },
    });
    // At each stop a full walk (a restarted process's cells, pointers that changed).
    const offStop = debug.onStop(() => {
      void this.cells(false).then((r) => r.ok && emit(r.value));
    });
    this.stopLive = () => {
      offRead();
      offStop();
    };
    if (this.session().stop) void this.cells(false).then((r) => r.ok && emit(r.value));
  }

  async dma(): Promise<Plain<TockDmaView>> {
    const m = this.model();
    if (!m.ok) return m;
    const t = m.value.target;
    if (!t.recorder)
      return {
        ok: false,
        error: 'This target reports no EasyDMA channel state: the DMA view needs the emulator.',
      };
    const reply = await t.recorder({ op: 'dma' });
    if (!reply.ok) return reply;
    if (reply.value.op !== 'dma') return { ok: false, error: 'unexpected recorder reply' };
    const notes: string[] = [];
    const model = m.value.cells;
    let cells: Awaited<ReturnType<CellsModel['read']>> | null = null;
    if (model.ok) cells = await this.walk(t, model.value);
    else notes.push(model.error);
    if (cells && !cells.ok) notes.push(cells.error);
    const now = cells?.ok ? cells.value.cells : [];
    const ram = t.description.memoryMap
      .filter((r) => r.kind === 'ram')
      .map((r) => ({ start: r.start, size: r.size }));
    const view = await dmaView({
      channels: reply.value.channels,
      cells: now,
      ...(model.ok ? { formerHolders: (p: number) => model.value.formerHolders(p, now) } : {}),
      ...(m.value.info ? { info: m.value.info } : {}),
      ram,
      mem: (a, n) => t.readMemory(a, n),
    });
    return {
      ok: true,
      value: {
        channels: view.map((c) => ({
          peripheral: c.peripheral,
          channel: c.channel,
          ptr: c.ptr,
          maxcnt: c.maxcnt,
          amount: c.amount,
          state: c.state,
          owners: c.owners.map(describeOwner),
          preview: c.preview ? hexBytes(c.preview) : null,
          problems: c.problems.map((p) => p.message),
        })),
        notes,
      },
    };
  }

  /** The session's recording (a new one when the session or its target changed). */
  private rec(target: DebugTarget): Recording {
    if (!this.recording || this.recording.target !== target)
      this.recording = {
        target,
        timeline: new Timeline([], TIMELINE_KEPT),
        on: false,
        notes: [],
      };
    return this.recording;
  }

  /** The processes, for the lanes: the kernel's process table, else the session's apps. */
  private async lanes(target: DebugTarget): Promise<{
    list: TimelineProcess[];
    note: string | null;
  }> {
    // The one table the Processes view reads too (model() resolved it for this target).
    const table = this.loaded?.target === target ? this.loaded.table : null;
    if (table?.ok) {
      // At a stop, the reading the other views share; while running, only what names the lanes
      // (two reads across the worker instead of ~170 for the full table at every poll).
      if (this.processNames?.target !== target) this.processNames = { target, names: new Map() };
      const r = this.session().stop
        ? await this.records(target, table.value)
        : await table.value.slots((a, n) => target.readMemory(a, n), this.processNames.names);
      if (r.ok && r.value.length > 0)
        return {
          list: r.value.map((p) => ({ slot: p.slot, name: p.name, ram: p.ram })),
          note: null,
        };
    }
    // The build's apps in slot order; each one's RAM runs to the next one's start.
    const apps = (this.session().apps ?? [])
      .filter((a) => a.inImage !== false && a.ram !== null)
      .map((a) => ({ name: a.name, start: a.ram! }));
    const sorted = [...apps].sort((a, b) => a.start - b.start);
    const ramEnd = target.description.memoryMap
      .filter((r) => r.kind === 'ram')
      .reduce((end, r) => Math.max(end, r.start + r.size), 0);
    return {
      list: apps.map((a, slot) => {
        const next = sorted.find((b) => b.start > a.start);
        return { slot, name: a.name, ram: { start: a.start, end: (next?.start ?? ramEnd) - 1 } };
      }),
      note: "The kernel's process table could not be read: lanes follow the build's apps.",
    };
  }

  /** The session's target with its recording, or why the timeline cannot record on it. */
  private recorded(): Plain<{
    target: DebugTarget;
    recorder: NonNullable<DebugTarget['recorder']>;
    rec: Recording;
    info: DebugInfo | null;
  }> {
    const m = this.model();
    if (!m.ok) return m;
    const target = m.value.target;
    if (!target.recorder)
      return {
        ok: false,
        error:
          'This target does not record what the machine does: the timeline needs the emulator (Run or Debug on an emulated board).',
      };
    const recorder = target.recorder.bind(target);
    return { ok: true, value: { target, recorder, rec: this.rec(target), info: m.value.info } };
  }

  /**
   * Fetches what the recorder holds beyond what the timeline has, and returns the view. Asked
   * again while a fetch is under way, it answers with that fetch (one fetch at a time).
   */
  timeline(): Promise<Plain<TockTimelineView>> {
    this.fetching ??= this.fetchTimeline().finally(() => {
      this.fetching = null;
    });
    return this.fetching;
  }
  private fetching: Promise<Plain<TockTimelineView>> | null = null;

  /** The view after a change: a fetch under way (begun before the change) is let finish first. */
  private async freshTimeline(): Promise<Plain<TockTimelineView>> {
    if (this.fetching) await this.fetching;
    return this.timeline();
  }

  private async fetchTimeline(): Promise<Plain<TockTimelineView>> {
    const m = this.recorded();
    if (!m.ok) return m;
    const { target, recorder, rec } = m.value;
    const procs = await this.lanes(target);
    rec.timeline.setProcesses(procs.list);
    let now: number | undefined;
    for (;;) {
      const reply = await recorder({
        op: 'fetch',
        since: rec.timeline.next,
        max: FETCH_MAX,
      });
      if (!reply.ok) return reply;
      if (reply.value.op !== 'chunk') return { ok: false, error: 'unexpected recorder reply' };
      const chunk = reply.value.chunk;
      rec.timeline.add(chunk);
      now = chunk.now;
      rec.on = chunk.recording;
      if (chunk.cycles.length < FETCH_MAX) break;
    }
    return { ok: true, value: this.timelineView(rec, now ?? 0, procs.note) };
  }

  private timelineView(rec: Recording, now: number, note: string | null): TockTimelineView {
    const shown = rec.timeline.shown(TIMELINE_EVENTS_SHOWN, LANE_FLOOR);
    const procLanes: string[] = [];
    const irqLanes: string[] = [];
    const other: string[] = [];
    const seen = new Set<string>();
    for (const e of shown) {
      if (seen.has(e.lane)) continue;
      seen.add(e.lane);
      (e.kind === 'irq'
        ? irqLanes
        : e.lane === 'kernel' || e.lane.startsWith('DMA')
          ? other
          : procLanes
      ).push(e.lane);
    }
    const irqNumber = (l: string): number => Number(l.split(' ')[1]);
    irqLanes.sort((a, b) => irqNumber(a) - irqNumber(b));
    return {
      recording: rec.on,
      lanes: [...procLanes, ...irqLanes, ...other.sort()],
      // Each event's view is made once (`shown` gives the same object for an unchanged event).
      events: shown.map((e) => {
        let v = this.viewEvents.get(e);
        if (!v) {
          v = {
            kind: e.kind,
            lane: e.lane,
            name: e.name,
            start: e.start,
            duration: e.duration,
            pc: e.pc ?? null,
            args: e.args,
          };
          if (e.seq !== undefined) v.seq = e.seq;
          this.viewEvents.set(e, v);
        }
        return v;
      }),
      omitted: rec.timeline.length - shown.length + rec.timeline.dropped,
      lost: rec.timeline.lost,
      frequencyHz: rec.timeline.frequencyHz,
      now,
      notes: [...rec.notes, ...(note ? [note] : [])],
    };
  }

  /**
   * Starts or stops recording. Starting switches the kernel's trace port on as a debugger does
   * (so upcalls appear) and records exception entries and returns, faults and EasyDMA transfers.
   */
  async record(on: boolean): Promise<Plain<TockTimelineView>> {
    const m = this.recorded();
    if (!m.ok) return m;
    const { target, recorder, rec } = m.value;
    if (on) {
      const word = async (a: number): Promise<{ ok: boolean; value?: number }> => {
        const r = await target.readMemory(a, 4);
        return r.ok
          ? { ok: true, value: new DataView(r.value.buffer, r.value.byteOffset).getUint32(0, true) }
          : { ok: false };
      };
      const writeWord = async (a: number, v: number): Promise<{ ok: boolean; error?: string }> => {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setUint32(0, v >>> 0, true);
        const w = await target.writeMemory(a, b);
        return w.ok ? { ok: true } : { ok: false, error: w.error };
      };
      const trace = await enableKernelTrace(word, writeWord);
      rec.notes = trace
        ? [`The kernel's trace port could not be switched on (${trace}): upcalls will not show.`]
        : [];
      // The system calls' stacks are kept per process (the click to the app's own line).
      const procs = await this.lanes(target);
      const started = await recorder({
        op: 'start',
        timeline: true,
        dma: true,
        processes: procs.list.map((p) => p.ram),
      });
      if (!started.ok) return started;
    } else {
      const stopped = await recorder({ op: 'stop' });
      if (!stopped.ok) return stopped;
    }
    return this.freshTimeline();
  }

  /** Forgets the events recorded so far (recording goes on if it was on). */
  async clearTimeline(): Promise<Plain<TockTimelineView>> {
    const m = this.model();
    if (!m.ok) return m;
    const r = await this.timeline();
    if (!r.ok) return r;
    const rec = this.rec(m.value.target);
    rec.timeline.clear();
    return this.freshTimeline();
  }

  /** The recorded events as a Chrome / Perfetto trace (Trace Event Format JSON). */
  async exportTimeline(): Promise<Plain<string>> {
    const r = await this.timeline();
    if (!r.ok) return r;
    const rec = this.recording!;
    if (rec.timeline.length === 0)
      return { ok: false, error: 'Nothing recorded yet: switch Record on and let the board run.' };
    return { ok: true, value: JSON.stringify(rec.timeline.chromeTrace()) };
  }

  /**
   * The process stack the recorder kept at a system call (its event's `seq`): the exception
   * frame's address and the bytes from there up. Null when it was not kept (recorded before,
   * or pushed out by newer calls of the same process). `read` reads the target now (its code).
   */
  async syscallStack(seq: number): Promise<
    Plain<
      | (SyscallStack & {
          read: (address: number, length: number) => Promise<Plain<Uint8Array>>;
        })
      | null
    >
  > {
    const m = this.recorded();
    if (!m.ok) return m;
    const { recorder, target } = m.value;
    const reply = await recorder({ op: 'stack', seq });
    if (!reply.ok) return reply;
    if (reply.value.op !== 'stack') return { ok: false, error: 'unexpected recorder reply' };
    const stack = reply.value.stack;
    return {
      ok: true,
      value: stack && { ...stack, read: (a, n) => target.readMemory(a, n) },
    };
  }

  /**
   * Where an event's source is: its PC, or for an interrupt its handler (the vector table's
   * entry for the exception: ARMv7-M ARM B1.5.3, the table at VTOR).
   */
  async eventAddress(event: { pc?: number; exception?: number }): Promise<Plain<number>> {
    const m = this.model();
    if (!m.ok) return m;
    if (event.exception === undefined) {
      if (event.pc === undefined) return { ok: false, error: 'This event has no address.' };
      return { ok: true, value: event.pc };
    }
    const t = m.value.target;
    const vtor = await t.readMemory(0xe000ed08, 4);
    if (!vtor.ok) return { ok: false, error: `VTOR cannot be read: ${vtor.error}` };
    const base = new DataView(vtor.value.buffer, vtor.value.byteOffset).getUint32(0, true);
    const entry = await t.readMemory((base + event.exception * 4) >>> 0, 4);
    if (!entry.ok) return { ok: false, error: `the vector table cannot be read: ${entry.error}` };
    return {
      ok: true,
      value: new DataView(entry.value.buffer, entry.value.byteOffset).getUint32(0, true) & ~1,
    };
  }
}
