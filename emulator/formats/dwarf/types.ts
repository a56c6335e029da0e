/**
 * The Rust type model: DWARF type DIEs as the debugger needs them, built lazily and cached.
 *
 * rustc describes (see the DWARF it emits for thumbv7em, rustc 1.63 and later): primitives as
 * base types; structs, tuples (members __0, __1...) and closures as structure types; `&T`,
 * `&mut T`, `*const T` as pointer types named after the Rust spelling; slices and `&str` as
 * structs named "&[T]" / "&str" with members data_ptr and length; trait objects as structs with
 * members pointer and vtable, the vtable a struct whose DW_AT_containing_type is the concrete
 * type; enums with data as a structure holding one DW_TAG_variant_part whose DW_AT_discr names
 * the tag member and whose variants carry DW_AT_discr_value, except the dataful variant of a
 * niche-encoded enum (such as `Some` of `Option<&T>`), which has none and applies when no other
 * value matches; C-like enums as enumeration types. This module turns those DIEs into
 * `RustType` values with qualified names (namespaces joined with `::`), field offsets and sizes.
 *
 * @example
 *   const t = types.fromDie(die);   // { kind: 'struct', name: 'kernel::process::Process', fields: [...] }
 *   const f = t.kind === 'struct' ? t.fields.find((x) => x.name === 'state') : undefined;
 */
import { DW_AT, DW_ATE, DW_TAG } from './codes';
import type { Die } from './units';

export interface Field {
  name: string;
  /** Byte offset in the containing type. */
  offset: number;
  readonly type: RustType;
  /** Bit-field members: size and offset in bits (from the start of the containing object). */
  bitSize?: number;
  bitOffset?: number;
  artificial: boolean;
}

export interface Variant {
  /** Name of the variant (its member's name: `Some`, `None`, `Ok`...). */
  name: string;
  /** Discriminant values that select this variant; undefined for the default (dataful) one. */
  discrValues?: bigint[];
  discrRanges?: [bigint, bigint][];
  /** The member that holds the variant's data (offset and its struct type). */
  field: Field;
}

interface TypeBase {
  name: string;
  /** Size in bytes (0 when unknown). */
  size: number;
  die?: Die;
}

export interface BaseType extends TypeBase {
  kind: 'base';
  encoding: number;
}
export interface PointerType extends TypeBase {
  kind: 'pointer';
  /** 'ref' for `&`/`&mut`, 'ptr' for raw pointers, function pointers included. */
  flavor: 'ref' | 'ptr';
  readonly pointee: RustType | undefined;
}
export interface StructType extends TypeBase {
  kind: 'struct';
  readonly fields: Field[];
  /** Members named __0, __1...: a tuple or tuple struct. */
  readonly isTuple: boolean;
  /** Vtable structs: the concrete type they belong to (DW_AT_containing_type). */
  readonly containingType?: RustType;
}
export interface EnumType extends TypeBase {
  kind: 'enum';
  /** The tag member; undefined for a single-variant enum. */
  readonly discriminant?: Field;
  readonly variants: Variant[];
}
export interface CEnumType extends TypeBase {
  kind: 'cenum';
  signed: boolean;
  readonly enumerators: { name: string; value: bigint }[];
}
export interface ArrayType extends TypeBase {
  kind: 'array';
  readonly element: RustType;
  count: number;
  /** Distance between elements in bytes. */
  stride: number;
}
export interface UnionType extends TypeBase {
  kind: 'union';
  readonly fields: Field[];
}
export interface FunctionType extends TypeBase {
  kind: 'function';
}
export interface UnknownType extends TypeBase {
  kind: 'unknown';
}

export type RustType =
  | BaseType
  | PointerType
  | StructType
  | EnumType
  | CEnumType
  | ArrayType
  | UnionType
  | FunctionType
  | UnknownType;

const TRANSPARENT_TAGS = new Set<number>([
  DW_TAG.typedef,
  DW_TAG.const_type,
  DW_TAG.volatile_type,
  DW_TAG.restrict_type,
  DW_TAG.atomic_type,
  DW_TAG.immutable_type,
  DW_TAG.packed_type,
  DW_TAG.shared_type,
]);

