/**
 * DebugInfo: one ELF image's DWARF, indexed for a debugger (the entry point of this folder).
 *
 * Loads the image (ELF reader in ../elf.ts), finds its debug sections and indexes them: unit
 * headers and root DIEs at once; line tables, the function index, statics, vtables and named
 * types on first use (or all at once with `index()`). Every address in and out of this class is
 * a runtime address: `loadBias` (runtime minus link address) is added to what the DWARF says,
 * so an app loaded where it runs resolves directly. An image without debug information still
 * loads: symbols, functions (from the symbol table) and unwinding of leaf frames work, and
 * `notices` says why there is no source. A unit or FDE that cannot be parsed is skipped with a
 * warning naming it; nothing here throws for bad input.
 *
 * For several images at once (the kernel and its apps) see program-set.ts; for frames and
 * values at a stop see frames.ts. The API summary lives in index.ts.
 *
 * @example
 *   const r = DebugInfo.load(bytes, { name: 'kernel.elf' });
 *   if (r.ok) {
 *     const info = r.value;
 *     info.lineFor(0x1234);                  // { file, line, column, ... }
 *     info.addressesFor('console.rs', 120);  // { line: 120, addresses: [...] }
 *     info.functionAt(0x1234)?.name;         // 'capsules::console::Console::receive'
 *   }
 */
import { err, ok, type Result } from '../../core/result';
import { ElfError, parseElf, type ElfFile, type ElfSymbol } from '../elf';
import { CallFrameInfo, type UnwindRow } from './cfi';
import { DW_AT, DW_TAG } from './codes';
import { demangle } from './demangle';
import {
  LineIndex,
  readLineProgram,
  type LineAddresses,
  type LineLocation,
  type LineTable,
} from './line';
import { dieRanges, readAranges, type ArangeEntry, type Range } from './lists';
import { DwarfError, lastAtOrBelow } from './reader';
import { qualifiedName, TypeBuilder, type RustType } from './types';
import { readUnits, SECTION_NAMES, type Die, type DwarfSections, type Unit } from './units';

export interface LoadOptions {
  /** Runtime address minus link address (0 for images run where they were linked). */
  loadBias?: number;
  /** A name for messages and frames ('kernel', an app's name); default 'image'. */
  name?: string;
}

export interface FunctionInfo {
  /** Qualified name as a debugger shows it ('kernel::process::Process::run'). */
  name: string;
  linkageName?: string;
  /** Entry address (runtime). */
  entry: number;
  /** Every range of the function (runtime). */
  ranges: Range[];
  /** 'dwarf' from a DW_TAG_subprogram; 'symbol' from the ELF symbol table only. */
  source: 'dwarf' | 'symbol';
  /** Declaration site, when the DWARF gives one. */
  file?: string;
  line?: number;
  die?: Die;
  program: string;
}

export type ScopeKind = 'function' | 'inlined' | 'block';

export interface VariableInfo {
  name: string;
  isParameter: boolean;
  typeName: string;
  /** The concrete DIE (with the location), or the abstract one when the concrete is missing. */
  die: Die;
  /** No concrete instance: the variable exists in the source but not in this code. */
  abstractOnly: boolean;
}

export interface Scope {
  kind: ScopeKind;
  /** Function name for 'function' and 'inlined' scopes. */
  name?: string;
  die: Die;
  ranges: Range[];
  /** For 'inlined': where the call was made (in the enclosing function's source). */
  callSite?: { file: string; line: number; column: number };
  /** For 'inlined': the address where the inlined code is entered. */
  entry?: number;
  variables: VariableInfo[];
}

/**
 * The lexical blocks and inlined calls directly in a scope DIE that have addresses, with their
 * ranges (link addresses), in DIE order. A block without addresses only groups variables of
 * the enclosing range; a child whose ranges cannot be read is left out.
 */
function scopeChildren(die: Die): [Die, Range[]][] {
  const out: [Die, Range[]][] = [];
  for (const c of die.children) {
    if (c.tag !== DW_TAG.lexical_block && c.tag !== DW_TAG.inlined_subroutine) continue;
    try {
      const rs = dieRanges(c);
      if (rs.length > 0) out.push([c, rs]);
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
    }
  }
  return out;
}

/**
 * A lexical block or inlined call in a function's scope tree (DebugInfo.inlineTree); the root
 * is the function itself (its ranges left empty: the function's own).
 */
