/**
 * Time travel for the emulator target: checkpoints plus a log of host inputs, so any earlier
 * instruction of a run can be reached again exactly (reverse stepping and reverse continue).
 *
 * The emulator is deterministic: from a snapshot, the same host inputs delivered at the same
 * point give the same run. So the history of a run is
 * - checkpoints: session snapshots taken while running, spaced so that replaying from one to
 *   the next takes at most `replayMs` of host time at the measured running speed (this bounds
 *   how long a reverse step takes), and otherwise stretched so they cost about 2% of the run
 *   (memory is kept in 4 KiB pages, and a page equal to the previous checkpoint's is shared, so
 *   flash and untouched RAM cost one copy; older checkpoints are thinned so there are at most
 *   `maxCheckpoints`), and
 * - host inputs (console bytes, resets a debugger asked for, button presses), each recorded
 *   with the instruction count and the cycle at which it was applied.
 * Reaching instruction N again = restoring the last checkpoint at or before N, then running
 * forward to N while re-applying the recorded inputs at their instruction count and cycle (a
 * core asleep when an input came is run to that cycle). The run loop asks `bounds()` how far
 * it may run before the next recorded input is due and calls `applyDue()` between slices.
 *
 * A debugger that changes the machine (memory or register writes, flash programming, restoring
 * a named snapshot) starts the history again from that state: what came before can no longer be
 * replayed. New input while behind the recorded end (after a reverse step) drops the recorded
 * future: the run takes a new course from there.
 *
 * @example
 *   const h = new History(session);
 *   h.start();                       // checkpoint the present
 *   ... run slices, calling h.applyDue(), h.bounds() and h.tick(sliceMs) ...
 *   const c = h.checkpointBefore(n); h.restore(c);  // then run forward to n
 */
import type { EmulatorSession, SessionSnapshot } from '../session/session';

/** One recorded host input. */
export interface HostInput {
  instructions: number;
  cycles: number;
  /** What it was, for logs: 'console 0: 3 bytes', 'reset'. */
  label: string;
  apply(): void;
}

/** Fewest instructions between automatic checkpoints, however slow the host. */
const MIN_GAP = 20_000;
/** A checkpoint may cost up to 1/COST_SHARE of the running time before the gap stretches. */
const COST_SHARE = 50;

/** A memory region of a checkpoint as 4 KiB pages; a page that did not change is shared. */
interface PagedRegion {
  name: string;
  base: number;
  length: number;
  pages: Uint8Array[];
}

export interface Checkpoint {
  instructions: number;
  cycles: number;
  /** The session snapshot without its memory (kept as `memory` pages). */
  snapshot: SessionSnapshot;
  memory: PagedRegion[];
  /** How many recorded inputs the snapshot already contains. */
  inputsApplied: number;
}

const PAGE = 4096;

export interface HistoryOptions {
  /**
   * Instructions between automatic checkpoints until the running speed is known (and always,
   * without `now`). Default 1,000,000. Then the gap is what `replayMs` of running covers, or
   * more when a checkpoint would otherwise cost over ~2% of the running time, never more than
   * `replayMs` allows.
   */
  interval?: number;
  /**
   * Host milliseconds a replay from one checkpoint to the next may take at the measured running
   * speed: the bound on a reverse step's time (default 50, a quarter of the 200 ms a
   * reverse-stepi should answer in: bench:gdb saw a replay run up to ~2.5x slower than the
   * forward run it measured, and restoring and the reply take their share).
   */
  replayMs?: number;
  /** Host milliseconds (the target's scheduler clock), to keep checkpoints cheap. */
  now?: () => number;
  /** Checkpoints kept before older ones are thinned. Default 64. */
  maxCheckpoints?: number;
  /**
   * The host's native byte comparison (Node: `Buffer.compare`, a memcmp), when it has one. A
   * checkpoint compares every page of each written region (4 MiB on mps2-an386); the plain
   * loop (`equalBytes`, the default) runs interpreted until V8 has optimised it, which on a
   * loaded machine took ~250 ms for one checkpoint of a fresh session, against ~0.5 ms native,
   * cold or warm.
   */
  sameBytes?: SameBytes;
}

/** True when `a` and `b` hold the same bytes (same length). */
export type SameBytes = (a: Uint8Array, b: Uint8Array) => boolean;

