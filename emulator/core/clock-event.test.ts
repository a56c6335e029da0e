/** Tests for ClockEvent: arming replaces, firing clears before the work, cancel forgets. */
import { describe, expect, it } from 'vitest';
import { Clock } from './clock';
import { ClockEvent } from './clock-event';

describe('ClockEvent', () => {
  it('arms, re-arms (replacing), fires once and may re-arm from its own work', () => {
    const clock = new Clock(1000);
    const fired: number[] = [];
    const ev: ClockEvent = new ClockEvent(clock, 'test', () => {
      fired.push(clock.now);
      expect(ev.armed).toBe(false);
      expect(ev.at).toBeNull();
      if (fired.length < 3) ev.armIn(10);
    });
    ev.armAt(50);
    ev.armAt(20); // replaces 50
    expect(ev.at).toBe(20);
    expect(clock.nextEventAt()).toBe(20);
    for (clock.now = 0; clock.now <= 100; clock.now++) clock.runDue();
    expect(fired).toEqual([20, 30, 40]);
    expect(ev.armed).toBe(false);
  });

  it('cancels, and names its device to the clock guard', () => {
    const clock = new Clock(1000);
    let runs = 0;
    const ev: ClockEvent = new ClockEvent(clock, 'UARTE0 TX frame', () => {
      runs++;
      ev.armIn(0);
    });
    ev.armIn(5);
    ev.cancel();
    expect(clock.nextEventAt()).toBe(Infinity);
    clock.now = 5;
    clock.runDue();
    expect(runs).toBe(0);
    ev.armIn(0);
    clock.runDue();
    expect(runs).toBeLessThan(100);
    expect(clock.diagnostics[0]).toMatch(/UARTE0 TX frame scheduled more than/);
  });
});
