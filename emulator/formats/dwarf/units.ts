/**
 * Compilation units and DIEs of .debug_info: headers indexed eagerly, DIE trees parsed on demand.
 *
 * `readUnits` walks the unit headers of .debug_info (DWARF 2-5, 32- and 64-bit), reads each
 * unit's abbreviation table and its root DIE (name, producer, base address, line program,
 * the DWARF 5 bases for strx/addrx/rnglistx/loclistx) and nothing more, so opening a big image
 * is quick. A unit's full DIE tree is parsed the first time something asks for it. A unit that
 * cannot be parsed is reported as a warning naming its offset and skipped; the others stay.
 *
 * Attribute values are stored raw (offsets and indexes) and resolved when read: `Die.str()`
 * looks strings up in .debug_str, .debug_line_str or through .debug_str_offsets; `Die.address()`
 * resolves addrx forms through .debug_addr; `Die.ref()` follows unit-relative and section
 * references to the target DIE, across units.
 *
 * @example
 *   const { units, warnings } = readUnits(sections);
 *   for (const u of units) for (const d of u.root().children) if (d.tag === DW_TAG.subprogram) ...
 */
import { ByteReader, DwarfError, stringAt } from './reader';
import { DW_AT, DW_FORM, DW_TAG, DW_UT, isConstantForm } from './codes';

/** The debug sections of one image, by the name without the leading dot. */
export interface DwarfSections {
  info?: Uint8Array;
  abbrev?: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  line?: Uint8Array;
  ranges?: Uint8Array;
  rnglists?: Uint8Array;
  loc?: Uint8Array;
  loclists?: Uint8Array;
  addr?: Uint8Array;
  strOffsets?: Uint8Array;
  frame?: Uint8Array;
  aranges?: Uint8Array;
}

/** ELF section names of the sections above. */
export const SECTION_NAMES: Record<keyof DwarfSections, string> = {
  info: '.debug_info',
  abbrev: '.debug_abbrev',
  str: '.debug_str',
  lineStr: '.debug_line_str',
  line: '.debug_line',
  ranges: '.debug_ranges',
  rnglists: '.debug_rnglists',
  loc: '.debug_loc',
  loclists: '.debug_loclists',
  addr: '.debug_addr',
  strOffsets: '.debug_str_offsets',
  frame: '.debug_frame',
  aranges: '.debug_aranges',
};

export interface Abbrev {
  code: number;
  tag: number;
  hasChildren: boolean;
  attrs: number[];
  forms: number[];
  /** Values of DW_FORM_implicit_const attributes (0 elsewhere). */
  implicit: number[];
}

/** Parse the abbreviation table at `offset` of .debug_abbrev (DWARF 5 section 7.5.3). */
export function readAbbrevTable(data: Uint8Array, offset: number): Map<number, Abbrev> {
  const r: ByteReader = new ByteReader(data, '.debug_abbrev', offset);
  const table = new Map<number, Abbrev>();
  for (;;) {
    const code = r.uleb();
    if (code === 0) break;
    const tag = r.uleb();
    const hasChildren = r.u8() !== 0;
    const attrs: number[] = [];
    const forms: number[] = [];
    const implicit: number[] = [];
    for (;;) {
      const at = r.uleb();
      const form = r.uleb();
      if (at === 0 && form === 0) break;
      attrs.push(at);
      forms.push(form);
      implicit.push(form === DW_FORM.implicit_const ? r.sleb() : 0);
    }
    table.set(code, { code, tag, hasChildren, attrs, forms, implicit });
  }
  return table;
}

export type RawValue = number | bigint | string | Uint8Array;