const SCOPE_TAGS = new Set<number>([
  DW_TAG.namespace,
  DW_TAG.structure_type,
  DW_TAG.union_type,
  DW_TAG.enumeration_type,
  DW_TAG.class_type,
  DW_TAG.module,
]);

/** The qualified name of a DIE: enclosing namespaces and types joined with `::`. */
export function qualifiedName(die: Die): string | undefined {
  const name = die.name();
  if (name === undefined) return undefined;
  const parts = [name];
  let p = die.parent;
  // A DIE completing a declaration lives where the declaration does.
  if (!p || p.tag === DW_TAG.compile_unit) {
    const spec = die.ref(DW_AT.specification) ?? die.ref(DW_AT.abstract_origin);
    if (spec && spec !== die) p = spec.parent;
  }
  while (p && SCOPE_TAGS.has(p.tag)) {
    const n = p.name();
    if (n === undefined) break;
    parts.unshift(n);
    p = p.parent;
  }
  return parts.join('::');
}

const UNKNOWN: UnknownType = { kind: 'unknown', name: '<unknown type>', size: 0 };
const VOID: BaseType = { kind: 'base', name: '()', size: 0, encoding: DW_ATE.unsigned };

/** Builds and caches `RustType`s from DIEs of one image. */
export class TypeBuilder {
  private readonly cache = new Map<Die, RustType>();

  constructor(private readonly addressSize = 4) {}

  /** The type a DIE's DW_AT_type names (`()` when absent). */
  typeOf(die: Die): RustType {
    const t = die.ref(DW_AT.type);
    return t ? this.fromDie(t) : VOID;
  }

  fromDie(die: Die, depth = 0): RustType {
    const cached = this.cache.get(die);
    if (cached) return cached;
    if (depth > 64) return UNKNOWN;
    if (TRANSPARENT_TAGS.has(die.tag)) {
      const inner = die.ref(DW_AT.type);
      const t = inner ? this.fromDie(inner, depth + 1) : VOID;
      this.cache.set(die, t);
      return t;
    }
    const t = this.build(die);
    this.cache.set(die, t);
    return t;
  }

  private build(die: Die): RustType {
    const size = die.num(DW_AT.byte_size) ?? 0;
    const name = qualifiedName(die);
    switch (die.tag) {
      case DW_TAG.base_type:
      case DW_TAG.unspecified_type:
        return {
          kind: 'base',
          name: name ?? '()',
          size,
          encoding: die.num(DW_AT.encoding) ?? DW_ATE.unsigned,
          die,
        };
      case DW_TAG.pointer_type:
      case DW_TAG.reference_type:
      case DW_TAG.rvalue_reference_type: {
        const target = die.ref(DW_AT.type);
        const pointee = once(() => (target ? this.fromDie(target) : undefined));
        const pname = die.name();
        return {
          kind: 'pointer',
          name: pname ?? `*const ${target ? (this.fromDie(target).name ?? '?') : '()'}`,
          size: size || this.addressSize,
          flavor: pname?.startsWith('&') || die.tag !== DW_TAG.pointer_type ? 'ref' : 'ptr',
          die,
          get pointee(): RustType | undefined {
            return pointee();
          },
        };
      }
      case DW_TAG.structure_type:
      case DW_TAG.class_type: {
        const vp = die.children.find((c) => c.tag === DW_TAG.variant_part);
        if (vp) return this.buildEnum(die, vp, name ?? '<anonymous enum>', size);
        return this.buildStruct(die, name ?? '<anonymous struct>', size);
      }
      case DW_TAG.union_type: {
        const fields = once(() => this.members(die));
        return {
          kind: 'union',
          name: name ?? '<anonymous union>',
          size,
          die,
          get fields(): Field[] {
            return fields();
          },
        };
      }
      case DW_TAG.enumeration_type: {
        const under = die.ref(DW_AT.type);
        const underlying = under ? this.fromDie(under) : undefined;
        const signed =
          underlying?.kind === 'base' &&
          (underlying.encoding === DW_ATE.signed || underlying.encoding === DW_ATE.signed_char);
        let enumerators: { name: string; value: bigint }[] | undefined;
        return {
          kind: 'cenum',
          name: name ?? '<anonymous enum>',
          size: size || underlying?.size || 4,
          signed,
          die,
          get enumerators() {
            return (enumerators ??= die.children
              .filter((c) => c.tag === DW_TAG.enumerator)
              .map((c) => ({
                name: c.name() ?? '?',
                value: constValue(c, signed),
              })));
          },
        };
      }
      case DW_TAG.array_type:
        return this.buildArray(die, size);
      case DW_TAG.subroutine_type:
        return { kind: 'function', name: name ?? 'fn', size, die };
      default:
        return { kind: 'unknown', name: name ?? `<${die.tag.toString(16)}>`, size, die };
    }
  }

