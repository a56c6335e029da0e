import { describe, expect, it } from 'vitest';
import { err, ok } from '../../core/result';
import { DW_ATE } from './codes';
import type { ReadMemory } from './memory';
import type { EnumType, Field, PointerType, RustType, StructType } from './types';
import { renderValue, structuralValue, type ValueEnv } from './values';

// Types shaped as rustc describes them (see types.ts), built by hand so each Rust shape is
// tested on its own; the same shapes are read from the kernel's DWARF in tests/dwarf.
const u8: RustType = { kind: 'base', name: 'u8', size: 1, encoding: DW_ATE.unsigned };
const u32: RustType = { kind: 'base', name: 'u32', size: 4, encoding: DW_ATE.unsigned };
const i32: RustType = { kind: 'base', name: 'i32', size: 4, encoding: DW_ATE.signed };
const bool: RustType = { kind: 'base', name: 'bool', size: 1, encoding: DW_ATE.boolean };
const usize: RustType = { kind: 'base', name: 'usize', size: 4, encoding: DW_ATE.unsigned };
const field = (name: string, offset: number, type: RustType, artificial = false): Field => ({
  name,
  offset,
  type,
  artificial,
});
const struct = (name: string, size: number, fields: Field[]): StructType => ({
  kind: 'struct',
  name,
  size,
  fields,
  get isTuple() {
    return fields.length > 0 && fields.every((f, i) => f.name === `__${i}`);
  },
});
const ptr = (name: string, pointee: RustType): PointerType => ({
  kind: 'pointer',
  name,
  size: 4,
  flavor: 'ref',
  pointee,
});

const point = struct('demo::Point', 8, [field('x', 0, i32), field('y', 4, i32)]);
const refPoint = ptr('&demo::Point', point);
/** Option<&Point>: niche-encoded; None has discriminant 0, Some (dataful) has none. */
const optionRef: EnumType = {
  kind: 'enum',
  name: 'core::option::Option<&demo::Point>',
  size: 4,
  discriminant: field('', 0, u32, true),
  variants: [
    { name: 'None', discrValues: [0n], field: field('None', 0, struct('None', 4, [])) },
    { name: 'Some', field: field('Some', 0, struct('Some', 4, [field('__0', 0, refPoint)])) },
  ],
};
const takeCell = struct('cells::TakeCell<demo::Point>', 4, [
  field(
    'val',
    0,
    struct('core::cell::Cell<core::option::Option<&mut demo::Point>>', 4, [
      field(
        'value',
        0,
        struct('core::cell::UnsafeCell<core::option::Option<&mut demo::Point>>', 4, [
          field('value', 0, optionRef),
        ]),
      ),
    ]),
  ),
]);
const mapCell = struct('cells::MapCell<u32>', 12, [
  field(
    'val',
    0,
    struct('core::cell::UnsafeCell<core::option::Option<u32>>', 8, [
      field('value', 0, {
        kind: 'enum',
        name: 'core::option::Option<u32>',
        size: 8,
        discriminant: field('', 0, u32, true),
        variants: [
          { name: 'None', discrValues: [0n], field: field('None', 0, struct('None', 8, [])) },
          {
            name: 'Some',
            discrValues: [1n],
            field: field('Some', 0, struct('Some', 8, [field('__0', 4, u32)])),
          },
        ],
      } as EnumType),
    ]),
  ),
  field(
    'busy',
    8,
    struct('core::cell::Cell<bool>', 1, [
      field('value', 0, struct('core::cell::UnsafeCell<bool>', 1, [field('value', 0, bool)])),
    ]),
  ),
]);
const str = struct('&str', 8, [
  field('data_ptr', 0, ptr('*const u8', u8)),
  field('length', 4, usize),
]);
const slice = struct('&[u32]', 8, [
  field('data_ptr', 0, ptr('*const u32', u32)),
  field('length', 4, usize),
]);
const vtableType = struct('<demo::Point as demo::Shape>::{vtable_type}', 12, []);
const dyn = struct('&dyn demo::Shape', 8, [
  field('pointer', 0, ptr('*const u8', u8)),
  field('vtable', 4, ptr('&[usize; 3]', vtableType)),
]);
const tuple = struct('(u8, i32)', 8, [field('__0', 0, u8), field('__1', 4, i32)]);

