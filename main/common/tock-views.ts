/**
 * What the Tock views receive from the host (the `tock.*` methods of main/common/contract.ts):
 * the kernel's cells and the EasyDMA channels, flattened to plain data for the renderer.
 *
 * @example
 *   const r = await host.tock.cells({});
 *   if (r.ok) for (const c of r.value.cells) console.log(c.path, c.occupancy);
 */

export interface TockCell {
  path: string;
  address: number;
  kind: 'TakeCell' | 'MapCell' | 'OptionalCell';
  /** The struct that declares the field (generics dropped), e.g. `capsules::console::Console`. */
  owner: string;
  /** Its module: what the view groups by. */
  capsule: string;
  field: string;
  heldType: string;
  occupancy: 'present' | 'empty' | 'taken' | 'busy';
  held: { ptr: number; length: number | null } | null;
  /** Where the field is declared in the project's source (the editor decorates that line). */
  decl: { path: string; inProject: boolean; line: number; column: number } | null;
  /** Machine cycle at which its occupancy last changed, as far as the readings saw (null: not since the session's first reading). */
  changedAt: number | null;
  /** Where its buffer went when it is not present: "UARTE0 TXD in flight". */
  reason: string | null;
  /**
   * Its occupancy changes as the emulator's write observers saw them (every store to the cell),
   * oldest first, the newest 64; the first entry is its state when watching began. Null: no
   * history on this target (only the emulator records one).
   */
  history?: { at: number; occupancy: 'present' | 'empty' | 'busy' }[] | null;
}

export interface TockCellsView {
  cells: TockCell[];
  /** What limited the walk, or an anchor of another version. */
  notes: string[];
  anchorVersion: number | null;
  /** The machine's cycle count at this reading and its clock (null: the target has no recorder). */
  now: number | null;
  frequencyHz: number | null;
  /** The cycle the occupancy history began at (null: none on this target). */
  historySince?: number | null;
}

export interface TockDmaChannel {
  peripheral: string;
  channel: 'TXD' | 'RXD';
  ptr: number;
  maxcnt: number;
  amount: number;
  state: 'idle' | 'in flight' | 'done';
  /** One line per owner, most specific first ("capsules::console Console.buffer (gave it up)"). */
  owners: string[];
  /** Hex bytes of the buffer's start (up to 64), or null. */
  preview: string | null;
  problems: string[];
}

export interface TockDmaView {
  channels: TockDmaChannel[];
  /** Why the cells (owners) are missing, when they are. */
  notes: string[];
}

/** One MPU region the kernel loads for a process (ARMv7-M RBAR/RASR decoded). */
export interface TockMpuRegion {
  number: number;
  enabled: boolean;
  start: number;
  size: number;
  /** Lowest subregion first: true = disabled. */
  subregionsDisabled: boolean[];
  access: string;
  executeNever: boolean;
}

/** The fault explainer's reading of a process's last fault. */
export interface TockFaultExplanation {
  summary: string;
  causes: string[];
  address: number | null;
  where: string | null;
  /** The MPU region whose range holds the address (or "no MPU region covers it"). */
  mpu: string | null;
  stackOverflow: boolean;
  pc: number;
  /** The faulting line in the source, when the debug information knows it. */
  source: { path: string; line: number; inProject: boolean } | null;
  lastSyscall: string | null;
}

