/**
 * Behaviour of the core: ALU and flags, IT blocks, exceptions (SVC, PendSV, SysTick, IRQs,
 * tail-chaining, escalation, lockup), faults (UNDEFINED, divide by zero, unaligned, MPU,
 * BusFault), the exclusive monitor, debug halting, snapshots and code-cache coherence.
 * Programs are built with the table-driven assembler; each ends with semihosting SYS_EXIT
 * (BKPT 0xAB), which the test hook turns into an `exit` stop carrying r1.
 */
import { describe, expect, it } from 'vitest';
import { assemble, Program } from './assembler';
import { CFSR, type CoreConfig, CortexM } from './cortex-m';
import { findEncoding } from './cpu/table';
import { bareCore } from './testing/bare-core';

const RAM = 0x20000000;
const VECTORS: Record<string, number> = {
  nmi: 2,
  hardfault: 3,
  memmanage: 4,
  busfault: 5,
  usagefault: 6,
  svc: 11,
  pendsv: 14,
  systick: 15,
  irq0: 16,
  irq1: 17,
};

interface Booted {
  core: CortexM;
  p: Program;
}

/** Builds a vector table + program; `body` writes code after the `reset` label. */
function boot(
  body: (p: Program) => void,
  handlers: Record<string, (p: Program) => void> = {},
  config: Partial<CoreConfig> = {},
): Booted {
  const { core, flash } = bareCore(config);
  const p = new Program(0);
  p.word(RAM + 0x8000).addr('reset', 1);
  for (let e = 2; e < 24; e++) {
    const name = Object.keys(VECTORS).find((k) => VECTORS[k] === e && handlers[k]);
    p.addr(name ?? 'unexpected', 1);
  }
  p.label('reset');
  body(p);
  exit(p, 0x77);
  for (const [name, h] of Object.entries(handlers)) {
    p.align(4).label(name);
    h(p);
  }
  p.align(4).label('unexpected');
  p.mov32(7, 0xdead);
  exit(p, 0xee);
  flash.set(p.bytes());
  core.reset();
  return { core, p };
}

/** "movs r2, #k ; bx lr" as one data word, assembled from the table (code to store in RAM). */
const routine = (k: number): number =>
  (assemble('MOV_imm_T1', { d: 2, i: k })[0]! | (assemble('BX_T1', { m: 14 })[0]! << 16)) >>> 0;

/** Semihosting exit with `code` in r1 (the hook reports it). */
function exit(p: Program, code: number): void {
  p.mov32(1, code).i('BKPT_T1', { i: 0xab });
}

function runToExit(core: CortexM, max = 100_000): number {
  const r = core.run(max);
  if (r.kind !== 'exit')
    throw new Error(
      `expected exit, got ${JSON.stringify(r)} at pc=${core.readRegister(15).toString(16)}`,
    );
  return r.code;
}

describe('ALU and flags', () => {
  it('computes NZCV for ADDS/SUBS/ADC and shifts', () => {
    const { core } = boot((p) => {
      p.mov32(0, 0x7fffffff).i('ADD_imm_T1', { d: 1, n: 0, i: 1 }); // overflow: N=1 V=1
      p.i('MRS_T1', { d: 2, s: 0 });
      p.i('MOV_imm_T1', { d: 3, i: 5 }).i('SUB_imm_T1', { d: 4, n: 3, i: 5 }); // Z=1 C=1
      p.i('MRS_T1', { d: 5, s: 0 });
      p.mov32(6, 0x80000001).i('LSL_imm_T1', { d: 6, m: 6, i: 1 }); // C=1, result 2
      p.i('MRS_T1', { d: 7, s: 0 });
    });
    expect(runToExit(core)).toBe(0x77);
    expect(core.readRegister(1 - 0) >>> 0).toBe(0x77);
    expect(core.readRegister(2) >>> 28).toBe(0b1001);
    expect(core.readRegister(5) >>> 28).toBe(0b0110);
    expect(core.readRegister(6)).toBe(2);
    expect(core.readRegister(7) >>> 28).toBe(0b0010);
  });

  it('executes IT blocks with then/else and skips flag setting inside them', () => {
    const { core } = boot((p) => {
      p.i('MOV_imm_T1', { d: 0, i: 1 }).i('CMP_imm_T1', { n: 0, i: 1 });
      // ITE EQ: cond=0000, mask for "TE" = 1100 -> firstcond[0]=0 so 'E' bit is 1: mask 1100
      p.i('IT_T1', { c: 0, m: 0b1100 });
      p.i('MOV_imm_T1', { d: 2, i: 10 }); // then: executes
      p.i('MOV_imm_T1', { d: 3, i: 20 }); // else: skipped
      p.i('MOV_imm_T1', { d: 4, i: 0 }); // outside: sets Z
    });
    runToExit(core);
    expect(core.readRegister(2)).toBe(10);
    expect(core.readRegister(3)).toBe(0);
    expect((core.readSpecial('xpsr') >>> 30) & 1).toBe(1);
  });

  it('runs a loop with BL/PUSH/POP and LDM/STM', () => {
    const { core } = boot((p) => {
      p.mov32(0, RAM).i('MOV_imm_T1', { d: 1, i: 1 }).i('MOV_imm_T1', { d: 2, i: 2 });
      p.i('STM_T1', { n: 0, r: 0b110 });
      p.mov32(0, RAM).i('LDM_T1', { n: 0, r: 0b11000 });
      p.i('MOV_imm_T1', { d: 5, i: 0 }).i('MOV_imm_T1', { d: 6, i: 10 });
      p.label('loop')
        .branch('BL_T1', 'inc')
        .i('SUB_imm_T2', { d: 6, i: 1 })
        .branch('B_T1', 'loop', { c: 1 });
      p.branch('B_T2', 'done');
      p.label('inc')
        .i('PUSH_T1', { M: 1, r: 0b10000 })
        .i('ADD_imm_T2', { d: 5, i: 3 })
        .i('POP_T1', { P: 1, r: 0b10000 });
      p.label('done');
    });
    runToExit(core);
    expect(core.readRegister(3)).toBe(1);
    expect(core.readRegister(4)).toBe(2);
    expect(core.readRegister(5)).toBe(30);
    expect(core.readRegister(0)).toBe(RAM + 8);
  });

  it('does DSP arithmetic: SADD16/UQSUB8/SEL/SMLAD/QADD saturation', () => {
    const { core } = boot((p) => {
      p.mov32(0, 0x7fff0001).mov32(1, 0x00010001);
      p.i('SADD16_T1', { d: 2, n: 0, m: 1 }); // 0x80000002, GE = 0b1111 (hi: 0x8000 < 0 -> 0b0011)
      p.i('SEL_T1', { d: 3, n: 0, m: 1 });
      p.mov32(4, 0x7fffffff).i('QADD_T1', { d: 5, n: 4, m: 4 });
      p.i('MRS_T1', { d: 6, s: 0 });
      p.mov32(7, 0x00020003).mov32(8, 0x00040005).i('SMUAD_T1', { d: 9, n: 7, m: 8, M: 0 }); // 3*5+2*4=23
    });
    runToExit(core);
    expect(core.readRegister(2) >>> 0).toBe(0x80000002);
    expect(core.readRegister(3) >>> 0).toBe(0x7fff0001); // GE = 1111 (0x7fff + 1 = 32768 >= 0): all lanes from r0
    expect(core.readRegister(5) >>> 0).toBe(0x7fffffff);
    expect((core.readRegister(6) >>> 27) & 1).toBe(1);
    expect(core.readRegister(9)).toBe(23);
  });
});

