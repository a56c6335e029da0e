/**
 * The kernel's cells, found by walking the DWARF types from the debug anchor: every `TakeCell`,
 * `MapCell` and `OptionalCell` reachable from `CAPSULE_DEBUG_ANCHOR` (the kernel, its process
 * table and the board's `Platform`, whose concrete type the vtable's DWARF names), with its
 * occupancy and the type it holds. No list of cells is written anywhere: a capsule that adds a
 * cell field shows up because its struct's DWARF says so.
 *
 * The walk reads memory through a `ReadMemory` (a DebugTarget's side-effect-free reads, cached
 * for one stop) and follows references (`&T`, `&dyn Trait` through the vtable's containing type,
 * slices `&[T]`), `Option`s by their active variant, `Cell`/`UnsafeCell` wrappers, arrays and
 * struct fields. Each object is visited once (by address and type), with a depth and a node
 * budget, so a corrupted pointer graph ends the walk with a note instead of looping.
 *
 * Occupancy, from the cells crate (kernel/cells/src/lib.rs): a `TakeCell` holds
 * `Cell<Option<&mut T>>`: Some is "present", None is "empty" ("taken" once this model saw it
 * present before: `CellsModel` remembers); a `MapCell` is "busy" while its `busy` flag is set
 * (its value lent to a closure), else present or empty; an `OptionalCell` is present or empty.
 *
 * @example
 *   const model = CellsModel.fromDebugInfo(kernelInfo);
 *   if (model.ok) {
 *     const cells = await model.value.read(cachedMemory((a, n) => target.readMemory(a, n)));
 *     // [{ path: 'platform.console.buffer', capsule: 'capsules::console', kind: 'TakeCell',
 *     //    occupancy: 'present', held: { ptr: 0x20001234, length: 128 }, ... }, ...]
 *   }
 */
import { err, ok, type Result } from '../../core/result';
import {
  activeVariant,
  cachedMemory,
  memoryFromSegments,
  type DebugInfo,
  type ReadMemory,
  type RustType,
} from '../../formats/dwarf/index';

/** The anchor's symbol (kernel/kernel/src/anchor.rs; `#[no_mangle]`). */
export const ANCHOR_SYMBOL = 'CAPSULE_DEBUG_ANCHOR';
/** The anchor format this reader knows (`abi::anchor::VERSION`). */
export const ANCHOR_VERSION = 1;

export type CellKind = 'TakeCell' | 'MapCell' | 'OptionalCell';
export type Occupancy = 'present' | 'empty' | 'taken' | 'busy';

export interface CellRecord {
  /** Field path from the anchor, e.g. `platform.console.buffer`. */
  path: string;
  /** Address of the cell. */
  address: number;
  kind: CellKind;
  /** The struct that declares the cell field, e.g. `capsules::console::Console`. */
  owner: string;
  /** The owner's module: the capsule (or chip driver, or kernel part) it groups under. */
  capsule: string;
  /** The field's name in its owner. */
  field: string;
  /** The type the cell holds (`&mut [u8]`). */
  heldType: string;
  occupancy: Occupancy;
  /** What a present reference holds: its address, and the length of a slice. */
  held: { ptr: number; length: number | null } | null;
}

export interface CellsReport {
  cells: CellRecord[];
  /** What stopped or limited the walk (a pointer that could not be read, the budget). */
  notes: string[];
  /** The anchor's version (null: no anchor; the views say so). */
  anchorVersion: number | null;
}

const MAX_DEPTH = 24;
const MAX_NODES = 20000;
const MAX_ELEMENTS = 64;
/**
 * Ranges read together as one span when at most this many bytes apart (the cells of a stop or
 * a live refresh: one read per cluster of the kernel's statics instead of one per cell or per
 * 64-byte line), up to `SPAN_MAX` bytes a span.
 */
const SPAN_GAP = 256;
const SPAN_MAX = 4096;

/** A range of target memory and the bytes the last walk read there. */
interface Word {
  address: number;
  bytes: Uint8Array;
}

/**
 * Reads `ranges` merged into spans (sorted; neighbours `SPAN_GAP` apart or closer share one read,
 * all reads asked for at once), as a memory over just those bytes. Null when a span cannot be
 * read (the caller reads the slow way, which names what failed).
 */
