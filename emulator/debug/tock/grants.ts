/**
 * Which capsule holds each grant, and what a process's grant holds: the Grants panel's model.
 *
 * Why: the process struct records only a grant's number and where its memory sits in the
 * process's grant region. The number is what a capsule's `kernel::grant::Grant<T>` field holds
 * (the kernel hands them out in order from `Kernel::create_grant`), so the capsules reachable from
 * the board (`CAPSULE_DEBUG_ANCHOR.platform`, a `&dyn Platform` whose concrete type the vtable's
 * DWARF names) are walked for `Grant<T>` fields: each gives the number, the capsule that owns it
 * (the struct the field is in) and `T`, whose DWARF type gives the allocation's size and lets its
 * bytes be read field by field. Everything is found by type and field name, never by offset.
 *
 * The driver a capsule serves is the ABI table's entry (kernel/abi/abi.json) named like the
 * capsule's module (`capsules::console` -> "console"; `_` reads `-`): our capsules are named so.
 *
 * @example
 *   const owners = await grantOwners(info, mem);
 *   if (owners.ok) owners.value.owners.find((o) => o.number === 1)?.capsule; // 'capsules::console::Console'
 *   const fields = await grantContents(info, owner, 0x2000fff0, mem); // [{ name: 'pending', text: 'false', ... }]
 */
import { err, ok, type Result } from '../../core/result';
import {
  activeVariant,
  renderValue,
  type DebugInfo,
  type ReadMemory,
  type RustType,
} from '../../formats/dwarf/index';
import abi from '../../../kernel/abi/abi.json';
import { ANCHOR_SYMBOL, moduleOf } from './cells';

const GRANT_TYPE = 'kernel::grant::Grant<';
/** How far from the board a capsule's grant may sit, and how many objects a walk visits. */
const MAX_DEPTH = 12;
const MAX_NODES = 4000;
const DRIVERS = new Map(abi.drivers.map((d) => [d.name, d.number]));

export interface GrantOwner {
  /** The grant number (`Grant.number`), as the process struct's `grants` array indexes it. */
  number: number;
  /** The struct holding the `Grant<T>` field, e.g. `capsules::console::Console`. */
  capsule: string;
  /** Its field path from the board, e.g. `platform.console.apps`. */
  path: string;
  /** `T`'s name and its size in bytes (the allocation in each process's grant region). */
  typeName: string;
  size: number | null;
  /** The system-call driver number of the capsule (ABI table by module name), if it has one. */
  driver: number | null;
  /** `T`'s DWARF type (null when this kernel's debug information lacks it). */
  type: RustType | null;
}

export interface GrantField {
  name: string;
  typeName: string;
  text: string;
}

const u32 = (b: Uint8Array, at: number): number =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** The text between a generic type's outermost angle brackets: `Grant<a::B<c>>` -> `a::B<c>`. */
export function typeArgument(name: string): string | null {
  const open = name.indexOf('<');
  const close = name.lastIndexOf('>');
  return open < 0 || close <= open ? null : name.slice(open + 1, close).trim();
}

/** The ABI driver number of a capsule type, by its module's last segment. */
export function capsuleDriver(capsule: string): number | null {
  const m = moduleOf(capsule);
  const last = m.slice(m.lastIndexOf(':') + 1).replace(/_/g, '-');
  return DRIVERS.get(last) ?? null;
}

interface Visit {
  address: number;
  type: RustType;
  path: string;
  depth: number;
  /** The nearest enclosing struct that is not a cell or a Rust library wrapper. */
  owner: string;
}

const wrapper = (name: string): boolean => /^(core|alloc|cells)::/.test(name);

