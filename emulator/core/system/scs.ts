/**
 * System Control Space: maps NVIC, SCB, SysTick, MPU and the debug registers at 0xE000E000,
 * the DWT at 0xE0001000 and the FPB at 0xE0002000, and gives the core its view of them.
 *
 * Each block is one file with its named offsets (nvic.ts, scb.ts, systick.ts, mpu.ts, debug.ts,
 * dwt.ts, fpb.ts), after the ARMv7-M Architecture Reference Manual, chapter B3 and C1. This
 * file decodes the SCS page among them, turns narrow accesses into word accesses (priority
 * registers are byte-accessible; set/clear and write-one-to-clear registers see only the bytes
 * written; other registers merge), and saves and restores their state. Reserved words read 0
 * and ignore writes, as QEMU 7.2 does; the core turns unprivileged PPB accesses into BusFaults
 * before they reach here.
 *
 * Usage (cortex-m.ts): `this.system = installSystem(this)`.
 */
import type { CortexM } from '../cortex-m';
import type { AccessSize, MmioDevice } from '../interfaces';
import { mergeLanes, readLanes } from '../memory/lanes';
import { CORESIGHT_BASE, coresightBlock, coresightIdRegister } from './coresight';
import { DebugRegisters, type DebugState } from './debug';
import { Dwt, type DwtState } from './dwt';
import { Fpb, type FpbState } from './fpb';
import { Itm, itmDevice, type ItmState } from './itm';
import { Mpu, type MpuState } from './mpu';
import { Nvic, writePriority } from './nvic';
import { Scb } from './scb';
import { SysTick, type SysTickState } from './systick';

export { defaultMapExecutable } from './mpu';

/** The core's view of the system blocks. */
export interface SystemBlocks {
  readonly device: MmioDevice;
  reset(): void;
  snapshot(): unknown;
  restore(s: unknown): void;
  needsSlowMemory(): boolean;
  onHalt(): void;
  /** A core reset halts before the first instruction (DEMCR.VC_CORERESET). */
  resetVectorCatch(): boolean;
  fpbActive(): boolean;
  fpbMatch(pc: number): boolean;
  dwtWatchActive(): boolean;
  dwtCheck(a: number, size: AccessSize, write: boolean): void;
  /** True when a data watchpoint matches some `write` access within [a, a + length). */
  dwtWatches(a: number, length: number, write: boolean): boolean;
  /** The address ranges ([lo, hi], inclusive) of the data watchpoints matching `write` accesses. */
  dwtWatchedRanges(write: boolean): [number, number][];
  mpuEnabled(): boolean;
  /**
   * Id of the current MPU configuration (regions, PRIVDEFENA, HFNMIENA): equal ids, equal
   * answers from `mpuLookup`. Ids are never reused.
   */
  mpuConfigId(): number;
  mpuLookup(
    a: number,
    write: boolean,
    priv: boolean,
    exec: boolean,
    ipsr: number,
    faultmask: number,
  ): boolean;
  /** `Mpu.uniformSpan`: the span around `a` where `mpuLookup` keeps `a`'s answer. */
  mpuSpan(
    a: number,
    write: boolean,
    priv: boolean,
    exec: boolean,
    ipsr: number,
    faultmask: number,
  ): [number, number];
  debugEnabled(): boolean;
  monitorEnabled(): boolean;
}

/** Base addresses (B3.2.1 table B3-3, C1.7, C1.8, C1.11). */
const ITM_BASE = 0xe0000000;
const SCS_BASE = 0xe000e000;
const DWT_BASE = 0xe0001000;
const FPB_BASE = 0xe0002000;

interface SystemState {
  st: SysTickState & { value: number };
  mpu: MpuState;
  dwt: DwtState;
  fpb: FpbState;
  dbg: DebugState;
  /** Absent in snapshots made before the ITM was modelled. */
  itm?: ItmState;
  nvic: {
    prio: number[];
    pending: number[];
    active: number[];
    enabled: number[];
    levels: number[];
  };
  scb: number[];
}

