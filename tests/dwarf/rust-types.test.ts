// The Rust type model and value renderer on the kernel rustc built: layouts by type and field
// name, niche-encoded enums, trait-object vtables, the kernel's cells, slices and &str, and
// path expressions, read from the image's initial memory (its loadable segments, .bss zeroed).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../emulator/formats/elf';
import { DebugInfo, memoryFromSegments, ProgramSet } from '../../emulator/formats/dwarf';
import { kernelElf } from './images';

function kernel(): {
  info: DebugInfo;
  set: ProgramSet;
  mem: ReturnType<typeof memoryFromSegments>;
} {
  const bytes = new Uint8Array(readFileSync(kernelElf('mps2-an386')));
  const r = DebugInfo.load(bytes, { name: 'kernel' });
  if (!r.ok) throw new Error(r.error);
  const segments = parseElf(bytes)
    .segments.filter((s) => s.type === 1)
    .map((s) => {
      const data = new Uint8Array(s.memsz);
      data.set(s.data);
      return { address: s.vaddr, data };
    });
  return { info: r.value, set: new ProgramSet([r.value]), mem: memoryFromSegments(segments) };
}

describe('Rust types in the kernel', () => {
  const { info, set, mem } = kernel();

  it('lays out types by name, as the Tock views need them', () => {
    const p = info.typeLayout('kernel::process::Process');
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['name', 'state', 'app_break', 'kernel_break']),
    );
    const state = info.fieldOffset('kernel::process::Process', 'state');
    expect(state.ok && state.value.type.name).toBe('core::cell::Cell<kernel::process::State>');
    expect(info.typeLayout('cells::TakeCell<[u8]>')).toMatchObject({
      ok: true,
      value: { size: 8, fields: [{ name: 'val', offset: 0 }] },
    });
    expect(info.typeLayout('kernel::process::NoSuchType')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/no type named/),
    });
  });

  it('decodes niche-encoded Option<&dyn T>: None has a discriminant value, Some has none', () => {
    const t = info.findType('core::option::Option<&dyn kernel::hil::uart::TransmitClient>');
    expect(t?.kind).toBe('enum');
    if (t?.kind !== 'enum') return;
    expect(t.variants.map((v) => [v.name, v.discrValues?.map(Number)])).toEqual([
      ['None', [0]],
      ['Some', undefined],
    ]);
  });

  it('maps every vtable to its concrete type (DW_AT_containing_type)', () => {
    const vtables = info.findStatic('{vtable}');
    expect(vtables.length).toBeGreaterThan(5);
    for (const v of vtables)
      expect(info.vtableType(v.address)?.name, v.name).toBe(/^<(.+?) as /.exec(v.name)?.[1]);
  });

  it('evaluates path expressions against statics and shows cells as what they hold', async () => {
    const k = await set.evaluate('KERNEL.0', { mem });
    expect(k.ok && k.value.typeName).toBe('kernel::kernel::Kernel');
    expect(k.ok && k.value.text).toMatch(/panic_hook: OptionalCell\(None\)/);
    const procs = await set.evaluate('KERNEL.0.processes', { mem });
    expect(procs.ok && procs.value.typeName).toBe('&[kernel::process::Process]');
    expect(procs.ok && (await procs.value.children()).length).toBe(8);
    const name = await set.evaluate('KERNEL.0.processes[1].name', { mem });
    expect(name.ok && [name.value.typeName, name.value.text]).toEqual([
      'core::cell::Cell<&str>',
      '""',
    ]);
    const state = await set.evaluate('PROCESSES.0[0].state', { mem });
    expect(state.ok && state.value.text).toBe('Unused');
    // A cast of the process table's address names the static it points into.
    const table = info.findStatic('PROCESSES')[0];
    expect(table).toBeDefined();
    const at = `0x${table!.address.toString(16)}`;
    const cast = await set.evaluate(`${at} as *const kernel::process::Process`, { mem });
    expect(cast.ok && cast.value.text).toBe(`${at} <mps2_an386::main::PROCESSES>`);
    const deref = await set.evaluate(`*(${at} as *const kernel::process::Process)`, { mem });
    expect(deref.ok && deref.value.typeName).toBe('kernel::process::Process');
    expect(await set.evaluate('KERNEL.0.processes[9]', { mem })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/out of bounds/),
    });
  });
});
