/**
 * The NVIC's interrupt-state rules, checked one by one against the architecture.
 *
 * ARMv7-M Architecture Reference Manual B3.4 (NVIC) and the Cortex-M4 Devices Generic User
 * Guide 4.2.9-4.2.10 ("Level-sensitive and pulse interrupts", "Hardware and software control of
 * interrupts") say when an external interrupt becomes pending and when it stops being pending:
 * - a rising edge, or the signal HIGH while the interrupt is not active, pends it;
 * - entering its handler clears pending; on exception return a still-asserted level pends it
 *   again;
 * - writing ICPR clears pending, except for a level-sensitive interrupt whose signal is still
 *   asserted: its state does not change;
 * - ISPR pends an interrupt even while it is disabled (it is taken once enabled);
 * - an interrupt can be pending and active at once; it is taken again after its handler
 *   returns (tail-chained), never nested inside itself;
 * - a priority write re-evaluates pending interrupts at once.
 * Each test drives a level-sensitive line from a tiny peripheral the program writes (as an nRF
 * peripheral's event + INTEN does), so the programs run exactly like firmware would.
 */
import { describe, expect, it } from 'vitest';
import { Program } from '../assembler';
import { CortexM } from '../cortex-m';
import type { AccessSize, MmioDevice } from '../interfaces';
import { bareCore } from '../testing/bare-core';

const RAM = 0x20000000;
/** A peripheral whose word at offset 0 drives IRQ line 0 and offset 4 line 1 (1 = asserted). */
const DEV = 0x40000000;
const ISER = 0xe000e100;
const ICER = 0xe000e180;
const ISPR = 0xe000e200;
const ICPR = 0xe000e280;
const IPR = 0xe000e400;

function lineDevice(core: CortexM): MmioDevice {
  return {
    name: 'lines',
    read: (_o: number, _s: AccessSize) => 0,
    write: (offset: number, _s: AccessSize, value: number) =>
      core.irq.setLevel(offset >> 2, value !== 0),
  };
}

interface Handlers {
  irq0?: (p: Program) => void;
  irq1?: (p: Program) => void;
}

/** Boots `body` with the two IRQ handlers; r6 counts nothing by itself (handlers do). */
function run(body: (p: Program) => void, handlers: Handlers): CortexM {
  const { core, flash } = bareCore();
  core.bus.mapDevice(DEV, 0x1000, lineDevice(core));
  const p = new Program(0);
  p.word(RAM + 0x8000).addr('reset', 1);
  for (let e = 2; e < 24; e++) {
    const name = e === 16 && handlers.irq0 ? 'irq0' : e === 17 && handlers.irq1 ? 'irq1' : null;
    p.addr(name ?? 'unexpected', 1);
  }
  p.label('reset');
  p.i('MOV_imm_T1', { d: 6, i: 0 });
  body(p);
  p.mov32(1, 0x77).i('BKPT_T1', { i: 0xab });
  if (handlers.irq0) handlers.irq0(p.align(4).label('irq0'));
  if (handlers.irq1) handlers.irq1(p.align(4).label('irq1'));
  p.align(4).label('unexpected').mov32(1, 0xee).i('BKPT_T1', { i: 0xab });
  flash.set(p.bytes());
  core.reset();
  const r = core.run(100_000);
  expect(r).toEqual({ kind: 'exit', code: 0x77 });
  return core;
}

/** `*(addr) = value` using r0/r1. */
const store = (p: Program, addr: number, value: number): Program =>
  p.mov32(0, addr).mov32(1, value).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
/** `r{d} = *(addr)` using r0. */
const load = (p: Program, d: number, addr: number): Program =>
  p.mov32(0, addr).i('LDR_imm_T1', { t: d, n: 0, i: 0 });