/** What a unit needs from the whole image: the sections and DIE lookup across units. */
export interface UnitContext {
  sections: DwarfSections;
  /** The DIE at an absolute .debug_info offset (for DW_FORM_ref_addr), in any unit. */
  dieAtOffset(offset: number): Die | undefined;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export class Die {
  parent: Die | undefined;
  children: Die[] = [];
  /** Per-DIE forms, only when the abbreviation uses DW_FORM_indirect. */
  forms: number[] | undefined;

  constructor(
    readonly unit: Unit,
    readonly offset: number,
    readonly abbrev: Abbrev,
    readonly values: RawValue[],
  ) {}

  get tag(): number {
    return this.abbrev.tag;
  }

  private index(at: number): number {
    return this.abbrev.attrs.indexOf(at);
  }

  has(at: number): boolean {
    return this.index(at) >= 0;
  }

  formOf(at: number): number | undefined {
    const i = this.index(at);
    if (i < 0) return undefined;
    return (this.forms ?? this.abbrev.forms)[i];
  }

  raw(at: number): RawValue | undefined {
    const i = this.index(at);
    return i < 0 ? undefined : this.values[i];
  }

  /** An unsigned constant (data, udata, flag, sec_offset...); undefined when absent or not a number. */
  num(at: number): number | undefined {
    const v = this.raw(at);
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    return undefined;
  }

  /** A constant read as signed: data1/2/4 are sign-extended from their width. */
  signed(at: number): number | undefined {
    const v = this.raw(at);
    const form = this.formOf(at);
    if (typeof v === 'bigint') return Number(BigInt.asIntN(64, v));
    if (typeof v !== 'number') return undefined;
    switch (form) {
      case DW_FORM.data1:
        return (v << 24) >> 24;
      case DW_FORM.data2:
        return (v << 16) >> 16;
      case DW_FORM.data4:
        return v | 0;
      default:
        return v;
    }
  }

  flag(at: number): boolean {
    const v = this.raw(at);
    return v !== undefined && v !== 0;
  }

  /** A string attribute, resolved through whichever string section its form names. */
  str(at: number): string | undefined {
    const i = this.index(at);
    if (i < 0) return undefined;
    return this.unit.resolveString((this.forms ?? this.abbrev.forms)[i]!, this.values[i]!);
  }

  /** An address attribute (DW_FORM_addr, or an index into .debug_addr). */
  address(at: number): number | undefined {
    const i = this.index(at);
    if (i < 0) return undefined;
    const form = (this.forms ?? this.abbrev.forms)[i]!;
    const v = this.values[i]!;
    if (typeof v !== 'number') return undefined;
    if (form === DW_FORM.addr) return v;
    if (isAddrIndexForm(form)) return this.unit.addressAtIndex(v);
    return undefined;
  }

  /** The DIE a reference attribute points at (same unit or, via ref_addr, any unit). */
  ref(at: number): Die | undefined {
    const i = this.index(at);
    if (i < 0) return undefined;
    const form = (this.forms ?? this.abbrev.forms)[i]!;
    const v = this.values[i]!;
    if (typeof v !== 'number') return undefined;
    switch (form) {
      case DW_FORM.ref1:
      case DW_FORM.ref2:
      case DW_FORM.ref4:
      case DW_FORM.ref8:
      case DW_FORM.ref_udata:
        return this.unit.dieAt(v) ?? this.unit.ctx.dieAtOffset(v);
      case DW_FORM.ref_addr:
        return this.unit.ctx.dieAtOffset(v);
      default:
        return undefined;
    }
  }

  /** The expression bytes of an exprloc/block attribute. */
  block(at: number): Uint8Array | undefined {
    const v = this.raw(at);
    return v instanceof Uint8Array ? v : undefined;
  }

  /** [low, high) of a DIE with DW_AT_low_pc and DW_AT_high_pc (address or offset form). */
  lowHigh(): [number, number] | undefined {
    const low = this.address(DW_AT.low_pc);
    if (low === undefined) return undefined;
    const hf = this.formOf(DW_AT.high_pc);
    if (hf === undefined) return undefined;
    if (isConstantForm(hf)) {
      const len = this.num(DW_AT.high_pc);
      return len === undefined ? undefined : [low, low + len];
    }
    const high = this.address(DW_AT.high_pc);
    return high === undefined ? undefined : [low, high];
  }

  /** DW_AT_name, following DW_AT_specification / DW_AT_abstract_origin when absent here. */
  name(): string | undefined {
    return this.str(DW_AT.name) ?? this.origin()?.name();
  }

  /** DW_AT_linkage_name (or the MIPS one), following origins. */
  linkageName(): string | undefined {
    return (
      this.str(DW_AT.linkage_name) ??
      this.str(DW_AT.MIPS_linkage_name) ??
      this.origin()?.linkageName()
    );
  }

  /** The abstract or specification DIE this one completes, if any (bounded against cycles). */
  origin(): Die | undefined {
    const o = this.ref(DW_AT.abstract_origin) ?? this.ref(DW_AT.specification);
    return o === this ? undefined : o;
  }

  /** An attribute here or, failing that, on the origin chain (at most 8 links). */
  inherited<T>(get: (d: Die) => T | undefined): T | undefined {
    const own = get(this);
    if (own !== undefined) return own;
    let d = this.origin();
    for (let i = 0; d && i < 8; i++) {
      const v = get(d);
      if (v !== undefined) return v;
      d = d.origin();
    }
    return undefined;
  }

  toString(): string {
    return `DIE ${hex(this.offset)}`;
  }
}

function isAddrIndexForm(form: number): boolean {
  return (
    form === DW_FORM.addrx ||
    form === DW_FORM.addrx1 ||
    form === DW_FORM.addrx2 ||
    form === DW_FORM.addrx3 ||
    form === DW_FORM.addrx4 ||
    form === DW_FORM.GNU_addr_index
  );
}

export class Unit {
  version = 0;
  unitType: number = DW_UT.compile;
  addressSize = 4;
  is64 = false;
  abbrevOffset = 0;
  /** Offset just past the header: the first DIE. */
  dieStart = 0;
  /** Offset just past the unit. */
  end = 0;
  abbrevs: Map<number, Abbrev> = new Map();

