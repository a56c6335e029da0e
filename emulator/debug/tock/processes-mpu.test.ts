// The live MPU reader over a register file that behaves as PMSAv7 says (RNR selects the region
// RBAR and RASR show, B3.5.7-B3.5.9): every region read, RNR put back, the loaded process found.
import { describe, expect, it } from 'vitest';
import { err, ok } from '../../core/result';
import { decodeMpuRegion } from './processes-view';
import { loadedFor, readLiveMpu } from './processes-mpu';

function mpu(rbar: number[], rasr: number[], ctrl = 5, rnr = 3) {
  const regs = { rnr, writes: 0 };
  const word = (v: number) =>
    Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  return {
    regs,
    async readMemory(a: number) {
      const v: Record<number, number> = {
        0xe000ed90: 8 << 8,
        0xe000ed94: ctrl,
        0xe000ed98: regs.rnr,
        0xe000ed9c: (rbar[regs.rnr]! & ~0x1f) | regs.rnr,
        0xe000eda0: rasr[regs.rnr]!,
      };
      return a in v ? ok(word(v[a]!)) : err('no such register');
    },
    async writeMemory(a: number, b: Uint8Array) {
      if (a !== 0xe000ed98) return err('read-only here');
      regs.writes++;
      regs.rnr = b[0]! & 7;
      return ok(undefined);
    },
  };
}

describe('live MPU registers', () => {
  // Region 0: 0x20008000, 4 KiB (SIZE 11), RW/RW, XN, enabled; region 1: flash 16 KiB RO/RO.
  const rbar = [0x20008000, 0x00044000, 0, 0, 0, 0, 0, 0];
  const rasr = [(1 << 28) | (3 << 24) | (11 << 1) | 1, (6 << 24) | (13 << 1) | 1, 0, 0, 0, 0, 0, 0];

  it('reads every region through RNR and puts RNR back', async () => {
    const t = mpu(rbar, rasr);
    const r = await readLiveMpu(t);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.enabled).toBe(true);
    expect(r.value.privilegedDefault).toBe(true);
    expect(r.value.regions).toHaveLength(8);
    expect(r.value.regions[0]).toMatchObject({ start: 0x20008000, size: 4096, enabled: true });
    expect(r.value.regions[1]).toMatchObject({ start: 0x44000, size: 16384, access: 'RO/RO' });
    expect(r.value.regions.slice(2).every((x) => !x.enabled)).toBe(true);
    expect(t.regs.rnr).toBe(3);
    expect(t.regs.writes).toBe(9);
  });

  it('names the process whose stored regions are loaded', () => {
    const live = rbar.map((b, i) => decodeMpuRegion(b | 0x10 | i, rasr[i]!, i));
    const other = [decodeMpuRegion(0x2000a000 | 0x10, rasr[0]!, 0)];
    expect(
      loadedFor(live, [
        { name: 'hello', mpu: other },
        { name: 'rng', mpu: live },
      ]),
    ).toBe('rng');
    expect(loadedFor(live, [{ name: 'hello', mpu: other }])).toBeNull();
  });

  it('says so when the registers cannot be read or written', async () => {
    const t = mpu(rbar, rasr);
    const r = await readLiveMpu({ ...t, writeMemory: async () => err('target running') });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/MPU_RNR cannot be written: target running/);
    const none = await readLiveMpu({ ...t, readMemory: async () => err('no SCS') });
    expect(none.ok).toBe(false);
  });
});
