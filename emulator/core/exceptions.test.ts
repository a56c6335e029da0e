/**
 * The exception model's scans over pending and active exceptions, against a plain full pass.
 *
 * Why: `activeCount`, `vectPending` (bestPending), `preempting` (what takePending enters) and
 * `executionPriority` visit only the set exceptions through word views of the byte arrays (the
 * exception return runs them every time).
 * They must answer exactly what a pass over every exception answers (ARMv7-M ARM B1.5.4
 * ExecutionPriority, B3.2.4 ICSR.VECTPENDING and RETTOBASE), whatever is set and wherever.
 *
 * Example: `npx vitest run emulator/core/exceptions.test.ts`
 */
import { describe, expect, it } from 'vitest';
import { CortexM } from './cortex-m';
import { Rng } from '../../tests/lockstep/generator';

describe('exception model scans', () => {
  it('count active exceptions and pick the pending one as a full pass does', () => {
    const rng = new Rng(0x5eed);
    // 48 IRQs is the nRF52840 (64 exceptions, whole words); 13 and 1 leave padding bytes.
    for (const numIrqs of [48, 13, 1, 240]) {
      const core = new CortexM({ frequencyHz: 1e6, numIrqs, priorityBits: 3 });
      const exc = core.exc;
      const n = exc.numExceptions;
      for (let round = 0; round < 300; round++) {
        exc.reset();
        exc.shcsrEna = rng.int(8);
        exc.prigroup = rng.int(8);
        core.maskInterrupts = rng.int(4) === 0;
        const sets = rng.int(6);
        for (let k = 0; k < sets; k++) {
          const e = 1 + rng.int(n - 1);
          if (rng.int(2)) exc.active[e] = 1;
          else exc.pending[e] = 1;
          if (e >= 4) exc.prio[e] = rng.int(256) & exc.prioMask;
          if (e >= 16) exc.enabled[e] = rng.int(4) === 0 ? 0 : 1;
        }
        // Reference: full passes in exception-number order.
        let count = 0;
        let activePrio = 256;
        for (let e = 1; e < n; e++) {
          if (!exc.active[e]) continue;
          count++;
          activePrio = Math.min(activePrio, exc.groupPrio(exc.prio[e]!));
        }
        let best = 0;
        let bestPrio = 0x7fff;
        const end = core.maskInterrupts ? 14 : n;
        for (let e = 2; e < end; e++) {
          if (exc.pending[e] && exc.isEnabled(e) && exc.prio[e]! < bestPrio) {
            best = e;
            bestPrio = exc.prio[e]!;
          }
        }
        expect(exc.activeCount()).toBe(count);
        expect(exc.executionPriority(false)).toBe(activePrio);
        expect(exc.vectPending()).toBe(best);
        // What takePending enters: the best pending one when its group priority beats the
        // execution priority (PRIMASK, BASEPRI and FAULTMASK included), else nothing.
        core.primask = rng.int(4) === 0 ? 1 : 0;
        core.basepri = rng.int(3) === 0 ? rng.int(256) & exc.prioMask : 0;
        core.faultmask = rng.int(8) === 0 ? 1 : 0;
        const ep = exc.executionPriority();
        const preempt = best !== 0 && exc.groupPrio(exc.prio[best]!) < ep ? best : 0;
        expect((exc as unknown as { preempting(): number }).preempting()).toBe(preempt);
        core.primask = core.basepri = core.faultmask = 0;
        const wake = (() => {
          for (let e = 2; e < n; e++)
            if (exc.pending[e] && exc.isEnabled(e) && exc.groupPrio(exc.prio[e]!) < activePrio)
              return true;
          return false;
        })();
        expect(exc.wakeUpPending()).toBe(wake);
      }
    }
  });
});
