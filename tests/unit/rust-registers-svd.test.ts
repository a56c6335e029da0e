/**
 * The kernel's Rust register layouts agree with the SVD.
 *
 * Register layouts are written three times: the emulator's TypeScript tables (checked against
 * the SVD by emulator/peripherals/nrf/svd-agreement.test.ts), the SVD files we wrote from the
 * Product Specification (resources/svd), and the kernel's `register_block!` and `bitfields!`
 * declarations in kernel/chips/nrf52. This checks the third against the second: every register
 * a Rust block declares is in the SVD peripheral it describes, at the same offset, with the same
 * access (ReadOnly/WriteOnly/ReadWrite against read-only/write-only/read-write), arrays element
 * by element; and every bitfield a register is typed with has the SVD field's bit offset and
 * width. Differences the Rust side makes on purpose are listed in RENAMED/FIELD_EXCEPTIONS with
 * the reason; a Rust block with no entry in BLOCKS fails, so a new driver cannot skip the check.
 * The Rust sources are read as text (the macros' syntax is regular), nothing is compiled.
 */
/// <reference types="vite/client" />
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import nrf52833Xml from '../../resources/svd/nrf52833.svd?raw';
import nrf52840Xml from '../../resources/svd/nrf52840.svd?raw';
import { parseSvd, type SvdPeripheral, type SvdRegister } from '../../emulator/peripherals/nrf/svd';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHIP_DIR = join(root, 'kernel', 'chips', 'nrf52', 'src');

/** Which SVD peripheral each Rust register block describes (the instance with the most CCs). */
const BLOCKS: Record<string, string> = {
  UarteRegisters: 'UARTE0',
  ClockRegisters: 'CLOCK',
  GpioRegisters: 'P0',
  GpioteRegisters: 'GPIOTE',
  NvmcRegisters: 'NVMC',
  RngRegisters: 'RNG',
  RtcRegisters: 'RTC1',
  TimerRegisters: 'TIMER3',
  TempRegisters: 'TEMP',
  PowerRegisters: 'POWER',
};

/** Rust names that cannot be the SVD's (keywords), with the SVD name. */
const RENAMED: Record<string, string> = {
  // `in` is a Rust keyword.
  'GpioRegisters.input': 'IN',
};

/**
 * Rust bitfields that differ from the SVD field on purpose: `Module.FIELD` -> the SVD field it
 * stands for and why it differs.
 */
const FIELD_EXCEPTIONS: Record<string, { svd: string; why: string }> = {
  'Psel.DISCONNECT': {
    svd: 'CONNECT',
    why: 'the same bit 31, named for the value 1 (the PS: CONNECT = 1 means Disconnected)',
  },
  'PinCnf.INPUT_DISCONNECT': {
    svd: 'INPUT',
    why: 'the same bit 1, named for the value 1 (the PS: INPUT = 1 means Disconnect)',
  },
  'ClkStat.SRC': {
    svd: 'SRC',
    why: 'one module serves HFCLKSTAT (SRC is bit 0) and LFCLKSTAT (SRC is bits 1:0); bit 1 of HFCLKSTAT is reserved and reads 0',
  },
};

interface RustField {
  name: string;
  offset: number;
  width: number;
}
interface RustRegister {
  offset: number;
  name: string;
  access: 'read-only' | 'write-only' | 'read-write';
  count: number;
  bitfields?: string;
}
interface RustBlock {
  name: string;
  file: string;
  registers: RustRegister[];
  end: number;
}

const ACCESS: Record<string, RustRegister['access']> = {
  ReadOnly: 'read-only',
  WriteOnly: 'write-only',
  ReadWrite: 'read-write',
};

