/**
 * Memory Protection Unit, PMSAv7 (ARMv7-M ARM B3.5): eight regions with subregions, access
 * permissions, execute-never, PRIVDEFENA and HFNMIENA.
 *
 * The core asks `lookup` on its checked access paths and builds its fast-path windows from the
 * answers. Decisions are constant over 32-byte granules (the smallest region or subregion), so
 * they are cached per granule: a direct-mapped table of granule tags and six permission bits
 * (privileged read/write/execute, then unprivileged). Entries carry the id of the MPU
 * configuration they were computed under, so a change of configuration costs nothing here, and
 * going back to an earlier one (the kernel switches between its own and each process's on
 * every context switch) finds its answers still cached. Ids are never reused, so entries of a
 * forgotten configuration cannot match. Offsets are relative to the SCS base 0xE000E000.
 *
 * Usage (system/scs.ts): `mpu.write(MPU.RBAR, base | 0x10 | n)`; `mpu.lookup(a, ...)`.
 */

/** Register offsets from 0xE000E000 (B3.5.4, table B3-11); RBAR/RASR have three aliases each. */
export const MPU = {
  TYPE: 0xd90,
  CTRL: 0xd94,
  RNR: 0xd98,
  RBAR: 0xd9c,
  RASR: 0xda0,
  RBAR_A1: 0xda4,
  RASR_A1: 0xda8,
  RBAR_A2: 0xdac,
  RASR_A2: 0xdb0,
  RBAR_A3: 0xdb4,
  RASR_A3: 0xdb8,
} as const;

/** MPU_TYPE: 8 data regions, unified (B3.5.5). */
const TYPE_DREGION_8 = 8 << 8;
/** MPU_CTRL bits (B3.5.6). */
const CTRL_ENABLE = 1 << 0;
const CTRL_HFNMIENA = 1 << 1;
const CTRL_PRIVDEFENA = 1 << 2;
/** RBAR.VALID: the write also selects the region in RBAR.REGION (B3.5.8). */
const RBAR_VALID = 1 << 4;
/** RASR bits that exist (B3.5.9). */
const RASR_MASK = 0x173fff3f;
const RASR_XN = 1 << 28;

const PERM_SLOTS = 4096;

/** Equal 17-word configurations (`Mpu.configId`). */
function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < 17; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Default memory map XN (B3.1): device and system regions are never executable. */
export function defaultMapExecutable(a: number): boolean {
  const x = a >>> 0;
  return !((x >= 0x40000000 && x < 0x60000000) || x >= 0xa0000000);
}

export interface MpuState {
  ctrl: number;
  rnr: number;
  rbar: number[];
  rasr: number[];
}

export class Mpu {
  ctrl = 0;
  private rnr = 0;
  private readonly rbar = new Uint32Array(8);
  private readonly rasr = new Uint32Array(8);
  private readonly permTag = new Int32Array(PERM_SLOTS).fill(-1);
  private readonly permGen = new Int32Array(PERM_SLOTS);
  private readonly permBits = new Uint8Array(PERM_SLOTS);
  /**
   * Configurations seen so far, by a hash of their words (`configWords`), each with its id: a
   * context switch makes a new configuration several times per second, and comparing 17 words
   * costs far less than the string key it replaced (1 % of the busy kernel's host time).
   */
  private readonly configIds = new Map<number, { words: Uint32Array; id: number }[]>();
  private configCount = 0;
  /** Scratch: PRIVDEFENA/HFNMIENA, then RBAR 0-7, then RASR 0-7 (what makes a configuration). */
  private readonly configWords = new Uint32Array(17);
  private nextConfigId = 1;
  private generation = 0;
  private configDirty = true;

  /** `changed` runs after every configuration write (the core drops its fast paths). */
  constructor(private readonly changed: () => void) {}

  static owns(off: number): boolean {
    return off >= MPU.TYPE && off <= MPU.RASR_A3;
  }

  get enabled(): boolean {
    return (this.ctrl & CTRL_ENABLE) !== 0;
  }

  read(off: number): number {
    switch (off) {
      case MPU.TYPE:
        return TYPE_DREGION_8;
      case MPU.CTRL:
        return this.ctrl;
      case MPU.RNR:
        return this.rnr;
      case MPU.RBAR:
      case MPU.RBAR_A1:
      case MPU.RBAR_A2:
      case MPU.RBAR_A3:
        return (this.rbar[this.rnr]! & ~0x1f) | this.rnr;
      case MPU.RASR:
      case MPU.RASR_A1:
      case MPU.RASR_A2:
      case MPU.RASR_A3:
        return this.rasr[this.rnr]!;
      default:
        return 0;
    }
  }

