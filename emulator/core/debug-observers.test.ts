/**
 * What the core offers debugger views without stopping: exception entry and return observers
 * with the TRM's exception cycle costs, the ITM's stimulus ports and enables, and host write
 * observers that keep working once the translator has compiled the code.
 */
import { describe, expect, it } from 'vitest';
import { Program } from './assembler';
import { CortexM } from './cortex-m';
import { EXCEPTION_ENTRY_CYCLES, EXCEPTION_RETURN_CYCLES, TAIL_CHAIN_CYCLES } from './exceptions';
import { bareCore } from './testing/bare-core';

const RAM = 0x20000000;

/** A core running `body` from reset, with an SVC handler and a PendSV handler. */
function boot(body: (p: Program) => void, svc: (p: Program) => void): CortexM {
  const { core, flash } = bareCore();
  const p = new Program(0);
  p.word(RAM + 0x8000).addr('reset', 1);
  for (let e = 2; e < 24; e++) p.addr(e === 11 ? 'svc' : e === 14 ? 'pendsv' : 'other', 1);
  p.label('reset');
  body(p);
  p.mov32(1, 0x77).i('BKPT_T1', { i: 0xab });
  p.align(4).label('svc');
  svc(p);
  p.i('BX_T1', { m: 14 });
  p.align(4).label('pendsv');
  p.i('BX_T1', { m: 14 });
  p.align(4).label('other');
  p.mov32(1, 0xee).i('BKPT_T1', { i: 0xab });
  flash.set(p.bytes());
  core.reset();
  return core;
}

function run(core: CortexM): void {
  const r = core.run(1_000_000);
  expect(r).toEqual({ kind: 'exit', code: 0x77 });
}

describe('exception observers and cycles', () => {
  it('charges 12 cycles for entry, 10 for return and 6 for a tail-chain (Cortex-M4 TRM 3.9.1)', () => {
    const seen: string[] = [];
    const core = boot(
      (p) => {
        // SHPR3: PendSV at the lowest priority, so it waits for the SVC handler to end.
        p.mov32(0, 0xe000ed20).mov32(1, 0x00e00000).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
        p.i('SVC_T1', { i: 5 });
      },
      (p) => {
        p.mov32(0, 0xe000ed04).mov32(1, 0x10000000).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
      },
    );
    let at = 0;
    core.onExceptionEntry = (e) => {
      seen.push(`enter ${e} +${core.clock.now - at}`);
      at = core.clock.now;
    };
    core.onExceptionReturn = (e, ret, tail) => {
      seen.push(`return ${e} to ${(ret >>> 0).toString(16)} tail ${tail} +${core.clock.now - at}`);
      at = core.clock.now;
    };
    run(core);
    // SVC handler: mov32 x2 (4 instructions), STR (2), BX LR (3) = 9 cycles, then the tail-chain.
    expect(seen[0]).toMatch(/^enter 11 /);
    expect(seen.slice(1)).toEqual([
      `return 11 to fffffff9 tail 14 +${4 + 2 + 3 + TAIL_CHAIN_CYCLES}`,
      `enter 14 +0`,
      `return 14 to fffffff9 tail 0 +${3 + EXCEPTION_RETURN_CYCLES}`,
    ]);
    expect(EXCEPTION_ENTRY_CYCLES).toBe(12);
  });
});

describe('ITM', () => {
  const enableAndWrite = (p: Program, demcr: number): void => {
    p.mov32(0, 0xe000edfc).mov32(1, demcr).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // DEMCR
    p.mov32(0, 0xe0000e00).mov32(1, 0b10).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // TER: port 1
    p.mov32(0, 0xe0000e80).mov32(1, 1).i('STR_imm_T1', { t: 1, n: 0, i: 0 }); // TCR.ITMENA
    p.mov32(0, 0xe0000000).i('LDR_imm_T1', { t: 5, n: 0, i: 1 }); // r5 = port 1 (FIFOREADY)
    p.mov32(1, 0x12345678).i('STR_imm_T1', { t: 1, n: 0, i: 1 }); // port 1: a packet
    p.i('STR_imm_T1', { t: 1, n: 0, i: 2 }); // port 2: not enabled
    p.mov32(1, 0xab).i('STRB_imm_T1', { t: 1, n: 0, i: 4 }); // port 1, one byte
  };

  it('passes stimulus writes to enabled ports while TRCENA and ITMENA are set', () => {
    const packets: string[] = [];
    const core = boot(
      (p) => enableAndWrite(p, 1 << 24),
      () => undefined,
    );
    core.onItmWrite = (port, value, size) => packets.push(`${port}:${value.toString(16)}/${size}`);
    run(core);
    expect(packets).toEqual(['1:12345678/4', '1:ab/1']);
    expect(core.readRegister(5)).toBe(1);
  });

  it('ignores stimulus writes without DEMCR.TRCENA', () => {
    const packets: number[] = [];
    const core = boot(
      (p) => enableAndWrite(p, 0),
      () => undefined,
    );
    core.onItmWrite = (_port, value) => packets.push(value);
    run(core);
    expect(packets).toEqual([]);
  });
});

