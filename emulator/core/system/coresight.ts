/**
 * CoreSight identification of the Cortex-M4's debug components and its ROM table: what a
 * debugger reads to learn which components the processor has and where they are.
 *
 * Every debug component ends its 4 KiB block with Peripheral ID registers (PIDR4-7 at 0xFD0,
 * PIDR0-3 at 0xFE0) and Component ID registers (CIDR0-3 at 0xFF0): ADIv5 (ARM IHI 0031) part D
 * "Component identification" and ARMv7-M ARM (DDI 0403E) C1.2 "The Debug Access Port" /
 * table C1-2 and C1-3. CIDR is 0xB105x00D, x the component class (1 ROM table, 9 CoreSight
 * component, E generic IP such as the SCS, DWT, FPB and ITM). PIDR carries the designer
 * (JEP106 ARM: continuation 4, code 0x3B), the part number and the revision; PIDR4's size
 * field 0 means one 4 KiB block.
 *
 * The ROM table at 0xE00FF000 (ARMv7-M ARM C1.2.1, table C1-3, and the Cortex-M4 TRM
 * "ROM table") lists the components by offset from itself: SCS 0xFFF0F003, DWT 0xFFF02003,
 * FPB 0xFFF03003, ITM 0xFFF01003, TPIU 0xFFF41003, ETM 0xFFF42003, then a zero terminator;
 * MEMTYPE (0xFCC) bit 0 says system memory is reachable from the same bus. Part numbers and
 * revisions are the Cortex-M4's (TRM "Identification registers" of each block): ROM table
 * 0x4C4, SCS 0x00C, DWT 0x002, FPB 0x003, ITM 0x001, TPIU 0x9A1, ETM 0x925.
 *
 * The ITM, TPIU and ETM are present on the nRF52840/nRF52833 (PS "Debug and trace"); the
 * emulator models only their identification: their other registers read as zero and ignore
 * writes, as they do on silicon while trace is disabled (DEMCR.TRCENA clear).
 *
 * @example
 *   const v = coresightIdRegister('scs', 0xfe0); // PIDR0 of the SCS: 0x0C
 */
import type { AccessSize, MmioDevice } from '../interfaces';

export type CoreSightComponent = 'rom' | 'scs' | 'dwt' | 'fpb' | 'itm' | 'tpiu' | 'etm';

interface Identity {
  part: number;
  revision: number;
  cls: number;
}

/** Part numbers, revisions and classes (Cortex-M4 TRM identification tables). */
export const CORESIGHT_IDENTITY: Readonly<Record<CoreSightComponent, Identity>> = {
  rom: { part: 0x4c4, revision: 0, cls: 0x1 },
  scs: { part: 0x00c, revision: 0, cls: 0xe },
  dwt: { part: 0x002, revision: 3, cls: 0xe },
  fpb: { part: 0x003, revision: 2, cls: 0xe },
  itm: { part: 0x001, revision: 3, cls: 0xe },
  tpiu: { part: 0x9a1, revision: 0, cls: 0x9 },
  etm: { part: 0x925, revision: 0, cls: 0x9 },
};

/** Base address of each component. */
export const CORESIGHT_BASE: Readonly<Record<CoreSightComponent, number>> = {
  rom: 0xe00ff000,
  scs: 0xe000e000,
  dwt: 0xe0001000,
  fpb: 0xe0002000,
  itm: 0xe0000000,
  tpiu: 0xe0040000,
  etm: 0xe0041000,
};

const JEP106_CONTINUATION = 0x4;
const JEP106_ARM = 0x3b;

/**
 * The identification register at `offset` (0xFD0-0xFFC) of a component, or undefined for
 * offsets below the identification block.
 */
export function coresightIdRegister(c: CoreSightComponent, offset: number): number | undefined {
  if (offset < 0xfd0 || offset > 0xffc) return undefined;
  const id = CORESIGHT_IDENTITY[c];
  switch (offset & ~3) {
    case 0xfd0:
      return JEP106_CONTINUATION; // PIDR4: 4 KiB block, JEP106 continuation code
    case 0xfe0:
      return id.part & 0xff;
    case 0xfe4:
      return ((id.part >> 8) & 0xf) | ((JEP106_ARM & 0xf) << 4);
    case 0xfe8:
      return ((JEP106_ARM >> 4) & 0x7) | 0x8 | (id.revision << 4); // JEDEC bit set
    case 0xfec:
      return 0;
    case 0xff0:
      return 0x0d;
    case 0xff4:
      return (id.cls << 4) & 0xf0;
    case 0xff8:
      return 0x05;
    case 0xffc:
      return 0xb1;
    default:
      return 0; // PIDR5-7
  }
}

/** ROM table entries (offset from the table, present, 32-bit format), then the terminator. */
function romEntry(c: CoreSightComponent): number {
  return ((CORESIGHT_BASE[c] - CORESIGHT_BASE.rom) & ~0xfff) | 0x3;
}
const ROM_ENTRIES: readonly number[] = [
  romEntry('scs'),
  romEntry('dwt'),
  romEntry('fpb'),
  romEntry('itm'),
  romEntry('tpiu'),
  romEntry('etm'),
  0,
];

/**
 * A 4 KiB block of a component the emulator models only by its identification (ROM table,
 * ITM, TPIU, ETM): identification and ROM entries read back, the rest reads zero, writes are
 * ignored.
 */
export function coresightBlock(
  c: CoreSightComponent,
): MmioDevice & { peek(offset: number, size: AccessSize): number } {
  const word = (off: number): number => {
    const id = coresightIdRegister(c, off);
    if (id !== undefined) return id;
    if (c === 'rom') {
      if (off === 0xfcc) return 1; // MEMTYPE.SYSMEM
      if (off < ROM_ENTRIES.length * 4) return ROM_ENTRIES[off >> 2]! >>> 0;
    }
    return 0;
  };
  const read = (offset: number, size: AccessSize): number => {
    const w = word(offset & ~3);
    if (size === 4) return w >>> 0;
    return (w >>> ((offset & 3) * 8)) & (size === 2 ? 0xffff : 0xff);
  };
  return {
    name: c === 'rom' ? 'ROM table' : c.toUpperCase(),
    read,
    peek: read,
    write: () => undefined,
  };
}
