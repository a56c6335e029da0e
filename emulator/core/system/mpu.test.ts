/**
 * `Mpu.uniformSpan`, the window the core's fast paths use with the MPU on: over random
 * configurations (regions, subregions, AP, XN, PRIVDEFENA, HFNMIENA) and contexts, every
 * address of the span gets the same `lookup` answer as the address asked about, and the span
 * is maximal (the addresses just outside it answer differently).
 *
 * Example: `npx vitest run emulator/core/system/mpu.test.ts`
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../tests/lockstep/generator';
import { MPU, Mpu } from './mpu';

describe('Mpu.uniformSpan', () => {
  it('is a maximal span of equal answers around the address', () => {
    const r = new Rng(0x5eed);
    const next = (): number => r.next();
    for (let trial = 0; trial < 20; trial++) {
      const mpu = new Mpu(() => {});
      // Regions of 32 B to 64 KiB inside the first 256 KiB, and now and then one of 512 MiB.
      for (let n = 0; n < 8; n++) {
        if (next() % 3 === 0) continue;
        const big = next() % 8 === 0;
        const sizeBits = big ? 29 : 5 + (next() % 12);
        const base = big ? 0 : ((next() % (1 << 18)) >>> sizeBits) << sizeBits;
        const srd = next() & 0xff;
        const ap = next() % 8;
        const xn = next() % 2;
        mpu.write(MPU.RBAR, (base | 0x10 | n) >>> 0);
        mpu.write(
          MPU.RASR,
          ((xn << 28) | (ap << 24) | (srd << 8) | ((sizeBits - 1) << 1) | 1) >>> 0,
        );
      }
      mpu.write(MPU.CTRL, 1 | ((next() % 4) * 2));
      for (let q = 0; q < 25; q++) {
        const a = q % 4 === 0 ? 0x40000000 + (next() % (1 << 19)) : next() % (1 << 19);
        const write = next() % 2 === 0;
        const exec = !write && next() % 3 === 0;
        const priv = next() % 2 === 0;
        const ipsr = next() % 5 === 0 ? 3 : 0;
        const faultmask = next() % 7 === 0 ? 1 : 0;
        const ask = (x: number): boolean => mpu.lookup(x, write, priv, exec, ipsr, faultmask);
        const want = ask(a);
        const [lo, hi] = mpu.uniformSpan(a, write, priv, exec, ipsr, faultmask);
        expect(lo).toBeLessThanOrEqual(a);
        expect(hi).toBeGreaterThan(a);
        expect(lo % 32).toBe(0);
        expect(hi % 32).toBe(0);
        // Every granule of the span within 16 KiB of `a`, and samples all over it.
        const from = Math.max(lo, a - (a % 32) - (1 << 14));
        for (let g = from; g < Math.min(hi, a + (1 << 14)); g += 32)
          if (ask(g) !== want)
            expect(`${g.toString(16)}: ${!want}`).toBe(`${g.toString(16)}: ${want}`);
        for (let i = 0; i < 64; i++) expect(ask(lo + (next() % (hi - lo)))).toBe(want);
        if (lo > 0) expect(ask(lo - 1)).not.toBe(want);
        if (hi < 2 ** 32) expect(ask(hi)).not.toBe(want);
      }
    }
  });
});