export interface InlineNode {
  inlined: boolean;
  /** The function's name, for the root and inlined calls (as `Scope.name`). */
  name?: string;
  ranges: Range[];
  callSite?: { file: string; line: number; column: number };
  entry?: number;
  children: InlineNode[];
}

export interface StaticVariable {
  name: string;
  address: number;
  type: RustType;
  die: Die;
}

export interface TypeLayout {
  name: string;
  kind: RustType['kind'];
  size: number;
  /** Bit fields also give their bit offset (from the start of the object) and width. */
  fields: {
    name: string;
    offset: number;
    size: number;
    typeName: string;
    bitOffset?: number;
    bitSize?: number;
  }[];
  variants?: { name: string; discriminant?: string; offset: number; typeName: string }[];
}

interface FunctionEntry {
  start: number;
  end: number;
  die: Die;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const SHF_ALLOC = 0x2;
const SHF_EXECINSTR = 0x4;

export class DebugInfo {
  readonly name: string;
  readonly bias: number;
  readonly sections: DwarfSections;
  readonly units: Unit[];
  /** Problems that made part of the debug information unusable (each names the part). */
  readonly warnings: string[];
  /** Plain facts a user should know (no debug information at all, and why). */
  readonly notices: string[] = [];
  readonly types: TypeBuilder;
  private cfiCache: CallFrameInfo | undefined;
  private symbolCache: ElfSymbol[] | undefined;
  private readonly codeRanges: Range[];
  private lineIndexCache: LineIndex | undefined;
  private lineTables = new Map<Unit, LineTable | null>();
  private functionIndex: FunctionEntry[] | undefined;
  private staticsIndex: Map<string, StaticVariable[]> | undefined;
  private vtables: Map<number, RustType> | undefined;
  private typeIndex: Map<string, Die[]> | undefined;
  private aranges: ArangeEntry[] | undefined;
  private unitByOffset: Unit[];

  private constructor(
    readonly elf: ElfFile,
    options: LoadOptions,
  ) {
    this.name = options.name ?? 'image';
    this.bias = options.loadBias ?? 0;
    this.warnings = [];
    const sections: DwarfSections = {};
    for (const [key, secName] of Object.entries(SECTION_NAMES) as [keyof DwarfSections, string][]) {
      const s = elf.sections.find((x) => x.name === secName);
      if (s && s.data.length > 0) sections[key] = s.data;
    }
    this.sections = sections;
    const ctx = {
      sections,
      dieAtOffset: (offset: number): Die | undefined => this.dieAtOffset(offset),
    };
    const { units } = readUnits(ctx, this.warnings);
    this.units = units;
    this.unitByOffset = [...units].sort((a, b) => a.offset - b.offset);
    this.types = new TypeBuilder(units[0]?.addressSize ?? 4);
    this.codeRanges = elf.sections
      .filter((s) => (s.flags & SHF_EXECINSTR) !== 0 && (s.flags & SHF_ALLOC) !== 0 && s.size > 0)
      .map((s): Range => [s.addr, s.addr + s.size]);
    if (!sections.info) {
      this.notices.push(
        `${this.name} has no DWARF debug information (no .debug_info section): addresses resolve ` +
          `to symbols only, with no source lines or variables. Build it with debug info ` +
          `(Cargo: debug = true in the profile) and without stripping.`,
      );
    } else if (!sections.line) {
      this.notices.push(`${this.name} has no .debug_line section: there are no source lines.`);
    }
  }

  /** Parse an ELF image and index its DWARF; fails only when the ELF itself is unreadable. */
  static load(bytes: Uint8Array, options: LoadOptions = {}): Result<DebugInfo> {
    let elf: ElfFile;
    try {
      elf = parseElf(bytes);
    } catch (e) {
      if (e instanceof ElfError) return err(`${options.name ?? 'image'}: ${e.message}`);
      throw e;
    }
    return DebugInfo.fromElf(elf, options);
  }

  static fromElf(elf: ElfFile, options: LoadOptions = {}): Result<DebugInfo> {
    try {
      return ok(new DebugInfo(elf, options));
    } catch (e) {
      if (e instanceof DwarfError) return err(`${options.name ?? 'image'}: ${e.message}`);
      throw e;
    }
  }

  /** Call frame information (.debug_frame), indexed on first use. */
  get cfi(): CallFrameInfo {
    return (this.cfiCache ??= CallFrameInfo.parse(this.sections.frame, this.warnings));
  }