  write(off: number, v: number): void {
    switch (off) {
      case MPU.CTRL:
        // Configurations differ by PRIVDEFENA and HFNMIENA (ENABLE is checked per access).
        if (((this.ctrl ^ v) & (CTRL_PRIVDEFENA | CTRL_HFNMIENA)) !== 0) this.configDirty = true;
        this.ctrl = v & 7;
        break;
      case MPU.RNR:
        this.rnr = v & 7;
        return;
      case MPU.RBAR:
      case MPU.RBAR_A1:
      case MPU.RBAR_A2:
      case MPU.RBAR_A3:
        if (v & RBAR_VALID) this.rnr = v & 7;
        if (this.rbar[this.rnr] !== (v & ~0x1f) >>> 0) this.configDirty = true;
        this.rbar[this.rnr] = v & ~0x1f;
        break;
      case MPU.RASR:
      case MPU.RASR_A1:
      case MPU.RASR_A2:
      case MPU.RASR_A3:
        if (this.rasr[this.rnr] !== (v & RASR_MASK) >>> 0) this.configDirty = true;
        this.rasr[this.rnr] = v & RASR_MASK;
        break;
      default:
        return;
    }
    // Permissions changed: the core's cached fast paths go.
    this.changed();
  }

  /** The id of the current configuration (regions, PRIVDEFENA, HFNMIENA): equal ids, equal answers. */
  configId(): number {
    if (this.configDirty) {
      this.configDirty = false;
      const w = this.configWords;
      w[0] = this.ctrl & 6;
      w.set(this.rbar, 1);
      w.set(this.rasr, 9);
      let h = 0x811c9dc5;
      for (let i = 0; i < 17; i++) h = Math.imul(h ^ w[i]!, 0x01000193);
      let bucket = this.configIds.get(h);
      let id = 0;
      if (bucket !== undefined)
        for (const c of bucket)
          if (sameWords(c.words, w)) {
            id = c.id;
            break;
          }
      if (id === 0) {
        if (this.configCount >= 64) {
          this.configIds.clear();
          this.configCount = 0;
          bucket = undefined;
        }
        id = this.nextConfigId++;
        const entry = { words: w.slice(), id };
        if (bucket === undefined) this.configIds.set(h, [entry]);
        else bucket.push(entry);
        this.configCount++;
      }
      this.generation = id;
    }
    return this.generation;
  }

  /**
   * May the access happen (B3.5.1)? The PPB is always accessible; with execution priority
   * negative (NMI, HardFault, FAULTMASK) and HFNMIENA clear the MPU is bypassed.
   */
  lookup(
    a: number,
    write: boolean,
    priv: boolean,
    exec: boolean,
    ipsr: number,
    faultmask: number,
  ): boolean {
    const addr = a >>> 0;
    if (addr >= 0xe0000000 && addr < 0xe0100000) return true;
    if ((this.ctrl & CTRL_HFNMIENA) === 0 && (faultmask !== 0 || ipsr === 2 || ipsr === 3))
      return !exec || defaultMapExecutable(addr);
    const granule = addr >>> 5;
    const slot = granule & (PERM_SLOTS - 1);
    let bits: number;
    const gen = this.configId();
    if (this.permTag[slot] === granule && this.permGen[slot] === gen) bits = this.permBits[slot]!;
    else {
      bits = this.granulePerms(addr);
      this.permTag[slot] = granule;
      this.permGen[slot] = gen;
      this.permBits[slot] = bits;
    }
    return ((bits >>> ((priv ? 0 : 3) + (exec ? 2 : write ? 1 : 0))) & 1) === 1;
  }