export class History {
  readonly interval: number;
  readonly maxCheckpoints: number;
  private checkpoints: Checkpoint[] = [];
  /** The memory of the last checkpoint made, kept across restarts to share unchanged pages. */
  private lastMemory: PagedRegion[] = [];
  /**
   * What memory was when the regions' `dirty` flags were last cleared (a checkpoint made or
   * restored): a region still clean holds exactly these pages, so a checkpoint takes them
   * without reading the region. Null before: a clean region still holds its first zeros.
   */
  private cleanAt: PagedRegion[] | null = null;
  private inputs: HostInput[] = [];
  /** Index of the next recorded input not yet applied in the present timeline. */
  private next = 0;
  /** The furthest instruction count the run has reached live (outputs behind it were seen). */
  private frontier = 0;
  /** Instructions to the next automatic checkpoint (see HistoryOptions.interval). */
  private gap: number;
  private readonly replayMs: number;
  private readonly now: (() => number) | null;
  private readonly same: SameBytes;
  /** Host ms spent running since the last automatic checkpoint (slices told to `tick`). */
  private busyMs = 0;
  /** True once a caller told slice times (then the wall clock is never used). */
  private timed = false;
  /** Wall clock at the last checkpoint, for callers that do not tell their slice times. */
  private lastAt: { time: number; instructions: number } | null = null;
  /** Measured running speed (instructions per host ms), 0 until known. */
  private speed = 0;

  constructor(
    private readonly session: EmulatorSession,
    options: HistoryOptions = {},
  ) {
    this.interval = options.interval ?? 1_000_000;
    this.maxCheckpoints = Math.max(4, options.maxCheckpoints ?? 64);
    this.gap = this.interval;
    this.replayMs = Math.max(1, options.replayMs ?? 50);
    this.now = options.now ?? null;
    this.same = options.sameBytes ?? equalBytes;
  }

  get started(): boolean {
    return this.checkpoints.length > 0;
  }

  /** The first instruction count that can be reached again. */
  get begin(): number {
    return this.checkpoints[0]?.instructions ?? this.session.instructions;
  }

  /** True while the run re-executes what was already run live (its output was seen). */
  get replaying(): boolean {
    return this.session.instructions < this.frontier;
  }

  /** Starts the history afresh at the present state. */
  start(): void {
    this.checkpoints = [];
    this.inputs = [];
    this.next = 0;
    this.frontier = this.session.instructions;
    this.checkpoint();
  }

  private checkpoint(): void {
    // Memory is paged straight from the bus regions (no whole copy first).
    const s = this.session.snapshot({ memory: false });
    const regions = this.session.core.bus.regions.filter((r) => r.dev === null);
    const instructions = this.session.instructions;
    // Pages equal to the nearest earlier checkpoint's are shared with it; with none (a history
    // started afresh after a debugger's write), with the last checkpoint ever made, so a
    // restart copies only what changed, not the whole memory again.
    let near: Checkpoint | undefined;
    for (const c of this.checkpoints) if (c.instructions <= instructions) near = c;
    near ??= this.checkpoints[0];
    const reference = near?.memory ?? this.lastMemory;
    const memory = regions.map((m) => {
      // Nothing wrote the region since the flags were cleared: its pages are those of then
      // (or zeros), found without reading its bytes (mps2-an386 has 28 MiB of RAM, mostly
      // untouched, and a checkpoint comes every ~50 ms of running).
      if (!m.dirty) {
        const clean = this.cleanAt
          ? this.cleanAt.find((p) => p.base === m.base && p.name === m.name)
          : zeroRegion(m.name, m.base, m.bytes.length);
        if (clean) return clean;
      }
      return paged(
        { name: m.name, base: m.base, bytes: m.bytes },
        reference.find((p) => p.base === m.base && p.name === m.name),
        this.same,
      );
    });
    this.lastMemory = memory;
    this.markClean(memory);
    const c: Checkpoint = {
      instructions,
      cycles: this.session.cycles,
      snapshot: s,
      memory,
      inputsApplied: this.next,
    };
    // Keep the list in instruction order (a checkpoint made during a replay lands mid-list).
    let i = this.checkpoints.length;
    while (i > 0 && this.checkpoints[i - 1]!.instructions > c.instructions) i--;
    if (this.checkpoints[i - 1]?.instructions === c.instructions) return;
    this.checkpoints.splice(i, 0, c);
    this.thin();
  }