  /** Function and object symbols, Thumb bit cleared, sorted by address. */
  private get symbols(): ElfSymbol[] {
    return (this.symbolCache ??= this.elf.symbols
      .filter((s) => (s.type === 'func' || s.type === 'object') && s.section !== 0)
      .map((s) => ({ ...s, value: s.type === 'func' ? s.value & ~1 : s.value }))
      .sort((a, b) => a.value - b.value));
  }

  /** Build every lazy index now (for benchmarks and for a session that wants no pauses later). */
  index(): void {
    void this.cfi;
    this.lines();
    this.functions();
    this.statics();
    this.namedTypes();
  }

  toLink(address: number): number {
    return (address - this.bias) >>> 0;
  }

  toRuntime(address: number): number {
    return (address + this.bias) >>> 0;
  }

  /** True when `address` (runtime) lies in one of this image's code sections. */
  containsCode(address: number): boolean {
    const a = this.toLink(address);
    return this.codeRanges.some(([s, e]) => a >= s && a < e);
  }

  /** Ranges (runtime) of the image's allocated sections: where it lives in the address space. */
  allocatedRanges(): Range[] {
    return this.elf.sections
      .filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0)
      .map((s): Range => [this.toRuntime(s.addr), this.toRuntime(s.addr) + s.size]);
  }

