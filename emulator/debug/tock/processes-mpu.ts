/**
 * The MPU's live registers read through the target, beside the regions the kernel stores per
 * process: what the hardware enforces at this halt, and which process's regions it holds.
 *
 * Why read the registers: the process struct says what the kernel will load at the next switch;
 * the MPU says what is loaded now (a kernel bug that forgets to reload, or a region changed under
 * the kernel, shows only here). PMSAv7 (ARMv7-M ARM B3.5) makes one region visible at a time:
 * MPU_RNR (B3.5.7) selects it, MPU_RBAR and MPU_RASR (B3.5.8, B3.5.9) read it. So the reader
 * writes RNR for each region and puts the old value back, as a debugger does: it needs the
 * target halted (main/host/tock-service.ts reads it only then). MPU_TYPE.DREGION (B3.5.5, bits
 * 15:8) gives the region count, MPU_CTRL (B3.5.6) ENABLE (bit 0) and PRIVDEFENA (bit 2).
 *
 * @example
 *   const live = await readLiveMpu(target);            // target halted
 *   if (live.ok) loadedFor(live.value.regions, views); // 'rng'
 */
import { err, ok, type Result } from '../../core/result';
import { decodeMpuRegion, type MpuRegion } from './processes-view';

/** System control space addresses of the MPU registers (B3.5.4, table B3-11). */
const MPU_TYPE = 0xe000ed90;
const MPU_CTRL = 0xe000ed94;
const MPU_RNR = 0xe000ed98;
const MPU_RBAR = 0xe000ed9c;
const MPU_RASR = 0xe000eda0;

export interface LiveMpu {
  enabled: boolean;
  /** PRIVDEFENA: privileged code (the kernel) uses the default map where no region covers. */
  privilegedDefault: boolean;
  regions: MpuRegion[];
}

interface RegisterAccess {
  readMemory(address: number, length: number): Promise<Result<Uint8Array>>;
  writeMemory(address: number, bytes: Uint8Array): Promise<Result<void>>;
}

const word = (b: Uint8Array): number =>
  (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
const le = (v: number): Uint8Array =>
  Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);

/** Reads MPU_TYPE, MPU_CTRL and every region (RNR written per region, then restored). */
export async function readLiveMpu(t: RegisterAccess): Promise<Result<LiveMpu>> {
  const read = async (a: number): Promise<Result<number>> => {
    const r = await t.readMemory(a, 4);
    if (!r.ok) return r;
    return r.value.length < 4 ? err(`short read at 0x${a.toString(16)}`) : ok(word(r.value));
  };
  const type = await read(MPU_TYPE);
  if (!type.ok) return err(`the MPU registers cannot be read: ${type.error}`);
  const count = (type.value >>> 8) & 0xff;
  if (count === 0) return err('this core has no MPU (MPU_TYPE.DREGION is 0)');
  const ctrl = await read(MPU_CTRL);
  const rnr = await read(MPU_RNR);
  if (!ctrl.ok || !rnr.ok) return err('the MPU registers cannot be read');
  const regions: MpuRegion[] = [];
  let failed: string | null = null;
  for (let i = 0; i < count && !failed; i++) {
    const sel = await t.writeMemory(MPU_RNR, le(i));
    if (!sel.ok) {
      failed = `MPU_RNR cannot be written: ${sel.error}`;
      break;
    }
    const rbar = await read(MPU_RBAR);
    const rasr = await read(MPU_RASR);
    if (!rbar.ok || !rasr.ok) failed = `MPU region ${i} cannot be read`;
    else regions.push(decodeMpuRegion(rbar.value, rasr.value, i));
  }
  const back = await t.writeMemory(MPU_RNR, le(rnr.value));
  if (failed) return err(failed);
  if (!back.ok) return err(`MPU_RNR could not be put back: ${back.error}`);
  return ok({
    enabled: (ctrl.value & 1) !== 0,
    privilegedDefault: (ctrl.value & 4) !== 0,
    regions,
  });
}

const sameRegion = (a: MpuRegion, b: MpuRegion): boolean =>
  a.start === b.start &&
  a.size === b.size &&
  a.access === b.access &&
  a.executeNever === b.executeNever &&
  a.subregionsDisabled.every((d, i) => d === b.subregionsDisabled[i]);

/**
 * The process whose stored regions are the ones loaded now (every enabled live region is one of
 * its regions and the other way round), or null.
 */
export function loadedFor(
  live: MpuRegion[],
  processes: { name: string; mpu: MpuRegion[] }[],
): string | null {
  const on = live.filter((r) => r.enabled);
  if (on.length === 0) return null;
  for (const p of processes) {
    const stored = p.mpu.filter((r) => r.enabled);
    if (stored.length === on.length && stored.every((s) => on.some((l) => sameRegion(s, l))))
      return p.name;
  }
  return null;
}