/** A device over 32-bit registers `read`/`write`, with the SCS's narrow-access rules. */
function wordDevice(
  name: string,
  read: (off: number, debug?: boolean) => number,
  write: (off: number, v: number) => void,
  bytePriority: (off: number) => number = () => -1,
  writeOne: (off: number) => boolean = () => false,
  priority: (exception: number, p: number) => void = () => undefined,
): MmioDevice {
  return {
    name,
    read(offset: number, size: AccessSize): number {
      return readLanes(read(offset & ~3) >>> 0, offset, size);
    },
    /** A debugger's read: no register changes because of it (SYST_CSR keeps COUNTFLAG). */
    peek(offset: number, size: AccessSize): number {
      return readLanes(read(offset & ~3, true) >>> 0, offset, size);
    },
    write(offset: number, size: AccessSize, value: number): void {
      if (size === 4) return write(offset, value >>> 0);
      // Byte access to priority registers is architecturally defined (B3.4.8, B3.2.10).
      const exc = bytePriority(offset);
      if (exc >= 0) {
        priority(exc, value & 0xff);
        if (size === 2) priority(exc + 1, (value >>> 8) & 0xff);
        return;
      }
      // Set/clear and write-one-to-clear registers must not see the other lanes' current bits.
      // The merge is not a read by the program: it leaves read-sensitive bits alone.
      const old = writeOne(offset) ? 0 : read(offset & ~3, true);
      write(offset & ~3, mergeLanes(old, value, offset, size));
    },
  };
}

