/**
 * Values: Rust data read from a target and rendered as a tree whose children load on demand.
 *
 * A value is a type plus where its bytes are: target memory (an address), bytes already in
 * hand (a register, an implicit value, pieces assembled from several places), "optimized out",
 * or unavailable with a reason. `renderValue` turns one into a `ValueNode`: a one-line text and,
 * for aggregates, a `children()` that reads only what an expanded tree row needs. Rust's
 * shapes are shown as a Rust programmer thinks of them: enums by their active variant (niche
 * encodings decoded by DW_AT_discr_value, the dataful variant being the one without a value),
 * `&str` as text, slices as their elements, `&dyn Trait` as the concrete type behind the vtable,
 * and the kernel's cells (`Cell`, `TakeCell`, `MapCell`, `OptionalCell`, `StaticCell`; layout in
 * kernel/cells/src/lib.rs) as what they hold. `structuralValue` gives the plain DWARF structure
 * (every member, no interpretation) for tools that compare with other debuggers.
 *
 * @example
 *   const node = await renderValue(env, { name: 'self', type, storage: { kind: 'memory', address } });
 *   console.log(node.text);                // "capsules::console::Console { tx_buffer: TakeCell(Some(..)), .. }"
 *   for (const c of await node.children()) console.log(c.name, c.text);
 */
import { err, ok, type Result } from '../../core/result';
import { DW_ATE } from './codes';
import type { ReadMemory } from './memory';
import { baseTypeName, type EnumType, type Field, type RustType, type Variant } from './types';

export type Storage =
  | { kind: 'memory'; address: number }
  /** Bytes in hand; `valid` marks which are known (pieces may be partly optimized out). */
  | { kind: 'bytes'; bytes: Uint8Array; valid?: Uint8Array }
  | { kind: 'optimizedOut' }
  | { kind: 'unavailable'; reason: string };

export interface TypedValue {
  name: string;
  type: RustType;
  storage: Storage;
}

/** What rendering needs from the session: memory and a few lookups in the debug information. */
export interface ValueEnv {
  mem: ReadMemory;
  /** The concrete type a vtable at `address` belongs to (DW_AT_containing_type), if known. */
  vtableType?(address: number): RustType | undefined;
  /** A symbol name for an address (function pointers, vtables). */
  symbolAt?(address: number): string | undefined;
  /** Longest string or slice read for a summary (default 200 bytes / 100 elements). */
  maxString?: number;
  maxElements?: number;
}