/** Every `Grant<T>` reachable from the board, by grant number; the error says what is missing. */
export async function grantOwners(
  info: DebugInfo,
  mem: ReadMemory,
): Promise<Result<{ owners: GrantOwner[]; notes: string[] }>> {
  const anchor = info.findStatic(ANCHOR_SYMBOL)[0];
  if (!anchor)
    return err(
      `${info.name} has no ${ANCHOR_SYMBOL}: which capsule holds each grant cannot be found`,
    );
  if (anchor.type.kind !== 'struct') return err(`${ANCHOR_SYMBOL} is not a struct`);
  const platform = anchor.type.fields.find((f) => f.name === 'platform');
  if (!platform)
    return err(`${ANCHOR_SYMBOL} has no field platform: the capsules cannot be reached`);
  const notes: string[] = [];
  const owners = new Map<number, GrantOwner>();
  const seen = new Set<string>();
  const queue: Visit[] = [
    {
      address: anchor.address + platform.offset,
      type: platform.type,
      path: 'platform',
      depth: 0,
      owner: anchor.type.name,
    },
  ];
  let nodes = 0;
  while (queue.length > 0) {
    const v = queue.shift()!;
    if (++nodes > MAX_NODES) {
      notes.push(`stopped looking for grants after ${MAX_NODES} objects`);
      break;
    }
    const t = v.type;
    if (v.depth > MAX_DEPTH || t.size <= 0) continue;
    const key = `${v.address}:${t.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const next = (address: number, type: RustType, name: string | null, owner = v.owner): void => {
      queue.push({
        address,
        type,
        path: name === null ? v.path : `${v.path}.${name}`,
        depth: v.depth + 1,
        owner,
      });
    };
    if (t.kind === 'struct' && t.name.startsWith(GRANT_TYPE)) {
      const number = t.fields.find((f) => f.name === 'number');
      if (!number) {
        notes.push(`${v.path}: ${t.name} has no field number`);
        continue;
      }
      const b = await mem(v.address + number.offset, 4);
      if (!b.ok) {
        notes.push(`${v.path}: ${b.error}`);
        continue;
      }
      const n = u32(b.value, 0);
      const typeName = typeArgument(t.name) ?? '?';
      const type = info.findType(typeName) ?? null;
      if (!owners.has(n))
        owners.set(n, {
          number: n,
          capsule: v.owner.split('<')[0]!,
          path: v.path,
          typeName,
          size: type ? type.size : null,
          driver: capsuleDriver(v.owner),
          type,
        });
      continue;
    }
    switch (t.kind) {
      case 'struct': {
        const names = new Set(t.fields.map((f) => f.name));
        if (names.has('pointer') && names.has('vtable')) {
          // `&dyn Trait`: the concrete type from the vtable's DWARF.
          const b = await mem(v.address, 8);
          if (!b.ok) continue;
          const concrete = info.vtableType(u32(b.value, 4));
          const target = u32(b.value, 0);
          if (concrete && target !== 0) next(target, concrete, null, concrete.name);
          continue;
        }
        if (names.has('data_ptr') && names.has('length')) continue; // slices: buffers, not capsules
        const owner = wrapper(t.name) ? v.owner : t.name;
        for (const f of t.fields)
          next(v.address + f.offset, f.type, wrapper(t.name) ? null : f.name, owner);
        continue;
      }
      case 'pointer': {
        const p = t.pointee;
        if (t.flavor !== 'ref' || !p || p.kind !== 'struct') continue;
        const b = await mem(v.address, 4);
        if (!b.ok || u32(b.value, 0) === 0) continue;
        next(u32(b.value, 0), p, null, p.name.startsWith(GRANT_TYPE) ? v.owner : p.name);
        continue;
      }
      case 'enum': {
        const b = await mem(v.address, t.size);
        if (!b.ok) continue;
        const variant = await activeVariant({ mem }, t, { kind: 'bytes', bytes: b.value });
        if (!variant.ok || !variant.value) continue;
        const f = variant.value.field;
        if (f.type.kind === 'struct')
          for (const g of f.type.fields) next(v.address + f.offset + g.offset, g.type, null);
        continue;
      }
      default:
        continue;
    }
  }
  return ok({ owners: [...owners.values()].sort((a, b) => a.number - b.number), notes });
}

/** A grant's contents, field by field (one level, nested values summarized), from its `T`. */
export async function grantContents(
  info: DebugInfo,
  owner: GrantOwner,
  address: number,
  mem: ReadMemory,
): Promise<Result<GrantField[]>> {
  if (!owner.type)
    return err(`${owner.typeName} is not in the kernel's debug information: no typed view`);
  const env = {
    mem,
    vtableType: (a: number) => info.vtableType(a),
    symbolAt: (a: number) => info.symbolize(a),
  };
  const node = await renderValue(env, {
    name: owner.typeName,
    type: owner.type,
    storage: { kind: 'memory', address },
  });
  if (node.error) return err(node.error);
  if (!node.expandable) return ok([{ name: '(value)', typeName: node.typeName, text: node.text }]);
  const children = await node.children();
  return ok(children.map((c) => ({ name: c.name, typeName: c.typeName, text: c.text })));
}
