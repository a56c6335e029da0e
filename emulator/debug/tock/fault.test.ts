/**
 * The fault explainer's words for the faults the kernel's test apps make: a write into the
 * kernel's RAM, a stack overflow (an access just below the stack, or a stacking fault), a read
 * of another process's RAM, an undefined instruction (no address).
 */
import { describe, expect, it } from 'vitest';
import type { MemoryRegion } from '../target';
import { explainFault, type FaultProcess } from './fault';

const MAP: MemoryRegion[] = [
  { name: 'flash', kind: 'flash', start: 0, size: 0x100000 },
  { name: 'ram', kind: 'ram', start: 0x2000_0000, size: 0x40000 },
  { name: 'peripherals', kind: 'peripheral', start: 0x4000_0000, size: 0x20000000 },
];
const PROCS: FaultProcess[] = [
  {
    name: 'hello',
    slot: 0,
    flash: { start: 0x40000, end: 0x44000 },
    ram: { start: 0x2000_8000, end: 0x2000_9800 },
    stack: { start: 0x2000_8000, end: 0x2000_8800 },
    heap: { start: 0x2000_8810, end: 0x2000_9000 },
    grant: { start: 0x2000_9400, end: 0x2000_9800 },
  },
  {
    name: 'fault_stack',
    slot: 1,
    flash: { start: 0x44000, end: 0x48000 },
    ram: { start: 0x2000_a000, end: 0x2000_b800 },
    stack: { start: 0x2000_a000, end: 0x2000_a800 },
  },
];
const base = { pc: 0x40100, sp: 0x2000_8700, processes: PROCS, memoryMap: MAP };

describe('fault explainer', () => {
  it('a data access into the kernel RAM', () => {
    const e = explainFault({ ...base, cfsr: 0x82, mmfar: 0x2000_0100, bfar: 0, process: 'hello' });
    expect(e.address).toBe(0x2000_0100);
    expect(e.where).toBe("the kernel's RAM (ram)");
    expect(e.stackOverflow).toBe(false);
    expect(e.summary).toBe(
      "hello accessed 0x20000100, in the kernel's RAM (ram), which the MPU does not let it reach.",
    );
    expect(e.causes[0]).toMatch(/MemManage fault on data access at 0x20000100/);
  });

  it('another process, its own grant region, a peripheral', () => {
    const at = (a: number): string | null =>
      explainFault({ ...base, cfsr: 0x82, mmfar: a, bfar: 0, process: 'hello' }).where;
    expect(at(0x2000_a010)).toBe('the RAM of process fault_stack (slot 1)');
    expect(at(0x2000_9500)).toBe('its grant region (kernel memory inside its RAM)');
    expect(at(0x4000_2000)).toBe('a peripheral (peripherals)');
    expect(at(0x3000_0000)).toBe('unmapped memory');
  });

  it('a stack overflow: just below the stack, or stacking with SP below it', () => {
    const below = explainFault({
      ...base,
      cfsr: 0x82,
      mmfar: 0x2000_9ff8,
      bfar: 0,
      process: 'fault_stack',
      sp: 0x2000_a004,
    });
    expect(below.stackOverflow).toBe(true);
    expect(below.summary).toMatch(/fault_stack overflowed its stack: it touched 0x20009ff8 below/);
    const stacking = explainFault({
      ...base,
      cfsr: 0x10,
      mmfar: 0,
      bfar: 0,
      process: 'fault_stack',
      sp: 0x2000_9fe0,
    });
    expect(stacking.stackOverflow).toBe(true);
    expect(stacking.address).toBeNull();
  });

  it('no address: the causes in words', () => {
    const e = explainFault({
      ...base,
      cfsr: 1 << 16,
      mmfar: 0,
      bfar: 0,
      process: 'hello',
      lastSyscall: 'command console 1',
    });
    expect(e.address).toBeNull();
    expect(e.summary).toBe('hello faulted: UsageFault: undefined instruction.');
    expect(e.lastSyscall).toBe('command console 1');
  });
});