  /** From the root DIE. */
  name: string | undefined;
  compDir: string | undefined;
  producer: string | undefined;
  language: number | undefined;
  baseAddress = 0;
  stmtList: number | undefined;
  strOffsetsBase = 8;
  addrBase = 8;
  rnglistsBase = 12;
  loclistsBase = 12;

  private rootDie: Die | undefined;
  private parsed = false;
  private byOffset: Map<number, Die> | undefined;
  /** A parse failure of the DIE tree, kept so it is reported once. */
  problem: string | undefined;

  constructor(
    readonly ctx: UnitContext,
    /** Offset of the unit header in .debug_info. */
    readonly offset: number,
  ) {}

  /** "unit at 0x1234 (name.rs)" for messages. */
  label(): string {
    return `unit at ${hex(this.offset)}${this.name ? ` (${this.name})` : ''}`;
  }

  /** The root DIE with its children parsed (parses the whole unit on first use). */
  root(): Die {
    this.parseTree();
    return this.rootDie!;
  }

  /** Root DIE without its children (read at index time). */
  rootOnly(): Die | undefined {
    return this.rootDie;
  }

  dieAt(offset: number): Die | undefined {
    if (offset < this.offset || offset >= this.end) return undefined;
    this.parseTree();
    return this.byOffset!.get(offset);
  }

  /**
   * Decode up to `limit` DIEs in file order starting at `offset` (which must be where a DIE
   * starts), without building the tree: for tools that look at part of a big unit. Stops at
   * the unit's end; throws DwarfError on malformed data.
   */
  scan(offset: number, limit: number): Die[] {
    const r: ByteReader = new ByteReader(this.ctx.sections.info!, '.debug_info', offset, this.end);
    const out: Die[] = [];
    while (out.length < limit && !r.atEnd()) {
      const d = this.readDie(r);
      if (d) out.push(d);
    }
    return out;
  }

  /** All DIEs in offset order (parses the unit). */
  allDies(): Iterable<Die> {
    this.parseTree();
    return this.byOffset!.values();
  }

  resolveString(form: number, v: RawValue): string | undefined {
    if (typeof v === 'string') return v;
    if (typeof v !== 'number') return undefined;
    const s = this.ctx.sections;
    switch (form) {
      case DW_FORM.strp:
        return s.str ? stringAt(s.str, v) : undefined;
      case DW_FORM.line_strp:
        return s.lineStr ? stringAt(s.lineStr, v) : undefined;
      case DW_FORM.strx:
      case DW_FORM.strx1:
      case DW_FORM.strx2:
      case DW_FORM.strx3:
      case DW_FORM.strx4:
      case DW_FORM.GNU_str_index: {
        if (!s.strOffsets || !s.str) return undefined;
        const size = this.is64 ? 8 : 4;
        const at = this.strOffsetsBase + v * size;
        if (at + size > s.strOffsets.length) return undefined;
        const r: ByteReader = new ByteReader(s.strOffsets, '.debug_str_offsets', at);
        return stringAt(s.str, r.offset(this.is64));
      }
      default:
        return undefined;
    }
  }

  /** Entry `index` of this unit's .debug_addr table (DWARF 5 section 7.27). */
  addressAtIndex(index: number): number | undefined {
    const a = this.ctx.sections.addr;
    if (!a) return undefined;
    const at = this.addrBase + index * this.addressSize;
    if (at < 0 || at + this.addressSize > a.length) return undefined;
    return new ByteReader(a, '.debug_addr', at).uSized(this.addressSize);
  }