  /** Members of a struct-like DIE, in declaration order. */
  members(die: Die): Field[] {
    const out: Field[] = [];
    for (const c of die.children) {
      if (c.tag !== DW_TAG.member || c.flag(DW_AT.declaration) || c.flag(DW_AT.external)) continue;
      out.push(this.field(c));
    }
    return out;
  }

  private field(c: Die): Field {
    const type = once(() => this.typeOf(c));
    const f: Field = {
      name: c.name() ?? '',
      offset: memberOffset(c),
      get type(): RustType {
        return type();
      },
      artificial: c.flag(DW_AT.artificial),
    };
    const bitSize = c.num(DW_AT.bit_size);
    if (bitSize !== undefined) {
      f.bitSize = bitSize;
      const dbo = c.num(DW_AT.data_bit_offset);
      const msbOffset = c.num(DW_AT.bit_offset);
      if (dbo !== undefined) {
        f.bitOffset = dbo;
        f.offset = Math.floor(dbo / 8);
      } else if (msbOffset !== undefined) {
        // DWARF 2/3 DW_AT_bit_offset counts from the most significant bit of a storage unit
        // of DW_AT_byte_size bytes; on a little-endian target the field starts at
        // (unit bits - bit_offset - bit_size) from its least significant bit.
        const unitBytes = c.num(DW_AT.byte_size) ?? f.type.size;
        f.bitOffset = f.offset * 8 + unitBytes * 8 - msbOffset - bitSize;
      } else f.bitOffset = f.offset * 8;
    }
    return f;
  }

  private buildStruct(die: Die, name: string, size: number): StructType {
    const fields = once(() => this.members(die));
    const containing = die.ref(DW_AT.containing_type);
    const containingType = once(() => (containing ? this.fromDie(containing) : undefined));
    return {
      kind: 'struct',
      name,
      size,
      die,
      get fields(): Field[] {
        return fields();
      },
      get isTuple(): boolean {
        const f = fields();
        return f.length > 0 && f.every((x, i) => x.name === `__${i}`);
      },
      get containingType(): RustType | undefined {
        return containingType();
      },
    };
  }

  private buildEnum(die: Die, vp: Die, name: string, size: number): EnumType {
    const discrDie = vp.ref(DW_AT.discr);
    const discriminant = once(() => (discrDie ? this.field(discrDie) : undefined));
    const variants = once((): Variant[] => {
      const disc = discriminant();
      const signed =
        disc?.type.kind === 'base' &&
        (disc.type.encoding === DW_ATE.signed || disc.type.encoding === DW_ATE.signed_char);
      const out: Variant[] = [];
      for (const v of vp.children) {
        if (v.tag !== DW_TAG.variant) continue;
        const member = v.children.find((c) => c.tag === DW_TAG.member);
        if (!member) continue;
        const variant: Variant = { name: member.name() ?? '?', field: this.field(member) };
        if (v.has(DW_AT.discr_value))
          variant.discrValues = [constValue(v, signed, DW_AT.discr_value)];
        const list = v.block(DW_AT.discr_list);
        if (list) Object.assign(variant, decodeDiscrList(list, signed));
        out.push(variant);
      }
      return out;
    });
    return {
      kind: 'enum',
      name,
      size,
      die,
      get discriminant(): Field | undefined {
        return discriminant();
      },
      get variants(): Variant[] {
        return variants();
      },
    };
  }