  dieAtOffset(offset: number): Die | undefined {
    const us = this.unitByOffset;
    let lo = 0;
    let hi = us.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = us[mid]!;
      if (offset < u.offset) hi = mid - 1;
      else if (offset >= u.end) lo = mid + 1;
      else return u.dieAt(offset);
    }
    return undefined;
  }

  /** The unit's line table (parsed on first use; null when it has none or it is corrupt). */
  lineTable(unit: Unit): LineTable | null {
    if (this.lineTables.has(unit)) return this.lineTables.get(unit)!;
    let table: LineTable | null = null;
    if (unit.stmtList !== undefined && this.sections.line) {
      try {
        table = readLineProgram(
          this.sections,
          unit.stmtList,
          unit.compDir,
          unit.name,
          unit.addressSize,
          unit.strOffsetsBase,
        );
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        this.warnings.push(`skipped the line table of ${unit.label()}: ${e.message}`);
      }
    }
    this.lineTables.set(unit, table);
    return table;
  }

  /** The address <-> line index over every unit. */
  lines(): LineIndex {
    if (!this.lineIndexCache) {
      const tables: LineTable[] = [];
      const seen = new Set<number>();
      for (const u of this.units) {
        const t = this.lineTable(u);
        if (t && !seen.has(t.offset)) {
          seen.add(t.offset);
          tables.push(t);
        }
      }
      const code = this.codeRanges;
      this.lineIndexCache = new LineIndex(tables, (a) =>
        code.length === 0 ? a !== 0 : code.some(([s, e]) => a >= s && a < e),
      );
    }
    return this.lineIndexCache;
  }

  /** Source location of `address` (runtime), if the line tables cover it. */
  lineFor(address: number): LineLocation | undefined {
    const l = this.lines().lookup(this.toLink(address));
    if (!l) return undefined;
    return { ...l, address: this.toRuntime(l.address), end: this.toRuntime(l.end) };
  }

  /** Source files of the line rows in [start, end) (runtime addresses); see LineIndex.filesIn. */
  filesIn(start: number, end: number): string[] {
    return this.lines().filesIn(this.toLink(start), this.toLink(end));
  }

  /** Addresses (runtime) where `line` of `file` begins; see LineIndex.addressesFor. */
  addressesFor(file: string, line: number, exact = false): LineAddresses | undefined {
    const r = this.lines().addressesFor(file, line, exact);
    if (!r) return undefined;
    return { ...r, addresses: r.addresses.map((a) => this.toRuntime(a)) };
  }

  private unitForAddress(linkAddress: number): Unit | undefined {
    if (!this.aranges) {
      this.aranges = this.sections.aranges ? readAranges(this.sections.aranges, this.warnings) : [];
      this.aranges.sort((a, b) => a.start - b.start);
    }
    for (const a of this.aranges)
      if (linkAddress >= a.start && linkAddress < a.end)
        return this.units.find((u) => u.offset === a.unitOffset);
    return undefined;
  }

  /** Every function with code (DWARF subprograms with addresses), sorted by address. */
  private functions(): FunctionEntry[] {
    if (this.functionIndex) return this.functionIndex;
    const out: FunctionEntry[] = [];
    for (const unit of this.units) {
      const before = out.length;
      try {
        for (const die of unit.allDies()) {
          if (die.tag !== DW_TAG.subprogram) continue;
          if (die.flag(DW_AT.declaration)) continue;
          for (const [s, e] of dieRanges(die)) {
            if (s === 0 && !this.codeRanges.some(([cs, ce]) => 0 >= cs && 0 < ce)) continue;
            out.push({ start: s, end: e, die });
          }
        }
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        this.warnings.push(`skipped the functions of ${unit.label()}: ${e.message}`);
        out.length = before;
      }
      if (unit.problem && !this.warnings.includes(unit.problem)) this.warnings.push(unit.problem);
    }
    out.sort((a, b) => a.start - b.start || a.end - b.end);
    this.functionIndex = out;
    return out;
  }

  private functionEntryAt(linkAddress: number): FunctionEntry | undefined {
    const f = this.functions();
    const best = lastAtOrBelow(f, linkAddress, (x) => x.start);
    // The innermost (latest-starting) range that still contains the address.
    for (let i = best; i >= 0 && i > best - 64; i--) {
      const e = f[i]!;
      if (linkAddress >= e.start && linkAddress < e.end) return e;
    }
    return undefined;
  }

  private functionInfo(die: Die): FunctionInfo {
    let ranges: Range[] = [];
    try {
      ranges = dieRanges(die);
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
    }
    const lh = die.lowHigh();
    const entryLink = die.address(DW_AT.entry_pc) ?? lh?.[0] ?? ranges[0]?.[0] ?? 0;
    const info: FunctionInfo = {
      name: functionName(die),
      entry: this.toRuntime(entryLink),
      ranges: ranges.map(([s, e]): Range => [this.toRuntime(s), this.toRuntime(e)]),
      source: 'dwarf',
      die,
      program: this.name,
    };
    const linkage = die.linkageName();
    if (linkage) info.linkageName = linkage;
    const declFile = die.inherited((d) => d.num(DW_AT.decl_file));
    const declLine = die.inherited((d) => d.num(DW_AT.decl_line));
    if (declFile !== undefined) {
      const f = this.fileName(die.unit, declFile);
      if (f) info.file = f;
    }
    if (declLine !== undefined) info.line = declLine;
    return info;
  }

  /** File `index` of a unit's line table (for decl_file and call_file). */
  fileName(unit: Unit, index: number): string | undefined {
    return this.lineTable(unit)?.files[index]?.path;
  }

  /** The function whose code holds `address` (runtime): DWARF first, then the symbol table. */
  functionAt(address: number): FunctionInfo | undefined {
    const link = this.toLink(address);
    const entry = this.functionEntryAt(link);
    if (entry) return this.functionInfo(entry.die);
    const sym = this.symbolAt(address, 'func');
    if (!sym) return undefined;
    return {
      name: demangle(sym.name),
      linkageName: sym.name,
      entry: this.toRuntime(sym.value),
      ranges: [[this.toRuntime(sym.value), this.toRuntime(sym.value + Math.max(sym.size, 1))]],
      source: 'symbol',
      program: this.name,
    };
  }

  /** Every function with code, for listings. */
  allFunctions(): FunctionInfo[] {
    const seen = new Set<Die>();
    const out: FunctionInfo[] = [];
    for (const e of this.functions()) {
      if (seen.has(e.die)) continue;
      seen.add(e.die);
      out.push(this.functionInfo(e.die));
    }
    return out;
  }

  /** The ELF symbol containing `address` (runtime), of the given kind. */
  symbolAt(address: number, kind?: 'func' | 'object'): ElfSymbol | undefined {
    const a = this.toLink(address);
    const s = this.symbols;
    const best = lastAtOrBelow(s, a, (x) => x.value);
    for (let i = best; i >= 0 && i > best - 32; i--) {
      const sym = s[i]!;
      if (kind && sym.type !== kind) continue;
      if (a >= sym.value && a < sym.value + Math.max(sym.size, 1)) return sym;
    }
    // Hand-written code often has function symbols without a size: the nearest one before
    // the address, in the same code section, names it (as debuggers and disassemblers do).
    const section = this.codeRanges.find(([cs, ce]) => a >= cs && a < ce);
    if (kind !== 'object' && section) {
      for (let i = best; i >= 0; i--) {
        const sym = s[i]!;
        if (sym.value < section[0]) break;
        if (sym.type !== 'func') continue;
        if (sym.size === 0) return sym;
        if (a < sym.value + sym.size) return sym;
        break;
      }
    }
    return undefined;
  }

  /** A name for an address: function or object symbol plus offset ('foo+0x12'). */
  symbolize(address: number): string | undefined {
    const sym = this.symbolAt(address);
    if (!sym) return undefined;
    const off = this.toLink(address) - sym.value;
    const name = demangle(sym.name);
    return off ? `${name}+${hex(off)}` : name;
  }

  /**
   * The scopes that contain `address` (runtime), innermost first: lexical blocks and inlined
   * subroutines nested in the function, then the function. `lookup` is the address used to
   * choose (callers pass return address - 1 for frames that made a call).
   */
  scopesAt(address: number): Scope[] {
    const link = this.toLink(address);
    const entry = this.functionEntryAt(link);
    if (!entry) return [];
    const chain: Die[] = [entry.die];
    let cur = entry.die;
    for (let depth = 0; depth < 256; depth++) {
      const next = scopeChildren(cur).find(([, rs]) =>
        rs.some(([s, e]) => link >= s && link < e),
      )?.[0];
      if (!next) break;
      chain.push(next);
      cur = next;
    }
    return chain.reverse().map((d) => this.scope(d));
  }

  /**
   * The lexical blocks and inlined calls of the function at `address` (runtime) as a tree, with
   * their ranges, entries and call sites but not their variables: what `scopesAt` walks, read
   * once per function (cached on this image) for questions asked of every address of a
   * function (a step's rows). Children keep DIE order, so descending by the first child that
   * holds an address finds what `scopesAt` finds.
   */
  inlineTree(address: number): InlineNode | undefined {
    const entry = this.functionEntryAt(this.toLink(address));
    if (!entry) return undefined;
    const cached = this.inlineTrees.get(entry.die);
    if (cached) return cached;
    // `linkRanges`: the DIE's own ranges (link addresses), read once by scopeChildren.
    const build = (die: Die, depth: number, linkRanges: Range[]): InlineNode => {
      const inlined = die.tag === DW_TAG.inlined_subroutine;
      const node: InlineNode = { inlined, ranges: [], children: [] };
      if (inlined || die.tag === DW_TAG.subprogram) node.name = functionName(die);
      if (inlined) Object.assign(node, this.inlinedCall(die, linkRanges));
      if (depth >= 256) return node;
      for (const [c, rs] of scopeChildren(die)) {
        const child = build(c, depth + 1, rs);
        child.ranges = rs.map(([a, b]): Range => [this.toRuntime(a), this.toRuntime(b)]);
        node.children.push(child);
      }
      return node;
    };
    const tree = build(entry.die, 0, []);
    this.inlineTrees.set(entry.die, tree);
    return tree;
  }

  private readonly inlineTrees = new Map<Die, InlineNode>();

  /**
   * An inlined call's call site and entry (runtime), as `Scope` gives them; `ranges` are its
   * link ranges as the caller already read them (empty when they could not be read).
   */
  private inlinedCall(die: Die, ranges: Range[]): Pick<Scope, 'callSite' | 'entry'> {
    const file = die.num(DW_AT.call_file);
    const out: Pick<Scope, 'callSite' | 'entry'> = {
      callSite: {
        file: (file !== undefined ? this.fileName(die.unit, file) : undefined) ?? '<unknown>',
        line: die.num(DW_AT.call_line) ?? 0,
        column: die.num(DW_AT.call_column) ?? 0,
      },
    };
    const entry = die.address(DW_AT.entry_pc) ?? die.lowHigh()?.[0] ?? ranges[0]?.[0];
    if (entry !== undefined) out.entry = this.toRuntime(entry);
    return out;
  }

  private scope(die: Die): Scope {
    let ranges: Range[] = [];
    try {
      ranges = dieRanges(die);
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
    }
    const kind: ScopeKind =
      die.tag === DW_TAG.subprogram
        ? 'function'
        : die.tag === DW_TAG.inlined_subroutine
          ? 'inlined'
          : 'block';
    const s: Scope = {
      kind,
      die,
      ranges: ranges.map(([a, b]): Range => [this.toRuntime(a), this.toRuntime(b)]),
      variables: this.scopeVariables(die),
    };
    if (kind !== 'block') s.name = functionName(die);
    if (kind === 'inlined') Object.assign(s, this.inlinedCall(die, ranges));
    return s;
  }

  /**
   * Variables of a scope DIE as a debugger lists them (GDB's rules, so the two agree):
   * variables and parameters that are its children; those of child lexical blocks that have no
   * addresses (such a block only groups declarations); and, for a concrete instance of an
   * abstract function or block, the abstract children it does not repeat (they exist in the
   * source but not in this code, so they read as optimized out), abstract blocks flattened.
   */
  private scopeVariables(die: Die): VariableInfo[] {
    const out: VariableInfo[] = [];
    const add = (c: Die, abstractOnly: boolean): void => {
      const name = c.name();
      if (name === undefined) return;
      if (c.tag === DW_TAG.variable && c.flag(DW_AT.declaration)) return;
      const origin = c.ref(DW_AT.abstract_origin);
      out.push({
        name,
        isParameter: c.tag === DW_TAG.formal_parameter,
        typeName: this.types.typeOf(c.has(DW_AT.type) ? c : (origin ?? c)).name,
        die: c,
        abstractOnly,
      });
    };
    const hasAddresses = (b: Die): boolean => b.has(DW_AT.low_pc) || b.has(DW_AT.ranges);
    const visit = (scope: Die, abstractOnly: boolean, depth: number): void => {
      if (depth > 64) return;
      for (const c of scope.children) {
        if (c.tag === DW_TAG.variable || c.tag === DW_TAG.formal_parameter) add(c, abstractOnly);
        else if (c.tag === DW_TAG.lexical_block && !hasAddresses(c)) {
          visit(c, abstractOnly, depth + 1);
          inherit(c, depth + 1);
        }
      }
    };
    const originOf = (d: Die): Die | undefined => {
      let o = d.ref(DW_AT.abstract_origin);
      for (let i = 0; o && i < 8; i++) {
        const next = o.ref(DW_AT.abstract_origin);
        if (!next || next === o) break;
        o = next;
      }
      return o && o !== d ? o : undefined;
    };
    const inherit = (scope: Die, depth: number): void => {
      const origin = originOf(scope);
      if (!origin || depth > 64) return;
      // Abstract DIEs that the concrete scope's own children stand for. A lexical block
      // without DW_AT_abstract_origin (clang and rustc emit them so) stands for the origin's
      // child at the same position, but only while every earlier child stood for the origin's
      // child at its own position: rustc drops abstract children (template parameters, an
      // unnamed parameter) from concrete instances, and past such a gap positions mean nothing.
      // GDB pairs them so (its oracle test covers the three shapes).
      const referenced = new Set<Die>();
      let inStep = true;
      scope.children.forEach((c, i) => {
        const o = originOf(c);
        if (o) referenced.add(o);
        if (!inStep) return;
        const twin = origin.children[i];
        if (o) inStep = o === twin;
        else if (
          !c.has(DW_AT.abstract_origin) &&
          c.tag === DW_TAG.lexical_block &&
          twin?.tag === DW_TAG.lexical_block
        )
          referenced.add(twin);
        else inStep = false;
      });
      const take = (abstract: Die, level: number): void => {
        if (level > 64) return;
        for (const c of abstract.children) {
          if (referenced.has(c)) continue;
          if (c.tag === DW_TAG.variable || c.tag === DW_TAG.formal_parameter) add(c, true);
          else if (c.tag === DW_TAG.lexical_block && !hasAddresses(c)) take(c, level + 1);
        }
      };
      take(origin, depth);
    };
    visit(die, false, 0);
    inherit(die, 0);
    return out;
  }

  /** Static variables by qualified name (and by last path segment). */
  private statics(): Map<string, StaticVariable[]> {
    if (this.staticsIndex) return this.staticsIndex;
    const byName = new Map<string, StaticVariable[]>();
    const vtables = new Map<number, RustType>();
    for (const unit of this.units) {
      for (const die of unit.allDies()) {
        if (die.tag !== DW_TAG.variable) continue;
        const p = die.parent;
        if (
          p &&
          (p.tag === DW_TAG.subprogram ||
            p.tag === DW_TAG.lexical_block ||
            p.tag === DW_TAG.inlined_subroutine)
        )
          continue;
        const loc = die.block(DW_AT.location);
        // A static lives at DW_OP_addr N (0x03 + address), or DW_OP_addrx (0xa1 + index).
        let addr: number | undefined;
        if (loc && loc.length === 1 + unit.addressSize && loc[0] === 0x03) {
          addr = 0;
          for (let i = unit.addressSize; i >= 1; i--) addr = addr * 256 + loc[i]!;
        } else if (loc && loc[0] === 0xa1) {
          let idx = 0;
          let mul = 1;
          for (let i = 1; i < loc.length; i++) {
            idx += (loc[i]! & 0x7f) * mul;
            if ((loc[i]! & 0x80) === 0) break;
            mul *= 128;
          }
          addr = unit.addressAtIndex(idx);
        }
        if (addr === undefined) continue;
        const name = qualifiedName(die.has(DW_AT.specification) ? die : die) ?? die.name();
        if (!name) continue;
        const typeDie = die.ref(DW_AT.type) ?? die.ref(DW_AT.specification)?.ref(DW_AT.type);
        const sv: StaticVariable = {
          name,
          address: this.toRuntime(addr),
          get type(): RustType {
            return typeDie ? types.fromDie(typeDie) : types.typeOf(die);
          },
          die,
        };
        const types = this.types;
        for (const key of new Set([name, name.slice(name.lastIndexOf('::') + 2)])) {
          const list = byName.get(key);
          if (list) list.push(sv);
          else byName.set(key, [sv]);
        }
        if (name.endsWith('::{vtable}') && typeDie) {
          const vt = this.types.fromDie(typeDie);
          if (vt.kind === 'struct' && vt.containingType)
            vtables.set(this.toRuntime(addr), vt.containingType);
        }
      }
    }
    this.staticsIndex = byName;
    this.vtables = vtables;
    return byName;
  }

  /** Statics named `name` (qualified, or the last segment). */
  findStatic(name: string): StaticVariable[] {
    return this.statics().get(name) ?? [];
  }

  /** The concrete type whose vtable is at `address` (runtime). */
  vtableType(address: number): RustType | undefined {
    this.statics();
    return this.vtables!.get(address >>> 0);
  }

  private namedTypes(): Map<string, Die[]> {
    if (this.typeIndex) return this.typeIndex;
    const m = new Map<string, Die[]>();
    const typeTags = new Set<number>([
      DW_TAG.structure_type,
      DW_TAG.union_type,
      DW_TAG.enumeration_type,
      DW_TAG.base_type,
      DW_TAG.pointer_type,
      DW_TAG.typedef,
      DW_TAG.array_type,
      DW_TAG.subroutine_type,
      DW_TAG.class_type,
    ]);
    for (const unit of this.units) {
      for (const die of unit.allDies()) {
        if (!typeTags.has(die.tag) || die.flag(DW_AT.declaration)) continue;
        const name = die.tag === DW_TAG.pointer_type ? die.name() : qualifiedName(die);
        if (!name) continue;
        const list = m.get(name);
        if (list) list.push(die);
        else m.set(name, [die]);
      }
    }
    this.typeIndex = m;
    return m;
  }

  /**
   * A type by name: the qualified name ('kernel::process::Process'), a pointer spelling
   * ('&kernel::Kernel', '*const u8'), an array ('[u8; 16]') or, when unambiguous, the bare
   * name ('Process'). Generic arguments must be written as rustc writes them.
   */
  findType(name: string): RustType | undefined {
    const n = name.trim();
    const idx = this.namedTypes();
    const exact = idx.get(n);
    if (exact?.length) return this.types.fromDie(pickDefinition(exact));
    const ptr = /^(\*const|\*mut|&mut|&)\s*(.+)$/.exec(n);
    if (ptr) {
      const inner = this.findType(ptr[2]!);
      if (!inner) return undefined;
      const spelled = ptr[1]!.startsWith('&')
        ? `${ptr[1]}${inner.name}`
        : `${ptr[1]} ${inner.name}`;
      return {
        kind: 'pointer',
        name: spelled,
        size: 4,
        flavor: ptr[1]!.startsWith('&') ? 'ref' : 'ptr',
        pointee: inner,
      };
    }
    const arr = /^\[(.+);\s*(\d+)\]$/.exec(n);
    if (arr) {
      const el = this.findType(arr[1]!);
      if (!el) return undefined;
      const count = Number(arr[2]);
      return {
        kind: 'array',
        name: `[${el.name}; ${count}]`,
        size: el.size * count,
        element: el,
        count,
        stride: el.size,
      };
    }
    // Bare or partly qualified names: unique suffix match.
    const matches: Die[] = [];
    for (const [k, dies] of idx) if (k === n || k.endsWith(`::${n}`)) matches.push(...dies);
    if (matches.length === 0) return undefined;
    const names = new Set(matches.map((d) => qualifiedName(d)));
    if (names.size > 1) return undefined;
    return this.types.fromDie(pickDefinition(matches));
  }

  /** Names of types matching `pattern` (substring), for completion and error messages. */
  typeNames(pattern = ''): string[] {
    return [...this.namedTypes().keys()].filter((k) => k.includes(pattern)).sort();
  }

  /**
   * Field offsets and sizes of a type by name: what the Tock views use instead of hard-coded
   * offsets. Enums list their variants and where each variant's data sits.
   */
  typeLayout(name: string): Result<TypeLayout> {
    const t = this.findType(name);
    if (!t) {
      const near = this.typeNames(name.slice(name.lastIndexOf('::') + 2)).slice(0, 5);
      return err(
        `no type named ${name} in ${this.name}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`,
      );
    }
    return ok(layoutOf(t));
  }

  /** Offset of a dotted field path inside a type ('tasks.head'), with the field's type. */
  fieldOffset(typeName: string, path: string): Result<{ offset: number; type: RustType }> {
    const t = this.findType(typeName);
    if (!t) return err(`no type named ${typeName} in ${this.name}`);
    let cur: RustType = t;
    let offset = 0;
    for (const part of path.split('.')) {
      if (cur.kind !== 'struct' && cur.kind !== 'union')
        return err(`${cur.name} has no fields (looking for ${part})`);
      const f = cur.fields.find((x) => x.name === part);
      if (!f)
        return err(
          `${cur.name} has no field ${part} (fields: ${cur.fields.map((x) => x.name).join(', ')})`,
        );
      offset += f.offset;
      cur = f.type;
    }
    return ok({ offset, type: cur });
  }

  /** The CFI row in force at runtime `address`. */
  unwindRowAt(address: number): UnwindRow | undefined {
    try {
      return this.cfi.rowAt(this.toLink(address));
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      return undefined;
    }
  }

  /** Summary figures for listings and benchmarks. */
  stats(): {
    units: number;
    versions: number[];
    lineRows: number;
    functions: number;
    fdes: number;
  } {
    let rows = 0;
    for (const u of this.units) rows += this.lineTable(u)?.rows.length ?? 0;
    return {
      units: this.units.length,
      versions: [...new Set(this.units.map((u) => u.version))].sort(),
      lineRows: rows,
      functions: this.allFunctions().length,
      fdes: this.cfi.fdes.length,
    };
  }

  /** Which unit covers `address` (runtime), through .debug_aranges or the function index. */
  unitAt(address: number): Unit | undefined {
    const link = this.toLink(address);
    return this.unitForAddress(link) ?? this.functionEntryAt(link)?.die.unit;
  }
}