  /** Read the header at `this.offset`; returns the offset of the next unit. */
  readHeader(info: Uint8Array, abbrevCache: Map<number, Map<number, Abbrev>>): number {
    const r: ByteReader = new ByteReader(info, '.debug_info', this.offset);
    const { length, is64 } = r.initialLength();
    this.is64 = is64;
    this.end = r.pos + length;
    if (this.end > info.length)
      r.fail(`unit length ${hex(length)} runs past the end of the section`);
    r.end = this.end;
    this.version = r.u16();
    if (this.version < 2 || this.version > 5) r.fail(`unsupported DWARF version ${this.version}`);
    if (this.version >= 5) {
      this.unitType = r.u8();
      this.addressSize = r.u8();
      this.abbrevOffset = r.offset(is64);
      if (this.unitType === DW_UT.skeleton || this.unitType === DW_UT.split_compile) r.skip(8);
      else if (this.unitType === DW_UT.type || this.unitType === DW_UT.split_type) {
        r.skip(8);
        r.offset(is64);
      }
    } else {
      this.abbrevOffset = r.offset(is64);
      this.addressSize = r.u8();
    }
    if (this.addressSize !== 4 && this.addressSize !== 8 && this.addressSize !== 2)
      r.fail(`unsupported address size ${this.addressSize}`);
    this.dieStart = r.pos;
    const abbrevData = this.ctx.sections.abbrev;
    if (!abbrevData) throw new DwarfError('.debug_abbrev is missing');
    let table = abbrevCache.get(this.abbrevOffset);
    if (!table) {
      if (this.abbrevOffset >= abbrevData.length)
        r.fail(`abbreviation offset ${hex(this.abbrevOffset)} is outside .debug_abbrev`);
      table = readAbbrevTable(abbrevData, this.abbrevOffset);
      abbrevCache.set(this.abbrevOffset, table);
    }
    this.abbrevs = table;
    // The root DIE alone, for the unit's name, base address and section bases.
    const rootReader: ByteReader = new ByteReader(info, '.debug_info', this.dieStart, this.end);
    const root = this.readDie(rootReader);
    if (!root) return r.fail('unit has no root DIE');
    this.rootDie = root;
    this.applyRoot(root);
    return this.end;
  }

  private applyRoot(root: Die): void {
    // The bases first: strx and addrx forms of the root's own attributes depend on them.
    this.strOffsetsBase = root.num(DW_AT.str_offsets_base) ?? this.strOffsetsBase;
    this.addrBase = root.num(DW_AT.addr_base) ?? this.addrBase;
    this.rnglistsBase = root.num(DW_AT.rnglists_base) ?? this.rnglistsBase;
    this.loclistsBase = root.num(DW_AT.loclists_base) ?? this.loclistsBase;
    if (!root.has(DW_AT.str_offsets_base)) this.strOffsetsBase = this.is64 ? 16 : 8;
    if (!root.has(DW_AT.addr_base)) this.addrBase = 8;
    this.name = root.str(DW_AT.name);
    this.compDir = root.str(DW_AT.comp_dir);
    this.producer = root.str(DW_AT.producer);
    this.language = root.num(DW_AT.language);
    this.baseAddress = root.address(DW_AT.low_pc) ?? 0;
    this.stmtList = root.num(DW_AT.stmt_list);
  }

  /** Reads one DIE at r.pos (no children); undefined for a null entry. */
  private readDie(r: ByteReader): Die | undefined {
    const offset = r.pos;
    const code = r.uleb();
    if (code === 0) return undefined;
    const abbrev = this.abbrevs.get(code);
    if (!abbrev)
      r.fail(`abbreviation code ${code} is not in the table at ${hex(this.abbrevOffset)}`);
    const n = abbrev.forms.length;
    const values: RawValue[] = new Array(n);
    let forms: number[] | undefined;
    for (let i = 0; i < n; i++) {
      let form = abbrev.forms[i]!;
      if (form === DW_FORM.indirect) {
        form = r.uleb();
        if (form === DW_FORM.indirect || form === DW_FORM.implicit_const)
          r.fail(`DW_FORM_indirect names form ${hex(form)}`);
        forms ??= abbrev.forms.slice();
        forms[i] = form;
      }
      values[i] = this.readValue(r, form, abbrev.implicit[i]!);
    }
    const die = new Die(this, offset, abbrev, values);
    if (forms) die.forms = forms;
    return die;
  }