  /**
   * Memory now equals `memory`: the regions' dirty flags are cleared and the core's fast write
   * paths emptied, so the next write to each region marks it again (see Region.dirty).
   */
  private markClean(memory: PagedRegion[]): void {
    for (const r of this.session.core.bus.regions) if (r.dev === null) r.dirty = false;
    this.session.core.dropWriteSlots();
    this.cleanAt = memory;
  }

  /** Drops every other checkpoint of the older half (never the first) past the limit. */
  private thin(): void {
    if (this.checkpoints.length <= this.maxCheckpoints) return;
    const half = this.checkpoints.length >> 1;
    const kept = this.checkpoints.filter((_, i) => i === 0 || i >= half || i % 2 === 0);
    this.checkpoints = kept;
  }

  /**
   * Between slices while running: a checkpoint when the gap is covered. `sliceMs` is the host
   * time the slice just run took (its running speed sizes the gap); without it, the wall clock
   * between checkpoints stands in (which counts time spent halted or asleep as running).
   */
  tick(sliceMs?: number): void {
    const now = this.session.instructions;
    if (now > this.frontier) this.frontier = now;
    if (sliceMs !== undefined) {
      this.timed = true;
      this.busyMs += Math.max(0, sliceMs);
    }
    const last = this.lastBefore(now);
    if (last && now - last.instructions < this.gap) return;
    const t0 = this.now?.() ?? 0;
    this.checkpoint();
    if (!this.now) return;
    const t1 = this.now();
    const ran = last ? now - last.instructions : 0;
    const ms = this.timed ? this.busyMs : this.lastAt ? t0 - this.lastAt.time : 0;
    if (ran > 0 && ms > 0) {
      this.speed = ran / ms;
      this.gap = gapFor(this.speed, t1 - t0, this.interval, this.replayMs);
    }
    this.busyMs = 0;
    this.lastAt = { time: t1, instructions: now };
  }

  /** Instructions per host ms measured while running (0 until a gap was run). */
  get runningSpeed(): number {
    return this.speed;
  }

  /** A checkpoint at the present (during a replay, so later reverse steps start close by). */
  mark(): void {
    this.checkpoint();
  }

  private lastBefore(instructions: number): Checkpoint | undefined {
    for (let i = this.checkpoints.length - 1; i >= 0; i--)
      if (this.checkpoints[i]!.instructions <= instructions) return this.checkpoints[i];
    return undefined;
  }

  /** The latest checkpoint at or before `instructions` (undefined before the history). */
  checkpointBefore(instructions: number): Checkpoint | undefined {
    return this.lastBefore(instructions);
  }

  /** The checkpoint before `c` (undefined for the first). */
  previous(c: Checkpoint): Checkpoint | undefined {
    const i = this.checkpoints.indexOf(c);
    return i > 0 ? this.checkpoints[i - 1] : undefined;
  }

  /** Puts the machine back to a checkpoint; inputs after it are pending again. */
  restore(c: Checkpoint): void {
    // Only pages that differ from memory as it is are written, and only their decoded and
    // compiled code is dropped: code that did not change stays compiled (reverse steps replay
    // at full speed).
    const bus = this.session.core.bus;
    for (const m of c.memory) {
      const region = bus.regions.find(
        (r) => r.dev === null && r.base === m.base && r.name === m.name,
      );
      if (!region) throw new Error(`checkpoint memory region ${m.name} is not mapped`);
      // Not written since memory was this very copy: nothing to compare or write.
      if (!region.dirty && this.cleanAt?.includes(m)) continue;
      m.pages.forEach((page, i) => {
        const at = i * PAGE;
        const now = region.bytes.subarray(at, at + page.length);
        if (this.same(page, now)) return;
        region.bytes.set(page, at);
        bus.invalidate(m.base + at, page.length);
      });
    }
    this.session.restore(c.snapshot);
    this.markClean(c.memory);
    this.next = c.inputsApplied;
    this.lastAt = null;
    this.busyMs = 0;
  }

  /**
   * Applies a host input now and records it. Behind the recorded end, the recorded future is
   * dropped first: this input starts a new course.
   */
  input(label: string, apply: () => void): void {
    if (!this.started) this.start();
    if (this.next < this.inputs.length || this.replaying) this.dropFuture();
    this.inputs.push({
      instructions: this.session.instructions,
      cycles: this.session.cycles,
      label,
      apply,
    });
    this.next = this.inputs.length;
    apply();
  }

  private dropFuture(): void {
    const now = this.session.instructions;
    this.inputs.length = this.next;
    this.checkpoints = this.checkpoints.filter(
      (c) => c.instructions <= now && c.inputsApplied <= this.next,
    );
    this.frontier = now;
  }