describe('exceptions', () => {
  it('takes SVC from unprivileged Thread mode on PSP and returns', () => {
    const { core } = boot(
      (p) => {
        p.mov32(0, RAM + 0x4000).i('MSR_T1', { n: 0, s: 9, m: 0 }); // PSP
        p.i('MOV_imm_T1', { d: 0, i: 3 }).i('MSR_T1', { n: 0, s: 20, m: 0 }); // CONTROL = nPRIV|SPSEL
        p.i('ISB_T1', { o: 15 });
        p.i('MOV_imm_T1', { d: 0, i: 41 }).i('SVC_T1', { i: 7 });
        p.i('MRS_T1', { d: 4, s: 20 }); // CONTROL after return
        p.i('MOV_reg_T1', { D: 0, d: 5, m: 13 });
      },
      {
        svc: (p) => {
          // r0-r3 and r12 come back from the frame, so results go in r6-r8.
          p.i('MOV_reg_T1', { D: 1, d: 0, m: 14 }); // r8 = EXC_RETURN
          p.i('MRS_T1', { d: 6, s: 9 }); // PSP -> frame
          p.i('LDR_imm_T1', { t: 7, n: 6, i: 0 })
            .i('ADD_imm_T2', { d: 7, i: 1 })
            .i('STR_imm_T1', { t: 7, n: 6, i: 0 });
          p.i('BX_T1', { m: 14 });
        },
      },
    );
    runToExit(core);
    expect(core.readRegister(8) >>> 0).toBe(0xfffffffd);
    expect(core.readRegister(0)).toBe(42);
    expect(core.readRegister(4)).toBe(3);
    expect(core.readRegister(5) >>> 0).toBe(RAM + 0x4000);
    expect(core.readSpecial('msp')).toBe(RAM + 0x8000);
  });

  it('tail-chains a PendSV set inside a higher-priority SVC handler', () => {
    const { core } = boot(
      (p) => {
        // SHPR3: PendSV priority 0xE0 (lowest), SVC stays 0.
        p.mov32(0, 0xe000ed20).mov32(1, 0x00e00000).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
        p.i('MOV_imm_T1', { d: 6, i: 0 }).i('SVC_T1', { i: 0 });
      },
      {
        svc: (p) => {
          p.mov32(0, 0xe000ed04).mov32(1, 0x10000000).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
          p.i('LSL_imm_T1', { d: 6, m: 6, i: 4 }).i('ADD_imm_T2', { d: 6, i: 1 }); // r6 = r6*16 + 1
          p.i('BX_T1', { m: 14 });
        },
        pendsv: (p) => {
          p.i('MOV_reg_T1', { D: 0, d: 7, m: 14 }); // proves tail-chain kept the Thread EXC_RETURN
          p.i('LSL_imm_T1', { d: 6, m: 6, i: 4 }).i('ADD_imm_T2', { d: 6, i: 2 });
          p.i('BX_T1', { m: 14 });
        },
      },
    );
    runToExit(core);
    expect(core.readRegister(6)).toBe(0x12);
    expect(core.readRegister(7) >>> 0).toBe(0xfffffff9);
  });

  it('wakes from WFI on SysTick and skips virtual time instead of spinning', () => {
    const { core } = boot(
      (p) => {
        p.mov32(0, 0xe000e010).mov32(1, 999).i('STR_imm_T1', { t: 1, n: 0, i: 1 }); // RVR
        p.i('MOV_imm_T1', { d: 1, i: 7 }).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // enable, tickint, cpu clock
        p.i('MOV_imm_T1', { d: 5, i: 0 });
        p.label('wait')
          .i('WFI_T1')
          .i('CMP_imm_T1', { n: 5, i: 3 })
          .branch('B_T1', 'wait', { c: 1 });
      },
      { systick: (p) => p.i('ADD_imm_T2', { d: 5, i: 1 }).i('BX_T1', { m: 14 }) },
    );
    runToExit(core);
    expect(core.readRegister(5)).toBe(3);
    expect(core.instructionCount).toBeLessThan(100);
    expect(core.clock.now).toBeGreaterThanOrEqual(3000);
  });

  it('stops asleep at sleepLimit so a paced host can wait in host time', () => {
    const { core } = boot(
      (p) => {
        p.mov32(0, 0xe000e010).mov32(1, 999).i('STR_imm_T1', { t: 1, n: 0, i: 1 }); // RVR
        p.i('MOV_imm_T1', { d: 1, i: 7 }).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
        p.i('MOV_imm_T1', { d: 5, i: 0 });
        p.label('wait')
          .i('WFI_T1')
          .i('CMP_imm_T1', { n: 5, i: 3 })
          .branch('B_T1', 'wait', { c: 1 });
      },
      { systick: (p) => p.i('ADD_imm_T2', { d: 5, i: 1 }).i('BX_T1', { m: 14 }) },
    );
    core.sleepLimit = 1500;
    expect(core.run(10_000)).toEqual({ kind: 'limit' });
    // One tick (at 1000) was taken; the next (at 2000) lies beyond the limit.
    expect(core.readRegister(5)).toBe(1);
    expect(core.sleeping).not.toBe(0);
    expect(core.clock.now).toBe(1500);
    const asleepAt = core.instructionCount;
    expect(core.run(10_000)).toEqual({ kind: 'limit' }); // still nothing due: no instructions
    expect(core.instructionCount).toBe(asleepAt);
    core.sleepLimit = Infinity;
    runToExit(core);
    expect(core.readRegister(5)).toBe(3);
  });

  it('prioritises external IRQs and masks them with BASEPRI and PRIMASK', () => {
    const { core } = boot(
      (p) => {
        p.mov32(0, 0xe000e100)
          .i('MOV_imm_T1', { d: 1, i: 3 })
          .i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // ISER irq0,1
        p.mov32(0, 0xe000e400).mov32(1, 0x00004080).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // irq0 0x80, irq1 0x40
        p.i('MOV_imm_T1', { d: 2, i: 0x80 }).i('MSR_T1', { n: 2, s: 17, m: 0 }); // BASEPRI 0x80 masks irq0
        p.mov32(0, 0xe000e200)
          .i('MOV_imm_T1', { d: 1, i: 3 })
          .i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // pend both
        p.i('MOV_reg_T1', { D: 0, d: 3, m: 6 }); // r3 = order so far (irq1 only)
        p.i('MOV_imm_T1', { d: 2, i: 0 }).i('MSR_T1', { n: 2, s: 17, m: 0 }); // unmask
        p.i('NOP_T1');
      },
      {
        irq0: (p) =>
          p
            .i('LSL_imm_T1', { d: 6, m: 6, i: 4 })
            .i('ADD_imm_T2', { d: 6, i: 1 })
            .i('BX_T1', { m: 14 }),
        irq1: (p) =>
          p
            .i('LSL_imm_T1', { d: 6, m: 6, i: 4 })
            .i('ADD_imm_T2', { d: 6, i: 2 })
            .i('BX_T1', { m: 14 }),
      },
    );
    runToExit(core);
    expect(core.readRegister(3)).toBe(2);
    expect(core.readRegister(6)).toBe(0x21);
  });
});