export interface TockProcess {
  slot: number;
  id: number;
  name: string;
  state: string;
  /** The process the core was executing (or had interrupted) at the reading. */
  onCpu: boolean;
  /**
   * The stack high-water mark: the lowest stack address seen and where that figure comes from
   * (`lowest` null: none seen yet, or the target cannot tell, `source` says which).
   */
  stackMark: { lowest: number | null; source: string };
  /** Null where this kernel does not record the counter. */
  restarts: number | null;
  syscalls: number | null;
  timeslices: number | null;
  upcallsQueued: number | null;
  upcallsDropped: number | null;
  grantsAllocated: number | null;
  lastSyscall: string | null;
  policy: string | null;
  memory: {
    flash: { start: number; end: number; header: number | null; protected: number | null };
    ram: {
      start: number;
      end: number;
      appBreak: number | null;
      kernelBreak: number | null;
      initialBreak: number | null;
    };
    grants: { number: number; address: number }[];
  };
  mpu: TockMpuRegion[];
  /** Each grant allocated for the process, with the capsule holding it and its contents. */
  grants: TockGrant[];
  /** Subscribe table, allow table, queued upcalls (oldest first); drivers named from abi.json. */
  subscriptions: { driver: string; subscribe: number; function: number; appdata: number }[];
  allows: { driver: string; number: number; readonly: boolean; ptr: number; len: number }[];
  upcalls: { driver: string; subscribe: number; args: number[] }[];
  fault: TockFaultExplanation | null;
  /** Process struct fields this kernel lacks. */
  missing: string[];
}

/** One grant of one process (emulator/debug/tock/grants.ts). */
export interface TockGrant {
  number: number;
  /** Where the kernel allocated it in the process's grant region. */
  address: number;
  /** The capsule type whose `Grant<T>` field has this number, and the field's path from the board. */
  capsule: string | null;
  path: string | null;
  /** The driver that capsule serves, named from abi.json ("console"), if any. */
  driver: string | null;
  /** `T` and its size in bytes. */
  typeName: string | null;
  size: number | null;
  /** `T`'s fields read from the allocation. */
  fields: { name: string; typeName: string; text: string }[];
  /** Why the owner or the contents could not be read. */
  problem: string | null;
}

export interface TockProcessesView {
  processes: TockProcess[];
  notes: string[];
  /**
   * The MPU's registers read through the target at this halt (emulator/debug/tock/processes-mpu.ts),
   * with the process whose stored regions they hold; null when they could not be read
   * (`liveMpuProblem` says why).
   */
  liveMpu?: {
    enabled: boolean;
    privilegedDefault: boolean;
    regions: TockMpuRegion[];
    loadedFor: string | null;
  } | null;
  liveMpuProblem?: string | null;
}

/** What the Processes view can do to a process. */
export type TockProcessAction = 'stop' | 'start' | 'fault' | 'terminate' | 'restart';

export interface TockProcessActionArgs {
  slot: number;
  /** The incarnation the user saw: a process restarted since is not acted on. */
  id: number;
  action: TockProcessAction;
}

export interface TockProcessActionResult {
  /** What was done, in words ("stopped: its flag written while halted"). */
  message: string;
  /** True when the kernel carries it out only once the target runs (console commands). */
  whenRunning: boolean;
}
/** One event of the kernel timeline (emulator/debug/tock/timeline.ts), in cycles. */
export interface TockTimelineEvent {
  kind: 'syscall' | 'upcall' | 'irq' | 'switch' | 'fault' | 'dma';
  /** 'kernel', a process name, 'IRQ n' or 'DMA n'. */
  lane: string;
  name: string;
  start: number;
  duration: number;
  /** Where it happened (the SVC, the faulting instruction); IRQs open their handler instead. */
  pc: number | null;
  /** A system call's record in the recorder, whose stack was kept (the click's app line). */
  seq?: number;
  args: Record<string, string | number>;
}

export interface TockTimelineView {
  recording: boolean;
  /** Lanes in display order: processes, then IRQs, then the rest. */
  lanes: string[];
  /** The newest events (at most `TIMELINE_EVENTS_SHOWN`), in start order. */
  events: TockTimelineEvent[];
  /** Events left out because there were more than shown (the oldest). */
  omitted: number;
  /** Records the recorder's ring overwrote before the host fetched them. */
  lost: number;
  frequencyHz: number;
  /** The machine's cycle count at this reading. */
  now: number;
  /** What limits the view (no process table: lanes named by stack address; no trace port). */
  notes: string[];
}

/** How many of the newest timeline events a reading carries to the renderer (each one is drawn). */
export const TIMELINE_EVENTS_SHOWN = 4000;
