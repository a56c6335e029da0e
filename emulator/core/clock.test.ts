/**
 * Tests for the virtual clock: event order, cancellation, and the guard that keeps a device
 * model that re-arms at the present cycle (or at a cycle that is not a number) from hanging
 * the host inside `runDue`.
 */
import { describe, expect, it } from 'vitest';
import { Clock } from './clock';

function clockWithDiagnostics(): { clock: Clock; diagnostics: string[] } {
  const clock = new Clock(1_000_000);
  const diagnostics: string[] = [];
  clock.onDiagnostic = (m) => diagnostics.push(m);
  return { clock, diagnostics };
}

describe('Clock', () => {
  it('runs due events in (cycle, schedule order) order and forgets cancelled ones', () => {
    const { clock } = clockWithDiagnostics();
    const order: string[] = [];
    clock.schedule(5, () => order.push('b'));
    clock.schedule(3, () => order.push('a'));
    const c = clock.schedule(5, () => order.push('never'));
    clock.schedule(5, () => order.push('c'));
    clock.cancel(c);
    expect(clock.nextEventAt()).toBe(3);
    clock.now = 5;
    clock.runDue();
    expect(order).toEqual(['a', 'b', 'c']);
    expect(clock.nextEventAt()).toBe(Infinity);
  });

  it('lets a device schedule many events at the present cycle (an STM of task writes)', () => {
    const { clock, diagnostics } = clockWithDiagnostics();
    let runs = 0;
    clock.now = 100;
    for (let i = 0; i < 16; i++) clock.schedule(clock.now, () => runs++, 'PPI');
    clock.runDue();
    expect(runs).toBe(16);
    expect(diagnostics).toEqual([]);
  });

  it('stops a device that re-arms at the present cycle for ever: reported once, time moves on', () => {
    const { clock, diagnostics } = clockWithDiagnostics();
    let runs = 0;
    // A model bug: every expiry schedules the next one at (or before) the present cycle.
    const arm = (): void => {
      clock.schedule(
        clock.now - 1,
        () => {
          runs++;
          if (runs < 1_000_000) arm();
        },
        'dualtimer',
      );
    };
    clock.now = 1000;
    arm();
    clock.runDue();
    expect(runs).toBeLessThan(1000);
    expect(clock.nextEventAt()).toBe(1001);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatch(/dualtimer/);
    expect(diagnostics[0]).toMatch(/cycle 1000/);
    // Time advances: the device gets one event per cycle from now on, and is not reported again.
    const before = runs;
    clock.now = 1010;
    clock.runDue();
    expect(runs - before).toBeLessThanOrEqual(11);
    expect(clock.nextEventAt()).toBe(1011);
    expect(diagnostics).toHaveLength(1);
  });

  it('names a runaway device that gives no name, and keeps other devices punctual', () => {
    const { clock, diagnostics } = clockWithDiagnostics();
    let runaway = 0;
    let other = 0;
    const arm = (): void => {
      clock.schedule(clock.now, () => {
        runaway++;
        if (runaway < 100_000) arm();
      });
    };
    clock.now = 50;
    clock.schedule(60, () => other++, 'TIMER0');
    arm();
    clock.runDue();
    expect(runaway).toBeLessThan(1000);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatch(/an unnamed device/);
    clock.now = 60;
    clock.runDue();
    expect(other).toBe(1);
  });

  it('refuses an event at a cycle that is not a number, naming the device', () => {
    const { clock, diagnostics } = clockWithDiagnostics();
    let ran = false;
    clock.schedule(NaN, () => (ran = true), 'RTC0');
    expect(clock.nextEventAt()).toBe(Infinity);
    clock.now = 1e9;
    clock.runDue();
    expect(ran).toBe(false);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatch(/RTC0/);
  });

  it('keeps diagnostics when nobody listens, and clear() forgets the runaway marks', () => {
    const clock = new Clock(1000);
    let runs = 0;
    const arm = (): void => {
      clock.schedule(
        clock.now,
        () => {
          runs++;
          if (runs < 10_000) arm();
        },
        'uart0',
      );
    };
    arm();
    clock.runDue();
    expect(runs).toBeLessThan(1000);
    expect(clock.diagnostics).toHaveLength(1);
    clock.clear();
    expect(clock.diagnostics).toHaveLength(1);
    expect(clock.nextEventAt()).toBe(Infinity);
  });
});
