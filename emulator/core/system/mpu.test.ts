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

describe('Mpu.configId', () => {
  it('gives equal configurations one id and different ones new ids, never reused', () => {
    const mpu = new Mpu(() => {});
    const region = (n: number, base: number, rasr: number): void => {
      mpu.write(MPU.RBAR, (base | 0x10 | n) >>> 0);
      mpu.write(MPU.RASR, rasr >>> 0);
    };
    mpu.write(MPU.CTRL, 5);
    const kernel = mpu.configId();
    region(0, 0x20004000, (3 << 24) | (12 << 1) | 1);
    const a = mpu.configId();
    expect(a).not.toBe(kernel);
    // The same words written again: the same id, and the same after a detour.
    region(0, 0x20004000, (3 << 24) | (12 << 1) | 1);
    expect(mpu.configId()).toBe(a);
    region(0, 0x20008000, (3 << 24) | (12 << 1) | 1);
    const b = mpu.configId();
    expect(b).not.toBe(a);
    region(0, 0x20004000, (3 << 24) | (12 << 1) | 1);
    expect(mpu.configId()).toBe(a);
    // PRIVDEFENA is part of the configuration; ENABLE is not.
    mpu.write(MPU.CTRL, 1);
    const noDefault = mpu.configId();
    expect(noDefault).not.toBe(a);
    mpu.write(MPU.CTRL, 5);
    expect(mpu.configId()).toBe(a);
    mpu.write(MPU.CTRL, 4);
    expect(mpu.configId()).toBe(a);
    // More configurations than the table keeps: ids of forgotten ones are never given again.
    const seen = new Set([kernel, a, b, noDefault]);
    mpu.write(MPU.CTRL, 5);
    for (let i = 0; i < 200; i++) {
      region(1, 0x20010000 + i * 0x100, (3 << 24) | (7 << 1) | 1);
      const id = mpu.configId();
      expect(seen.has(id)).toBe(false);
      seen.add(id);
    }
    // Two configurations that differ in one word only keep telling apart after the clear.
    region(1, 0x20010000, (3 << 24) | (7 << 1) | 1);
    const c = mpu.configId();
    region(2, 0x20010000, (3 << 24) | (7 << 1) | 1);
    const d = mpu.configId();
    expect(d).not.toBe(c);
    region(2, 0, 0);
    expect(mpu.configId()).toBe(c);
  });
});

describe('Mpu.lookup, region sizes and subregions (B3.5.9: SIZE, SRD)', () => {
  it('answers by the region of every size up to 4 GiB and skips its disabled eighth', () => {
    // Unprivileged reads with PRIVDEFENA off: only an enabled subregion of the one region
    // (AP = 0b011, full access) allows them. Each size's region sits at 0 from 1 GiB up, above
    // 512 MiB below that (aligned to its size), with one eighth disabled; addresses at both ends
    // of every eighth and just outside the region are asked (not in the PPB, always open).
    for (const sizeBits of [5, 8, 9, 16, 24, 29, 30, 31, 32]) {
      const size = 2 ** sizeBits;
      const base = sizeBits >= 30 ? 0 : 0x20000000 + size;
      for (const off of sizeBits >= 8 ? [0, 3, 7] : [-1]) {
        const mpu = new Mpu(() => {});
        mpu.write(MPU.RBAR, (base | 0x10) >>> 0);
        const srd = off < 0 ? 0 : 1 << off;
        mpu.write(MPU.RASR, ((3 << 24) | (srd << 8) | ((sizeBits - 1) << 1) | 1) >>> 0);
        mpu.write(MPU.CTRL, 1);
        const ask = (a: number): boolean => mpu.lookup(a, false, false, false, 0, 0);
        const eighth = size / 8;
        for (let k = 0; k < 8; k++) {
          const want = sizeBits < 8 || k !== off;
          for (const a of [base + k * eighth, base + (k + 1) * eighth - 1])
            if (a < 0xe0000000 || a >= 0xe0100000)
              expect(`${a.toString(16)}: ${ask(a)}`).toBe(`${a.toString(16)}: ${want}`);
        }
        if (base > 0) expect(ask(base - 1)).toBe(false);
        if (base + size < 2 ** 32) expect(ask(base + size)).toBe(false);
      }
    }
  });
});