export function installSystem(cpu: CortexM): SystemBlocks {
  const exc = cpu.exc;
  const nvic = new Nvic(cpu, exc);
  const scb = new Scb(cpu, exc);
  const systick = new SysTick(cpu);
  // MPU and watchpoint changes alter what the core's fast paths may cache.
  const mpu = new Mpu(() => cpu.mpuChanged());
  const debug = new DebugRegisters(cpu, () => cpu.fpbChanged());
  const dwt = new Dwt(
    cpu,
    () => cpu.refreshSlowPaths(),
    () => debug.enabled,
  );
  const fpb = new Fpb(() => cpu.fpbChanged());

  const scsRead = (off: number, debugAccess = false): number => {
    if (SysTick.owns(off)) return systick.read(off, debugAccess);
    if (Nvic.owns(off)) return nvic.read(off);
    if (Scb.owns(off)) return scb.read(off);
    if (Mpu.owns(off)) return mpu.read(off);
    if (DebugRegisters.owns(off)) return debug.read(off, debugAccess);
    return coresightIdRegister('scs', off) ?? 0;
  };
  const scsWrite = (off: number, v: number): void => {
    if (SysTick.owns(off)) systick.write(off, v);
    else if (Nvic.owns(off)) nvic.write(off, v);
    else if (Scb.owns(off)) scb.write(off, v);
    else if (Mpu.owns(off)) mpu.write(off, v);
    else if (DebugRegisters.owns(off)) debug.write(off, v);
  };
  const device = wordDevice(
    'scs',
    scsRead,
    scsWrite,
    (off) => Math.max(Nvic.bytePriority(off), Scb.bytePriority(off)),
    (off) => Nvic.writeOneRegister(off) || Scb.writeOneRegister(off),
    (e, p) => writePriority(cpu, e, p),
  );
  const dwtDevice = wordDevice(
    'dwt',
    (off) => coresightIdRegister('dwt', off) ?? dwt.read(off),
    (off, v) => dwt.write(off, v),
  );
  const fpbDevice = wordDevice(
    'fpb',
    (off) => coresightIdRegister('fpb', off) ?? fpb.read(off),
    (off, v) => fpb.write(off, v),
  );
  const itm = new Itm(cpu, () => debug.traceEnabled);
  const itmRegs = itmDevice(itm);
  // The ITM's identification registers (coresight.ts) sit above its stimulus ports.
  const itmRead = (offset: number, size: AccessSize): number =>
    offset >= 0xfd0
      ? readLanes(coresightIdRegister('itm', offset & ~3)! >>> 0, offset, size)
      : itmRegs.read(offset, size);
  cpu.bus.mapDevice(ITM_BASE, 0x1000, { ...itmRegs, read: itmRead, peek: itmRead });
  cpu.bus.mapDevice(SCS_BASE, 0x1000, device);
  cpu.bus.mapDevice(DWT_BASE, 0x1000, dwtDevice);
  cpu.bus.mapDevice(FPB_BASE, 0x1000, fpbDevice);
  // Components known to debuggers only by their identification (coresight.ts).
  for (const c of ['tpiu', 'etm', 'rom'] as const)
    cpu.bus.mapDevice(CORESIGHT_BASE[c], 0x1000, coresightBlock(c));

  /** The enabled code comparators while the FPB can match ('' when it cannot), as a key. */
  const fpbMatched = (): string =>
    fpb.enabled && debug.enabled && fpb.anyComparator ? fpb.snapshot().comp.join() : '';

  return {
    device,
    reset(): void {
      systick.reset();
      mpu.reset();
      dwt.reset();
      fpb.reset();
      debug.reset();
      itm.reset();
      cpu.refreshSlowPaths();
      cpu.breakpointsChanged();
    },
    snapshot(): SystemState {
      return {
        st: systick.snapshot(),
        mpu: mpu.snapshot(),
        dwt: dwt.snapshot(),
        fpb: fpb.snapshot(),
        dbg: debug.snapshot(),
        itm: itm.snapshot(),
        nvic: {
          prio: [...exc.prio],
          pending: [...exc.pending],
          active: [...exc.active],
          enabled: [...exc.enabled],
          levels: [...exc.levels],
        },
        scb: [
          exc.prigroup,
          exc.vtor,
          cpu.ccr,
          cpu.scr,
          exc.shcsrEna,
          exc.cfsr,
          exc.hfsr,
          exc.dfsr,
          exc.mmfar,
          exc.bfar,
          cpu.cpacr,
        ],
      };
    },
    restore(raw: unknown): void {
      const s = raw as SystemState;
      const matchedBefore = fpbMatched();
      systick.restore(s.st);
      mpu.restore(s.mpu);
      dwt.restore(s.dwt);
      fpb.restore(s.fpb);
      debug.restore(s.dbg);
      itm.restore(s.itm);
      exc.prio.set(s.nvic.prio);
      exc.pending.set(s.nvic.pending);
      exc.active.set(s.nvic.active);
      exc.enabled.set(s.nvic.enabled);
      exc.levels.set(s.nvic.levels);
      const b = s.scb;
      exc.prigroup = b[0]!;
      exc.vtor = b[1]!;
      cpu.ccr = b[2]!;
      cpu.scr = b[3]!;
      exc.shcsrEna = b[4]!;
      exc.cfsr = b[5]!;
      exc.hfsr = b[6]!;
      exc.dfsr = b[7]!;
      exc.mmfar = b[8]!;
      exc.bfar = b[9]!;
      cpu.cpacr = b[10]!;
      cpu.refreshSlowPaths();
      // Compiled code never covers an address the FPB matches (fpb.ts): it has to go only when
      // the restored comparators match addresses the present ones did not. Dropping it on every
      // restore made each reverse step re-translate, and V8 re-compile, all the hot code.
      const matched = fpbMatched();
      if (matched !== '' && matched !== matchedBefore) cpu.fpbChanged();
      else cpu.breakpointsChanged();
    },
    needsSlowMemory: () => dwt.armed || mpu.enabled || cpu.writeObserved(),
    onHalt: () => debug.onHalt(),
    resetVectorCatch: () => debug.resetVectorCatch,
    // Only an enabled comparator can match: a debugger leaves the unit on between breakpoints.
    fpbActive: () => fpb.enabled && debug.enabled && fpb.anyComparator,
    fpbMatch: (pc) => fpb.match(pc),
    dwtWatchActive: () => dwt.armed,
    dwtCheck: (a, size, write) => dwt.check(a, size, write),
    dwtWatches: (a, length, write) => dwt.watches(a, length, write),
    dwtWatchedRanges: (write) => dwt.watchedRanges(write),
    mpuEnabled: () => mpu.enabled,
    mpuConfigId: () => mpu.configId(),
    mpuLookup: (a, write, priv, exec, ipsr, faultmask) =>
      mpu.lookup(a, write, priv, exec, ipsr, faultmask),
    mpuSpan: (a, write, priv, exec, ipsr, faultmask) =>
      mpu.uniformSpan(a, write, priv, exec, ipsr, faultmask),
    debugEnabled: () => debug.enabled,
    monitorEnabled: () => debug.monitorEnabled,
  };
}