  private buildArray(die: Die, size: number): ArrayType {
    const elementDie = die.ref(DW_AT.type);
    const element = elementDie ? this.fromDie(elementDie) : UNKNOWN;
    const counts: number[] = [];
    for (const c of die.children) {
      if (c.tag !== DW_TAG.subrange_type && c.tag !== DW_TAG.enumeration_type) continue;
      const count = c.num(DW_AT.count);
      if (count !== undefined) counts.push(count);
      else {
        const upper = c.signed(DW_AT.upper_bound);
        const lower = c.signed(DW_AT.lower_bound) ?? 0;
        counts.push(upper === undefined ? 0 : upper - lower + 1);
      }
    }
    if (counts.length === 0) counts.push(0);
    // Multi-dimensional arrays become arrays of arrays, innermost last.
    let t: RustType = element;
    let stride = die.num(DW_AT.byte_stride) ?? element.size;
    for (let i = counts.length - 1; i >= 0; i--) {
      const count = counts[i]!;
      const elemStride = i === counts.length - 1 ? stride : t.size;
      t = {
        kind: 'array',
        name: `[${t.name}; ${count}]`,
        size: i === 0 && size ? size : elemStride * count,
        element: t,
        count,
        stride: elemStride,
        die,
      };
      stride = t.size;
    }
    return t as ArrayType;
  }
}

/** A value computed on first use and kept (lazy type members, which may refer to each other). */
function once<T>(make: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = make();
      done = true;
    }
    return value;
  };
}

function memberOffset(c: Die): number {
  const v = c.raw(DW_AT.data_member_location);
  if (typeof v === 'number') return v;
  if (v instanceof Uint8Array) {
    // The usual expression form: DW_OP_plus_uconst N (0x23 N).
    if (v.length >= 2 && v[0] === 0x23) {
      let n = 0;
      let mul = 1;
      for (let i = 1; i < v.length; i++) {
        n += (v[i]! & 0x7f) * mul;
        if ((v[i]! & 0x80) === 0) break;
        mul *= 128;
      }
      return n;
    }
  }
  return 0;
}

function constValue(d: Die, signed: boolean, at: number = DW_AT.const_value): bigint {
  const raw = d.raw(at);
  if (typeof raw === 'bigint') return signed ? BigInt.asIntN(64, raw) : raw;
  if (raw instanceof Uint8Array) {
    let v = 0n;
    for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]!);
    return signed ? BigInt.asIntN(raw.length * 8, v) : v;
  }
  const n = signed ? d.signed(at) : d.num(at);
  return BigInt(n ?? 0);
}

function decodeDiscrList(
  b: Uint8Array,
  signed: boolean,
): { discrValues: bigint[]; discrRanges: [bigint, bigint][] } {
  // DWARF 5 section 5.7.10: entries of DW_DSC_label (0) value or DW_DSC_range (1) low high.
  const values: bigint[] = [];
  const ranges: [bigint, bigint][] = [];
  let i = 0;
  const leb = (): bigint => {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = b[i++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte & 0x80 && i < b.length);
    if (signed && byte & 0x40) result -= 1n << shift;
    return result;
  };
  while (i < b.length) {
    const kind = b[i++];
    if (kind === 0) values.push(leb());
    else if (kind === 1) ranges.push([leb(), leb()]);
    else break;
  }
  return { discrValues: values, discrRanges: ranges };
}

/** Strip generic arguments and path from a type name: `cells::TakeCell<[u8]>` -> `TakeCell`. */
export function baseTypeName(name: string): string {
  const lt = name.indexOf('<');
  const head = lt < 0 ? name : name.slice(0, lt);
  const i = head.lastIndexOf('::');
  return i < 0 ? head : head.slice(i + 2);
}
