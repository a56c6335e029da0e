/**
 * Time travel for the emulator target: checkpoints plus a log of host inputs, so any earlier
 * instruction of a run can be reached again exactly (reverse stepping and reverse continue).
 *
 * The emulator is deterministic: from a snapshot, the same host inputs delivered at the same
 * point give the same run. So the history of a run is
 * - checkpoints: session snapshots taken every `interval` instructions while running, stretched
 *   so they cost about 3% of the run (memory is kept in 4 KiB pages, and a page equal to the
 *   previous checkpoint's is shared, so flash and untouched RAM cost one copy; older
 *   checkpoints are thinned so there are at most `maxCheckpoints`), and
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
 *   ... run slices, calling h.applyDue(), h.bounds() and h.tick() ...
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
   * Instructions between automatic checkpoints while running. Default 1,000,000; stretched
   * (up to 8 times) when a checkpoint costs more than about 3% of the running time since the
   * last one.
   */
  interval?: number;
  /** Host milliseconds (the target's scheduler clock), to keep checkpoints cheap. */
  now?: () => number;
  /** Checkpoints kept before older ones are thinned. Default 64. */
  maxCheckpoints?: number;
}

export class History {
  readonly interval: number;
  readonly maxCheckpoints: number;
  private checkpoints: Checkpoint[] = [];
  /** The memory of the last checkpoint made, kept across restarts to share unchanged pages. */
  private lastMemory: PagedRegion[] = [];
  private inputs: HostInput[] = [];
  /** Index of the next recorded input not yet applied in the present timeline. */
  private next = 0;
  /** The furthest instruction count the run has reached live (outputs behind it were seen). */
  private frontier = 0;
  /** Instructions to the next automatic checkpoint (interval, stretched by its cost). */
  private gap: number;
  private readonly now: (() => number) | null;
  private lastAt: { time: number; instructions: number } | null = null;

  constructor(
    private readonly session: EmulatorSession,
    options: HistoryOptions = {},
  ) {
    this.interval = options.interval ?? 1_000_000;
    this.maxCheckpoints = Math.max(4, options.maxCheckpoints ?? 64);
    this.gap = this.interval;
    this.now = options.now ?? null;
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
    const memory = regions.map((m) =>
      paged(
        { name: m.name, base: m.base, bytes: m.bytes },
        reference.find((p) => p.base === m.base && p.name === m.name),
      ),
    );
    this.lastMemory = memory;
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

  /** Drops every other checkpoint of the older half (never the first) past the limit. */
  private thin(): void {
    if (this.checkpoints.length <= this.maxCheckpoints) return;
    const half = this.checkpoints.length >> 1;
    const kept = this.checkpoints.filter((_, i) => i === 0 || i >= half || i % 2 === 0);
    this.checkpoints = kept;
  }

  /** Between slices while running: a checkpoint every `interval` instructions. */
  tick(): void {
    const now = this.session.instructions;
    if (now > this.frontier) this.frontier = now;
    const last = this.lastBefore(now);
    if (last && now - last.instructions < this.gap) return;
    const t0 = this.now?.() ?? 0;
    this.checkpoint();
    if (!this.now) return;
    const t1 = this.now();
    // Keep checkpoints at about 3% of the running time: a costly one (a busy host, a machine
    // with much memory) stretches the gap to the next, up to 8 intervals (which bounds how far
    // a reverse step replays).
    if (this.lastAt && t0 > this.lastAt.time) {
      const perMs = (now - this.lastAt.instructions) / (t0 - this.lastAt.time);
      const wanted = perMs * (t1 - t0) * 33;
      this.gap = Math.max(this.interval, Math.min(this.interval * 8, wanted));
    }
    this.lastAt = { time: t1, instructions: now };
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
      m.pages.forEach((page, i) => {
        const at = i * PAGE;
        if (equalBytes(page, region.bytes.subarray(at, at + page.length))) return;
        region.bytes.set(page, at);
        bus.invalidate(m.base + at, page.length);
      });
    }
    this.session.restore(c.snapshot);
    this.next = c.inputsApplied;
    this.lastAt = null;
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
  memory(): { checkpoints: number; bytes: number; inputs: number; gap: number } {
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
    };
  }
}

/** A region's bytes as pages, sharing each page equal to the same page of `prev`. */
/** One all-zero page shared by every checkpoint (untouched RAM is most of a big machine's). */
const ZERO_PAGE = new Uint8Array(PAGE);

function paged(
  m: { name: string; base: number; bytes: Uint8Array },
  prev?: PagedRegion,
): PagedRegion {
  const pages: Uint8Array[] = [];
  for (let at = 0, i = 0; at < m.bytes.length; at += PAGE, i++) {
    const page = m.bytes.subarray(at, Math.min(at + PAGE, m.bytes.length));
    const old = prev && prev.length === m.bytes.length ? prev.pages[i] : undefined;
    if (old && equalBytes(old, page)) pages.push(old);
    else if (page.length === PAGE && isZero(page)) pages.push(ZERO_PAGE);
    else pages.push(page.slice());
  }
  return { name: m.name, base: m.base, length: m.bytes.length, pages };
}

function isZero(page: Uint8Array): boolean {
  if (page.byteOffset % 4 === 0) {
    const w = new Uint32Array(page.buffer, page.byteOffset, page.length >> 2);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < page.length; i++) if (page[i] !== 0) return false;
  return true;
}

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
