/**
 * System Control Space: NVIC, SCB, SysTick, MPU (PMSAv7), DWT, FPB and the debug halting registers.
 *
 * These blocks are memory-mapped at 0xE000E000 (SCS), 0xE0001000 (DWT) and 0xE0002000 (FPB) and
 * act directly on the core's exception state, so they are built by the core itself rather than
 * by a machine. Register offsets follow the ARMv7-M Architecture Reference Manual, chapter B3.
 * Reads of reserved words return 0 and writes are ignored, as QEMU 7.2 does for the SCS; the
 * core already turns unprivileged PPB accesses into BusFaults before they reach here.
 */
import type { CortexM } from '../cortex-m';
import type { AccessSize, MmioDevice } from '../interfaces';

export interface SystemBlocks {
  readonly device: MmioDevice;
  reset(): void;
  snapshot(): unknown;
  restore(s: unknown): void;
  needsSlowMemory(): boolean;
  onHalt(): void;
  fpbActive(): boolean;
  fpbMatch(pc: number): boolean;
  dwtWatchActive(): boolean;
  dwtCheck(a: number, size: AccessSize, write: boolean): void;
  /** True when a data watchpoint matches some `write` access within [a, a + length). */
  dwtWatches(a: number, length: number, write: boolean): boolean;
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
  debugEnabled(): boolean;
  monitorEnabled(): boolean;
}

const CPUID_M4 = 0x410fc240; // Cortex-M4 r0p0, as QEMU 7.2 reports it
const AIRCR_VECTKEY = 0x05fa;
const DHCSR_KEY = 0xa05f;

/** Default memory map XN (B3.1): device and system regions are never executable. */
export function defaultMapExecutable(a: number): boolean {
  const x = a >>> 0;
  return !((x >= 0x40000000 && x < 0x60000000) || x >= 0xa0000000);
}

interface SystickState {
  csr: number;
  rvr: number;
  /** Counter value at `t0` (cycles). */
  cvrAt0: number;
  t0: number;
}