describe('faults', () => {
  it('escalates UNDEFINED to HardFault when UsageFault is disabled', () => {
    const { core } = boot((p) => p.i('UDF_T1', { i: 1 }), {
      hardfault: (p) => {
        p.mov32(0, 0xe000ed28)
          .i('LDR_imm_T1', { t: 2, n: 0, i: 0 })
          .i('LDR_imm_T1', { t: 3, n: 0, i: 1 }); // CFSR, HFSR
        exit(p, 3);
      },
    });
    expect(runToExit(core)).toBe(3);
    expect(core.readRegister(2) >>> 0).toBe(CFSR.UNDEFINSTR);
    expect(core.readRegister(3) >>> 0).toBe(0x40000000);
  });

  it('traps divide by zero and unaligned LDM in the UsageFault handler', () => {
    const { core } = boot(
      (p) => {
        p.mov32(0, 0xe000ed24).mov32(1, 0x40000).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // USGFAULTENA
        p.mov32(0, 0xe000ed14).mov32(1, 0x210).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // DIV_0_TRP
        p.i('MOV_imm_T1', { d: 1, i: 0 }).i('UDIV_T1', { d: 2, n: 1, m: 1 });
      },
      {
        usagefault: (p) => {
          p.mov32(0, 0xe000ed28).i('LDR_imm_T1', { t: 4, n: 0, i: 0 });
          exit(p, 6);
        },
      },
    );
    expect(runToExit(core)).toBe(6);
    expect(core.readRegister(4) >>> 0).toBe(CFSR.DIVBYZERO);
    // The stacked return address is the faulting UDIV.
    const frame = core.readSpecial('msp');
    expect(core.disassemble(core.readMemory(frame + 24, 4)).text).toMatch(/^udiv/);

    const b = boot((p) => p.mov32(0, RAM + 2).i('LDM_T1', { n: 0, r: 0b10 }), {
      hardfault: (p) => {
        p.mov32(0, 0xe000ed28).i('LDR_imm_T1', { t: 4, n: 0, i: 0 });
        exit(p, 7);
      },
    });
    expect(runToExit(b.core)).toBe(7);
    expect(b.core.readRegister(4) >>> 0).toBe(CFSR.UNALIGNED);
  });

  it('reports MPU permission faults with MMFAR from unprivileged code', () => {
    const { core } = boot(
      (p) => {
        p.mov32(0, 0xe000ed24).mov32(1, 0x10000).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // MEMFAULTENA
        // Region 0: flash 64 KiB, RO for everyone (AP=110), executable.
        p.mov32(0, 0xe000ed9c).mov32(1, 0x00000010).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
        p.mov32(1, 0x0600001f).i('STR_imm_T1', { t: 1, n: 0, i: 1 });
        // Region 1: RAM 64 KiB full access, but subregion 7 (top 8 KiB) disabled.
        p.mov32(1, RAM | 0x11).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
        p.mov32(1, 0x0300801f).i('STR_imm_T1', { t: 1, n: 0, i: 1 });
        p.mov32(0, 0xe000ed94)
          .i('MOV_imm_T1', { d: 1, i: 5 })
          .i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // ENABLE|PRIVDEFENA
        p.mov32(0, RAM + 0x100)
          .i('MOV_imm_T1', { d: 1, i: 1 })
          .i('MSR_T1', { n: 1, s: 20, m: 0 })
          .i('ISB_T1', { o: 15 });
        p.i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // allowed
        p.mov32(0, RAM + 0xe000).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // disabled subregion: fault
      },
      {
        memmanage: (p) => {
          p.mov32(0, 0xe000ed28).i('LDR_imm_T1', { t: 4, n: 0, i: 0 });
          p.mov32(0, 0xe000ed34).i('LDR_imm_T1', { t: 5, n: 0, i: 0 });
          exit(p, 4);
        },
      },
    );
    expect(runToExit(core)).toBe(4);
    expect(core.readRegister(4) >>> 0).toBe(CFSR.DACCVIOL | CFSR.MMARVALID);
    expect(core.readRegister(5) >>> 0).toBe(RAM + 0xe000);
  });

  // With the MPU on, the fast paths cache windows: stretches the MPU allows in the current
  // context. These check that a window never outlives the context it was made for.
  /** MEMFAULTENA, the regions ([RBAR with VALID and the region number, RASR]), then CTRL. */
  const mpu = (p: Program, regions: [number, number][], ctrl = 5): void => {
    p.mov32(0, 0xe000ed24).mov32(1, 0x10000).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
    p.mov32(0, 0xe000ed9c);
    for (const [rbar, rasr] of regions) {
      p.mov32(1, rbar).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      p.mov32(1, rasr).i('STR_imm_T1', { t: 1, n: 0, i: 1 });
    }
    p.mov32(0, 0xe000ed94).mov32(1, ctrl).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
    p.i('ISB_T1', { o: 15 });
  };
  const reportMemManage = {
    memmanage: (p: Program) => {
      p.mov32(0, 0xe000ed28).i('LDR_imm_T1', { t: 4, n: 0, i: 0 });
      p.mov32(0, 0xe000ed34).i('LDR_imm_T1', { t: 5, n: 0, i: 0 });
      exit(p, 4);
    },
  };
  const FLASH_RO = [0x10, 0x0600001f] as [number, number]; // 64 KiB, read-only, executable

  for (const access of ['read', 'write'] as const) {
    it(`faults an unprivileged ${access} where a privileged one was just allowed`, () => {
      const { core } = boot((p) => {
        // RAM open to all, but its second 4 KiB privileged-only (AP=001).
        mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f], [(RAM + 0x1000) | 0x12, 0x01000017]]);
        p.mov32(0, RAM + 0x1100).mov32(1, 0x1234);
        p.i('STR_imm_T1', { t: 1, n: 0, i: 0 }).i('LDR_imm_T1', { t: 2, n: 0, i: 0 });
        p.i('MOV_imm_T1', { d: 1, i: 1 }).i('MSR_T1', { n: 1, s: 20, m: 0 }).i('ISB_T1', { o: 15 });
        if (access === 'read') p.i('LDR_imm_T1', { t: 3, n: 0, i: 1 });
        else p.i('STR_imm_T1', { t: 1, n: 0, i: 1 });
      }, reportMemManage);
      expect(runToExit(core)).toBe(4);
      expect(core.readRegister(2)).toBe(0x1234);
      expect(core.readRegister(4) >>> 0).toBe(CFSR.DACCVIOL | CFSR.MMARVALID);
      expect(core.readRegister(5) >>> 0).toBe(RAM + 0x1104);
    });
  }

  it('faults unprivileged Thread code after an exception return, where its handler was allowed', () => {
    const { core } = boot(
      (p) => {
        // RAM open to all, but its second 4 KiB privileged-only (AP=001).
        mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f], [(RAM + 0x1000) | 0x12, 0x01000017]]);
        p.i('MOV_imm_T1', { d: 1, i: 1 }).i('MSR_T1', { n: 1, s: 20, m: 0 }).i('ISB_T1', { o: 15 });
        p.i('SVC_T1', { i: 0 });
        p.mov32(0, RAM + 0x1100).i('LDR_imm_T1', { t: 3, n: 0, i: 1 });
      },
      {
        ...reportMemManage,
        svc: (p) => {
          p.mov32(0, RAM + 0x1100).mov32(1, 0x1234);
          p.i('STR_imm_T1', { t: 1, n: 0, i: 1 }).i('LDR_imm_T1', { t: 6, n: 0, i: 1 });
          p.i('BX_T1', { m: 14 });
        },
      },
    );
    expect(runToExit(core)).toBe(4);
    expect(core.readRegister(6)).toBe(0x1234);
    expect(core.readRegister(4) >>> 0).toBe(CFSR.DACCVIOL | CFSR.MMARVALID);
    expect(core.readRegister(5) >>> 0).toBe(RAM + 0x1104);
  });

  // The code window of a context comes back when the context does (`restoreSlots`); the
  // window a privileged handler ran in must not let unprivileged Thread code run there.
  it('faults unprivileged Thread code returned to where its handler was just executing', () => {
    const { core } = boot(
      (p) => {
        // RAM open to all, but its second 4 KiB privileged-only (AP=001), both executable.
        mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f], [(RAM + 0x1000) | 0x12, 0x01000017]]);
        p.mov32(0, RAM + 0x1100)
          .mov32(1, routine(5))
          .i('STR_imm_T1', { t: 1, n: 0, i: 0 });
        p.i('DSB_T1', { o: 15 }).i('ISB_T1', { o: 15 });
        // Called once while privileged (RAM's decode cache is made now, not in the handler).
        p.mov32(3, RAM + 0x1101).i('BLX_reg_T1', { m: 3 });
        p.i('MOV_imm_T1', { d: 1, i: 1 }).i('MSR_T1', { n: 1, s: 20, m: 0 }).i('ISB_T1', { o: 15 });
        p.i('SVC_T1', { i: 0 });
      },
      {
        ...reportMemManage,
        // The stacked return address becomes the privileged routine, and the handler ends by
        // jumping to it: its BX LR returns to Thread mode from inside that window.
        svc: (p) => {
          p.mov32(0, RAM + 0x1100).i('STR_imm_T2', { t: 0, i: 6 });
          p.mov32(1, RAM + 0x1101).i('BX_T1', { m: 1 });
        },
      },
    );
    expect(runToExit(core)).toBe(4);
    expect(core.readRegister(4) >>> 0).toBe(CFSR.IACCVIOL);
  });

  // Exception frames are written (and read) at once when the MPU allows all of them
  // (`stackFrame`); a frame the MPU cuts must still be written word by word up to the fault.
  it('writes an exception frame up to the word the MPU refuses, then takes MemManage (MSTKERR)', () => {
    const { core } = boot(
      (p) => {
        // RAM open to all, but its second 4 KiB privileged-only (AP=001).
        mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f], [(RAM + 0x1000) | 0x12, 0x01000017]]);
        // Unprivileged Thread mode on PSP = RAM + 0x1010: SVC's frame is [0xff0, 0x1010).
        p.mov32(0, RAM + 0x1010).i('MSR_T1', { n: 0, s: 9, m: 0 });
        p.mov32(0, 0x1111).mov32(1, 0x2222).mov32(2, 0x3333).mov32(3, 0x4444);
        p.i('MOV_imm_T1', { d: 6, i: 3 }).i('MSR_T1', { n: 6, s: 20, m: 0 }).i('ISB_T1', { o: 15 });
        p.i('SVC_T1', { i: 0 });
      },
      {
        memmanage: (p) => {
          p.mov32(0, 0xe000ed28).i('LDR_imm_T1', { t: 4, n: 0, i: 0 });
          p.mov32(0, RAM + 0xff0).i('LDR_imm_T1', { t: 5, n: 0, i: 0 });
          p.i('LDR_imm_T1', { t: 6, n: 0, i: 3 });
          p.mov32(0, RAM + 0x1000).i('LDR_imm_T1', { t: 7, n: 0, i: 0 });
          exit(p, 4);
        },
      },
    );
    expect(runToExit(core)).toBe(4);
    expect(core.readRegister(4) >>> 0).toBe(CFSR.MSTKERR);
    expect(core.readRegister(5)).toBe(0x1111); // r0, the frame's first word
    expect(core.readRegister(6)).toBe(0x4444); // r3, its last word below the refused granule
    expect(core.readRegister(7)).toBe(0); // r12's word: refused, never written
  });

  // Exception entry stacks through the write fast path's window when that holds the whole
  // frame (`stackFrame`): a frame that runs past the window's end must still take the checked
  // path, up to the word the MPU refuses, and a frame inside it lands whole.
  it('stacks through the write window only when the window holds the whole frame', () => {
    for (const psp of [0x1010, 0x0900]) {
      const { core } = boot(
        (p) => {
          // RAM open to all, but its second 4 KiB privileged-only (AP=001).
          mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f], [(RAM + 0x1000) | 0x12, 0x01000017]]);
          p.mov32(0, RAM + psp).i('MSR_T1', { n: 0, s: 9, m: 0 });
          p.mov32(0, 0x1111).mov32(1, 0x2222).mov32(2, 0x3333).mov32(3, 0x4444);
          p.i('MOV_imm_T1', { d: 6, i: 3 })
            .i('MSR_T1', { n: 6, s: 20, m: 0 })
            .i('ISB_T1', { o: 15 });
          // An unprivileged store: the write fast path now holds the window [RAM, RAM + 4 KiB).
          p.mov32(5, RAM + 0x800).i('STR_imm_T1', { t: 0, n: 5, i: 0 });
          p.i('SVC_T1', { i: 0 });
        },
        {
          memmanage: (p) => {
            p.mov32(0, 0xe000ed28).i('LDR_imm_T1', { t: 4, n: 0, i: 0 });
            p.mov32(0, RAM + 0xff0).i('LDR_imm_T1', { t: 5, n: 0, i: 0 });
            p.mov32(0, RAM + 0x1000).i('LDR_imm_T1', { t: 7, n: 0, i: 0 });
            exit(p, 4);
          },
          svc: (p) => {
            // The frame's r0 and r3 words, read back from the process stack.
            p.i('MRS_T1', { d: 0, s: 9 });
            p.i('LDR_imm_T1', { t: 5, n: 0, i: 0 }).i('LDR_imm_T1', { t: 7, n: 0, i: 3 });
            exit(p, 11);
          },
        },
      );
      if (psp === 0x1010) {
        expect(runToExit(core)).toBe(4);
        expect(core.readRegister(4) >>> 0).toBe(CFSR.MSTKERR);
        expect(core.readRegister(5)).toBe(0x1111);
        expect(core.readRegister(7)).toBe(0); // r12's word: refused, never written
      } else {
        expect(runToExit(core)).toBe(11);
        expect(core.readRegister(5)).toBe(0x1111);
        expect(core.readRegister(7)).toBe(0x4444);
      }
    }
  });

  // Privileged aligned reads of the SCS skip the MPU and alignment checks (`readSlow`): the same
  // read unprivileged must still be a precise BusFault (B3.1: the PPB is privileged only).
  it('faults an unprivileged NVIC read right after privileged ones', () => {
    const { core } = boot(
      (p) => {
        // SHCSR.BUSFAULTENA, then ISPR0 read three times privileged.
        p.mov32(0, 0xe000ed24).mov32(1, 0x20000).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
        p.mov32(0, 0xe000e200);
        for (let i = 0; i < 3; i++) p.i('LDR_imm_T1', { t: 2, n: 0, i: 0 });
        p.i('MOV_imm_T1', { d: 1, i: 1 }).i('MSR_T1', { n: 1, s: 20, m: 0 }).i('ISB_T1', { o: 15 });
        p.i('LDR_imm_T1', { t: 2, n: 0, i: 0 });
      },
      {
        busfault: (p) => {
          p.mov32(0, 0xe000ed28).i('LDR_imm_T1', { t: 4, n: 0, i: 0 });
          exit(p, 5);
        },
      },
    );
    expect(runToExit(core)).toBe(5);
    expect(core.readRegister(4) >>> 0).toBe((CFSR.PRECISERR | CFSR.BFARVALID) << 0);
  });

  // Device reads after a checked one skip the checks inside the stretch it was allowed
  // (`deviceRead`); the stretch must not outlive the context, and every read reaches the device.
  it('faults an unprivileged device read where privileged polling was just allowed', () => {
    let reads = 0;
    const build = boot((p) => {
      // A privileged-only, execute-never 4 KiB region over the device (AP=001, XN).
      mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f], [0x40000000 | 0x12, 0x11000017]]);
      p.mov32(0, 0x40000010);
      for (let i = 0; i < 3; i++) p.i('LDR_imm_T1', { t: 2, n: 0, i: 0 });
      p.i('MOV_imm_T1', { d: 1, i: 1 }).i('MSR_T1', { n: 1, s: 20, m: 0 }).i('ISB_T1', { o: 15 });
      p.i('LDR_imm_T1', { t: 3, n: 0, i: 1 });
    }, reportMemManage);
    build.core.bus.mapDevice(0x40000000, 0x1000, {
      name: 'counter',
      read: () => ++reads,
      write: () => {},
    });
    expect(runToExit(build.core)).toBe(4);
    expect(reads).toBe(3);
    expect(build.core.readRegister(2)).toBe(3);
    expect(build.core.readRegister(4) >>> 0).toBe(CFSR.DACCVIOL | CFSR.MMARVALID);
    expect(build.core.readRegister(5) >>> 0).toBe(0x40000014);
  });

  // Device stores after a checked one skip the checks inside the stretch it was allowed
  // (`deviceWrite`). Each program runs twice: translated and run freely, and interpreted one
  // step at a time with every window emptied before each step (`mpuChanged`), so that every
  // store there takes the checked path. The device's writes, the bus listener's entries (the
  // access log's hook), the data-write hook's, the stops and the registers must agree, and the
  // free run must have stored through the window.
  interface StoreRun {
    writes: number[][];
    heard: number[][];
    hooked: number[][];
    stops: unknown[];
    regs: number[];
    windowed: number;
  }
  const storeRun = (
    body: (p: Program) => void,
    handlers: Record<string, (p: Program) => void>,
    windows: boolean,
    setup: (core: CortexM) => void,
  ): StoreRun => {
    const { core } = boot(body, handlers, { translate: windows });
    const writes: number[][] = [];
    core.bus.mapDevice(0x40000000, 0x2000, {
      name: 'sink',
      read: (off) => off,
      write: (off, size, v) => void writes.push([off, size, v, core.instructionCount]),
    });
    const heard: number[][] = [];
    core.bus.onDeviceAccess = (w, a, size, v) =>
      heard.push([w ? 1 : 0, a >>> 0, size, v >>> 0, core.pc >>> 0]);
    const hooked: number[][] = [];
    core.onDataWrite = (a, size, v) => {
      if (a >= 0x40000000) hooked.push([a, size, v]);
    };
    setup(core);
    // Counts the stores made through the window (the method is looked up at each call).
    const proto = CortexM.prototype as unknown as { deviceWrite: (...args: unknown[]) => void };
    const original = proto.deviceWrite;
    let windowed = 0;
    proto.deviceWrite = function (this: CortexM, ...args: unknown[]): void {
      windowed++;
      original.apply(this, args);
    };
    const stops: unknown[] = [];
    try {
      for (let k = 0; k < 100_000; k++) {
        if (!windows) core.mpuChanged();
        const r = windows ? core.run(100_000) : core.step();
        if (r.kind === 'limit' && !windows) continue;
        stops.push({ ...r, count: core.instructionCount });
        if (r.kind === 'exit') break;
        if (r.kind !== 'watchpoint') throw new Error(`unexpected stop ${JSON.stringify(r)}`);
      }
    } finally {
      proto.deviceWrite = original;
    }
    const regs = Array.from({ length: 13 }, (_, i) => core.readRegister(i) >>> 0);
    return { writes, heard, hooked, stops, regs, windowed };
  };
  /** The program's free run, after checking it against the checked path. */
  const sameStores = (
    body: (p: Program) => void,
    handlers: Record<string, (p: Program) => void> = {},
    setup: (core: CortexM) => void = () => {},
  ): StoreRun => {
    const free = storeRun(body, handlers, true, setup);
    const checked = storeRun(body, handlers, false, setup);
    expect(checked.windowed).toBe(0);
    expect(free.windowed).toBeGreaterThan(0);
    expect({ ...free, windowed: 0 }).toEqual({ ...checked, windowed: 0 });
    // The listener hears each store the device gets, with its value.
    const stored = free.heard
      .filter((h) => h[0] === 1 && h[1]! >= 0x40000000 && h[1]! < 0x40002000)
      .map((h) => [h[1]! - 0x40000000, h[2], h[3]]);
    expect(stored).toEqual(free.writes.map((w) => w.slice(0, 3)));
    return free;
  };

  for (const mpuOn of [false, true]) {
    it(`stores to a device through the window as through the checked path (MPU on: ${mpuOn})`, () => {
      const run = sameStores(
        (p) => {
          p.mov32(0, 0x40000000).mov32(1, 0x80000001).i('MOV_imm_T1', { d: 3, i: 40 });
          p.label('loop');
          p.i('STR_imm_T1', { t: 1, n: 0, i: 4 }); // 0x10
          p.i('STRB_imm_T1', { t: 1, n: 0, i: 17 }); // 0x11
          p.i('STRH_imm_T1', { t: 1, n: 0, i: 9 }); // 0x12
          p.i('STR_imm_T1', { t: 1, n: 0, i: 7 }); // 0x1c
          p.i('ADD_imm_T2', { d: 1, i: 3 }).i('SUB_imm_T2', { d: 3, i: 1 });
          p.branch('B_T1', 'loop', { c: 1 });
        },
        {},
        (core) => {
          core.writeMemory(0xe000edf0, 4, 0xa05f0001); // DHCSR: C_DEBUGEN (watchpoints halt)
          core.writeMemory(0xe0001020, 4, 0x40000011); // DWT_COMP0: the byte STRB stores
          core.writeMemory(0xe0001028, 4, 6); // DWT_FUNCTION0: write watchpoint
          if (mpuOn) core.writeMemory(0xe000ed94, 4, 5); // MPU_CTRL: ENABLE | PRIVDEFENA
        },
      );
      expect(run.writes.length).toBe(160);
      expect(run.writes[4]!.slice(0, 3)).toEqual([0x10, 4, 0x80000004]);
      expect(run.writes[5]!.slice(0, 3)).toEqual([0x11, 1, 0x04]);
      expect(run.writes[6]!.slice(0, 3)).toEqual([0x12, 2, 0x0004]);
      expect(run.hooked.length).toBe(160);
      // Each turn's STR at 0x10 (its bytes hold 0x11) and STRB at 0x11 hit the watchpoint.
      expect(run.stops.length).toBe(81);
      expect(run.stops[1]).toMatchObject({ kind: 'watchpoint', address: 0x40000011, size: 1 });
    });
  }

  it('faults an unprivileged device store where privileged stores were just allowed', () => {
    const run = sameStores((p) => {
      // A privileged-only, execute-never 4 KiB region over the device (AP=001, XN).
      mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f], [0x40000000 | 0x12, 0x11000017]]);
      p.mov32(0, 0x40000010);
      for (let i = 0; i < 3; i++) p.i('STR_imm_T1', { t: 0, n: 0, i });
      p.i('MOV_imm_T1', { d: 1, i: 1 }).i('MSR_T1', { n: 1, s: 20, m: 0 }).i('ISB_T1', { o: 15 });
      p.i('STR_imm_T1', { t: 1, n: 0, i: 1 });
    }, reportMemManage);
    expect(run.writes.map((w) => w[0])).toEqual([0x10, 0x14, 0x18]);
    expect(run.regs[4]).toBe(CFSR.DACCVIOL | CFSR.MMARVALID);
    expect(run.regs[5]).toBe(0x40000014);
  });

  it('faults a device store outside the stretch the MPU allowed, beside a readable one', () => {
    const run = sameStores((p) => {
      // Privileged: the device's first 4 KiB read-only (AP=110), its second read-write (AP=001).
      const ro = [0x40000000 | 0x12, 0x16000017] as [number, number];
      mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f], ro, [0x40001000 | 0x13, 0x11000017]]);
      p.mov32(0, 0x40001010);
      for (let i = 0; i < 3; i++) p.i('STR_imm_T1', { t: 0, n: 0, i });
      // A read of the read-only half (allowed: its read window), then a store there.
      p.mov32(0, 0x40000010).i('LDR_imm_T1', { t: 2, n: 0, i: 0 });
      p.i('LDR_imm_T1', { t: 2, n: 0, i: 0 });
      p.i('STR_imm_T1', { t: 1, n: 0, i: 0 });
    }, reportMemManage);
    expect(run.writes.map((w) => w[0])).toEqual([0x1010, 0x1014, 0x1018]);
    expect(run.regs[2]).toBe(0x10);
    expect(run.regs[4]).toBe(CFSR.DACCVIOL | CFSR.MMARVALID);
    expect(run.regs[5]).toBe(0x40000010);
  });

  it('faults an unprivileged store (STRT) to a device privileged stores were just allowed', () => {
    const run = sameStores((p) => {
      mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f], [0x40000000 | 0x12, 0x11000017]]);
      p.mov32(0, 0x40000010);
      for (let i = 0; i < 3; i++) p.i('STR_imm_T1', { t: 0, n: 0, i });
      p.i('STRT', { t: 1, n: 0, i: 8 });
    }, reportMemManage);
    expect(run.writes.length).toBe(3);
    expect(run.regs[4]).toBe(CFSR.DACCVIOL | CFSR.MMARVALID);
    expect(run.regs[5]).toBe(0x40000018);
  });

  it('faults an unprivileged store to the PPB right after privileged ones (MPU off)', () => {
    const heard: number[] = [];
    const run = sameStores(
      (p) => {
        // SHCSR.BUSFAULTENA, then three privileged stores to NVIC ICPR0 (0: clears nothing).
        p.mov32(0, 0xe000ed24).mov32(1, 0x20000).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
        // Device stores first, so the run stores through a window (not the PPB's).
        p.mov32(2, 0x40000000).i('STR_imm_T1', { t: 1, n: 2, i: 0 });
        p.i('STR_imm_T1', { t: 1, n: 2, i: 1 });
        p.mov32(0, 0xe000e280).i('MOV_imm_T1', { d: 1, i: 0 });
        for (let i = 0; i < 3; i++) p.i('STR_imm_T1', { t: 1, n: 0, i: 0 });
        p.i('MOV_imm_T1', { d: 1, i: 1 }).i('MSR_T1', { n: 1, s: 20, m: 0 }).i('ISB_T1', { o: 15 });
        p.i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      },
      {
        busfault: (p) => {
          p.mov32(0, 0xe000ed28).i('LDR_imm_T1', { t: 4, n: 0, i: 0 });
          p.mov32(0, 0xe000ed38).i('LDR_imm_T1', { t: 5, n: 0, i: 0 });
          exit(p, 5);
        },
      },
      (core) => {
        const listen = core.bus.onDeviceAccess!;
        core.bus.onDeviceAccess = (w, a, size, v) => {
          if (w && a >>> 0 === 0xe000e280) heard.push(a);
          listen(w, a, size, v);
        };
      },
    );
    expect(heard.length).toBe(6); // three per run
    expect(run.regs[4]).toBe(CFSR.PRECISERR | CFSR.BFARVALID);
    expect(run.regs[5]).toBe(0xe000e280);
  });

  it('faults an unaligned device store (CCR.UNALIGN_TRP) after aligned ones', () => {
    const run = sameStores(
      (p) => {
        p.mov32(0, 0xe000ed24).mov32(1, 0x40000).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // USGFAULTENA
        p.mov32(0, 0xe000ed14).mov32(1, 0x208).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // UNALIGN_TRP
        p.mov32(0, 0x40000010);
        for (let i = 0; i < 3; i++) p.i('STR_imm_T1', { t: 0, n: 0, i });
        p.i('STRH_imm_T1', { t: 0, n: 0, i: 3 });
        p.mov32(0, 0x40000012).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      },
      {
        usagefault: (p) => {
          p.mov32(0, 0xe000ed28).i('LDR_imm_T1', { t: 4, n: 0, i: 0 });
          exit(p, 6);
        },
      },
    );
    expect(run.writes.map((w) => w.slice(0, 2))).toEqual([
      [0x10, 4],
      [0x14, 4],
      [0x18, 4],
      [0x16, 2],
    ]);
    expect(run.regs[4]).toBe(CFSR.UNALIGNED);
  });

  it('ends the MPU bypass of FAULTMASK for the very next access', () => {
    const { core } = boot((p) => {
      // RAM open, but its second 4 KiB closed to everyone (AP=000).
      mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f], [(RAM + 0x1000) | 0x12, 0x00000017]]);
      p.mov32(0, RAM + 0x1100);
      p.i('CPS_T1', { m: 1, i: 0, f: 1 }); // FAULTMASK: the MPU is bypassed (HFNMIENA = 0)
      p.i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      p.i('CPS_T1', { m: 0, i: 0, f: 1 });
      p.i('STR_imm_T1', { t: 1, n: 0, i: 1 });
    }, reportMemManage);
    expect(runToExit(core)).toBe(4);
    expect(core.readRegister(4) >>> 0).toBe(CFSR.DACCVIOL | CFSR.MMARVALID);
    expect(core.readRegister(5) >>> 0).toBe(RAM + 0x1104);
  });

  it('applies a region reprogrammed read-only to the next write', () => {
    const { core } = boot((p) => {
      mpu(p, [FLASH_RO, [RAM | 0x11, 0x03000017]]); // RAM's first 4 KiB open to all
      p.mov32(0, RAM + 0x100).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      p.mov32(2, 0xe000eda0).mov32(3, 0x06000017).i('STR_imm_T1', { t: 3, n: 2, i: 0 }); // RO
      p.i('DSB_T1', { o: 15 }).i('ISB_T1', { o: 15 });
      p.i('STR_imm_T1', { t: 1, n: 0, i: 1 });
    }, reportMemManage);
    expect(runToExit(core)).toBe(4);
    expect(core.readRegister(4) >>> 0).toBe(CFSR.DACCVIOL | CFSR.MMARVALID);
    expect(core.readRegister(5) >>> 0).toBe(RAM + 0x104);
  });

  it('stops straight-line code at an execute-never granule, even code already decoded', () => {
    // A 64-byte sled (its second half at `xn`) returning with BX LR, called once with the MPU
    // off (so it is decoded and cached), then again after `xn` becomes execute-never. Two
    // passes: the first finds where the sled lands, the second protects that address.
    const body = (xn: number) => (p: Program) => {
      p.mov32(5, (xn - 32) | 1).i('MOV_imm_T1', { d: 6, i: 0 });
      p.i('BLX_reg_T1', { m: 5 }).i('MOV_reg_T1', { D: 0, d: 7, m: 6 });
      mpu(p, [FLASH_RO, [xn | 0x11, 0x16000009]]); // 32 bytes, read-only, XN
      p.i('MOV_imm_T1', { d: 6, i: 0 }).i('BLX_reg_T1', { m: 5 });
      p.branch('B_T2', 'end');
      p.align(32).label('sled');
      for (let i = 0; i < 16; i++) p.i('ADD_imm_T2', { d: 6, i: 1 });
      p.label('xn');
      for (let i = 0; i < 16; i++) p.i('ADD_imm_T2', { d: 6, i: 1 });
      p.i('BX_T1', { m: 14 });
      p.label('end');
    };
    const xn = boot(body(0x1000)).p.addressOf('xn');
    expect(xn % 32).toBe(0);
    const { core, p } = boot(body(xn), reportMemManage);
    expect(p.addressOf('xn')).toBe(xn);
    expect(runToExit(core)).toBe(4);
    expect(core.readRegister(7)).toBe(32);
    expect(core.readRegister(6)).toBe(16);
    expect(core.readRegister(4) >>> 0).toBe(CFSR.IACCVIOL);
  });

  it('keeps code in RAM coherent with stores made through MPU windows', () => {
    const half = (name: string, f: Record<string, number>): number => assemble(name, f)[0]!;
    const movs = (v: number): number => half('MOV_imm_T1', { d: 2, i: v });
    const { core } = boot((p) => {
      mpu(p, [FLASH_RO, [RAM | 0x11, 0x0300001f]]); // RAM open and executable
      // At RAM+0x200: "movs r2, #1 ; bx lr", called, then its MOVS rewritten twice.
      p.mov32(3, RAM + 0x200).mov32(5, RAM + 0x201);
      p.mov32(4, (movs(1) | (half('BX_T1', { m: 14 }) << 16)) >>> 0);
      p.i('STR_imm_T1', { t: 4, n: 3, i: 0 });
      p.i('BLX_reg_T1', { m: 5 }).i('MOV_reg_T1', { D: 0, d: 7, m: 2 });
      p.mov32(4, movs(2)).i('STRH_imm_T1', { t: 4, n: 3, i: 0 });
      p.i('BLX_reg_T1', { m: 5 }).i('MOV_reg_T1', { D: 0, d: 6, m: 2 });
      p.mov32(4, movs(3)).i('STRH_imm_T1', { t: 4, n: 3, i: 0 });
      p.i('BLX_reg_T1', { m: 5 });
    });
    expect(runToExit(core)).toBe(0x77);
    expect([core.readRegister(7), core.readRegister(6), core.readRegister(2)]).toEqual([1, 2, 3]);
  });

  it('raises a precise BusFault with BFAR on unmapped reads, and locks up on a fault in HardFault', () => {
    const { core } = boot((p) => p.mov32(0, 0x30000000).i('LDR_imm_T1', { t: 1, n: 0, i: 1 }), {
      hardfault: (p) => {
        p.mov32(0, 0xe000ed38).i('LDR_imm_T1', { t: 5, n: 0, i: 0 });
        p.mov32(0, 0x30000000).i('LDR_imm_T1', { t: 1, n: 0, i: 0 }); // again: lockup
      },
    });
    const r = core.run(1000);
    expect(r.kind).toBe('lockup');
    expect(core.readRegister(5) >>> 0).toBe(0x30000004);
    expect(core.readMemory(0xe000ed28, 4) & CFSR.BFARVALID).toBeTruthy();
  });
  it('leaves lockup when the debugger halts the core (DHCSR.C_HALT), and locks up again on resume', () => {
    const { core, p } = boot((q) => q.mov32(0, 0x30000000).i('LDR_imm_T1', { t: 1, n: 0, i: 1 }), {
      hardfault: (q) => {
        q.mov32(0, 0x30000000).label('again').i('LDR_imm_T1', { t: 1, n: 0, i: 0 }); // lockup
      },
    });
    const lockup = { kind: 'lockup', address: p.addressOf('again') };
    expect(core.run(1000)).toEqual(lockup);
    const dhcsr = (): number => core.readMemory(0xe000edf0, 4);
    expect(dhcsr() & (1 << 19)).toBeTruthy(); // S_LOCKUP
    // The debug port asks for a halt: entry to Debug state exits lockup (B1.5.15).
    core.writeMemory(0xe000edf0, 4, 0xa05f0003); // DHCSR: C_DEBUGEN | C_HALT
    expect(core.run(1000)).toEqual({ kind: 'halted' });
    expect(dhcsr() & ((1 << 19) | (1 << 17))).toBe(1 << 17); // S_HALT 1, S_LOCKUP 0
    expect(core.readMemory(0xe000ed30, 4) & 1).toBe(1); // DFSR.HALTED
    expect(core.readRegister(15)).toBe(p.addressOf('again'));
    // Leaving Debug state runs the faulting load again, still at HardFault priority: lockup.
    core.writeMemory(0xe000edf0, 4, 0xa05f0001); // DHCSR: C_DEBUGEN
    expect(core.run(1000)).toEqual(lockup);
    expect(dhcsr() & ((1 << 19) | (1 << 17))).toBe(1 << 19);
  });
});

