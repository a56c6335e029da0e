/**
 * Virtual clock: the core's cycle counter plus a queue of scheduled peripheral events.
 *
 * Time in the emulator is never the host's: the core adds each instruction's cycle cost to
 * `now`, and between instructions runs every event whose cycle has come, in (cycle, schedule
 * order) order so the same inputs give the same run. WFI/WFE jump `now` to `nextEventAt()`.
 *
 * A guard keeps a device model's bug from hanging the host. An event at or before `now` runs
 * in the same `runDue` pass, so a device whose event re-arms itself at the present cycle (a
 * delay computed as zero or negative) would loop there for ever, inside one instruction, where
 * no instruction or wall-clock limit can stop it. The clock counts, per device (`owner`), the
 * events scheduled at or before the present cycle while time stands still; past
 * `RUNAWAY_LIMIT` it reports the device once (`onDiagnostic`, kept in `diagnostics`) and from
 * then on gives that device at most one such event per cycle, later ones waiting for the next
 * cycle: time advances, the core runs and the host's limits apply. An event at a cycle that is
 * not a number is dropped and reported the same way.
 *
 * Usage:
 *   const h = clock.scheduleIn(25_000, () => uart.txDone(), 'uart0');
 *   clock.cancel(h);
 *   clock.onDiagnostic = (m) => log(m);
 */
import { DOUBLE_FIELD } from './double-field';
import type { EventHandle, VirtualClock } from './interfaces';

/** A scheduled event (a class: its cycle is a double from the start, see DOUBLE_FIELD). */
class Pending {
  at = DOUBLE_FIELD;
  constructor(
    at: number,
    readonly seq: number,
    readonly handle: number,
    readonly callback: () => void,
  ) {
    this.at = at;
  }
}

/**
 * Events one device may schedule at or before the present cycle before the clock calls it a
 * runaway. Real work stays far below it: a store-multiple of task writes, a PPI fan-out.
 */
export const RUNAWAY_LIMIT = 64;
/** How a device that gave no name appears in diagnostics. */
const UNNAMED = 'an unnamed device';

export class Clock implements VirtualClock {
  /** The present cycle (a double from the start: DOUBLE_FIELD). */
  now = DOUBLE_FIELD;
  /** Cached earliest event cycle; the core compares against it after every instruction. */
  next = Infinity;
  /** Called with each report of a device model's bug (also kept in `diagnostics`). */
  onDiagnostic: ((message: string) => void) | undefined = undefined;
  /** Every report so far (one per device and kind of bug). */
  readonly diagnostics: string[] = [];
  private queue: Pending[] = [];
  private seq = 0;
  private handles = 0;
  /** The cycle `dueCounts` belongs to. */
  private dueCycle = -1;
  /** Events per device scheduled at or before `dueCycle` while time stood at it. */
  private readonly dueCounts = new Map<string, number>();
  /** Devices found re-arming at the present cycle: one such event per cycle from then on. */
  private readonly runaways = new Set<string>();
  private readonly reported = new Set<string>();

  constructor(readonly frequencyHz: number) {
    if (!(frequencyHz > 0)) throw new Error(`clock frequency must be positive, got ${frequencyHz}`);
    this.now = 0;
  }

  schedule(atCycle: number, callback: () => void, owner?: string): EventHandle {
    let at = atCycle;
    if (!(at > this.now)) {
      if (Number.isNaN(at)) {
        this.report(
          `nan:${owner ?? UNNAMED}`,
          `${owner ?? UNNAMED} scheduled an event at a cycle that is not a number (a device model bug); the event is dropped`,
        );
        return ++this.handles;
      }
      at = this.guardDue(owner ?? UNNAMED);
    }
    const ev = new Pending(at, this.seq++, ++this.handles, callback);
    // Insertion keeps the queue sorted by (at, seq); queues are short (a few peripherals).
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.at > ev.at) i--;
    this.queue.splice(i, 0, ev);
    this.next = this.queue[0]!.at;
    return ev.handle;
  }

  scheduleIn(deltaCycles: number, callback: () => void, owner?: string): EventHandle {
    return this.schedule(this.now + deltaCycles, callback, owner);
  }

  /** The cycle an event `owner` asked for at or before the present one really gets. */
  private guardDue(owner: string): number {
    if (this.dueCycle !== this.now) {
      this.dueCycle = this.now;
      this.dueCounts.clear();
    }
    const n = (this.dueCounts.get(owner) ?? 0) + 1;
    this.dueCounts.set(owner, n);
    const runaway = this.runaways.has(owner);
    if (n <= (runaway ? 1 : RUNAWAY_LIMIT)) return this.now;
    if (!runaway) {
      this.runaways.add(owner);
      this.report(
        `due:${owner}`,
        `${owner} scheduled more than ${RUNAWAY_LIMIT} events at or before cycle ${this.now} without time moving on (a device model bug); its events now wait for the next cycle so the machine keeps running`,
      );
    }
    return this.now + 1;
  }

  private report(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.diagnostics.push(`clock: ${message}`);
    this.onDiagnostic?.(`clock: ${message}`);
  }

  cancel(handle: EventHandle): void {
    const i = this.queue.findIndex((e) => e.handle === handle);
    if (i >= 0) this.queue.splice(i, 1);
    this.next = this.queue.length ? this.queue[0]!.at : Infinity;
  }

  nextEventAt(): number {
    return this.next;
  }

  /** Runs every event due at or before `now`. */
  runDue(): void {
    while (this.queue.length && this.queue[0]!.at <= this.now) {
      const ev = this.queue.shift()!;
      this.next = this.queue.length ? this.queue[0]!.at : Infinity;
      ev.callback();
    }
    this.next = this.queue.length ? this.queue[0]!.at : Infinity;
  }

  /** Forget all events and restart time (core reset of the whole machine). */
  clear(): void {
    this.queue = [];
    this.next = Infinity;
    this.now = 0;
    this.dueCycle = -1;
    this.dueCounts.clear();
    this.runaways.clear();
    this.reported.clear();
  }

  /** Event callbacks are closures, so snapshots carry time only; devices re-arm on restore. */
  snapshot(): { now: number } {
    return { now: this.now };
  }
}