describe('NVIC interrupt state (ARMv7-M ARM B3.4, Cortex-M4 GUG 4.2.9-4.2.10)', () => {
  it('ICPR leaves an interrupt pending while its level-sensitive line is still asserted', () => {
    // As a Tock-style kernel does: the handler masks the interrupt (ICER) and returns; the
    // bottom half later clears its pending bit and re-enables it. A byte that arrived meanwhile
    // keeps the line high, so it must stay pending and interrupt again.
    const core = run(
      (p) => {
        store(p, ISER, 1);
        store(p, DEV, 1); // line 0 asserted: the handler runs after this store
        store(p, ICPR, 1); // bottom half: clear pending with the line still high
        load(p, 3, ISPR); // still pending
        store(p, ISER, 1); // re-enable: taken again
        store(p, DEV, 0); // the source is acknowledged: line low
        store(p, ICPR, 1);
        load(p, 4, ISPR); // now ICPR clears it
      },
      {
        irq0: (p) => {
          p.i('ADD_imm_T2', { d: 6, i: 1 });
          store(p, ICER, 1).i('BX_T1', { m: 14 });
        },
      },
    );
    expect(core.readRegister(3) & 1).toBe(1);
    expect(core.readRegister(4) & 1).toBe(0);
    expect(core.readRegister(6)).toBe(2);
  });

  it('re-pends a still-asserted level on exception return, not while the handler runs', () => {
    const core = run(
      (p) => {
        store(p, ISER, 1);
        store(p, DEV, 1);
      },
      {
        // Acknowledge the source on the third entry; each entry records ISPR (line high but
        // the interrupt active: not pending).
        irq0: (p) => {
          p.i('ADD_imm_T2', { d: 6, i: 1 });
          load(p, 5, ISPR).i('ADD_reg_T2', { D: 0, d: 7, m: 5 });
          p.i('CMP_imm_T1', { n: 6, i: 3 }).branch('B_T1', 'irq0_out', { c: 1 });
          store(p, DEV, 0);
          p.label('irq0_out').i('BX_T1', { m: 14 });
        },
      },
    );
    expect(core.readRegister(6)).toBe(3);
    expect(core.readRegister(7)).toBe(0); // never pending while active
  });

  it('pends a rising edge that arrives while the handler is active (taken after it returns)', () => {
    const core = run(
      (p) => {
        store(p, ISER, 1);
        store(p, DEV, 1);
        store(p, DEV, 0);
      },
      {
        // First entry: drop the line and raise it again (a new edge) -> pending and active.
        irq0: (p) => {
          p.i('ADD_imm_T2', { d: 6, i: 1 });
          p.i('CMP_imm_T1', { n: 6, i: 1 }).branch('B_T1', 'irq0_ack', { c: 1 });
          store(p, DEV, 0);
          store(p, DEV, 1);
          load(p, 5, ISPR);
          p.label('irq0_ack');
          store(p, DEV, 0).i('BX_T1', { m: 14 });
        },
      },
    );
    expect(core.readRegister(5) & 1).toBe(1);
    expect(core.readRegister(6)).toBe(2);
  });

  it('ISPR pends a disabled interrupt; enabling it takes it', () => {
    const core = run(
      (p) => {
        store(p, ISPR, 2); // irq1, disabled
        load(p, 3, ISPR);
        p.i('MOV_reg_T1', { D: 0, d: 4, m: 6 }); // not taken yet
        store(p, ISER, 2);
        p.i('MOV_reg_T1', { D: 0, d: 5, m: 6 }); // taken by now
      },
      { irq1: (p) => p.i('ADD_imm_T2', { d: 6, i: 1 }).i('BX_T1', { m: 14 }) },
    );
    expect(core.readRegister(3) & 2).toBe(2);
    expect(core.readRegister(4)).toBe(0);
    expect(core.readRegister(5)).toBe(1);
  });

  it('an interrupt pended from its own handler runs again after it, tail-chained, not nested', () => {
    const core = run(
      (p) => {
        store(p, ISER, 2);
        store(p, ISPR, 2);
      },
      {
        // Record EXC_RETURN per entry: 0xFFFFFFF9 (back to Thread) both times, never 0xF1.
        irq1: (p) => {
          p.i('ADD_imm_T2', { d: 6, i: 1 });
          p.i('CMP_imm_T1', { n: 6, i: 1 }).branch('B_T1', 'irq1_second', { c: 1 });
          p.i('MOV_reg_T1', { D: 1, d: 0, m: 14 }); // r8 = lr
          store(p, ISPR, 2); // pending while active: not taken now
          p.i('MOV_reg_T1', { D: 1, d: 1, m: 6 }); // r9 = count
          p.i('BX_T1', { m: 14 });
          p.label('irq1_second')
            .i('MOV_reg_T1', { D: 1, d: 2, m: 14 }) // r10 = lr
            .i('BX_T1', { m: 14 });
        },
      },
    );
    expect(core.readRegister(6)).toBe(2);
    expect(core.readRegister(9)).toBe(1); // still the first entry right after pending itself
    expect(core.readRegister(8) >>> 0).toBe(0xfffffff9);
    expect(core.readRegister(10) >>> 0).toBe(0xfffffff9);
  });

  it('a priority change lets a pending interrupt masked by BASEPRI preempt at once', () => {
    const core = run(
      (p) => {
        store(p, IPR, 0x8000); // irq1 priority 0x80
        p.i('MOV_imm_T1', { d: 2, i: 0x40 }).i('MSR_T1', { n: 2, s: 17, m: 0 }); // BASEPRI 0x40
        store(p, ISER, 2);
        store(p, ISPR, 2);
        p.i('MOV_reg_T1', { D: 0, d: 4, m: 6 }); // masked: 0
        store(p, IPR, 0x2000); // irq1 priority 0x20: above BASEPRI
        p.i('MOV_reg_T1', { D: 0, d: 5, m: 6 }); // taken: 1
      },
      { irq1: (p) => p.i('ADD_imm_T2', { d: 6, i: 1 }).i('BX_T1', { m: 14 }) },
    );
    expect(core.readRegister(4)).toBe(0);
    expect(core.readRegister(5)).toBe(1);
  });
});

// ISER/ICER, ISPR/ICPR and IABR read the exception model's bytes four at a time through word
// views (the kernel reads ISPR on every pass of its main loop): the bits must be those of a
// pass over every interrupt, for line counts that fill whole words and ones that do not.
describe('NVIC bank reads', () => {
  it('read the set bits of every bank word as a full pass does', () => {
    let seed = 0x2545f491;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (const numIrqs of [48, 13, 1, 37, 240]) {
      const core = new CortexM({ frequencyHz: 1e6, numIrqs, priorityBits: 3 });
      const exc = core.exc;
      for (let round = 0; round < 40; round++) {
        exc.reset();
        for (let k = next(12); k > 0; k--) {
          const e = 16 + next(numIrqs);
          [exc.enabled, exc.pending, exc.active][next(3)]![e] = 1;
        }
        for (let w = 0; w < Math.ceil(numIrqs / 32) + 1; w++) {
          const want = (arr: Uint8Array): number => {
            let v = 0;
            for (let b = 0; b < 32; b++)
              if (16 + w * 32 + b < exc.numExceptions && arr[16 + w * 32 + b]) v |= 1 << b;
            return v >>> 0;
          };
          const at = (base: number): number => core.bus.read(0xe000e000 + base + 4 * w, 4);
          expect(at(0x100)).toBe(want(exc.enabled));
          expect(at(0x180)).toBe(want(exc.enabled));
          expect(at(0x200)).toBe(want(exc.pending));
          expect(at(0x280)).toBe(want(exc.pending));
          expect(at(0x300)).toBe(want(exc.active));
        }
      }
    }
  });
});