describe('exclusive monitor, debug, snapshots', () => {
  it('implements LDREX/STREX/CLREX', () => {
    const { core } = boot((p) => {
      p.mov32(0, RAM).i('MOV_imm_T1', { d: 1, i: 9 });
      p.i('STREX_T1', { d: 2, t: 1, n: 0, i: 0 }); // no reservation: fails (1)
      p.i('LDREX_T1', { t: 3, n: 0, i: 0 }).i('STREX_T1', { d: 4, t: 1, n: 0, i: 0 }); // succeeds (0)
      p.i('LDREX_T1', { t: 3, n: 0, i: 0 }).i('CLREX_T1').i('STREX_T1', { d: 5, t: 1, n: 0, i: 0 }); // fails
      p.i('LDR_imm_T1', { t: 6, n: 0, i: 0 });
    });
    runToExit(core);
    expect([
      core.readRegister(2),
      core.readRegister(4),
      core.readRegister(5),
      core.readRegister(6),
    ]).toEqual([1, 0, 1, 9]);
  });

  it('halts on BKPT when halting debug is enabled, and on host breakpoints', () => {
    const { core, p } = boot((q) => {
      q.mov32(0, 0xe000edf0).mov32(1, 0xa05f0001).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      q.i('BKPT_T1', { i: 3 }).label('after').i('MOV_imm_T1', { d: 2, i: 1 });
    });
    const r = core.run(1000);
    expect(r).toEqual({ kind: 'bkpt', imm: 3, address: p.addressOf('after') - 2 });
    core.writeRegister(15, p.addressOf('after'));
    core.hostBreakpoints.add(p.addressOf('after') + 2);
    expect(core.run(1000)).toEqual({ kind: 'breakpoint', address: p.addressOf('after') + 2 });
    expect(core.readRegister(2)).toBe(1);
  });

  it('stops exactly at a breakpoint set inside a loop the translator has already compiled', () => {
    // The loop runs as a compiled region first; the breakpoint then goes on its second
    // instruction (inside a block): the region covering it is dropped and execution stops
    // there, every iteration, with the interpreter's registers and count.
    const program = (translate: boolean): Booted =>
      boot(
        (p) => {
          p.i('MOV_imm_T1', { d: 0, i: 0 }).i('MOV_imm_T1', { d: 2, i: 0 }).mov32(1, 5000);
          p.label('l')
            .i('ADD_reg_T1', { d: 0, n: 0, m: 1 })
            .label('mid')
            .i('ADD_imm_T2', { d: 2, i: 3 })
            .i('SUB_imm_T2', { d: 1, i: 1 })
            .branch('B_T1', 'l', { c: 1 });
        },
        {},
        { translate },
      );
    const states = [true, false].map((translate) => {
      const { core, p } = program(translate);
      expect(core.run(2000)).toEqual({ kind: 'limit' });
      if (translate) expect(core.translatorStats.regions).toBeGreaterThan(0);
      const mid = p.addressOf('mid');
      core.hostBreakpoints.add(mid);
      const seen: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        expect(core.run(100_000)).toEqual({ kind: 'breakpoint', address: mid });
        seen.push(
          [0, 1, 2].map((r) => core.readRegister(r)),
          core.instructionCount,
        );
      }
      core.hostBreakpoints.delete(mid);
      expect(runToExit(core)).toBe(0x77);
      seen.push(core.readRegister(0), core.readRegister(2), core.instructionCount);
      return seen;
    });
    expect(states[0]).toEqual(states[1]);
    // Stops one iteration (4 instructions) apart.
    expect((states[0]![3] as number) - (states[0]![1] as number)).toBe(4);
  });

  it('restores a snapshot and replays identically', () => {
    const { core } = boot((p) => {
      p.i('MOV_imm_T1', { d: 0, i: 0 }).mov32(1, 5000);
      p.label('l')
        .i('ADD_reg_T1', { d: 0, n: 0, m: 1 })
        .i('SUB_imm_T2', { d: 1, i: 1 })
        .branch('B_T1', 'l', { c: 1 });
    });
    core.run(1000);
    const snap = structuredClone(core.snapshot());
    runToExit(core);
    const r0 = core.readRegister(0);
    const count = core.instructionCount;
    core.restore(snap);
    runToExit(core);
    expect(core.readRegister(0)).toBe(r0);
    expect(core.instructionCount).toBe(count);
  });

  it('sees code written to RAM after it was cached (decoded-cache invalidation)', () => {
    const b = boot((p) => {
      p.mov32(0, RAM + 0x200).mov32(5, RAM + 0x201);
      p.mov32(1, routine(1)).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      p.i('BLX_reg_T1', { m: 5 }).i('MOV_reg_T1', { D: 0, d: 3, m: 2 });
      p.mov32(1, routine(2)).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // patch the cached code
      p.i('BLX_reg_T1', { m: 5 }).i('MOV_reg_T1', { D: 0, d: 4, m: 2 });
    });
    runToExit(b.core);
    expect(b.core.readRegister(3)).toBe(1);
    expect(b.core.readRegister(4)).toBe(2);
  });

  it('keeps code far into a region coherent (the decode cache grows as code is fetched)', () => {
    const b = boot((p) => {
      // Near code first (the RAM's decode cache starts small), then code 48 KiB in: stored
      // there before the cache reaches it, run, patched, run again.
      p.mov32(0, RAM + 0x200).mov32(5, RAM + 0x201);
      p.mov32(1, routine(1)).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      p.i('BLX_reg_T1', { m: 5 }).i('MOV_reg_T1', { D: 0, d: 3, m: 2 });
      p.mov32(0, RAM + 0xc200).mov32(5, RAM + 0xc201);
      p.mov32(1, routine(3)).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      p.i('BLX_reg_T1', { m: 5 }).i('MOV_reg_T1', { D: 0, d: 4, m: 2 });
      p.mov32(1, routine(4)).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      p.i('BLX_reg_T1', { m: 5 }).i('MOV_reg_T1', { D: 0, d: 6, m: 2 });
    });
    runToExit(b.core);
    expect([3, 4, 6].map((r) => b.core.readRegister(r))).toEqual([1, 3, 4]);
  });
});

