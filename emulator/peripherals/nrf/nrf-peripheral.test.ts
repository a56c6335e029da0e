/**
 * The shared task/event/shortcut/interrupt semantics (nRF52840 PS §6.1 "Peripheral
 * interface"), exercised through a minimal peripheral: TASKS_GO (0x000) raises EVENTS_DONE
 * (0x100) and TASKS_ECHO (0x004) raises EVENTS_ECHOED (0x104); SHORTS bit 1 connects DONE to ECHO.
 */
import { describe, expect, it } from 'vitest';
import { TestClock, TestLines } from '../test-clock';
import { type DmaPort, NrfPeripheral } from './nrf-peripheral';

class Probe extends NrfPeripheral {
  protected override readonly shortcuts = [undefined, [0, 0x004] as const];
  protected override readonly intenMask = 0b11;
  tasks: number[] = [];
  scratch = 0;
  protected task(offset: number): void {
    this.tasks.push(offset);
    if (offset === 0x000) this.generate(0);
    if (offset === 0x004) this.generate(1);
  }
  protected readRegister(offset: number): number {
    return offset === 0x500 ? this.scratch : 0;
  }
  protected writeRegister(offset: number, value: number): void {
    if (offset === 0x500) this.scratch = value;
  }
  protected saveState(): unknown {
    return { scratch: this.scratch };
  }
  protected loadState(state: unknown): void {
    this.scratch = (state as { scratch: number }).scratch;
  }
  protected resetRegisters(): void {
    this.scratch = 0;
  }
}

const noDma: DmaPort = {
  read: () => new Uint8Array(0),
  write: () => undefined,
  inRam: () => false,
};

function make(): { p: Probe; irq: TestLines; published: number[] } {
  const irq = new TestLines();
  const published: number[] = [];
  const p = new Probe('probe', 0x40025000, {
    clock: new TestClock(64_000_000),
    irq,
    dma: noDma,
    publish: (a) => published.push(a),
  });
  return { p, irq, published };
}

describe('NrfPeripheral', () => {
  it('takes its interrupt line from the base address (ID = IRQ)', () => {
    expect(make().p.id).toBe(0x25);
  });

  it('starts a task on a write of 1 only; tasks read as 0', () => {
    const { p } = make();
    p.write(0x000, 4, 0);
    expect(p.tasks).toEqual([]);
    p.write(0x000, 4, 1);
    expect(p.tasks).toEqual([0]);
    expect(p.read(0x000, 4)).toBe(0);
  });

  it('keeps an event set until firmware writes 0 and publishes it to the PPI', () => {
    const { p, published } = make();
    p.write(0x000, 4, 1);
    expect(p.read(0x100, 4)).toBe(1);
    expect(published).toEqual([0x40025100]);
    p.write(0x100, 4, 0);
    expect(p.read(0x100, 4)).toBe(0);
  });

  it('drives its line while an enabled event is set (INTENSET/INTENCLR/INTEN)', () => {
    const { p, irq } = make();
    p.write(0x000, 4, 1);
    expect(irq.high(0x25)).toBe(false);
    p.write(0x304, 4, 0b1);
    expect(irq.high(0x25)).toBe(true);
    expect(p.read(0x300, 4)).toBe(1);
    p.write(0x100, 4, 0);
    expect(irq.high(0x25)).toBe(false);
    p.write(0x000, 4, 1);
    expect(irq.high(0x25)).toBe(true);
    p.write(0x308, 4, 0b1);
    expect(irq.high(0x25)).toBe(false);
    p.write(0x300, 4, 0xffffffff);
    expect(p.read(0x304, 4)).toBe(0b11); // unimplemented bits read 0
  });

  it('follows an enabled shortcut from an event to a task', () => {
    const { p } = make();
    p.write(0x000, 4, 1);
    expect(p.tasks).toEqual([0]);
    p.write(0x200, 4, 0xffffffff);
    expect(p.read(0x200, 4)).toBe(0b10); // only the implemented shortcut bit sticks
    p.write(0x000, 4, 1);
    expect(p.tasks).toEqual([0, 0, 4]);
    expect(p.read(0x104, 4)).toBe(1);
  });

  it('passes narrow accesses on their byte lanes', () => {
    const { p } = make();
    p.write(0x501, 1, 0xab);
    expect(p.read(0x500, 4)).toBe(0xab00);
    expect(p.read(0x501, 1)).toBe(0xab);
  });

  it('clears everything on reset and restores a snapshot with the line re-driven', () => {
    const { p, irq } = make();
    p.write(0x304, 4, 1);
    p.write(0x000, 4, 1);
    p.write(0x500, 4, 7);
    const snap = structuredClone(p.snapshot());
    p.reset();
    expect(irq.high(0x25)).toBe(false);
    expect(p.read(0x100, 4)).toBe(0);
    expect(p.read(0x500, 4)).toBe(0);
    p.restore(snap);
    expect(irq.high(0x25)).toBe(true);
    expect(p.read(0x500, 4)).toBe(7);
  });
});