/** Little memory with a Point at 0x100, "hi!" at 0x200, [7, 8, 9] at 0x300. */
function memory(): ReadMemory {
  const m = new Map<number, number>();
  const put = (a: number, bytes: number[]): void => bytes.forEach((b, i) => m.set(a + i, b));
  put(0x100, [3, 0, 0, 0, 0xfc, 0xff, 0xff, 0xff]);
  put(0x200, [0x68, 0x69, 0x21]);
  put(0x300, [7, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0]);
  return async (address, length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const b = m.get(address + i);
      if (b === undefined) return err(`no memory at 0x${(address + i).toString(16)}`);
      out[i] = b;
    }
    return ok(out);
  };
}

const env: ValueEnv = {
  mem: memory(),
  vtableType: (a) => (a === 0x900 ? point : undefined),
  symbolAt: (a) => (a === 0x900 ? '<demo::Point as demo::Shape>::{vtable}' : undefined),
};
const bytes = (...b: number[]) => ({ kind: 'bytes' as const, bytes: new Uint8Array(b) });

describe('Rust values', () => {
  it('shows a niche-encoded Option<&T>: None by its value, Some as the variant without one', async () => {
    const none = await renderValue(env, { name: 'o', type: optionRef, storage: bytes(0, 0, 0, 0) });
    expect(none.text).toBe('None');
    const some = await renderValue(env, { name: 'o', type: optionRef, storage: bytes(0, 1, 0, 0) });
    expect(some.text).toBe('Some(0x100)');
    const [inner] = await some.children();
    const [target] = await inner!.children();
    expect(target!.text).toBe('demo::Point { x: 3, y: -4 }'.replace('demo::Point', 'Point'));
    expect(
      await structuralValue(env, { name: 'o', type: optionRef, storage: bytes(0, 1, 0, 0) }),
    ).toEqual({ Some: { __0: 0x100 } });
  });

  it('shows the kernel cells as what they hold', async () => {
    const full = await renderValue(env, { name: 'c', type: takeCell, storage: bytes(0, 1, 0, 0) });
    expect(full.text).toBe('TakeCell(Some(0x100))');
    expect(full.typeName).toBe('cells::TakeCell<demo::Point>');
    const empty = await renderValue(env, { name: 'c', type: takeCell, storage: bytes(0, 0, 0, 0) });
    expect(empty.text).toBe('TakeCell(None)');
    const busy = await renderValue(env, {
      name: 'm',
      type: mapCell,
      storage: bytes(1, 0, 0, 0, 42, 0, 0, 0, 1, 0, 0, 0),
    });
    expect(busy.text).toBe('MapCell(Some(42)) (busy)');
  });

  it('reads &str and slices through their fat pointers', async () => {
    expect(
      (await renderValue(env, { name: 's', type: str, storage: bytes(0, 2, 0, 0, 3, 0, 0, 0) }))
        .text,
    ).toBe('"hi!"');
    const sl = await renderValue(env, {
      name: 'v',
      type: slice,
      storage: bytes(0, 3, 0, 0, 3, 0, 0, 0),
    });
    expect(sl.text).toBe('[7, 8, 9]');
    expect((await sl.children()).map((c) => c.text)).toEqual(['7', '8', '9']);
  });

  it('resolves a trait object to its concrete type through the vtable', async () => {
    const d = await renderValue(env, {
      name: 'shape',
      type: dyn,
      storage: bytes(0, 1, 0, 0, 0, 9, 0, 0),
    });
    expect(d.text).toBe('0x100 (demo::Point)');
    const [concrete] = await d.children();
    expect(concrete!.typeName).toBe('demo::Point');
    expect(concrete!.text).toBe('Point { x: 3, y: -4 }');
  });

  it('shows tuples, optimized-out values and unreadable memory as such', async () => {
    expect(
      (
        await renderValue(env, {
          name: 't',
          type: tuple,
          storage: bytes(9, 0, 0, 0, 0xff, 0xff, 0xff, 0xff),
        })
      ).text,
    ).toBe('(9, -1)');
    const gone = await renderValue(env, {
      name: 'x',
      type: u32,
      storage: { kind: 'optimizedOut' },
    });
    expect(gone).toMatchObject({ text: '<optimized out>', optimizedOut: true });
    const wild = await renderValue(env, {
      name: 'p',
      type: point,
      storage: { kind: 'memory', address: 0x5000 },
    });
    expect(wild.text).toMatch(/<error: no memory at 0x5000>/);
    // Partly optimized out: the known member shows, the other says so.
    const part = await renderValue(env, {
      name: 'p',
      type: point,
      storage: {
        kind: 'bytes',
        bytes: new Uint8Array(8).fill(1),
        valid: new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0]),
      },
    });
    expect(part.text).toBe('Point { x: 16843009, y: <optimized out> }');
  });
});