export interface ValueNode {
  name: string;
  typeName: string;
  text: string;
  /** Where the value lives in memory, when it does. */
  address?: number;
  optimizedOut?: boolean;
  /** A problem reading the value (the text says it too). */
  error?: string;
  /** True when children() has something to show. */
  expandable: boolean;
  children(): Promise<ValueNode[]>;
  /** The typed value behind this node (for evaluation and the structural view). */
  value: TypedValue;
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

export async function readStorage(
  env: ValueEnv,
  s: Storage,
  offset: number,
  size: number,
): Promise<Result<Uint8Array>> {
  switch (s.kind) {
    case 'memory':
      if (size === 0) return ok(new Uint8Array(0));
      return env.mem((s.address + offset) >>> 0, size);
    case 'bytes':
      if (offset + size > s.bytes.length)
        return err(`value has ${s.bytes.length} bytes, ${offset + size} needed`);
      if (s.valid && s.valid.subarray(offset, offset + size).some((x) => x === 0))
        return err('optimized out');
      return ok(s.bytes.subarray(offset, offset + size));
    case 'optimizedOut':
      return err('optimized out');
    case 'unavailable':
      return err(s.reason);
  }
}

export function subStorage(s: Storage, offset: number, size: number): Storage {
  switch (s.kind) {
    case 'memory':
      return { kind: 'memory', address: (s.address + offset) >>> 0 };
    case 'bytes': {
      if (offset + size > s.bytes.length)
        return { kind: 'unavailable', reason: 'value is shorter than its type' };
      if (!s.valid) return { kind: 'bytes', bytes: s.bytes.subarray(offset, offset + size) };
      const valid = s.valid.subarray(offset, offset + size);
      if (size > 0 && valid.every((x) => x === 0)) return { kind: 'optimizedOut' };
      return { kind: 'bytes', bytes: s.bytes.subarray(offset, offset + size), valid };
    }
    default:
      return s;
  }
}

function leUnsigned(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** An integer-like value of `type` (base types, pointers, C-like enums) as a bigint. */
export async function readInteger(env: ValueEnv, v: TypedValue): Promise<Result<bigint>> {
  const size = v.type.size || 4;
  const b = await readStorage(env, v.storage, 0, Math.min(size, 16));
  if (!b.ok) return b;
  let n = leUnsigned(b.value);
  const t = v.type;
  if (
    (t.kind === 'base' && (t.encoding === DW_ATE.signed || t.encoding === DW_ATE.signed_char)) ||
    (t.kind === 'cenum' && t.signed)
  )
    n = BigInt.asIntN(size * 8, n);
  return ok(n);
}

/** Which variant of an enum the bytes select (DWARF 5 section 5.7.10), if any. */
export async function activeVariant(
  env: ValueEnv,
  t: EnumType,
  storage: Storage,
): Promise<Result<Variant | undefined>> {
  const variants = t.variants;
  const d = t.discriminant;
  if (!d) return ok(variants.length === 1 ? variants[0] : undefined);
  const raw = await readInteger(env, {
    name: '',
    type: d.type,
    storage: subStorage(storage, d.offset, d.type.size),
  });
  if (!raw.ok) return raw;
  const value = raw.value;
  let fallback: Variant | undefined;
  for (const v of variants) {
    if (!v.discrValues && !v.discrRanges) {
      fallback ??= v;
      continue;
    }
    if (
      v.discrValues?.some((x) => x === value || BigInt.asUintN(64, x) === BigInt.asUintN(64, value))
    )
      return ok(v);
    if (v.discrRanges?.some(([lo, hi]) => value >= lo && value <= hi)) return ok(v);
  }
  return ok(fallback);
}

function float(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return bytes.length === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true);
}

function charText(code: number): string {
  if (code === 0x27) return "'\\''";
  if (code === 0x5c) return "'\\\\'";
  if (code === 0x0a) return "'\\n'";
  if (code === 0x0d) return "'\\r'";
  if (code === 0x09) return "'\\t'";
  if (code >= 0x20 && code < 0x7f) return `'${String.fromCharCode(code)}'`;
  if (code > 0x10ffff) return `'\\u{${code.toString(16)}}' (invalid)`;
  if (code < 0x20 || code === 0x7f) return `'\\u{${code.toString(16)}}'`;
  return `'${String.fromCodePoint(code)}'`;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Recognised Rust shapes, by type name and members. */
function sliceParts(t: RustType): { ptr: Field; len: Field } | undefined {
  if (t.kind !== 'struct') return undefined;
  const f = t.fields;
  const ptr = f.find((x) => x.name === 'data_ptr');
  const len = f.find((x) => x.name === 'length');
  return ptr && len && f.length === 2 ? { ptr, len } : undefined;
}

function dynParts(t: RustType): { pointer: Field; vtable: Field } | undefined {
  if (t.kind !== 'struct') return undefined;
  const f = t.fields;
  const pointer = f.find((x) => x.name === 'pointer');
  const vtable = f.find((x) => x.name === 'vtable');
  return pointer && vtable && f.length === 2 ? { pointer, vtable } : undefined;
}

const CELL_NAMES = new Set([
  'Cell',
  'UnsafeCell',
  'TakeCell',
  'OptionalCell',
  'MapCell',
  'StaticCell',
]);

/** For the cells shown as what they hold: the member path to the held value. */
function cellInner(t: RustType): { field: Field; busy?: Field; label: string } | undefined {
  if (t.kind !== 'struct') return undefined;
  const label = baseTypeName(t.name);
  if (!CELL_NAMES.has(label)) return undefined;
  const f = t.fields;
  if (label === 'MapCell') {
    const val = f.find((x) => x.name === 'val');
    const busy = f.find((x) => x.name === 'busy');
    return val ? { field: val, ...(busy ? { busy } : {}), label } : undefined;
  }
  const inner = f.find((x) => x.name === 'val' || x.name === 'value' || x.name === 'inner');
  return inner && f.length === 1 ? { field: inner, label } : undefined;
}

function fieldValue(parent: TypedValue, f: Field): TypedValue {
  return { name: f.name, type: f.type, storage: subStorage(parent.storage, f.offset, f.type.size) };
}

async function bitFieldValue(env: ValueEnv, parent: TypedValue, f: Field): Promise<TypedValue> {
  const bitOffset = f.bitOffset ?? f.offset * 8;
  const bitSize = f.bitSize ?? 1;
  const first = Math.floor(bitOffset / 8);
  const last = Math.floor((bitOffset + bitSize - 1) / 8);
  const b = await readStorage(env, parent.storage, first, last - first + 1);
  if (!b.ok)
    return { name: f.name, type: f.type, storage: { kind: 'unavailable', reason: b.error } };
  const v = (leUnsigned(b.value) >> BigInt(bitOffset - first * 8)) & ((1n << BigInt(bitSize)) - 1n);
  const out = new Uint8Array(Math.max(f.type.size, 1));
  let x = v;
  for (let i = 0; i < out.length; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return { name: f.name, type: f.type, storage: { kind: 'bytes', bytes: out } };
}

/** The members of a struct or union value (bit fields extracted). */
export async function members(env: ValueEnv, v: TypedValue): Promise<TypedValue[]> {
  const t = v.type;
  if (t.kind !== 'struct' && t.kind !== 'union') return [];
  const out: TypedValue[] = [];
  for (const f of t.fields)
    out.push(f.bitSize !== undefined ? await bitFieldValue(env, v, f) : fieldValue(v, f));
  return out;
}

/** Dereference a pointer value: the pointee as a value in memory. */
export async function deref(
  env: ValueEnv,
  v: TypedValue,
  as?: RustType,
): Promise<Result<TypedValue>> {
  if (v.type.kind !== 'pointer') return err(`${v.type.name} is not a pointer`);
  const target = as ?? v.type.pointee;
  if (!target) return err(`${v.type.name} points to a type without debug information`);
  const a = await readInteger(env, v);
  if (!a.ok) return a;
  if (a.value === 0n) return err('null pointer');
  return ok({
    name: `*${v.name}`,
    type: target,
    storage: { kind: 'memory', address: Number(a.value) },
  });
}

function storageAddress(s: Storage): number | undefined {
  return s.kind === 'memory' ? s.address : undefined;
}

function node(
  v: TypedValue,
  text: string,
  children?: () => Promise<ValueNode[]>,
  extra: Partial<ValueNode> = {},
): ValueNode {
  const n: ValueNode = {
    name: v.name,
    typeName: v.type.name,
    text,
    expandable: children !== undefined,
    children: children ?? (async () => []),
    value: v,
    ...extra,
  };
  const a = storageAddress(v.storage);
  if (a !== undefined && n.address === undefined) n.address = a;
  return n;
}

async function readString(env: ValueEnv, address: number, length: number): Promise<string> {
  const max = env.maxString ?? 200;
  const n = Math.min(length, max);
  const b = await env.mem(address, n);
  if (!b.ok) return `<cannot read ${length} bytes at ${hex(address)}: ${b.error}>`;
  const s = new TextDecoder('utf-8', { fatal: false }).decode(b.value);
  return length > max ? `${quote(s)}...` : quote(s);
}

/** Renders a value as a tree node; see the module header. `depth` bounds nested summaries. */
export async function renderValue(env: ValueEnv, v: TypedValue, depth = 0): Promise<ValueNode> {
  const s = v.storage;
  if (s.kind === 'optimizedOut')
    return node(v, '<optimized out>', undefined, { optimizedOut: true });
  if (s.kind === 'unavailable')
    return node(v, `<unavailable: ${s.reason}>`, undefined, { error: s.reason });
  const t = v.type;
  const fail = (e: string): ValueNode => node(v, `<error: ${e}>`, undefined, { error: e });
  switch (t.kind) {
    case 'base': {
      if (t.size === 0) return node(v, '()');
      const b = await readStorage(env, s, 0, t.size);
      if (!b.ok) return fail(b.error);
      return node(v, baseText(t.encoding, b.value, t.name));
    }
    case 'cenum': {
      const n = await readInteger(env, v);
      if (!n.ok) return fail(n.error);
      const e = t.enumerators.find((x) => x.value === n.value);
      return node(v, e ? e.name : `${baseTypeName(t.name)}(${n.value})`);
    }
    case 'pointer': {
      const a = await readInteger(env, v);
      if (!a.ok) return fail(a.error);
      const addr = Number(a.value);
      const sym = env.symbolAt?.(addr);
      const text = `${hex(addr)}${sym ? ` <${sym}>` : ''}`;
      const pointee = t.pointee;
      if (addr === 0 || !pointee || pointee.kind === 'function' || pointee.size === 0)
        return node(v, text);
      return node(v, text, async () => {
        const d = await deref(env, v);
        return d.ok ? [await renderValue(env, { ...d.value, name: `*${v.name}` })] : [];
      });
    }
    case 'array':
      return renderArray(env, v, t.element, t.count, t.stride, s, depth);
    case 'enum':
      return renderEnum(env, v, t, depth);
    case 'struct':
    case 'union':
      return renderStruct(env, v, depth);
    case 'function':
      return node(v, t.name);
    default:
      return node(v, `<${t.name}>`);
  }
}

function baseText(encoding: number, b: Uint8Array, name: string): string {
  const n = leUnsigned(b);
  switch (encoding) {
    case DW_ATE.boolean:
      return n === 0n ? 'false' : n === 1n ? 'true' : `true (${n})`;
    case DW_ATE.float:
      return b.length === 4 || b.length === 8 ? String(float(b)) : `<float of ${b.length} bytes>`;
    case DW_ATE.signed:
    case DW_ATE.signed_char:
      return BigInt.asIntN(b.length * 8, n).toString();
    case DW_ATE.UTF:
      return charText(Number(n));
    case DW_ATE.unsigned_char:
      return name === 'char' ? charText(Number(n)) : n.toString();
    default:
      return n.toString();
  }
}

async function renderArray(
  env: ValueEnv,
  v: TypedValue,
  element: RustType,
  count: number,
  stride: number,
  s: Storage,
  depth: number,
): Promise<ValueNode> {
  const max = env.maxElements ?? 100;
  const elements = (from: number, to: number): TypedValue[] => {
    const out: TypedValue[] = [];
    for (let i = from; i < to; i++)
      out.push({ name: `[${i}]`, type: element, storage: subStorage(s, i * stride, element.size) });
    return out;
  };
  let text: string;
  if (
    element.kind === 'base' &&
    element.size === 1 &&
    /^(u8|i8)$/.test(element.name) &&
    count > 0
  ) {
    const b = await readStorage(env, s, 0, Math.min(count, 32));
    text = b.ok
      ? `[${[...b.value].map((x) => (element.name === 'i8' ? (x << 24) >> 24 : x)).join(', ')}${count > 32 ? ', ..' : ''}]`
      : `<error: ${b.error}>`;
  } else if (depth >= 2 || count === 0) {
    text = count === 0 ? '[]' : `[..; ${count}]`;
  } else {
    const shown = elements(0, Math.min(count, 8));
    const parts = await Promise.all(shown.map((e) => renderValue(env, e, depth + 1)));
    text = `[${parts.map((p) => p.text).join(', ')}${count > 8 ? ', ..' : ''}]`;
  }
  return node(
    v,
    text,
    count > 0
      ? async () => Promise.all(elements(0, Math.min(count, max)).map((e) => renderValue(env, e)))
      : undefined,
  );
}

async function renderEnum(
  env: ValueEnv,
  v: TypedValue,
  t: EnumType,
  depth: number,
): Promise<ValueNode> {
  const active = await activeVariant(env, t, v.storage);
  if (!active.ok) return node(v, `<error: ${active.error}>`, undefined, { error: active.error });
  const variant = active.value;
  if (!variant) return node(v, `<invalid ${baseTypeName(t.name)} discriminant>`);
  const payload: TypedValue = {
    name: variant.name,
    type: variant.field.type,
    storage: subStorage(v.storage, variant.field.offset, variant.field.type.size),
  };
  const fields = (await members(env, payload)).filter(
    (f) => f.type.size > 0 || f.name.startsWith('__'),
  );
  if (fields.length === 0) return node(v, variant.name);
  const tuple = fields.every((f, i) => f.name === `__${i}`);
  const rendered =
    depth >= 3 ? [] : await Promise.all(fields.map((f) => renderValue(env, f, depth + 1)));
  const inner =
    depth >= 3
      ? '..'
      : tuple
        ? rendered.map((r) => r.text).join(', ')
        : rendered.map((r) => `${r.name}: ${r.text}`).join(', ');
  const text = tuple ? `${variant.name}(${inner})` : `${variant.name} { ${inner} }`;
  return node(v, text, async () => Promise.all(fields.map(async (f) => renderValue(env, f))));
}

async function renderStruct(env: ValueEnv, v: TypedValue, depth: number): Promise<ValueNode> {
  const t = v.type;
  if (t.kind !== 'struct' && t.kind !== 'union') return node(v, `<${t.name}>`);
  // &str and &[T]: the bytes or elements the fat pointer designates.
  const slice = sliceParts(t);
  if (slice) {
    const [p, l] = await Promise.all([
      readInteger(env, fieldValue(v, slice.ptr)),
      readInteger(env, fieldValue(v, slice.len)),
    ]);
    if (!p.ok) return node(v, `<error: ${p.error}>`, undefined, { error: p.error });
    if (!l.ok) return node(v, `<error: ${l.error}>`, undefined, { error: l.error });
    const addr = Number(p.value);
    const len = Number(l.value);
    if (t.name === '&str' || t.name === '&mut str')
      return node(v, await readString(env, addr, len));
    const ptrType = slice.ptr.type;
    const elem = ptrType.kind === 'pointer' ? ptrType.pointee : undefined;
    if (!elem) return node(v, `${t.name} (len ${len}) @ ${hex(addr)}`);
    const arr = await renderArray(
      env,
      v,
      elem,
      len,
      elem.size,
      { kind: 'memory', address: addr },
      depth,
    );
    return { ...arr, text: `${arr.text}`, address: addr, typeName: t.name };
  }
  // &dyn Trait: render what the data pointer points to, as the vtable's concrete type.
  const dyn = dynParts(t);
  if (dyn) {
    const [p, vt] = await Promise.all([
      readInteger(env, fieldValue(v, dyn.pointer)),
      readInteger(env, fieldValue(v, dyn.vtable)),
    ]);
    if (!p.ok || !vt.ok) {
      const e = !p.ok ? p.error : !vt.ok ? vt.error : '';
      return node(v, `<error: ${e}>`, undefined, { error: e });
    }
    const concrete = env.vtableType?.(Number(vt.value));
    const label = concrete ? concrete.name : (env.symbolAt?.(Number(vt.value)) ?? 'unknown type');
    const text = `${hex(p.value)} (${label})`;
    if (!concrete || p.value === 0n) return node(v, text);
    return node(v, text, async () => [
      await renderValue(env, {
        name: `*${v.name}`,
        type: concrete,
        storage: { kind: 'memory', address: Number(p.value) },
      }),
    ]);
  }
  const cell = cellInner(t);
  if (cell) {
    const inner = await renderValue(env, { ...fieldValue(v, cell.field), name: v.name }, depth);
    let busy = '';
    if (cell.busy) {
      const b = await readInteger(env, fieldValue(v, cell.busy));
      if (b.ok && b.value !== 0n) busy = ' (busy)';
    }
    const text =
      cell.label === 'Cell' || cell.label === 'UnsafeCell'
        ? inner.text
        : `${cell.label}(${inner.text})${busy}`;
    return { ...inner, name: v.name, typeName: t.name, text, value: v };
  }
  const fields = await members(env, v);
  const tuple = t.kind === 'struct' && t.isTuple;
  const short = baseTypeName(t.name);
  if (fields.length === 0) return node(v, short);
  let inner = '..';
  if (depth < 2) {
    const parts: string[] = [];
    for (const f of fields.slice(0, 6)) {
      const r = await renderValue(env, f, depth + 1);
      parts.push(tuple ? r.text : `${f.name}: ${r.text}`);
    }
    inner = parts.join(', ') + (fields.length > 6 ? ', ..' : '');
  }
  const text = tuple
    ? t.name.startsWith('(')
      ? `(${inner})`
      : `${short}(${inner})`
    : `${short} { ${inner} }`;
  return node(v, text, async () => Promise.all(fields.map((f) => renderValue(env, f))));
}

/**
 * The plain structure of a value for comparison with other debuggers: scalars as numbers
 * (pointers as addresses), structs and enums as objects keyed by member name (an enum by its
 * active variant only), arrays as lists (at most `maxElements`), "<optimized out>" and
 * "<unavailable>" markers. No cell, slice or trait-object interpretation.
 */
export type Structural =
  number | string | boolean | null | Structural[] | { [name: string]: Structural };

export interface StructuralOptions {
  /**
   * 'active' (default): an enum shows its active variant. 'allOutsideMemory': an enum whose
   * bytes are not in memory (registers, pieces) shows every variant's payload read from the
   * same bytes, which is how GDB 13's Python API presents such values (for comparisons).
   */
  enums?: 'active' | 'allOutsideMemory';
  /**
   * A value any byte of which is optimized out is reported as optimized out as a whole (what
   * GDB's Python API, Value.is_optimized_out, does), instead of showing the parts that exist.
   */
  partialAsOptimizedOut?: boolean;
}

export async function structuralValue(
  env: ValueEnv,
  v: TypedValue,
  depth = 4,
  maxElements = 16,
  options: StructuralOptions = {},
): Promise<Structural> {
  const s = v.storage;
  if (s.kind === 'optimizedOut') return '<optimized out>';
  if (s.kind === 'unavailable') return '<unavailable>';
  const t = v.type;
  if (options.partialAsOptimizedOut && s.kind === 'bytes' && s.valid) {
    const n = Math.min(t.size, s.valid.length);
    for (let i = 0; i < n; i++) if (s.valid[i] === 0) return '<optimized out>';
  }
  switch (t.kind) {
    case 'base': {
      // A zero-sized value (the unit type) reads as 0, as a 0-byte integer would.
      if (t.size === 0) return 0;
      const b = await readStorage(env, s, 0, t.size);
      if (!b.ok) return b.error === 'optimized out' ? '<optimized out>' : '<unavailable>';
      if (t.encoding === DW_ATE.float) return float(b.value);
      if (t.encoding === DW_ATE.boolean) return b.value[0] !== 0;
      const n = await readInteger(env, v);
      return n.ok ? Number(n.value) : '<unavailable>';
    }
    case 'pointer':
    case 'cenum': {
      const n = await readInteger(env, v);
      return n.ok ? Number(n.value) : '<unavailable>';
    }
    case 'array': {
      if (depth <= 0) return '...';
      const out: Structural[] = [];
      for (let i = 0; i < Math.min(t.count, maxElements); i++)
        out.push(
          await structuralValue(
            env,
            { name: '', type: t.element, storage: subStorage(s, i * t.stride, t.element.size) },
            depth - 1,
            maxElements,
            options,
          ),
        );
      return out;
    }
    case 'enum': {
      if (depth <= 0) return '...';
      if (options.enums === 'allOutsideMemory' && s.kind !== 'memory') {
        const all: { [name: string]: Structural } = {};
        for (const variant of t.variants) {
          const f = variant.field;
          all[variant.name] = await structuralValue(
            env,
            { name: f.name, type: f.type, storage: subStorage(s, f.offset, f.type.size) },
            depth - 1,
            maxElements,
            options,
          );
        }
        return all;
      }
      const a = await activeVariant(env, t, s);
      if (!a.ok) return '<unavailable>';
      if (!a.value) return '<invalid>';
      const f = a.value.field;
      return {
        [a.value.name]: await structuralValue(
          env,
          { name: f.name, type: f.type, storage: subStorage(s, f.offset, f.type.size) },
          depth - 1,
          maxElements,
          options,
        ),
      };
    }
    case 'struct':
    case 'union': {
      if (depth <= 0) return '...';
      const out: { [name: string]: Structural } = {};
      const ms = await members(env, v);
      for (const [i, f] of t.fields.entries()) {
        if (f.artificial || !f.name) continue;
        out[f.name] = await structuralValue(env, ms[i]!, depth - 1, maxElements, options);
      }
      return out;
    }
    default:
      return null;
  }
}