  /**
   * The MPU's answers for one address, without the cache: bits 0-2 privileged
   * read/write/execute, bits 3-5 the same unprivileged. The highest-numbered matching region
   * wins (B3.5.3).
   */
  private granulePerms(addr: number): number {
    let hit = -1;
    for (let i = 7; i >= 0; i--) {
      const rasr = this.rasr[i]!;
      if ((rasr & 1) === 0) continue;
      const sizeBits = ((rasr >>> 1) & 0x1f) + 1;
      if (sizeBits < 5) continue;
      // 2^sizeBits without `**` (a call into V8's pow, 0.6 % of the busy nRF52840 run's
      // steady state, reached on every MPU window rebuild): 1 << 31 is negative and 1 << 32
      // wraps, hence the unsigned shift and the case of 32.
      const size = sizeBits === 32 ? 4294967296 : (1 << sizeBits) >>> 0;
      const base = sizeBits >= 32 ? 0 : (this.rbar[i]! & ~(size - 1)) >>> 0;
      if (addr < base || addr >= base + size) continue;
      if (sizeBits >= 8) {
        // Which eighth of the region (B3.5.9, SRD): addr - base lies in [0, 2^32), so the
        // unsigned shift is the exact quotient by size / 8.
        const sub = (addr - base) >>> (sizeBits - 3);
        if ((rasr >>> (8 + sub)) & 1) continue;
      }
      hit = i;
      break;
    }
    const x = defaultMapExecutable(addr) ? 1 : 0;
    if (hit < 0) {
      // No region: only privileged code with PRIVDEFENA uses the default map.
      return this.ctrl & CTRL_PRIVDEFENA ? 0b011 | (x << 2) : 0;
    }
    const rasr = this.rasr[hit]!;
    const xn = rasr & RASR_XN || !x ? 0 : 1;
    // [privileged read, write, unprivileged read, write] per AP value (B3.5.9, table B3-15).
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

  /**
   * The largest span [lo, hi) around `a` (hi exclusive, as a number up to 2^32) over which
   * `lookup` gives `a`'s answer for this kind of access and context: the core's fast paths use
   * it as a window instead of checking each access. Exact because `lookup`'s answer only
   * changes at a boundary of an enabled region or subregion (B3.5.3: which regions match,
   * highest number wins), of the default map's execute-never areas (B3.1, table B3-1) or of
   * the PPB (always accessible, B3.5.1); between two neighbouring boundaries it is constant,
   * so the span is the run of neighbouring stretches with `a`'s answer.
   */
  uniformSpan(
    a: number,
    write: boolean,
    priv: boolean,
    exec: boolean,
    ipsr: number,
    faultmask: number,
  ): [number, number] {
    const addr = a >>> 0;
    const cuts = [0x40000000, 0x60000000, 0xa0000000, 0xe0000000, 0xe0100000];
    for (let i = 0; i < 8; i++) {
      const rasr = this.rasr[i]!;
      if ((rasr & 1) === 0) continue;
      const sizeBits = ((rasr >>> 1) & 0x1f) + 1;
      if (sizeBits < 5) continue;
      const size = 2 ** sizeBits;
      const base = sizeBits >= 32 ? 0 : (this.rbar[i]! & ~(size - 1)) >>> 0;
      // Subregion boundaries too (regions of 256 bytes and more have eight, B3.5.9 SRD).
      const step = sizeBits >= 8 ? size / 8 : size;
      for (let b = base; b <= base + size; b += step) cuts.push(b);
    }
    cuts.sort((x, y) => x - y);
    // The stretch holding `addr`: [cuts[k - 1], cuts[k]) with cuts[k - 1] <= addr < cuts[k].
    let lo = 0;
    let hi = 2 ** 32;
    for (const c of cuts) {
      if (c <= addr && c > lo) lo = c;
      if (c > addr && c < hi) hi = c;
    }
    const want = this.lookup(addr, write, priv, exec, ipsr, faultmask);
    // Grow down, then up, over neighbouring stretches with the same answer.
    for (;;) {
      let prev = 0;
      for (const c of cuts) if (c < lo && c > prev) prev = c;
      if (lo === 0 || this.lookup(lo - 1, write, priv, exec, ipsr, faultmask) !== want) break;
      lo = prev;
    }
    for (;;) {
      if (hi >= 2 ** 32 || this.lookup(hi, write, priv, exec, ipsr, faultmask) !== want) break;
      let next = 2 ** 32;
      for (const c of cuts) if (c > hi && c < next) next = c;
      hi = next;
    }
    return [lo, hi];
  }

  reset(): void {
    this.ctrl = this.rnr = 0;
    this.rbar.fill(0);
    this.rasr.fill(0);
    this.configDirty = true;
  }

  snapshot(): MpuState {
    return { ctrl: this.ctrl, rnr: this.rnr, rbar: [...this.rbar], rasr: [...this.rasr] };
  }

  restore(s: MpuState): void {
    this.ctrl = s.ctrl;
    this.rnr = s.rnr;
    this.rbar.set(s.rbar);
    this.rasr.set(s.rasr);
    this.configDirty = true;
  }
}