describe('idle and coprocessor space', () => {
  it('returns idle from WFI when no event can ever wake the core', () => {
    const { core, p } = boot((q) => q.label('sleep').i('WFI_T1').branch('B_T2', 'sleep'));
    expect(core.run(1000)).toEqual({ kind: 'idle' });
    expect(core.readRegister(15)).toBe(p.addressOf('sleep') + 2);
  });

  it('raises NOCP for FP instructions while CPACR disables CP10/CP11', () => {
    const core = new CortexM({ frequencyHz: 1e6, numIrqs: 8, priorityBits: 3, fpu: true });
    const flash = core.bus.mapRom(0, 0x1000, 'flash');
    core.bus.mapRam(RAM, 0x1000, 'ram');
    const p = new Program(0);
    p.word(RAM + 0x800).addr('reset', 1);
    p.addr('hang', 1).addr('hardfault', 1);
    p.label('reset').i('COPROC_T1', { o: 0b100011, n: 0, t: 0, c: 10, i: 0 }); // an FP op on CP10
    p.label('hang').branch('B_T2', 'hang');
    p.label('hardfault').branch('B_T2', 'hardfault');
    flash.set(p.bytes());
    core.reset();
    core.run(10);
    expect(core.readRegister(15)).toBe(p.addressOf('hardfault'));
    expect(core.readMemory(0xe000ed28, 4)).toBe(CFSR.NOCP);
  });
});