function pickDefinition(dies: Die[]): Die {
  return dies.find((d) => d.children.length > 0) ?? dies[0]!;
}

/** A function's name as debuggers show it: qualified from its DIE (or origin) scope. */
export function functionName(die: Die): string {
  const origin = die.origin();
  const named =
    die.str(DW_AT.name) !== undefined
      ? die
      : origin?.str(DW_AT.name) !== undefined
        ? origin
        : undefined;
  if (named) {
    const q = qualifiedName(named);
    if (q) return q;
  }
  const linkage = die.linkageName();
  return linkage ? demangle(linkage) : `<function at ${hex(die.lowHigh()?.[0] ?? 0)}>`;
}

export function layoutOf(t: RustType): TypeLayout {
  const layout: TypeLayout = { name: t.name, kind: t.kind, size: t.size, fields: [] };
  if (t.kind === 'struct' || t.kind === 'union')
    layout.fields = t.fields.map((f) => ({
      name: f.name,
      offset: f.offset,
      size: f.type.size,
      typeName: f.type.name,
      ...(f.bitSize !== undefined
        ? { bitOffset: f.bitOffset ?? f.offset * 8, bitSize: f.bitSize }
        : {}),
    }));
  if (t.kind === 'enum') {
    const d = t.discriminant;
    if (d)
      layout.fields = [
        { name: '<discriminant>', offset: d.offset, size: d.type.size, typeName: d.type.name },
      ];
    layout.variants = t.variants.map((v) => {
      const out: NonNullable<TypeLayout['variants']>[number] = {
        name: v.name,
        offset: v.field.offset,
        typeName: v.field.type.name,
      };
      if (v.discrValues?.length) out.discriminant = v.discrValues.map(String).join('|');
      return out;
    });
  }
  if (t.kind === 'array')
    layout.fields = [{ name: '[0]', offset: 0, size: t.element.size, typeName: t.element.name }];
  return layout;
}