  private readValue(r: ByteReader, form: number, implicit: number): RawValue {
    switch (form) {
      case DW_FORM.addr:
        return r.uSized(this.addressSize);
      case DW_FORM.data1:
      case DW_FORM.ref1:
      case DW_FORM.flag:
      case DW_FORM.strx1:
      case DW_FORM.addrx1:
        return form === DW_FORM.ref1 ? this.offset + r.u8() : r.u8();
      case DW_FORM.data2:
      case DW_FORM.ref2:
      case DW_FORM.strx2:
      case DW_FORM.addrx2:
        return form === DW_FORM.ref2 ? this.offset + r.u16() : r.u16();
      case DW_FORM.strx3:
      case DW_FORM.addrx3:
        return r.u24();
      case DW_FORM.data4:
      case DW_FORM.ref4:
      case DW_FORM.strx4:
      case DW_FORM.addrx4:
      case DW_FORM.ref_sup4:
        return form === DW_FORM.ref4 ? this.offset + r.u32() : r.u32();
      case DW_FORM.data8: {
        const v = r.u64Big();
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case DW_FORM.ref8:
        return this.offset + r.u64();
      case DW_FORM.ref_sig8:
      case DW_FORM.ref_sup8:
        return r.u64Big();
      case DW_FORM.data16:
        return r.bytes(16);
      case DW_FORM.sdata:
        return r.sleb();
      case DW_FORM.udata:
      case DW_FORM.strx:
      case DW_FORM.addrx:
      case DW_FORM.loclistx:
      case DW_FORM.rnglistx:
      case DW_FORM.GNU_addr_index:
      case DW_FORM.GNU_str_index:
        return r.uleb();
      case DW_FORM.ref_udata:
        return this.offset + r.uleb();
      case DW_FORM.string:
        return r.cstr();
      case DW_FORM.strp:
      case DW_FORM.line_strp:
      case DW_FORM.sec_offset:
      case DW_FORM.strp_sup:
      case DW_FORM.GNU_ref_alt:
      case DW_FORM.GNU_strp_alt:
        return r.offset(this.is64);
      case DW_FORM.ref_addr:
        // DWARF 2 ref_addr is address-sized; later versions use the offset size.
        return this.version <= 2 ? r.uSized(this.addressSize) : r.offset(this.is64);
      case DW_FORM.block1:
        return r.bytes(r.u8());
      case DW_FORM.block2:
        return r.bytes(r.u16());
      case DW_FORM.block4:
        return r.bytes(r.u32());
      case DW_FORM.block:
      case DW_FORM.exprloc:
        return r.bytes(r.uleb());
      case DW_FORM.flag_present:
        return 1;
      case DW_FORM.implicit_const:
        return implicit;
      default:
        return r.fail(`unknown attribute form ${hex(form)}`);
    }
  }

  private parseTree(): void {
    if (this.parsed) return;
    this.parsed = true;
    this.byOffset = new Map();
    const info = this.ctx.sections.info!;
    const r: ByteReader = new ByteReader(info, '.debug_info', this.dieStart, this.end);
    try {
      const root = this.readDie(r);
      if (!root) throw new DwarfError('unit has no root DIE');
      this.rootDie = root;
      this.byOffset.set(root.offset, root);
      if (!root.abbrev.hasChildren) return;
      const stack: Die[] = [root];
      while (stack.length > 0 && !r.atEnd()) {
        const die = this.readDie(r);
        if (!die) {
          stack.pop();
          continue;
        }
        const parent = stack[stack.length - 1]!;
        die.parent = parent;
        parent.children.push(die);
        this.byOffset.set(die.offset, die);
        if (die.abbrev.hasChildren) stack.push(die);
      }
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      // Keep what was read before the damage; the unit is reported once.
      this.problem = `${this.label()}: ${e.message}`;
    }
  }
}

/** Every unit of .debug_info whose header and root DIE parse; the others become warnings. */
export function readUnits(
  ctx: UnitContext,
  warnings: string[],
): { units: Unit[]; abbrevCache: Map<number, Map<number, Abbrev>> } {
  const info = ctx.sections.info;
  const units: Unit[] = [];
  const abbrevCache = new Map<number, Map<number, Abbrev>>();
  if (!info) return { units, abbrevCache };
  let offset = 0;
  while (offset < info.length) {
    const unit = new Unit(ctx, offset);
    try {
      const next = unit.readHeader(info, abbrevCache);
      if (unit.rootOnly()!.tag !== DW_TAG.type_unit) units.push(unit);
      offset = next;
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      warnings.push(`skipped ${unit.label()}: ${e.message}`);
      // The length field, if it was readable and sane, still finds the next unit.
      if (unit.end > offset && unit.end <= info.length) offset = unit.end;
      else break;
    }
  }
  return { units, abbrevCache };
}