describe('debug blocks', () => {
  it('stops on an FPB comparator and a DWT write watchpoint once halting debug is enabled', () => {
    const { core, p } = boot((q) => {
      q.i('NOP_T1').label('target').i('NOP_T1');
      q.mov32(0, RAM + 0x40)
        .i('MOV_imm_T1', { d: 1, i: 5 })
        .label('store')
        .i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      q.label('after').i('NOP_T1');
    });
    // The debugger programs the blocks through the debug port (CoreControl.writeMemory).
    core.writeMemory(0xe000edf0, 4, 0xa05f0001); // DHCSR: C_DEBUGEN
    core.writeMemory(0xe0002000, 4, 3); // FP_CTRL: KEY | ENABLE
    core.writeMemory(
      0xe0002008,
      4,
      (p.addressOf('target') & ~3) | (p.addressOf('target') & 2 ? 2 << 30 : 1 << 30) | 1,
    );
    core.writeMemory(0xe0001020, 4, RAM + 0x40); // DWT_COMP0
    core.writeMemory(0xe0001028, 4, 6); // DWT_FUNCTION0: write watchpoint
    expect(core.run(1000)).toEqual({ kind: 'breakpoint', address: p.addressOf('target') });
    expect(core.readMemory(0xe000ed30, 4) & 2).toBe(2); // DFSR.BKPT
    // The comparator matches again on resume (C1.11): a debugger steps over it with the
    // comparator off, as OpenOCD does.
    expect(core.run(1000)).toEqual({ kind: 'breakpoint', address: p.addressOf('target') });
    core.writeMemory(0xe0002000, 4, 2); // FP_CTRL: KEY, disabled
    core.step();
    core.writeMemory(0xe0002000, 4, 3);
    const w = core.run(1000);
    expect(w).toEqual({ kind: 'watchpoint', address: RAM + 0x40, access: 'write', size: 4 });
    expect(core.readRegister(15)).toBe(p.addressOf('after'));
    expect(core.readMemory(RAM + 0x40, 4)).toBe(5);
    expect(core.readMemory(0xe0001028, 4) >>> 24).toBe(1); // MATCHED
  });
});

