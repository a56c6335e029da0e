/**
 * A minimal VirtualClock and InterruptLines for peripheral unit tests (not for machines).
 *
 * `advance(n)` moves time forward, firing due events in order, so a test can check timer
 * edges cycle by cycle without a CPU.
 */
import type { EventHandle, InterruptLines, VirtualClock } from '../core/interfaces';

export class TestClock implements VirtualClock {
  now = 0;
  private events = new Map<EventHandle, { at: number; cb: () => void }>();
  private nextHandle = 1;
  constructor(readonly frequencyHz = 25_000_000) {}
  schedule(atCycle: number, callback: () => void, _owner?: string): EventHandle {
    const h = this.nextHandle++;
    this.events.set(h, { at: atCycle, cb: callback });
    return h;
  }
  scheduleIn(delta: number, callback: () => void, owner?: string): EventHandle {
    return this.schedule(this.now + delta, callback, owner);
  }
  cancel(handle: EventHandle): void {
    this.events.delete(handle);
  }
  nextEventAt(): number {
    let m = Infinity;
    for (const e of this.events.values()) m = Math.min(m, e.at);
    return m;
  }
  advance(cycles: number): void {
    const end = this.now + cycles;
    for (;;) {
      let best: [EventHandle, { at: number; cb: () => void }] | undefined;
      for (const entry of this.events)
        if (entry[1].at <= end && (!best || entry[1].at < best[1].at)) best = entry;
      if (!best) break;
      this.events.delete(best[0]);
      this.now = best[1].at;
      best[1].cb();
    }
    this.now = end;
  }
}

export class TestLines implements InterruptLines {
  levels = new Map<number, boolean>();
  pulses: number[] = [];
  setLevel(irq: number, high: boolean): void {
    this.levels.set(irq, high);
  }
  pulse(irq: number): void {
    this.pulses.push(irq);
  }
  high(irq: number): boolean {
    return this.levels.get(irq) ?? false;
  }
}