function parseRust(): { blocks: RustBlock[]; fields: Map<string, RustField[]> } {
  const blocks: RustBlock[] = [];
  const fields = new Map<string, RustField[]>();
  for (const file of readdirSync(CHIP_DIR).filter((f) => f.endsWith('.rs'))) {
    const text = readFileSync(join(CHIP_DIR, file), 'utf8');
    for (const m of text.matchAll(/bitfields!\s*\{[^]*?pub mod (\w+)\s*\{([^]*?)\}\s*\}/g)) {
      const list = [...m[2]!.matchAll(/(\w+):\s*(\d+),\s*(\d+);/g)].map((f) => ({
        name: f[1]!,
        offset: Number(f[2]),
        width: Number(f[3]),
      }));
      fields.set(`${file}:${m[1]!}`, list);
    }
    for (const m of text.matchAll(
      /register_block!\s*\{[^]*?pub (\w+)\s*\{([^]*?)@END\s*=\s*(0x[0-9a-fA-F]+)/g,
    )) {
      const registers: RustRegister[] = [];
      for (const e of m[2]!.matchAll(/\((0x[0-9a-fA-F]+)\s*=>\s*(\w+):\s*(.*?)\),?\s*$/gm)) {
        const name = e[2]!;
        if (name.startsWith('_')) continue;
        const type = e[3]!.trim();
        const t =
          /^\[(\w+)<u32(?:,\s*(\w+)::Register)?>;\s*(\d+)\]$/.exec(type) ??
          /^(\w+)<u32(?:,\s*(\w+)::Register)?>()$/.exec(type);
        if (!t || !ACCESS[t[1]!])
          throw new Error(`${file}: cannot read the type of ${name}: ${type}`);
        registers.push({
          offset: Number(e[1]),
          name,
          access: ACCESS[t[1]!]!,
          count: t[3] ? Number(t[3]) : 1,
          // Bitfield modules are per file (two drivers may both have an `Int`).
          ...(t[2] ? { bitfields: `${file}:${t[2]}` } : {}),
        });
      }
      blocks.push({ name: m[1]!, file, registers, end: Number(m[3]) });
    }
  }
  return { blocks, fields };
}

/** SVD names a Rust register name may stand for: TASKS_STARTRX, RXD.PTR, PIN_CNF[3]. */
function candidates(block: string, rust: string, index: number | null): string[] {
  const base = RENAMED[`${block}.${rust}`] ?? rust.toUpperCase();
  const names = [base];
  const cut = base.indexOf('_');
  if (cut > 0) names.push(`${base.slice(0, cut)}.${base.slice(cut + 1)}`);
  return index === null ? names : names.map((n) => `${n}[${index}]`);
}

function problems(
  svd: SvdPeripheral,
  block: RustBlock,
  fields: Map<string, RustField[]>,
): string[] {
  const out: string[] = [];
  const byName = new Map<string, SvdRegister>(svd.registers.map((r) => [r.name, r]));
  for (const r of block.registers) {
    for (let i = 0; i < r.count; i++) {
      const offset = r.offset + 4 * i;
      const names = candidates(block.name, r.name, r.count > 1 ? i : null);
      const reg = names.map((n) => byName.get(n)).find((x) => x !== undefined);
      const where = `${block.file}: ${block.name}.${r.name}${r.count > 1 ? `[${i}]` : ''}`;
      if (!reg) {
        out.push(`${where}: no ${names.join(' or ')} in SVD ${svd.name}`);
        continue;
      }
      if (reg.addressOffset !== offset)
        out.push(
          `${where}: offset 0x${offset.toString(16)} but SVD ${svd.name}.${reg.name} is at 0x${reg.addressOffset.toString(16)}`,
        );
      if (reg.access !== r.access)
        out.push(`${where}: ${r.access} but SVD ${svd.name}.${reg.name} is ${reg.access}`);
      if (!r.bitfields || i > 0) continue;
      for (const f of fields.get(r.bitfields) ?? [
        { name: `(module ${r.bitfields} not found)`, offset: -1, width: 0 },
      ]) {
        const key = `${r.bitfields.split(':')[1]}.${f.name}`;
        const svdName = FIELD_EXCEPTIONS[key]?.svd ?? f.name;
        const sf = reg.fields.find((x) => x.name === svdName);
        if (!sf) {
          out.push(`${where}: field ${key} has no SVD field ${svdName} in ${reg.name}`);
          continue;
        }
        const widthOk =
          sf.bitWidth === f.width ||
          (FIELD_EXCEPTIONS[key] !== undefined && sf.bitWidth <= f.width);
        if (sf.bitOffset !== f.offset || !widthOk)
          out.push(
            `${where}: field ${key} is bits ${f.offset}+${f.width} but SVD ${reg.name}.${sf.name} is ${sf.bitOffset}+${sf.bitWidth}`,
          );
      }
    }
  }
  return out;
}

const rust = parseRust();

describe('kernel register_block!/bitfields! vs resources/svd', () => {
  it('finds the Rust register blocks, and each has an SVD peripheral to check against', () => {
    expect(rust.blocks.map((b) => b.name).sort()).toEqual(
      expect.arrayContaining(['ClockRegisters', 'UarteRegisters', 'RtcRegisters']),
    );
    for (const b of rust.blocks)
      expect(BLOCKS[b.name], `${b.file}: ${b.name} has no entry in BLOCKS`).toBeDefined();
  });

  for (const [chip, xml] of [
    ['nrf52840', nrf52840Xml],
    ['nrf52833', nrf52833Xml],
  ] as const) {
    const device = parseSvd(xml);
    it.each(rust.blocks.map((b) => [b.name, b] as const))(
      `${chip}: %s matches its SVD peripheral register by register and field by field`,
      (_name, block) => {
        const svd = device.peripherals.find((p) => p.name === BLOCKS[block.name]);
        expect(svd, `${chip} SVD has no ${BLOCKS[block.name]}`).toBeDefined();
        expect(problems(svd!, block, rust.fields)).toEqual([]);
      },
    );
  }

  it('catches a wrong offset, a wrong access and a wrong field (the checker can fail)', () => {
    const svd = parseSvd(nrf52840Xml).peripherals.find((p) => p.name === 'UARTE0')!;
    const bad: RustBlock = {
      name: 'UarteRegisters',
      file: 'test.rs',
      end: 0x570,
      registers: [
        { offset: 0x538, name: 'rxd_ptr', access: 'read-write', count: 1 },
        { offset: 0x53c, name: 'rxd_amount', access: 'read-write', count: 1 },
        {
          offset: 0x304,
          name: 'intenset',
          access: 'read-write',
          count: 1,
          bitfields: 'test.rs:Bad',
        },
      ],
    };
    const got = problems(
      svd,
      bad,
      new Map([['test.rs:Bad', [{ name: 'ENDRX', offset: 5, width: 1 }]]]),
    );
    expect(got).toEqual([
      'test.rs: UarteRegisters.rxd_ptr: offset 0x538 but SVD UARTE0.RXD.PTR is at 0x534',
      'test.rs: UarteRegisters.rxd_amount: read-write but SVD UARTE0.RXD.AMOUNT is read-only',
      'test.rs: UarteRegisters.intenset: field Bad.ENDRX is bits 5+1 but SVD INTENSET.ENDRX is 4+1',
    ]);
  });
});