describe.each([false, true])('watchpoints on the fast paths (MPU on: %s)', (mpu) => {
  // A compiled loop walks r0 up RAM by 8 bytes a turn, storing at [r0] and loading [r0, #4],
  // past a read watchpoint on a word it only writes and into a write watchpoint. Only the
  // watched granules leave the fast paths: the stop, its count and its registers must be the
  // interpreter's. With the MPU on (privileged default map), the watched ranges bound the
  // MPU's windows.
  const run = (
    translate: boolean,
  ): { stop: unknown; count: number; r0: number; regions: number } => {
    const { core } = boot(
      (q) => {
        q.mov32(0, RAM + 0x1000)
          .i('MOV_imm_T1', { d: 1, i: 7 })
          .i('MOV_imm_T1', { d: 3, i: 0 })
          .label('loop')
          .i('STR_imm_T1', { t: 1, n: 0, i: 0 })
          .i('LDR_imm_T1', { t: 2, n: 0, i: 1 })
          .i('ADD_imm_T2', { d: 3, i: 1 })
          .i('ADD_imm_T2', { d: 0, i: 8 })
          .branch('B_T2', 'loop');
      },
      {},
      { translate },
    );
    core.writeMemory(0xe000edf0, 4, 0xa05f0001); // DHCSR: C_DEBUGEN (watchpoints halt)
    core.writeMemory(0xe0001020, 4, RAM + 0x1000 + 8 * 300); // DWT_COMP0: a word only stored
    core.writeMemory(0xe0001028, 4, 5); // DWT_FUNCTION0: read watchpoint
    core.writeMemory(0xe0001030, 4, RAM + 0x1000 + 8 * 700); // DWT_COMP1
    core.writeMemory(0xe0001038, 4, 6); // DWT_FUNCTION1: write watchpoint
    if (mpu) core.writeMemory(0xe000ed94, 4, 5); // MPU_CTRL: ENABLE | PRIVDEFENA (B3.5.7)
    const stop = core.run(100_000);
    return {
      stop,
      count: core.instructionCount,
      r0: core.readRegister(3),
      regions: core.translatorStats.regions,
    };
  };

  it('stops at the watched store only, at the same instruction as the interpreter', () => {
    const compiled = run(true);
    const interpreted = run(false);
    expect(compiled.regions).toBeGreaterThan(0);
    expect(interpreted.regions).toBe(0);
    expect(compiled.stop).toEqual({
      kind: 'watchpoint',
      address: RAM + 0x1000 + 8 * 700,
      access: 'write',
      size: 4,
    });
    expect(compiled).toEqual({ ...interpreted, regions: compiled.regions });
    expect(compiled.r0).toBe(700);
  });
});

describe('vector catch', () => {
  const faulting = (q: Program): void => {
    q.i('MOV_imm_T1', { d: 0, i: 0 }).label('bad').i('UDF_T1', { i: 1 });
  };
  const handlers = { hardfault: (q: Program) => q.label('hf').i('NOP_T1').i('NOP_T1') };

  it('halts once a caught exception is entered, before its handler runs', () => {
    const { core, p } = boot(faulting, handlers);
    core.vectorCatch = 1 << 3;
    expect(core.run(1000)).toEqual({ kind: 'vector-catch', exception: 3 });
    expect(core.readRegister(15)).toBe(p.addressOf('hf'));
    expect(core.readSpecial('xpsr') & 0x1ff).toBe(3);
    // Running on executes the handler; the catch does not repeat.
    expect(core.run(1).kind).toBe('limit');
    expect(core.readRegister(15)).toBe(p.addressOf('hf') + 2);
  });

  it('reports the entry as the step that took it, and is silent when not asked', () => {
    const s = boot(faulting, handlers);
    s.core.vectorCatch = 1 << 3;
    s.core.step(); // MOV
    expect(s.core.step()).toEqual({ kind: 'vector-catch', exception: 3 });
    expect(s.core.readRegister(15)).toBe(s.p.addressOf('hf'));
    const quiet = boot(faulting, handlers);
    expect(quiet.core.run(3).kind).toBe('limit'); // MOV, UDF (faults), the handler's first NOP
    expect(quiet.core.readRegister(15)).toBe(quiet.p.addressOf('hf') + 2);
  });
});

