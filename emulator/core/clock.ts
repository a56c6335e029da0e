/**
 * Virtual clock: the core's cycle counter plus a queue of scheduled peripheral events.
 *
 * Time in the emulator is never the host's: the core adds each instruction's cycle cost to
 * `now`, and between instructions runs every event whose cycle has come, in (cycle, schedule
 * order) order so the same inputs give the same run. WFI/WFE jump `now` to `nextEventAt()`.
 *
 * Usage:
 *   const h = clock.scheduleIn(25_000, () => uart.txDone());
 *   clock.cancel(h);
 */
import type { EventHandle, VirtualClock } from './interfaces';

interface Pending {
  at: number;
  seq: number;
  handle: number;
  callback: () => void;
}

export class Clock implements VirtualClock {
  now = 0;
  /** Cached earliest event cycle; the core compares against it after every instruction. */
  next = Infinity;
  private queue: Pending[] = [];
  private seq = 0;
  private handles = 0;

  constructor(readonly frequencyHz: number) {
    if (!(frequencyHz > 0)) throw new Error(`clock frequency must be positive, got ${frequencyHz}`);
  }

  schedule(atCycle: number, callback: () => void): EventHandle {
    const ev: Pending = {
      at: Math.max(atCycle, this.now),
      seq: this.seq++,
      handle: ++this.handles,
      callback,
    };
    // Insertion keeps the queue sorted by (at, seq); queues are short (a few peripherals).
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.at > ev.at) i--;
    this.queue.splice(i, 0, ev);
    this.next = this.queue[0]!.at;
    return ev.handle;
  }

  scheduleIn(deltaCycles: number, callback: () => void): EventHandle {
    return this.schedule(this.now + deltaCycles, callback);
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
  }

  /** Event callbacks are closures, so snapshots carry time only; devices re-arm on restore. */
  snapshot(): { now: number } {
    return { now: this.now };
  }
}