export function installSystem(cpu: CortexM): SystemBlocks {
  const st: SystickState = { csr: 0, rvr: 0, cvrAt0: 0, t0: 0 };
  let stEvent = -1;
  const mpu = { ctrl: 0, rnr: 0, rbar: new Uint32Array(8), rasr: new Uint32Array(8) };
  // MPU decisions are constant over 32-byte granules (the smallest region or subregion), so
  // they are cached per granule: a direct-mapped table of granule tags and six permission bits
  // (privileged read/write/execute, then unprivileged). Entries carry the id of the MPU configuration they were computed under, so a change of
  // configuration costs nothing here, and going back to an earlier one (the kernel switches
  // between its own and each process's on every context switch) finds its answers still cached.
  // Ids are never reused, so entries of a forgotten configuration cannot match.
  const PERM_SLOTS = 4096;
  const permTag = new Int32Array(PERM_SLOTS).fill(-1);
  const permGen = new Int32Array(PERM_SLOTS);
  const permBits = new Uint8Array(PERM_SLOTS);
  const configIds = new Map<string, number>();
  let nextConfigId = 1;
  let generation = 0;
  let configDirty = true;
  const dropPerms = (): void => {
    configDirty = true;
  };
  /** The id of the current MPU configuration (regions, PRIVDEFENA and HFNMIENA). */
  const configId = (): number => {
    if (configDirty) {
      configDirty = false;
      const sig = `${mpu.ctrl & 6}:${mpu.rbar.join(',')}:${mpu.rasr.join(',')}`;
      let id = configIds.get(sig);
      if (id === undefined) {
        if (configIds.size >= 64) configIds.clear();
        id = nextConfigId++;
        configIds.set(sig, id);
      }
      generation = id;
    }
    return generation;
  };

  /**
   * The MPU's answers for one address (B3.5), without the cache: bits 0-2 privileged
   * read/write/execute, bits 3-5 the same unprivileged.
   */
  function granulePerms(addr: number): number {
    let hit = -1;
    for (let i = 7; i >= 0; i--) {
      const rasr = mpu.rasr[i]!;
      if ((rasr & 1) === 0) continue;
      const sizeBits = ((rasr >>> 1) & 0x1f) + 1;
      if (sizeBits < 5) continue;
      const size = 2 ** sizeBits;
      const base = sizeBits >= 32 ? 0 : (mpu.rbar[i]! & ~(size - 1)) >>> 0;
      if (addr < base || addr >= base + size) continue;
      if (sizeBits >= 8) {
        const sub = Math.floor((addr - base) / (size / 8));
        if ((rasr >>> (8 + sub)) & 1) continue;
      }
      hit = i;
      break;
    }
    const x = defaultMapExecutable(addr) ? 1 : 0;
    if (hit < 0) {
      // No region: only privileged code with PRIVDEFENA uses the default map.
      return mpu.ctrl & 4 ? 0b011 | (x << 2) : 0;
    }
    const rasr = mpu.rasr[hit]!;
    const xn = rasr & (1 << 28) || !x ? 0 : 1;
    // [privileged read, write, unprivileged read, write] per AP value.
    let rw: number;
    switch ((rasr >>> 24) & 7) {
      case 1:
        rw = 0b0011;
        break;
      case 2:
        rw = 0b0111;
        break;
      case 3:
        rw = 0b1111;
        break;
      case 5:
        rw = 0b0001;
        break;
      case 6:
      case 7:
        rw = 0b0101;
        break;
      default:
        rw = 0;
    }
    const privR = rw & 1;
    const privW = (rw >>> 1) & 1;
    const userR = (rw >>> 2) & 1;
    const userW = (rw >>> 3) & 1;
    // Execution needs read access as well as XN clear.
    return (
      privR | (privW << 1) | ((privR & xn) << 2) | (userR << 3) | (userW << 4) | ((userR & xn) << 5)
    );
  }
  const dwt = {
    ctrl: 0,
    cycBase: 0,
    cycFrozen: 0,
    comp: new Uint32Array(4),
    mask: new Uint32Array(4),
    func: new Uint32Array(4),
  };
  const fpb = { ctrl: 0, comp: new Uint32Array(8) };
  const dbg = { dhcsr: 0, dcrdr: 0, demcr: 0 };
  let watchArmed = false;

  const clock = cpu.clock;
  const rate = (): number =>
    (st.csr & 4) !== 0 ? 1 : cpu.config.systickRefHz! / clock.frequencyHz;

  function systickValue(): number {
    if ((st.csr & 1) === 0) return st.cvrAt0;
    if (clock.now < st.t0) return 0; // at zero, waiting for the reload tick
    const ticks = Math.floor((clock.now - st.t0) * rate());
    if (ticks <= st.cvrAt0) return st.cvrAt0 - ticks;
    return st.cvrAt0; // event will have reloaded; only reachable between event and reload
  }

  function systickArm(): void {
    if (stEvent >= 0) clock.cancel(stEvent);
    stEvent = -1;
    if ((st.csr & 1) === 0) return;
    // The counter reaches 0 after cvrAt0 ticks; a zero counter reloads on the next tick.
    const ticksToZero = st.cvrAt0 === 0 ? 1 : st.cvrAt0;
    const at = st.t0 + Math.ceil(ticksToZero / rate());
    stEvent = clock.schedule(at, () => {
      stEvent = -1;
      if (st.cvrAt0 !== 0) {
        // The counter reached 0 now; it reloads on the next tick (period = RVR + 1 ticks).
        st.csr |= 1 << 16;
        if (st.csr & 2) cpu.setPending(15);
        st.t0 = clock.now + Math.ceil(1 / rate());
      } else {
        // It was already 0 (after a CVR write or a zero reload): this tick reloads.
        st.t0 = clock.now;
      }
      st.cvrAt0 = st.rvr;
      if (st.rvr !== 0) systickArm();
    });
  }

  function refreshWatch(): void {
    watchArmed = false;
    // Data address comparators (FUNCTION 5-7, C1.8.17); PC comparators are not modelled.
    for (let i = 0; i < 4; i++) if ((dwt.func[i]! & 0xf) >= 5) watchArmed = true;
    cpu.slowMem = watchArmed || (mpu.ctrl & 1) !== 0;
    cpu.refreshSlowPaths();
  }

  function readPriorityWord(base: number): number {
    let v = 0;
    for (let i = 0; i < 4; i++) v |= (cpu.prio[base + i]! & 0xff) << (8 * i);
    return v >>> 0;
  }
  function writePriority(exc: number, p: number): void {
    if (exc < 4 || exc >= cpu.numExceptions) return;
    cpu.prio[exc] = p & cpu.prioMask;
    cpu.attention = true;
  }

  function shcsr(): number {
    const a = cpu.active;
    const p = cpu.pending;
    return (
      ((a[4]! << 0) |
        (a[5]! << 1) |
        (a[6]! << 3) |
        (a[11]! << 7) |
        (a[12]! << 8) |
        (a[14]! << 10) |
        (a[15]! << 11) |
        (p[6]! << 12) |
        (p[4]! << 13) |
        (p[5]! << 14) |
        (p[11]! << 15) |
        (cpu.shcsrEna << 16)) >>>
      0
    );
  }

  function icsr(): number {
    let pendingVec = 0;
    let best = 0x7fff;
    let isrPending = 0;
    for (let e = 2; e < cpu.numExceptions; e++) {
      if (cpu.pending[e] && cpu.isEnabled(e)) {
        if (e >= 16) isrPending = 1;
        if (cpu.prio[e]! < best) {
          best = cpu.prio[e]!;
          pendingVec = e;
        }
      }
    }
    let activeCount = 0;
    for (let e = 1; e < cpu.numExceptions; e++) activeCount += cpu.active[e]!;
    const retToBase = activeCount <= 1 ? 1 : 0;
    return (
      ((cpu.pending[2]! << 31) |
        (cpu.pending[14]! << 28) |
        (cpu.pending[15]! << 26) |
        (isrPending << 22) |
        (pendingVec << 12) |
        (retToBase << 11) |
        cpu.ipsr) >>>
      0
    );
  }

  function bitsRead(arr: Uint8Array, word: number): number {
    let v = 0;
    for (let b = 0; b < 32; b++) {
      const e = 16 + word * 32 + b;
      if (e < cpu.numExceptions && arr[e]) v |= 1 << b;
    }
    return v >>> 0;
  }
  function bitsWrite(arr: Uint8Array, word: number, value: number, set: boolean): void {
    for (let b = 0; b < 32; b++) {
      const e = 16 + word * 32 + b;
      if (e < cpu.numExceptions && (value >>> b) & 1) {
        if (arr === cpu.pending) {
          // ISPR pends even a disabled interrupt; ICPR keeps an asserted level pending.
          if (set) cpu.setPending(e);
          else cpu.clearPendingByIcpr(e);
        } else arr[e] = set ? 1 : 0;
      }
    }
    cpu.attention = true;
  }

  function dcrRead(sel: number): number {
    if (sel <= 15) return cpu.readRegister(sel);
    switch (sel) {
      case 16:
        return cpu.xpsr;
      case 17:
        return cpu.msp;
      case 18:
        return cpu.psp;
      case 20:
        return (
          ((cpu.control << 24) | (cpu.faultmask << 16) | (cpu.basepri << 8) | cpu.primask) >>> 0
        );
      default:
        return 0;
    }
  }
  function dcrWrite(sel: number, v: number): void {
    if (sel <= 15) cpu.writeRegister(sel, v);
    else if (sel === 16) cpu.xpsr = v;
    else if (sel === 17) cpu.setMsp(v);
    else if (sel === 18) cpu.setPsp(v);
    else if (sel === 20) {
      cpu.primask = v & 1;
      cpu.basepri = (v >>> 8) & cpu.prioMask;
      cpu.faultmask = (v >>> 16) & 1;
      cpu.setControl((v >>> 24) & 7);
    }
    cpu.attention = true;
  }

  function scsRead(off: number): number {
    if (off >= 0x100 && off < 0x140) return bitsRead(cpu.enabled, (off - 0x100) >> 2);
    if (off >= 0x180 && off < 0x1c0) return bitsRead(cpu.enabled, (off - 0x180) >> 2);
    if (off >= 0x200 && off < 0x240) return bitsRead(cpu.pending, (off - 0x200) >> 2);
    if (off >= 0x280 && off < 0x2c0) return bitsRead(cpu.pending, (off - 0x280) >> 2);
    if (off >= 0x300 && off < 0x340) return bitsRead(cpu.active, (off - 0x300) >> 2);
    if (off >= 0x400 && off < 0x5f0) {
      const e = 16 + (off - 0x400);
      return e + 3 < cpu.numExceptions + 3 ? readPriorityWord(e) : 0;
    }
    switch (off) {
      case 0x004:
        return Math.ceil(cpu.config.numIrqs / 32) - 1;
      case 0x010: {
        // COUNTFLAG clears when CSR is read.
        const v = st.csr;
        st.csr &= ~(1 << 16);
        return v;
      }
      case 0x014:
        return st.rvr;
      case 0x018:
        return systickValue();
      case 0x01c:
        return 0x80000000; // CALIB: NOREF, no TENMS value
      case 0xd00:
        return CPUID_M4;
      case 0xd04:
        return icsr();
      case 0xd08:
        return cpu.vtor;
      case 0xd0c:
        return ((0xfa05 << 16) | (cpu.prigroup << 8)) >>> 0;
      case 0xd10:
        return cpu.scr;
      case 0xd14:
        return cpu.ccr;
      case 0xd18:
        return readPriorityWord(4);
      case 0xd1c:
        return readPriorityWord(8);
      case 0xd20:
        return readPriorityWord(12);
      case 0xd24:
        return shcsr();
      case 0xd28:
        return cpu.cfsr >>> 0;
      case 0xd2c:
        return cpu.hfsr >>> 0;
      case 0xd30:
        return cpu.dfsr;
      case 0xd34:
        return cpu.mmfar;
      case 0xd38:
        return cpu.bfar;
      case 0xd3c:
        return 0;
      case 0xd88:
        return cpu.config.fpu ? cpu.cpacr : 0;
      case 0xd90:
        return 8 << 8;
      case 0xd94:
        return mpu.ctrl;
      case 0xd98:
        return mpu.rnr;
      case 0xd9c:
      case 0xda4:
      case 0xdac:
      case 0xdb4:
        return (mpu.rbar[mpu.rnr]! & ~0x1f) | mpu.rnr;
      case 0xda0:
      case 0xda8:
      case 0xdb0:
      case 0xdb8:
        return mpu.rasr[mpu.rnr]!;
      case 0xdf0: {
        const halted = cpu.halted ? 1 << 17 : 0;
        const sleep = cpu.sleeping ? 1 << 18 : 0;
        const lock = cpu.lockedUp ? 1 << 19 : 0;
        return ((dbg.dhcsr & 0xf) | (1 << 16) | halted | sleep | lock) >>> 0;
      }
      case 0xdf8:
        return dbg.dcrdr;
      case 0xdfc:
        return dbg.demcr;
      default:
        return 0;
    }
  }

  function scsWrite(off: number, v: number): void {
    if (off >= 0x100 && off < 0x140) return bitsWrite(cpu.enabled, (off - 0x100) >> 2, v, true);
    if (off >= 0x180 && off < 0x1c0) return bitsWrite(cpu.enabled, (off - 0x180) >> 2, v, false);
    if (off >= 0x200 && off < 0x240) return bitsWrite(cpu.pending, (off - 0x200) >> 2, v, true);
    if (off >= 0x280 && off < 0x2c0) return bitsWrite(cpu.pending, (off - 0x280) >> 2, v, false);
    if (off >= 0x400 && off < 0x5f0) {
      for (let i = 0; i < 4; i++) writePriority(16 + off - 0x400 + i, (v >>> (8 * i)) & 0xff);
      return;
    }
    switch (off) {
      case 0x010: {
        const wasOn = st.csr & 1;
        const cur = systickValue();
        st.csr = (st.csr & (1 << 16)) | (v & 7);
        st.cvrAt0 = cur;
        st.t0 = clock.now;
        if ((st.csr & 1) !== wasOn || st.csr & 1) systickArm();
        return;
      }
      case 0x014:
        st.rvr = v & 0xffffff;
        return;
      case 0x018:
        // Any write clears the counter and COUNTFLAG; the next tick reloads.
        st.cvrAt0 = 0;
        st.t0 = clock.now;
        st.csr &= ~(1 << 16);
        systickArm();
        return;
      case 0xd04:
        if (v & (1 << 31)) cpu.setPending(2);
        if (v & (1 << 28)) cpu.setPending(14);
        if (v & (1 << 27)) cpu.pending[14] = 0;
        if (v & (1 << 26)) cpu.setPending(15);
        if (v & (1 << 25)) cpu.pending[15] = 0;
        cpu.attention = true;
        return;
      case 0xd08:
        cpu.vtor = v & 0xffffff80;
        return;
      case 0xd0c:
        if (v >>> 16 !== AIRCR_VECTKEY) return;
        cpu.prigroup = (v >>> 8) & 7;
        if (v & 2) {
          for (let e = 1; e < cpu.numExceptions; e++) cpu.active[e] = 0;
        }
        if (v & 4) cpu.requestSystemReset();
        cpu.attention = true;
        return;
      case 0xd10:
        cpu.scr = v & 0x16;
        return;
      case 0xd14:
        cpu.ccr = (v & 0x31b) | 0x200;
        return;
      case 0xd18:
      case 0xd1c:
      case 0xd20: {
        const base = 4 + (off - 0xd18);
        for (let i = 0; i < 4; i++) writePriority(base + i, (v >>> (8 * i)) & 0xff);
        return;
      }
      case 0xd24: {
        const a = cpu.active;
        a[4] = v & 1;
        a[5] = (v >>> 1) & 1;
        a[6] = (v >>> 3) & 1;
        a[11] = (v >>> 7) & 1;
        a[12] = (v >>> 8) & 1;
        a[14] = (v >>> 10) & 1;
        a[15] = (v >>> 11) & 1;
        cpu.pending[6] = (v >>> 12) & 1;
        cpu.pending[4] = (v >>> 13) & 1;
        cpu.pending[5] = (v >>> 14) & 1;
        cpu.pending[11] = (v >>> 15) & 1;
        cpu.shcsrEna = (v >>> 16) & 7;
        cpu.attention = true;
        return;
      }
      case 0xd28:
        cpu.cfsr &= ~v;
        return;
      case 0xd2c:
        cpu.hfsr &= ~v;
        return;
      case 0xd30:
        cpu.dfsr &= ~v;
        return;
      case 0xd34:
        cpu.mmfar = v >>> 0;
        return;
      case 0xd38:
        cpu.bfar = v >>> 0;
        return;
      case 0xd88:
        if (cpu.config.fpu) cpu.cpacr = v & (0xf << 20);
        return;
      case 0xd94:
        // Configurations differ by PRIVDEFENA and HFNMIENA (ENABLE is checked per access).
        if (((mpu.ctrl ^ v) & 6) !== 0) dropPerms();
        mpu.ctrl = v & 7;
        refreshWatch();
        invalidateCode();
        return;
      case 0xd98:
        mpu.rnr = v & 7;
        return;
      case 0xd9c:
      case 0xda4:
      case 0xdac:
      case 0xdb4:
        if (v & 0x10) mpu.rnr = v & 7;
        if (mpu.rbar[mpu.rnr] !== (v & ~0x1f) >>> 0) dropPerms();
        mpu.rbar[mpu.rnr] = v & ~0x1f;
        invalidateCode();
        return;
      case 0xda0:
      case 0xda8:
      case 0xdb0:
      case 0xdb8:
        if (mpu.rasr[mpu.rnr] !== (v & 0x173fff3f) >>> 0) dropPerms();
        mpu.rasr[mpu.rnr] = v & 0x173fff3f;
        invalidateCode();
        return;
      case 0xdf0:
        if (v >>> 16 !== DHCSR_KEY) return;
        if ((dbg.dhcsr ^ v) & 1) cpu.fpbChanged(); // C_DEBUGEN arms the FPB's comparators
        dbg.dhcsr = v & 0xf;
        if (v & 2) cpu.requestHalt();
        else if (cpu.halted) cpu.halted = false;
        cpu.attention = true;
        return;
      case 0xdf4:
        if (v & (1 << 16)) dcrWrite(v & 0x7f, dbg.dcrdr);
        else dbg.dcrdr = dcrRead(v & 0x7f);
        return;
      case 0xdf8:
        dbg.dcrdr = v >>> 0;
        return;
      case 0xdfc:
        dbg.demcr = v & 0x010f07f1;
        if (v & (1 << 17)) cpu.setPending(12);
        return;
      case 0xf00:
        if ((v & 0x1ff) + 16 < cpu.numExceptions) cpu.setPending(16 + (v & 0x1ff));
        return;
      default:
        return;
    }
  }

  function invalidateCode(): void {
    // Region changes alter permissions: drop the core's cached fast paths.
    cpu.refreshSlowPaths();
  }

  const wordAccess = (
    read: (o: number) => number,
    write: (o: number, v: number) => void,
  ): Pick<MmioDevice, 'read' | 'write'> => ({
    read(offset: number, size: AccessSize): number {
      const word = read(offset & ~3) >>> 0;
      const shift = (offset & 3) * 8;
      return size === 4 ? word : (word >>> shift) & (size === 2 ? 0xffff : 0xff);
    },
    write(offset: number, size: AccessSize, value: number): void {
      if (size === 4) return write(offset, value >>> 0);
      // Byte access to priority registers is architecturally defined; others merge.
      if ((offset >= 0x400 && offset < 0x5f0) || (offset >= 0xd18 && offset < 0xd24)) {
        const exc = offset >= 0x400 ? 16 + offset - 0x400 : 4 + offset - 0xd18;
        writePriority(exc, value & 0xff);
        if (size === 2) writePriority(exc + 1, (value >>> 8) & 0xff);
        return;
      }
      const shift = (offset & 3) * 8;
      const mask = (size === 2 ? 0xffff : 0xff) << shift;
      // Set/clear and write-one-to-clear registers must not see the other lanes' current bits.
      const w1 = (offset >= 0x100 && offset < 0x300) || (offset >= 0xd28 && offset < 0xd34);
      const old = w1 ? 0 : read(offset & ~3);
      write(offset & ~3, ((old & ~mask) | ((value << shift) & mask)) >>> 0);
    },
  });

  const device: MmioDevice = { name: 'scs', ...wordAccess(scsRead, scsWrite) };

  const dwtDevice: MmioDevice = {
    name: 'dwt',
    ...wordAccess(
      (off) => {
        if (off === 0) return (0x40000000 | dwt.ctrl) >>> 0;
        if (off === 4) return cycles();
        if (off >= 0x20 && off < 0x60) {
          const i = (off - 0x20) >> 4;
          const r = (off - 0x20) & 0xf;
          return r === 0 ? dwt.comp[i]! : r === 4 ? dwt.mask[i]! : r === 8 ? dwt.func[i]! : 0;
        }
        return 0;
      },
      (off, v) => {
        if (off === 0) {
          const c = cycles();
          dwt.ctrl = v & 1;
          setCycles(c);
        } else if (off === 4) setCycles(v);
        else if (off >= 0x20 && off < 0x60) {
          const i = (off - 0x20) >> 4;
          const r = (off - 0x20) & 0xf;
          if (r === 0) dwt.comp[i] = v;
          else if (r === 4) dwt.mask[i] = v & 0x1f;
          else if (r === 8) dwt.func[i] = v & 0xf;
          refreshWatch();
        }
      },
    ),
  };
  function cycles(): number {
    return (dwt.ctrl & 1 ? clock.now - dwt.cycBase : dwt.cycFrozen) >>> 0;
  }
  function setCycles(v: number): void {
    if (dwt.ctrl & 1) dwt.cycBase = clock.now - (v >>> 0);
    else dwt.cycFrozen = v >>> 0;
  }

  const fpbDevice: MmioDevice = {
    name: 'fpb',
    ...wordAccess(
      (off) => {
        if (off === 0) return (fpb.ctrl & 1) | (2 << 8) | (6 << 4);
        if (off >= 8 && off < 0x28) return fpb.comp[(off - 8) >> 2]!;
        return 0;
      },
      (off, v) => {
        if (off === 0) {
          if (v & 2) fpb.ctrl = v & 1;
        } else if (off >= 8 && off < 0x28) fpb.comp[(off - 8) >> 2] = v & 0xdffffffd;
        cpu.fpbChanged();
      },
    ),
  };

  cpu.bus.mapDevice(0xe000e000, 0x1000, device);
  cpu.bus.mapDevice(0xe0001000, 0x1000, dwtDevice);
  cpu.bus.mapDevice(0xe0002000, 0x1000, fpbDevice);

  return {
    device,
    reset(): void {
      if (stEvent >= 0) clock.cancel(stEvent);
      stEvent = -1;
      st.csr = st.rvr = st.cvrAt0 = 0;
      st.t0 = clock.now;
      mpu.ctrl = mpu.rnr = 0;
      mpu.rbar.fill(0);
      mpu.rasr.fill(0);
      dropPerms();
      dwt.ctrl = 0;
      dwt.cycFrozen = 0;
      dwt.comp.fill(0);
      dwt.mask.fill(0);
      dwt.func.fill(0);
      fpb.ctrl = 0;
      fpb.comp.fill(0);
      dbg.demcr = 0;
      refreshWatch();
      cpu.breakpointsChanged();
    },
    snapshot(): unknown {
      return {
        st: { ...st, value: systickValue() },
        mpu: { ctrl: mpu.ctrl, rnr: mpu.rnr, rbar: [...mpu.rbar], rasr: [...mpu.rasr] },
        dwt: {
          ctrl: dwt.ctrl,
          cyc: cycles(),
          comp: [...dwt.comp],
          mask: [...dwt.mask],
          func: [...dwt.func],
        },
        fpb: { ctrl: fpb.ctrl, comp: [...fpb.comp] },
        dbg: { ...dbg },
        nvic: {
          prio: [...cpu.prio],
          pending: [...cpu.pending],
          active: [...cpu.active],
          enabled: [...cpu.enabled],
          levels: [...cpu.levels],
        },
        scb: [
          cpu.prigroup,
          cpu.vtor,
          cpu.ccr,
          cpu.scr,
          cpu.shcsrEna,
          cpu.cfsr,
          cpu.hfsr,
          cpu.dfsr,
          cpu.mmfar,
          cpu.bfar,
          cpu.cpacr,
        ],
      };
    },
    restore(raw: unknown): void {
      const s = raw as {
        st: SystickState & { value: number };
        mpu: { ctrl: number; rnr: number; rbar: number[]; rasr: number[] };
        dwt: { ctrl: number; cyc: number; comp: number[]; mask: number[]; func: number[] };
        fpb: { ctrl: number; comp: number[] };
        dbg: typeof dbg;
        nvic: {
          prio: number[];
          pending: number[];
          active: number[];
          enabled: number[];
          levels: number[];
        };
        scb: number[];
      };
      st.csr = s.st.csr;
      st.rvr = s.st.rvr;
      st.cvrAt0 = s.st.value;
      st.t0 = clock.now;
      systickArm();
      mpu.ctrl = s.mpu.ctrl;
      mpu.rnr = s.mpu.rnr;
      mpu.rbar.set(s.mpu.rbar);
      mpu.rasr.set(s.mpu.rasr);
      dropPerms();
      dwt.ctrl = s.dwt.ctrl;
      setCycles(s.dwt.cyc);
      dwt.comp.set(s.dwt.comp);
      dwt.mask.set(s.dwt.mask);
      dwt.func.set(s.dwt.func);
      fpb.ctrl = s.fpb.ctrl;
      fpb.comp.set(s.fpb.comp);
      Object.assign(dbg, s.dbg);
      cpu.fpbChanged();
      cpu.prio.set(s.nvic.prio);
      cpu.pending.set(s.nvic.pending);
      cpu.active.set(s.nvic.active);
      cpu.enabled.set(s.nvic.enabled);
      cpu.levels.set(s.nvic.levels);
      [
        cpu.prigroup,
        cpu.vtor,
        cpu.ccr,
        cpu.scr,
        cpu.shcsrEna,
        cpu.cfsr,
        cpu.hfsr,
        cpu.dfsr,
        cpu.mmfar,
        cpu.bfar,
        cpu.cpacr,
      ] = s.scb as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      refreshWatch();
    },
    needsSlowMemory(): boolean {
      return watchArmed || (mpu.ctrl & 1) !== 0;
    },
    onHalt(): void {
      dbg.dhcsr |= 2;
    },
    fpbActive(): boolean {
      return (fpb.ctrl & 1) !== 0 && (dbg.dhcsr & 1) !== 0;
    },
    fpbMatch(pc: number): boolean {
      for (let i = 0; i < 6; i++) {
        const c = fpb.comp[i]!;
        if ((c & 1) === 0) continue;
        const base = c & 0x1ffffffc;
        const rep = c >>> 30;
        if ((rep & 1 && pc === base) || (rep & 2 && pc === base + 2)) return true;
      }
      return false;
    },
    dwtWatchActive(): boolean {
      return watchArmed;
    },
    dwtWatches(a: number, length: number, write: boolean): boolean {
      for (let i = 0; i < 4; i++) {
        const f = dwt.func[i]! & 0xf;
        if (f < 5 || (f === 5 && write) || (f === 6 && !write)) continue;
        const ignore = (2 ** dwt.mask[i]! - 1) >>> 0;
        const lo = (dwt.comp[i]! & ~ignore) >>> 0;
        if (a + length - 1 >= lo && a <= lo + ignore) return true;
      }
      return false;
    },
    dwtCheck(a: number, size: AccessSize, write: boolean): void {
      for (let i = 0; i < 4; i++) {
        const f = dwt.func[i]! & 0xf;
        if (f < 5) continue;
        if (f === 5 && write) continue; // 5 = read watchpoint
        if (f === 6 && !write) continue; // 6 = write watchpoint
        const ignore = (2 ** dwt.mask[i]! - 1) >>> 0;
        const lo = (dwt.comp[i]! & ~ignore) >>> 0;
        const hi = lo + ignore;
        if (a + size - 1 >= lo && a <= hi) {
          dwt.func[i]! |= 1 << 24;
          if (dbg.dhcsr & 1) {
            cpu.watchHit = {
              kind: 'watchpoint',
              address: a >>> 0,
              access: write ? 'write' : 'read',
              size,
            };
            cpu.attention = true;
          }
        }
      }
    },
    mpuEnabled(): boolean {
      return (mpu.ctrl & 1) !== 0;
    },
    mpuConfigId(): number {
      return configId();
    },
    mpuLookup(
      a: number,
      write: boolean,
      priv: boolean,
      exec: boolean,
      ipsr: number,
      faultmask: number,
    ): boolean {
      const addr = a >>> 0;
      if (addr >= 0xe0000000 && addr < 0xe0100000) return true;
      // Execution priority is negative exactly in NMI, in HardFault (nothing but NMI preempts
      // it) and with FAULTMASK set: there, without HFNMIENA, the MPU is bypassed.
      if ((mpu.ctrl & 2) === 0 && (faultmask !== 0 || ipsr === 2 || ipsr === 3))
        return !exec || defaultMapExecutable(addr);
      const granule = addr >>> 5;
      const slot = granule & (PERM_SLOTS - 1);
      let bits: number;
      const gen = configId();
      if (permTag[slot] === granule && permGen[slot] === gen) bits = permBits[slot]!;
      else {
        bits = granulePerms(addr);
        permTag[slot] = granule;
        permGen[slot] = gen;
        permBits[slot] = bits;
      }
      return ((bits >>> ((priv ? 0 : 3) + (exec ? 2 : write ? 1 : 0))) & 1) === 1;
    },
    debugEnabled(): boolean {
      return (dbg.dhcsr & 1) !== 0;
    },
    monitorEnabled(): boolean {
      return (dbg.demcr & (1 << 16)) !== 0;
    },
  };
}