describe('coverage counts', () => {
  /** First halfword pair the decoder leaves UNDEFINED (16- or 32-bit). */
  function undefinedWord(width: 16 | 32): number {
    if (width === 16) {
      for (let hw = 0; hw < 0xe800; hw++) if (findEncoding(hw, 0).name === 'UNDEFINED16') return hw;
    } else {
      for (let hw1 = 0xe800; hw1 <= 0xffff; hw1++)
        for (const hw2 of [0, 0x8000, 0xf000, 0xffff])
          if (findEncoding(hw1, hw2).name === 'UNDEFINED32') return (hw1 | (hw2 << 16)) >>> 0;
    }
    throw new Error(`no UNDEFINED${width} encoding`);
  }

  const cases: [string, (p: Program) => void][] = [
    ['UDF_T1', (p) => p.i('UDF_T1', { i: 1 })],
    ['COPROC_T1', (p) => p.i('COPROC_T1', { o: 0b100011, n: 0, t: 0, c: 10, i: 0 })],
    ['UNDEFINED32', (p) => p.align(4).word(undefinedWord(32))],
  ];
  for (const [name, emit] of cases) {
    it(`counts ${name} although it faults`, () => {
      const { core } = boot(
        (p) => {
          p.i('NOP_T1');
          emit(p);
        },
        { hardfault: (p) => exit(p, 3) },
        { collectCoverage: true },
      );
      expect(runToExit(core)).toBe(3);
      const counts = core.encodingCounts();
      expect(counts.get(name)).toBe(1);
      expect(counts.get('NOP_T1')).toBeGreaterThanOrEqual(1);
      expect((core.readMemory(0xe000ed28, 4) & (CFSR.UNDEFINSTR | CFSR.NOCP)) !== 0).toBe(true);
    });
  }

  it('counts UNDEFINED16 when the 16-bit space has a hole', () => {
    let hw: number;
    try {
      hw = undefinedWord(16);
    } catch {
      return; // every 16-bit halfword decodes: nothing to count
    }
    const { core } = boot(
      (p) => {
        p.align(4)
          .i('NOP_T1')
          .i('NOP_T1')
          .word(hw | (0xbf00 << 16)); // the hole, then NOP
      },
      { hardfault: (p) => exit(p, 3) },
      { collectCoverage: true },
    );
    expect(runToExit(core)).toBe(3);
    expect(core.encodingCounts().get('UNDEFINED16')).toBe(1);
  });
});

describe('block translator', () => {
  /** A hot loop interrupted by SysTick; r6 sums r5 (the tick count) every iteration. */
  function ticking(): Booted {
    return boot(
      (p) => {
        p.mov32(0, 0xe000e010).mov32(1, 97).i('STR_imm_T1', { t: 1, n: 0, i: 1 }); // RVR
        p.i('MOV_imm_T1', { d: 1, i: 7 }).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
        p.i('MOV_imm_T1', { d: 5, i: 0 }).i('MOV_imm_T1', { d: 6, i: 0 }).mov32(0, 3000);
        p.label('loop')
          .i('ADD_reg_T1', { d: 6, n: 6, m: 5 })
          .i('EOR_reg_T1', { d: 6, m: 0 })
          .i('SUB_imm_T2', { d: 0, i: 1 })
          .branch('B_T1', 'loop', { c: 1 });
      },
      { systick: (p) => p.i('ADD_imm_T2', { d: 5, i: 1 }).i('BX_T1', { m: 14 }) },
    );
  }

  it('takes interrupts at the same instruction boundaries as single-stepping', () => {
    const fast = ticking().core;
    expect(runToExit(fast)).toBe(0x77);
    const slow = ticking().core;
    let r;
    do r = slow.step();
    while (r.kind === 'limit');
    expect(r).toEqual({ kind: 'exit', code: 0x77 });
    expect(fast.readRegister(5)).toBeGreaterThan(50);
    for (let i = 0; i < 16; i++) expect(fast.readRegister(i)).toBe(slow.readRegister(i));
    expect(fast.instructionCount).toBe(slow.instructionCount);
    expect(fast.clock.now).toBe(slow.clock.now);
    expect(fast.readSpecial('xpsr')).toBe(slow.readSpecial('xpsr'));
  });

  it('stops inside a block exactly at the instruction budget', () => {
    for (const n of [1, 5, 17, 333, 1001]) {
      const a = ticking().core;
      let done = 0;
      while (done < 5000) {
        const k = Math.min(n, 5000 - done);
        a.run(k);
        done += k;
      }
      const b = ticking().core;
      b.run(5000);
      expect(a.instructionCount).toBe(b.instructionCount);
      expect(a.readRegister(15)).toBe(b.readRegister(15));
      expect(a.readRegister(6)).toBe(b.readRegister(6));
    }
  });

  it('compiles a loop with a TBB switch in it into one region, cases included', () => {
    // loop: r0 counts down; r2 = r0 & 3 picks one of four cases through "tbb [pc, r2]", whose
    // byte table follows it (case i at table + 4 + 4i: entry 2 + 2i, A7.7.185); each case adds
    // to r6 and branches back. Without the table's targets as successors every case became a
    // region of its own, entered from the core's loop on every pass.
    const program = (translate: boolean): Booted =>
      boot(
        (p) => {
          p.mov32(0, 2000).i('MOV_imm_T1', { d: 6, i: 0 });
          p.label('loop')
            .i('SUB_imm_T2', { d: 0, i: 1 })
            .branch('B_T1', 'done', { c: 0 })
            .i('MOV_imm_T1', { d: 2, i: 3 })
            .i('AND_reg_T1', { d: 2, m: 0 })
            .i('TBB_T1', { n: 15, m: 2, h: 0 })
            .word(0x08060402);
          for (let k = 1; k <= 4; k++)
            p.i('ADD_imm_T2', { d: 6, i: k * 10 }).branch('B_T2', 'loop');
          p.label('done');
        },
        {},
        { translate },
      );
    const fast = program(true).core;
    const slow = program(false).core;
    expect(runToExit(fast)).toBe(0x77);
    expect(runToExit(slow)).toBe(0x77);
    expect(fast.readRegister(6)).toBe(slow.readRegister(6));
    expect(fast.readRegister(6)).toBe(500 * (10 + 20 + 30 + 40) - 10);
    expect(fast.instructionCount).toBe(slow.instructionCount);
    expect(fast.clock.now).toBe(slow.clock.now);
    expect(fast.translatorStats.regions).toBe(1);
    expect(fast.translatorStats.blocks).toBeGreaterThanOrEqual(6);
    // The TBB finds its case's block inside the region (by the loaded byte, translate.ts TBT):
    // entered a few times while the loop warms, not once per pass (2000) leaving at the TBB.
    expect(fast.translatorStats.entries).toBeLessThan(20);
  });

  it('drops compiled blocks when their code is rewritten, also by the block itself', () => {
    const half = (name: string, f: Record<string, number>): number => assemble(name, f)[0]!;
    const pair = (lo: number, hi: number): number => (lo | (hi << 16)) >>> 0;
    // At RAM+0x300: "nop ; strh r1, [r0] ; movs r2, #1 ; bx lr". Called 40 times with r0
    // pointing at scratch RAM (the block gets compiled and run), then once with r0 pointing
    // at its own MOVS: the running block must see the new instruction.
    const b = boot((p) => {
      p.mov32(3, RAM + 0x300);
      p.mov32(4, pair(half('NOP_T1', {}), half('STRH_imm_T1', { t: 1, n: 0, i: 0 })));
      p.i('STR_imm_T1', { t: 4, n: 3, i: 0 });
      p.mov32(4, pair(half('MOV_imm_T1', { d: 2, i: 1 }), half('BX_T1', { m: 14 })));
      p.i('STR_imm_T1', { t: 4, n: 3, i: 1 });
      p.mov32(0, RAM + 0x1000).mov32(5, RAM + 0x301);
      p.mov32(1, half('MOV_imm_T1', { d: 2, i: 3 })).mov32(6, 40);
      p.label('hot')
        .i('BLX_reg_T1', { m: 5 })
        .i('SUB_imm_T2', { d: 6, i: 1 })
        .branch('B_T1', 'hot', { c: 1 });
      p.i('MOV_reg_T1', { D: 0, d: 7, m: 2 }); // 1: the warm-up calls ran the old code
      p.mov32(0, RAM + 0x304).i('BLX_reg_T1', { m: 5 });
      p.i('MOV_reg_T1', { D: 0, d: 6, m: 2 });
    });
    runToExit(b.core);
    expect(b.core.readRegister(7)).toBe(1);
    expect(b.core.readRegister(6)).toBe(3);
  });
});