async function readSpans(
  mem: ReadMemory,
  ranges: readonly { address: number; length: number }[],
): Promise<ReadMemory | null> {
  const sorted = ranges.filter((r) => r.length > 0).sort((a, b) => a.address - b.address);
  const spans: { address: number; end: number }[] = [];
  for (const r of sorted) {
    const last = spans[spans.length - 1];
    const end = r.address + r.length;
    if (last && r.address <= last.end + SPAN_GAP && end - last.address <= SPAN_MAX)
      last.end = Math.max(last.end, end);
    else spans.push({ address: r.address, end });
  }
  const read = await Promise.all(spans.map((s) => mem(s.address, s.end - s.address)));
  const segments: { address: number; data: Uint8Array }[] = [];
  for (let i = 0; i < spans.length; i++) {
    const r = read[i]!;
    if (!r.ok || r.value.length !== spans[i]!.end - spans[i]!.address) return null;
    segments.push({ address: spans[i]!.address, data: r.value });
  }
  return memoryFromSegments(segments);
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

const CELL_PREFIX: [string, CellKind][] = [
  ['cells::TakeCell<', 'TakeCell'],
  ['cells::MapCell<', 'MapCell'],
  ['cells::OptionalCell<', 'OptionalCell'],
];

const u32 = (b: Uint8Array, off: number): number =>
  (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;

/** The module of a type name, without generics: `capsules::console::Console<'a>` -> `capsules::console`. */
export function moduleOf(typeName: string): string {
  const base = typeName.split('<')[0]!;
  const i = base.lastIndexOf('::');
  return i < 0 ? base : base.slice(0, i);
}

function cellKind(t: RustType): CellKind | null {
  if (t.kind !== 'struct') return null;
  for (const [p, k] of CELL_PREFIX) if (t.name.startsWith(p)) return k;
  return null;
}

/** Digs `Cell<T>` / `UnsafeCell<T>` wrappers: the offset and type of what they hold. */
function unwrapCells(t: RustType): { offset: number; type: RustType } {
  let offset = 0;
  let cur = t;
  while (
    cur.kind === 'struct' &&
    /^core::cell::(Cell|UnsafeCell)</.test(cur.name) &&
    cur.fields.length === 1
  ) {
    offset += cur.fields[0]!.offset;
    cur = cur.fields[0]!.type;
  }
  return { offset, type: cur };
}

interface Visit {
  address: number;
  type: RustType;
  path: string;
  depth: number;
  /** The struct whose field this is (for cells: their owner). */
  owner: string;
  field: string;
}

export class CellsModel {
  /** Cells seen present at a read, by address: an empty one among them reads "taken". */
  private seenPresent = new Set<number>();
  /** What each cell held when last seen present, by cell address. */
  private lastHeld = new Map<number, CellRecord>();

  private version: number | null = null;
  /** The cells the last full walk found (`refresh` re-reads just these). */
  private found: { kind: CellKind; visit: Visit }[] = [];
  /**
   * What the last full walk's course depended on: every word it followed (a reference, a slice's
   * header, a `dyn`'s vtable, an enum's variant, a cell whose content leads to more cells) and
   * the anchor's version, with the bytes it read there; its notes. Null: no complete walk.
   * While these words read the same, a new walk would visit the same objects (`atStop`).
   */
  private course: { words: Word[]; notes: string[] } | null = null;
  /** Whether a value of a type can hold or lead to a cell (`reaches`), by type. */
  private reach = new Map<RustType, boolean>();

  private constructor(
    private readonly info: DebugInfo,
    private readonly anchorAddress: number,
    private readonly anchorType: RustType,
  ) {}

  /** Finds the anchor; the error says what the kernel lacks. */
  static fromDebugInfo(info: DebugInfo): Result<CellsModel> {
    const found = info.findStatic(ANCHOR_SYMBOL)[0];
    if (!found)
      return err(
        `${info.name} has no ${ANCHOR_SYMBOL} in its debug information: a kernel built before the debug anchor, or without debug info`,
      );
    return ok(new CellsModel(info, found.address, found.type));
  }

  async read(mem: ReadMemory): Promise<Result<CellsReport>> {
    const notes: string[] = [];
    const cells: CellRecord[] = [];
    const words: Word[] = [];
    this.course = null;
    const version = await this.anchorVersion(mem, words);
    this.version = version;
    if (version === null)
      return err(`cannot read ${ANCHOR_SYMBOL} at 0x${hex(this.anchorAddress)}`);
    if (version !== ANCHOR_VERSION)
      notes.push(
        `the kernel's debug anchor is version ${version}; this reader knows ${ANCHOR_VERSION}: fields are still read by name`,
      );
    const seen = new Set<string>();
    const queue: Visit[] = [
      {
        address: this.anchorAddress,
        type: this.anchorType,
        path: '',
        depth: 0,
        owner: this.anchorType.name,
        field: '',
      },
    ];
    let nodes = 0;
    this.found = [];
    while (queue.length > 0) {
      const v = queue.shift()!;
      if (++nodes > MAX_NODES) {
        notes.push(`stopped after ${MAX_NODES} objects`);
        break;
      }
      await this.visit(v, mem, queue, cells, notes, seen, words);
    }
    this.course = { words, notes: [...notes] };
    this.remember(cells);
    return ok({ cells, notes, anchorVersion: version });
  }

  /**
   * The cells at a stop, as a full `read` would find them: when every word the last walk's
   * course depended on reads the same (one read per span of those words and the cells', all
   * asked for at once), the same objects would be visited, so only the cells are decoded again
   * from the bytes in hand; otherwise (a process restarted, a reference that changed, a walk
   * that left notes) a full walk. `mem` is the target's own reader (spans of up to 4 KiB).
   */
  async atStop(mem: ReadMemory): Promise<Result<CellsReport>> {
    const course = this.course;
    if (!course || course.notes.length > 0 || this.found.length === 0)
      return this.read(cachedMemory(mem));
    const spans = await readSpans(mem, [
      ...course.words.map((w) => ({ address: w.address, length: w.bytes.length })),
      ...this.found.map(({ visit }) => ({ address: visit.address, length: visit.type.size })),
    ]);
    if (!spans) return this.read(cachedMemory(mem));
    for (const w of course.words) {
      const now = await spans(w.address, w.bytes.length);
      if (!now.ok || !sameBytes(now.value, w.bytes)) return this.read(cachedMemory(mem));
    }
    return this.decodeFound(spans, []);
  }

  /**
   * Re-reads only the cells the last `read` found (a few words each, no walk): what a live view
   * refreshing ten times a second uses. A new cell (a process restarted, a pointer that changed)
   * shows up at the next full `read`; without one first, this is one.
   */
  async refresh(mem: ReadMemory): Promise<Result<CellsReport>> {
    if (this.found.length === 0) return this.read(cachedMemory(mem));
    // The cells' bytes in one read per span of neighbouring cells, all asked for at once: over
    // a running worker each read is a call (and a reply) in the trip, and the kernel's cells lie
    // in a few clusters of its statics.
    const spans = await readSpans(
      mem,
      this.found.map(({ visit }) => ({ address: visit.address, length: visit.type.size })),
    );
    if (spans) return this.decodeFound(spans, []);
    // A span that could not be read: each cell on its own, so the failing one is named.
    return this.decodeFound(cachedMemory(mem), []);
  }

  /** The cells the last walk found, decoded from `mem` (remembered as a reading). */
  private async decodeFound(mem: ReadMemory, notes: string[]): Promise<Result<CellsReport>> {
    const cells: CellRecord[] = [];
    for (const { kind, visit } of this.found) {
      const rec = await this.cell(kind, visit, mem);
      if (rec.ok) cells.push(rec.value.record);
      else notes.push(`${visit.path}: ${rec.error}`);
    }
    this.remember(cells);
    return ok({ cells, notes, anchorVersion: this.version });
  }

  /**
   * The occupancy the cell at `address` (found by the last walk) has when its bytes are `bytes`
   * (the occupancy history decodes its copies with this; null: not a cell of the last walk, or
   * the bytes do not decode). 'present', 'empty' or 'busy' (no 'taken': that is history).
   */
  async occupancyOf(
    address: number,
    bytes: Uint8Array,
  ): Promise<'present' | 'empty' | 'busy' | null> {
    const f = this.found.find((x) => x.visit.address === address);
    if (!f) return null;
    const r = await this.cell(f.kind, f.visit, memoryFromSegments([{ address, data: bytes }]));
    if (!r.ok) return null;
    const o = r.value.record.occupancy;
    return o === 'taken' ? 'empty' : o;
  }

  /** Size in bytes of the cell at `address` as the last walk found it (its watched words). */
  cellSize(address: number): number | null {
    return this.found.find((f) => f.visit.address === address)?.visit.type.size ?? null;
  }

  /**
   * The bytes of the cell at `address` (found by the last walk) that its occupancy is read
   * from: the Option's discriminant (the whole Option when it has none, a niche-less single
   * variant) and, for a MapCell, its `busy` flag. Null: not a cell of the last walk. The
   * occupancy history watches just these, not the payload's words too: a store to what a
   * cell holds (a MapCell's value, a slice's length) cannot change its occupancy.
   */
  occupancySpans(address: number): { address: number; length: number }[] | null {
    const f = this.found.find((x) => x.visit.address === address);
    if (!f) return null;
    const t = f.visit.type;
    if (t.kind !== 'struct') return null;
    const valField = t.fields.find((x) => x.name === 'val');
    if (!valField) return null;
    const { offset, type: opt } = unwrapCells(valField.type);
    if (opt.kind !== 'enum') return null;
    const at = address + valField.offset + offset;
    const d = opt.discriminant;
    const spans = [
      d ? { address: at + d.offset, length: d.type.size } : { address: at, length: opt.size },
    ];
    if (f.kind === 'MapCell') {
      const busy = t.fields.find((x) => x.name === 'busy');
      if (busy)
        spans.push({ address: address + busy.offset + unwrapCells(busy.type).offset, length: 1 });
    }
    return spans.filter((x) => x.length > 0);
  }

  private remember(cells: CellRecord[]): void {
    for (const c of cells) {
      if (c.occupancy === 'present') {
        this.seenPresent.add(c.address);
        if (c.held) this.lastHeld.set(c.address, c);
      } else if (c.occupancy === 'empty' && this.seenPresent.has(c.address)) c.occupancy = 'taken';
    }
  }

  /** Cells that held a buffer containing `ptr` at an earlier read and are empty now. */
  formerHolders(ptr: number, now: readonly CellRecord[]): CellRecord[] {
    const current = new Map(now.map((c) => [c.address, c]));
    const out: CellRecord[] = [];
    for (const [address, c] of this.lastHeld) {
      const held = c.held!;
      if (ptr < held.ptr || ptr >= held.ptr + Math.max(held.length ?? 1, 1)) continue;
      const cur = current.get(address);
      if (cur && cur.occupancy !== 'present') out.push(cur);
    }
    return out;
  }

  private async anchorVersion(mem: ReadMemory, words: Word[]): Promise<number | null> {
    const t = this.anchorType;
    if (t.kind !== 'struct') return null;
    const f = t.fields.find((x) => x.name === 'version');
    if (!f) return 0;
    const b = await mem(this.anchorAddress + f.offset, 4);
    if (!b.ok) return null;
    words.push({ address: this.anchorAddress + f.offset, bytes: b.value });
    return u32(b.value, 0);
  }

  /**
   * Whether a value of type `t` can hold a cell or lead to one (through fields, references,
   * slices, arrays, enum variants; a `dyn` always may: its concrete type is known only from
   * memory). The walk skips what cannot (a `&mut [u8]` a cell holds, a register block), and so
   * reads nothing there. Worked out once per type from the DWARF: a depth-first search from
   * `t`; a type found to reach a cell is remembered at once, the types a search found none
   * through only when the whole search found none (a cycle cut short leaves them unknown).
   */
  private reaches(t: RustType): boolean {
    const known = this.reach.get(t);
    if (known !== undefined) return known;
    const visited = new Set<RustType>();
    const none: RustType[] = [];
    const next = (x: RustType): RustType[] | true => {
      if (x.size <= 0) return [];
      if (cellKind(x)) return true;
      switch (x.kind) {
        case 'struct': {
          if (isFatDyn(x)) return true;
          if (isSlice(x)) {
            const el = sliceElement(x);
            return el && el.kind === 'struct' && el.size > 0 ? [el] : [];
          }
          return x.fields.map((f) => f.type);
        }
        case 'pointer': {
          const p = x.pointee;
          return x.flavor === 'ref' &&
            p &&
            (p.kind === 'struct' || p.kind === 'enum' || p.kind === 'array')
            ? [p]
            : [];
        }
        case 'enum':
          return x.variants.flatMap((v) =>
            v.field.type.kind === 'struct' ? v.field.type.fields.map((g) => g.type) : [],
          );
        case 'array':
          return x.element.kind === 'struct' || x.element.kind === 'enum' ? [x.element] : [];
        default:
          return [];
      }
    };
    const go = (x: RustType): boolean => {
      const k = this.reach.get(x);
      if (k !== undefined) return k;
      if (visited.has(x)) return false;
      visited.add(x);
      const n = next(x);
      const r = n === true || n.some(go);
      if (r) this.reach.set(x, true);
      else none.push(x);
      return r;
    };
    const r = go(t);
    if (!r) for (const x of none) this.reach.set(x, false);
    return r;
  }

  private async visit(
    v: Visit,
    mem: ReadMemory,
    queue: Visit[],
    cells: CellRecord[],
    notes: string[],
    seen: Set<string>,
    words: Word[],
  ): Promise<void> {
    const t = v.type;
    if (v.depth > MAX_DEPTH || t.size <= 0 || !this.reaches(t)) return;
    const key = `${v.address}:${t.name}`;
    if (seen.has(key)) return;
    seen.add(key);
    const child = (address: number, type: RustType, name: string, owner = v.owner): Visit => ({
      address,
      type,
      path: v.path ? `${v.path}.${name}` : name,
      depth: v.depth + 1,
      owner,
      field: name,
    });

    const kind = cellKind(t);
    if (kind) {
      const rec = await this.cell(kind, v, mem);
      if (!rec.ok) {
        notes.push(`${v.path}: ${rec.error}`);
        return;
      }
      cells.push(rec.value.record);
      this.found.push({ kind, visit: v });
      const inner = rec.value.inner;
      if (inner && this.reaches(inner.type)) {
        // What the cell holds leads on: the walk's course depends on the cell's bytes.
        const b = await mem(v.address, t.size);
        if (b.ok) words.push({ address: v.address, bytes: b.value });
        queue.push({ ...child(inner.address, inner.type, ''), path: v.path });
      }
      return;
    }
    switch (t.kind) {
      case 'struct': {
        if (isFatDyn(t)) {
          const b = await mem(v.address, 8);
          if (!b.ok) return;
          words.push({ address: v.address, bytes: b.value });
          const target = u32(b.value, 0);
          const concrete = this.info.vtableType(u32(b.value, 4));
          if (concrete && target !== 0)
            queue.push({ ...child(target, concrete, ''), path: v.path });
          return;
        }
        if (isSlice(t)) {
          const b = await mem(v.address, 8);
          const el = sliceElement(t);
          if (!b.ok || !el || el.kind !== 'struct' || el.size <= 0) return;
          words.push({ address: v.address, bytes: b.value });
          const n = Math.min(u32(b.value, 4), MAX_ELEMENTS);
          for (let i = 0; i < n; i++)
            queue.push({
              ...child(u32(b.value, 0) + i * el.size, el, `${i}`),
              path: `${v.path}[${i}]`,
            });
          return;
        }
        const owner = /^core::cell::/.test(t.name) ? v.owner : t.name;
        for (const f of t.fields) {
          const path = /^core::cell::/.test(t.name) ? v.path : undefined;
          const c = child(v.address + f.offset, f.type, f.name, owner);
          queue.push(path !== undefined ? { ...c, path, field: v.field } : c);
        }
        return;
      }
      case 'pointer': {
        if (t.flavor !== 'ref') return;
        const p = t.pointee;
        if (!p || (p.kind !== 'struct' && p.kind !== 'enum' && p.kind !== 'array')) return;
        const b = await mem(v.address, 4);
        if (!b.ok) return;
        words.push({ address: v.address, bytes: b.value });
        const target = u32(b.value, 0);
        if (target === 0) return;
        queue.push({ ...child(target, p, ''), path: v.path, field: v.field });
        return;
      }
      case 'enum': {
        const b = await mem(v.address, t.size);
        if (!b.ok) {
          notes.push(`${v.path}: ${b.error}`);
          return;
        }
        words.push({ address: v.address, bytes: b.value });
        const variant = await activeVariant({ mem }, t, { kind: 'bytes', bytes: b.value });
        if (!variant.ok || !variant.value) return;
        const f = variant.value.field;
        const inner = f.type;
        if (inner.kind === 'struct')
          for (const g of inner.fields)
            queue.push({
              ...child(v.address + f.offset + g.offset, g.type, g.name),
              path: v.path,
              field: v.field,
            });
        return;
      }
      case 'array': {
        const el = t.element;
        if (el.kind !== 'struct' && el.kind !== 'enum') return;
        const n = Math.min(t.count, MAX_ELEMENTS);
        for (let i = 0; i < n; i++)
          queue.push({ ...child(v.address + i * t.stride, el, `${i}`), path: `${v.path}[${i}]` });
        return;
      }
      default:
        return;
    }
  }

  /** One cell's record, and what it holds when that is worth walking into. */
  private async cell(
    kind: CellKind,
    v: Visit,
    mem: ReadMemory,
  ): Promise<Result<{ record: CellRecord; inner: { address: number; type: RustType } | null }>> {
    const t = v.type as RustType & { kind: 'struct' };
    const valField = t.fields.find((f) => f.name === 'val');
    if (!valField) return err(`${t.name} has no field val`);
    const { offset, type: opt } = unwrapCells(valField.type);
    const at = v.address + valField.offset + offset;
    if (opt.kind !== 'enum') return err(`${t.name}.val is not an Option`);
    const bytes = await mem(at, opt.size);
    if (!bytes.ok) return err(bytes.error);
    const variant = await activeVariant({ mem }, opt, { kind: 'bytes', bytes: bytes.value });
    if (!variant.ok) return err(variant.error);
    const some = variant.value?.name === 'Some' ? variant.value : undefined;
    const someType = opt.variants.find((x) => x.name === 'Some')?.field.type;
    const payload =
      someType && someType.kind === 'struct'
        ? someType.fields.find((f) => f.name === '__0')
        : undefined;
    const heldType = payload?.type.name ?? '?';
    let occupancy: Occupancy = some ? 'present' : 'empty';
    if (kind === 'MapCell') {
      const busy = t.fields.find((f) => f.name === 'busy');
      if (busy) {
        const { offset: bo } = unwrapCells(busy.type);
        const b = await mem(v.address + busy.offset + bo, 1);
        if (b.ok && b.value[0]) occupancy = 'busy';
      }
    }
    let held: CellRecord['held'] = null;
    let inner: { address: number; type: RustType } | null = null;
    if (some && payload) {
      const pAt = at + some.field.offset + payload.offset;
      const pt = payload.type;
      if (pt.kind === 'pointer' || (pt.kind === 'struct' && (isSlice(pt) || isFatDyn(pt)))) {
        const b = await mem(pAt, Math.min(pt.size, 8));
        if (b.ok) {
          const ptr = u32(b.value, 0);
          held = { ptr, length: pt.kind === 'struct' && isSlice(pt) ? u32(b.value, 4) : null };
        }
      }
      inner = { address: pAt, type: pt };
    }
    return ok({
      record: {
        path: v.path,
        address: v.address,
        kind,
        owner: v.owner,
        capsule: moduleOf(v.owner),
        field: v.field,
        heldType,
        occupancy,
        held,
      },
      inner,
    });
  }
}

/** `&[T]` / `&mut [T]` as rustc describes them: a struct of `data_ptr` and `length`. */
function isSlice(t: RustType & { kind: 'struct' }): boolean {
  return t.fields.some((f) => f.name === 'data_ptr') && t.fields.some((f) => f.name === 'length');
}

function sliceElement(t: RustType & { kind: 'struct' }): RustType | undefined {
  const p = t.fields.find((f) => f.name === 'data_ptr')?.type;
  return p?.kind === 'pointer' ? p.pointee : undefined;
}

/** `&dyn Trait`: a struct of `pointer` and `vtable`. */
function isFatDyn(t: RustType & { kind: 'struct' }): boolean {
  return t.fields.some((f) => f.name === 'pointer') && t.fields.some((f) => f.name === 'vtable');
}

const hex = (n: number): string => (n >>> 0).toString(16);
