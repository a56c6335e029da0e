/**
 * Address range lists and location lists, DWARF 4 and 5 forms, plus .debug_aranges.
 *
 * DWARF 4 keeps ranges in .debug_ranges and locations in .debug_loc (address pairs relative to
 * the unit's base address, with base-address selection entries); DWARF 5 uses the typed entries
 * of .debug_rnglists and .debug_loclists, reached by offset or, for the rnglistx/loclistx forms,
 * through the unit's offset table. Both come out of here as plain [start, end) ranges with
 * absolute addresses, so nothing above has to know which version produced them.
 *
 * @example
 *   const ranges = dieRanges(die);            // [[0x1000, 0x1040], [0x1100, 0x1120]]
 *   const entries = locationList(unit, form, value);
 */
import { ByteReader, DwarfError } from './reader';
import { DW_AT, DW_FORM, DW_LLE, DW_RLE } from './codes';
import type { Die, DwarfSections, Unit } from './units';

export type Range = [start: number, end: number];

/** One entry of a location list: the expression that holds in [start, end). */
export interface LocationListEntry {
  start: number;
  end: number;
  expr: Uint8Array;
  /** DWARF 5 DW_LLE_default_location: holds wherever no other entry does. */
  isDefault?: boolean;
}

const maxAddress = (size: number): number => (size >= 4 ? 0xffffffff : 2 ** (size * 8) - 1);

/** Offset of list `index` through the offset table at `base` (DWARF 5 sections 7.28, 7.29). */
function listOffsetFromIndex(
  data: Uint8Array,
  name: string,
  base: number,
  index: number,
  is64: boolean,
): number {
  const size = is64 ? 8 : 4;
  const r: ByteReader = new ByteReader(data, name, base + index * size);
  return base + r.offset(is64);
}

/**
 * Walks a DWARF 4 list of address pairs (.debug_ranges, .debug_loc: DWARF 4 sections 2.17.3
 * and 2.6.2): (0, 0) ends it, (max address, x) selects base x, other pairs are offsets from the
 * base; `entry` reads what follows a pair (nothing for ranges, an expression for locations).
 */
function walkPairsV4(
  r: ByteReader,
  unit: Unit,
  what: string,
  entry: (start: number, end: number) => void,
): void {
  const size = unit.addressSize;
  const max = maxAddress(size);
  let base = unit.baseAddress;
  for (let n = 0; ; n++) {
    if (n > 1_000_000) r.fail(`${what} does not end`);
    const a = r.uSized(size);
    const b = r.uSized(size);
    if (a === 0 && b === 0) return;
    if (a === max) {
      base = b;
      continue;
    }
    entry((base + a) >>> 0, (base + b) >>> 0);
  }
}

/** DWARF 4 .debug_ranges list at `offset`. */
export function readRangesV4(data: Uint8Array, offset: number, unit: Unit): Range[] {
  const out: Range[] = [];
  walkPairsV4(new ByteReader(data, '.debug_ranges', offset), unit, 'range list', (s, e) => {
    if (e > s) out.push([s, e]);
  });
  return out;
}

