/**
 * Fault reports in words: each CFSR cause, HardFault escalation (HFSR FORCED), vector-table
 * failures and the faulting PC's symbol, as describeFault puts them in one line.
 */
import { describe, expect, it } from 'vitest';
import { cfsrCauses, describeFault } from './fault-report';

describe('describeFault', () => {
  it('says a HardFault escalated from a precise BusFault, with the address and the symbol', () => {
    expect(
      describeFault(
        { exception: 3, cfsr: 0x8200, hfsr: 0x40000000, mmfar: 0, bfar: 0x4007c074, pc: 0x1bf32 },
        (a) => (a === 0x1bf32 ? 'init' : null),
      ),
    ).toBe('HardFault (escalated from precise BusFault at 0x4007c074, pc 0x1bf32 in init)');
  });

  it('names every CFSR cause, with MMFAR/BFAR only when they are valid', () => {
    expect(cfsrCauses(0x82, 0x20000000, 0)).toEqual([
      'MemManage fault on data access at 0x20000000',
    ]);
    expect(cfsrCauses(0x02, 0x20000000, 0)).toEqual(['MemManage fault on data access']);
    expect(cfsrCauses(0x0400, 0, 0)).toEqual(['imprecise BusFault']);
    expect(cfsrCauses(0x1 | 0x10 | 0x1000 | 0x10000 | 0x20000 | 0x40000 | 0x80000, 0, 0)).toEqual([
      'MemManage fault on instruction fetch (execute-never or no access)',
      'MemManage fault while stacking on exception entry',
      'BusFault while stacking on exception entry',
      'UsageFault: undefined instruction',
      'UsageFault: invalid state (branch to an address without the Thumb bit)',
      'UsageFault: invalid EXC_RETURN on exception return',
      'UsageFault: coprocessor (FPU) not enabled',
    ]);
    expect(cfsrCauses(0x03000000, 0, 0)).toEqual([
      'UsageFault: unaligned access',
      'UsageFault: divide by zero',
    ]);
  });

  it('reports a fault taken by its own handler, a vector-table failure and a missing symbol', () => {
    expect(
      describeFault(
        { exception: 6, cfsr: 0x02000000, hfsr: 0, mmfar: 0, bfar: 0, pc: 0x100 },
        () => null,
      ),
    ).toBe('UsageFault (UsageFault: divide by zero, pc 0x100)');
    expect(
      describeFault({ exception: 3, cfsr: 0, hfsr: 2, mmfar: 0, bfar: 0, pc: 0 }, () => null),
    ).toBe('HardFault (vector table read failed, pc 0x0)');
  });
});