describe('write observers', () => {
  it('sees every store to the observed word from compiled code, and nothing else', () => {
    const core = boot(
      (p) => {
        // 2000 rounds of: store the counter to RAM+0x100 (observed) and RAM+0x140 (not).
        p.mov32(0, RAM + 0x100)
          .mov32(2, 2000)
          .i('MOV_imm_T1', { d: 3, i: 0 });
        p.label('loop');
        p.i('ADD_imm_T2', { d: 3, i: 1 });
        p.i('STR_imm_T1', { t: 3, n: 0, i: 0 });
        p.i('STR_imm_T1', { t: 3, n: 0, i: 0x40 >> 2 });
        p.i('SUB_imm_T2', { d: 2, i: 1 });
        p.branch('B_T1', 'loop', { c: 1 });
      },
      () => undefined,
    );
    const writes: number[] = [];
    const stop = core.observeWrites(RAM + 0x100, 4, (a, size, v) => {
      expect(a).toBe(RAM + 0x100);
      expect(size).toBe(4);
      writes.push(v);
    });
    run(core);
    expect(core.translatorStats.regions).toBeGreaterThan(0);
    expect(writes.length).toBe(2000);
    expect(writes[1999]).toBe(2000);
    expect(core.readMemory(RAM + 0x140, 4)).toBe(2000);
    stop();
    expect(core.writeObserved()).toBe(false);
  });

  // An observer added or removed takes only its own 32-byte granules off the write fast paths
  // (each context's windows and saved slots): stores elsewhere, exception frames included, stay
  // on them. Counted through `writeSlow`, where every store off the fast paths goes.
  describe.each([5, 0])('with MPU_CTRL = %i', (ctrl) => {
    const A = RAM + 0x100; // observed now and then (thread code stores the counter)
    const P = RAM + 0x4000; // observed throughout, never written: it splits RAM's windows
    const B = RAM + 0x5000; // stored by thread code, never observed
    const C = RAM + 0x6000; // stored by the SVC handler, never observed
    /** 20,000 rounds of unprivileged stores to A and B, and an SVC whose handler stores to C. */
    const looping = (): CortexM => {
      return boot(
        (p) => {
          // Region 0: flash, read-only for all, executable; region 1: RAM, full access.
          p.mov32(0, 0xe000ed9c);
          p.mov32(1, 0x10).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
          p.mov32(1, 0x0600001f).i('STR_imm_T1', { t: 1, n: 0, i: 1 });
          p.mov32(1, RAM | 0x11).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
          p.mov32(1, 0x0300001f).i('STR_imm_T1', { t: 1, n: 0, i: 1 });
          p.mov32(0, 0xe000ed94).mov32(1, ctrl).i('STR_imm_T1', { t: 1, n: 0, i: 0 });
          // Unprivileged Thread mode (CONTROL.nPRIV): the handler runs in another context.
          p.i('MOV_imm_T1', { d: 1, i: 1 }).i('MSR_T1', { n: 1, s: 20, m: 0 });
          p.i('ISB_T1', { o: 15 });
          p.mov32(0, A).mov32(4, B).mov32(2, 20_000).i('MOV_imm_T1', { d: 3, i: 0 });
          p.label('loop');
          p.i('ADD_imm_T2', { d: 3, i: 1 });
          p.i('STR_imm_T1', { t: 3, n: 0, i: 0 });
          p.i('STR_imm_T1', { t: 3, n: 4, i: 0 });
          p.i('SVC_T1', { i: 0 });
          p.i('SUB_imm_T2', { d: 2, i: 1 });
          p.branch('B_T1', 'loop', { c: 1 });
        },
        (p) => {
          p.mov32(6, C).i('STR_imm_T1', { t: 3, n: 6, i: 0 });
        },
      );
    };

    it('takes only the observed granules off the write fast paths, and sees every store there', () => {
      const core = looping();
      const stopP = core.observeWrites(P, 4, () => {
        throw new Error('P is never written');
      });
      let inside = 0;
      let outside = 0;
      const writeSlow = core.writeSlow.bind(core);
      core.writeSlow = (a, size, v, mustAlign, priv) => {
        if (a >>> 0 >= A && a >>> 0 < A + 32) inside++;
        else outside++;
        writeSlow(a, size, v, mustAlign, priv);
      };
      expect(core.run(20_000).kind).toBe('limit');
      expect(core.translatorStats.regions).toBeGreaterThan(0);
      for (const budget of [997, 1_009, 1_511, 2_003, 3_001, 4_007]) {
        inside = outside = 0;
        const seen: number[] = [];
        const stop = core.observeWrites(A, 4, (a, size, v) => {
          expect([a, size]).toEqual([A, 4]);
          seen.push(v);
        });
        const v0 = core.readMemory(A, 4);
        expect(core.run(budget).kind).toBe('limit');
        const v1 = core.readMemory(A, 4);
        // Every store to A, in order, and nothing else.
        expect(v1 - v0).toBeGreaterThan(50);
        expect(seen).toEqual(Array.from({ length: v1 - v0 }, (_, i) => v0 + 1 + i));
        expect(inside).toBe(v1 - v0);
        expect(outside).toBe(0);
        stop();
        inside = outside = 0;
        expect(core.run(budget).kind).toBe('limit');
        // A's window grows back over its granule once; nothing else left the fast paths.
        expect(inside).toBe(1);
        expect(outside).toBe(0);
      }
      stopP();
      run(core);
      expect(core.readMemory(B, 4)).toBe(20_000);
      expect(core.readMemory(C, 4)).toBe(20_000);
    });

    // Exception entry writes its frame at once where nothing watches it (`stackFrame`); a frame
    // over an observed word goes word by word, so the observer sees each push.
    it('sees every exception frame pushed over an observed word', () => {
      const core = looping();
      // The SVC frame lies at the top of the main stack (SP = RAM + 0x8000): r3 is its word 3.
      const seen: number[] = [];
      const stop = core.observeWrites(RAM + 0x8000 - 32 + 12, 4, (_a, _size, v) => seen.push(v));
      run(core);
      stop();
      expect(seen).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
    });
  });
});