/** DWARF 5 .debug_rnglists list at `offset`. */
export function readRangesV5(data: Uint8Array, offset: number, unit: Unit): Range[] {
  const r: ByteReader = new ByteReader(data, '.debug_rnglists', offset);
  const size = unit.addressSize;
  let base = unit.baseAddress;
  const out: Range[] = [];
  const addrx = (i: number): number => {
    const a = unit.addressAtIndex(i);
    if (a === undefined) r.fail(`address index ${i} is outside .debug_addr`);
    return a;
  };
  for (let n = 0; ; n++) {
    if (n > 1_000_000) r.fail('range list does not end');
    const kind = r.u8();
    switch (kind) {
      case DW_RLE.end_of_list:
        return out;
      case DW_RLE.base_addressx:
        base = addrx(r.uleb());
        break;
      case DW_RLE.startx_endx: {
        const s = addrx(r.uleb());
        const e = addrx(r.uleb());
        if (e > s) out.push([s, e]);
        break;
      }
      case DW_RLE.startx_length: {
        const s = addrx(r.uleb());
        const l = r.uleb();
        if (l > 0) out.push([s, (s + l) >>> 0]);
        break;
      }
      case DW_RLE.offset_pair: {
        const s = r.uleb();
        const e = r.uleb();
        if (e > s) out.push([(base + s) >>> 0, (base + e) >>> 0]);
        break;
      }
      case DW_RLE.base_address:
        base = r.uSized(size);
        break;
      case DW_RLE.start_end: {
        const s = r.uSized(size);
        const e = r.uSized(size);
        if (e > s) out.push([s, e]);
        break;
      }
      case DW_RLE.start_length: {
        const s = r.uSized(size);
        const l = r.uleb();
        if (l > 0) out.push([s, (s + l) >>> 0]);
        break;
      }
      default:
        r.fail(`unknown range list entry kind 0x${kind.toString(16)}`);
    }
  }
}

/** The address ranges a DIE covers (low/high pc or DW_AT_ranges), empty when it has none. */
export function dieRanges(die: Die): Range[] {
  const lh = die.lowHigh();
  if (lh) return lh[1] > lh[0] ? [lh] : [];
  const form = die.formOf(DW_AT.ranges);
  if (form === undefined) return [];
  const unit = die.unit;
  const s: DwarfSections = unit.ctx.sections;
  const v = die.num(DW_AT.ranges);
  if (v === undefined) return [];
  if (unit.version >= 5) {
    if (!s.rnglists) throw new DwarfError(`${die}: DW_AT_ranges but no .debug_rnglists`);
    const offset =
      form === DW_FORM.rnglistx
        ? listOffsetFromIndex(s.rnglists, '.debug_rnglists', unit.rnglistsBase, v, unit.is64)
        : v;
    return readRangesV5(s.rnglists, offset, unit);
  }
  if (!s.ranges) throw new DwarfError(`${die}: DW_AT_ranges but no .debug_ranges`);
  return readRangesV4(s.ranges, v, unit);
}

/** DWARF 4 .debug_loc list at `offset`. */
export function readLocListV4(data: Uint8Array, offset: number, unit: Unit): LocationListEntry[] {
  const r: ByteReader = new ByteReader(data, '.debug_loc', offset);
  const out: LocationListEntry[] = [];
  walkPairsV4(r, unit, 'location list', (start, end) =>
    out.push({ start, end, expr: r.bytes(r.u16()) }),
  );
  return out;
}

/** DWARF 5 .debug_loclists list at `offset`. */
export function readLocListV5(data: Uint8Array, offset: number, unit: Unit): LocationListEntry[] {
  const r: ByteReader = new ByteReader(data, '.debug_loclists', offset);
  const size = unit.addressSize;
  let base = unit.baseAddress;
  const out: LocationListEntry[] = [];
  const addrx = (i: number): number => {
    const a = unit.addressAtIndex(i);
    if (a === undefined) r.fail(`address index ${i} is outside .debug_addr`);
    return a;
  };
  const expr = (): Uint8Array => r.bytes(r.uleb());
  for (let n = 0; ; n++) {
    if (n > 1_000_000) r.fail('location list does not end');
    const kind = r.u8();
    switch (kind) {
      case DW_LLE.end_of_list:
        return out;
      case DW_LLE.base_addressx:
        base = addrx(r.uleb());
        break;
      case DW_LLE.startx_endx: {
        const s = addrx(r.uleb());
        const e = addrx(r.uleb());
        out.push({ start: s, end: e, expr: expr() });
        break;
      }
      case DW_LLE.startx_length: {
        const s = addrx(r.uleb());
        const l = r.uleb();
        out.push({ start: s, end: (s + l) >>> 0, expr: expr() });
        break;
      }
      case DW_LLE.offset_pair: {
        const s = r.uleb();
        const e = r.uleb();
        out.push({ start: (base + s) >>> 0, end: (base + e) >>> 0, expr: expr() });
        break;
      }
      case DW_LLE.default_location:
        out.push({ start: 0, end: 0, expr: expr(), isDefault: true });
        break;
      case DW_LLE.base_address:
        base = r.uSized(size);
        break;
      case DW_LLE.start_end: {
        const s = r.uSized(size);
        const e = r.uSized(size);
        out.push({ start: s, end: e, expr: expr() });
        break;
      }
      case DW_LLE.start_length: {
        const s = r.uSized(size);
        const l = r.uleb();
        out.push({ start: s, end: (s + l) >>> 0, expr: expr() });
        break;
      }
      default:
        r.fail(`unknown location list entry kind 0x${kind.toString(16)}`);
    }
  }
}