  /** Applies the recorded inputs whose moment has come (when re-running recorded history). */
  applyDue(): void {
    const now = this.session.instructions;
    for (;;) {
      const i = this.inputs[this.next];
      if (!i) return;
      const due =
        now > i.instructions || (now === i.instructions && this.session.cycles >= i.cycles);
      if (!due) return;
      this.next++;
      i.apply();
    }
  }

  /**
   * How far the next slice may run so the next recorded input lands where it did: at most
   * `instructions` more, and (asleep) no later than `cycle`. Null when nothing is pending.
   */
  bounds(): { instructions: number; cycle: number } | null {
    const i = this.inputs[this.next];
    if (!i) return null;
    const left = i.instructions - this.session.instructions;
    return { instructions: Math.max(1, left), cycle: i.cycles };
  }

  /** Checkpoints and the bytes they hold (shared region copies counted once). */
  memory(): {
    checkpoints: number;
    bytes: number;
    inputs: number;
    gap: number;
    /** Host ms a replay across the gap takes at the measured speed (NaN until measured). */
    replayMs: number;
  } {
    const seen = new Set<Uint8Array>();
    let bytes = 0;
    for (const c of this.checkpoints) {
      for (const m of c.memory)
        for (const p of m.pages) {
          if (seen.has(p)) continue;
          seen.add(p);
          bytes += p.byteLength;
        }
      // Registers and device state: small; counted roughly by their JSON size would cost more
      // than it tells, so a fixed allowance per checkpoint stands in for them.
      bytes += 4096;
    }
    return {
      checkpoints: this.checkpoints.length,
      bytes,
      inputs: this.inputs.length,
      gap: this.gap,
      replayMs: this.speed > 0 ? this.gap / this.speed : NaN,
    };
  }
}

/**
 * Instructions between checkpoints at `speed` instructions per host ms when one costs `costMs`:
 * at most what `replayMs` of replay covers (a reverse step replays at most one gap), else at
 * least `interval` and enough that checkpoints take ~1/COST_SHARE of the running time.
 */
export function gapFor(speed: number, costMs: number, interval: number, replayMs: number): number {
  const byReplay = speed * replayMs;
  const byCost = speed * costMs * COST_SHARE;
  return Math.round(Math.max(MIN_GAP, Math.min(byReplay, Math.max(interval, byCost))));
}

/** One all-zero page shared by every checkpoint (untouched RAM is most of a big machine's). */
const ZERO_PAGE = new Uint8Array(PAGE);
/** One erased-flash page (all ones) shared likewise: unprogrammed flash is most of the flash. */
const ERASED_PAGE = new Uint8Array(PAGE).fill(0xff);

/** A region that holds only zeros: every page the one shared zero page. */
function zeroRegion(name: string, base: number, length: number): PagedRegion | undefined {
  if (length % PAGE !== 0) return undefined;
  const n = length / PAGE;
  return {
    name,
    base,
    length,
    pages: new Array<Uint8Array>(n).fill(ZERO_PAGE),
  };
}

/**
 * A region's bytes as pages: a page equal (by `same`) to the same page of `prev` is that page,
 * an all-zero or all-erased page the one shared page, any other a copy.
 */
function paged(
  m: { name: string; base: number; bytes: Uint8Array },
  prev: PagedRegion | undefined,
  same: SameBytes,
): PagedRegion {
  const pages: Uint8Array[] = [];
  const bytes = m.bytes;
  const before = prev && prev.length === bytes.length ? prev : undefined;
  for (let at = 0, i = 0; at < bytes.length; at += PAGE, i++) {
    const page = bytes.subarray(at, Math.min(at + PAGE, bytes.length));
    const old = before?.pages[i];
    if (old && same(old, page)) pages.push(old);
    else if (page.length === PAGE && same(ZERO_PAGE, page)) pages.push(ZERO_PAGE);
    else if (page.length === PAGE && same(ERASED_PAGE, page)) pages.push(ERASED_PAGE);
    else pages.push(page.slice());
  }
  return { name: m.name, base: m.base, length: bytes.length, pages };
}

/** The plain-JS SameBytes (a word at a time where both views are word aligned). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  // Compare a word at a time where both views allow it (region copies are word aligned).
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length % 4 === 0) {
    const wa = new Uint32Array(a.buffer, a.byteOffset, a.length / 4);
    const wb = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