/**
 * A DIE's location attribute (`at`, usually DW_AT_location) as either one expression that
 * holds everywhere or a location list; undefined when the DIE has none.
 */
export function dieLocation(
  die: Die,
  at: number = DW_AT.location,
): { kind: 'expr'; expr: Uint8Array } | { kind: 'list'; entries: LocationListEntry[] } | undefined {
  const form = die.formOf(at);
  if (form === undefined) return undefined;
  const v = die.raw(at);
  if (v instanceof Uint8Array) return { kind: 'expr', expr: v };
  if (typeof v !== 'number') return undefined;
  const unit = die.unit;
  const s = unit.ctx.sections;
  if (form === DW_FORM.loclistx || unit.version >= 5) {
    if (!s.loclists) throw new DwarfError(`${die}: location list but no .debug_loclists`);
    const offset =
      form === DW_FORM.loclistx
        ? listOffsetFromIndex(s.loclists, '.debug_loclists', unit.loclistsBase, v, unit.is64)
        : v;
    return { kind: 'list', entries: readLocListV5(s.loclists, offset, unit) };
  }
  if (!s.loc) throw new DwarfError(`${die}: location list but no .debug_loc`);
  return { kind: 'list', entries: readLocListV4(s.loc, v, unit) };
}

/** One address range of .debug_aranges and the unit (by .debug_info offset) that owns it. */
export interface ArangeEntry {
  start: number;
  end: number;
  unitOffset: number;
}

/** Every set of .debug_aranges (DWARF 5 section 6.1.2); a malformed set ends the walk. */
export function readAranges(data: Uint8Array, warnings: string[]): ArangeEntry[] {
  const out: ArangeEntry[] = [];
  let offset = 0;
  while (offset < data.length) {
    const r: ByteReader = new ByteReader(data, '.debug_aranges', offset);
    try {
      const { length, is64 } = r.initialLength();
      const end = r.pos + length;
      if (end > data.length) r.fail('set runs past the end of the section');
      r.end = end;
      r.u16(); // version
      const unitOffset = r.offset(is64);
      const addressSize = r.u8();
      const segmentSize = r.u8();
      if (addressSize !== 4 && addressSize !== 8) r.fail(`address size ${addressSize}`);
      const tuple = 2 * addressSize + segmentSize;
      // Tuples start at a multiple of their size from the start of the set.
      const rel = r.pos - offset;
      const pad = (tuple - (rel % tuple)) % tuple;
      r.skip(pad);
      while (r.remaining >= tuple) {
        if (segmentSize) r.skip(segmentSize);
        const start = r.uSized(addressSize);
        const len = r.uSized(addressSize);
        if (start === 0 && len === 0) break;
        if (len > 0) out.push({ start, end: start + len, unitOffset });
      }
      offset = end;
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      warnings.push(`ignored the rest of .debug_aranges: ${e.message}`);
      break;
    }
  }
  return out;
}
