/**
 * Test assembler: builds Thumb machine code from the same encoding table the decoder uses.
 *
 * Instructions are named by encoding (`'ADD_imm_T1'`) with their raw ARM-ARM fields, so an
 * assembled program can only contain what the decoder knows, and a layout mistake shows up in
 * both directions at once. `Program` adds labels and resolves branch offsets in a second pass.
 *
 * Usage:
 *   const p = new Program(0x100);
 *   p.i('MOV_imm_T1', { d: 0, i: 5 }).label('loop').i('SUB_imm_T2', { d: 0, i: 1 });
 *   p.branch('B_T1', 'loop', { c: 1 });  // bne loop
 *   flash.set(p.bytes(), 0x100);
 */
import { assembleEncoding } from './cpu/table';
import type { Fields } from './cpu/encoding';

/** Halfwords of one instruction, in program order. */
export function assemble(name: string, fields: Fields): number[] {
  return assembleEncoding(name, fields);
}

export type AsmItem =
  | { kind: 'insn'; name: string; fields: Fields }
  | { kind: 'branch'; name: string; label: string; fields: Fields }
  | { kind: 'word'; value: number }
  | { kind: 'addr'; label: string; plus: number }
  | { kind: 'label'; name: string }
  | { kind: 'align'; bytes: number };

/** Branch fields for a byte offset (target - (pc + 4)). */
export function branchFields(name: string, offset: number): Fields {
  if (offset & 1) throw new Error(`${name}: odd branch offset ${offset}`);
  const h = offset >> 1;
  const range = (bits: number): void => {
    if (h < -(2 ** (bits - 1)) || h >= 2 ** (bits - 1))
      throw new Error(`${name}: offset ${offset} out of range`);
  };
  switch (name) {
    case 'B_T1':
      range(8);
      return { i: h & 0xff };
    case 'B_T2':
      range(11);
      return { i: h & 0x7ff };
    case 'CBZ_T1':
    case 'CBNZ_T1':
      if (h < 0 || h > 63) throw new Error(`${name}: offset ${offset} out of range`);
      return { i: h };
    case 'B_T3': {
      range(20);
      const v = h & 0xfffff;
      return { S: (v >>> 19) & 1, K: (v >>> 18) & 1, J: (v >>> 17) & 1, i: v & 0x1ffff };
    }
    case 'B_T4':
    case 'BL_T1': {
      range(24);
      const v = h & 0xffffff;
      const S = (v >>> 23) & 1;
      const i1 = (v >>> 22) & 1;
      const i2 = (v >>> 21) & 1;
      return { S, J: (1 - i1) ^ S, K: (1 - i2) ^ S, i: v & 0x1fffff };
    }
    default:
      throw new Error(`${name} is not a branch encoding`);
  }
}

export class Program {
  private readonly items: AsmItem[] = [];
  constructor(readonly base: number) {}

  i(name: string, fields: Fields = {}): this {
    this.items.push({ kind: 'insn', name, fields });
    return this;
  }
  branch(name: string, label: string, fields: Fields = {}): this {
    this.items.push({ kind: 'branch', name, label, fields });
    return this;
  }
  /** MOVW (+ MOVT when needed): load a 32-bit constant into Rd. */
  mov32(d: number, value: number): this {
    const v = value >>> 0;
    this.i('MOVW_T3', { d, i: v & 0xfff, j: (v >>> 12) & 0xf });
    if (v >>> 16) this.i('MOVT_T1', { d, i: (v >>> 16) & 0xfff, j: v >>> 28 });
    return this;
  }
  /** A data word holding a label's address (+ plus; use 1 for Thumb vectors). */
  addr(label: string, plus = 0): this {
    this.items.push({ kind: 'addr', label, plus });
    return this;
  }
  label(name: string): this {
    this.items.push({ kind: 'label', name });
    return this;
  }
  word(value: number): this {
    this.items.push({ kind: 'word', value });
    return this;
  }
  align(bytes: number): this {
    this.items.push({ kind: 'align', bytes });
    return this;
  }

  /** Address of a label (after layout). */
  addressOf(label: string): number {
    const a = this.layout().labels.get(label);
    if (a === undefined) throw new Error(`unknown label ${label}`);
    return a;
  }

  private layout(): { labels: Map<string, number>; sizes: number[] } {
    const labels = new Map<string, number>();
    const sizes: number[] = [];
    let pc = this.base;
    for (const it of this.items) {
      let size = 0;
      if (it.kind === 'label') labels.set(it.name, pc);
      else if (it.kind === 'word' || it.kind === 'addr') size = 4;
      else if (it.kind === 'align') size = (it.bytes - (pc % it.bytes)) % it.bytes;
      else size = assemble(it.name, fillZero(it.fields)).length * 2;
      sizes.push(size);
      pc += size;
    }
    return { labels, sizes };
  }

  bytes(): Uint8Array {
    const { labels } = this.layout();
    const out: number[] = [];
    let pc = this.base;
    const push16 = (h: number): void => {
      out.push(h & 0xff, (h >>> 8) & 0xff);
      pc += 2;
    };
    for (const it of this.items) {
      if (it.kind === 'label') continue;
      if (it.kind === 'word' || it.kind === 'addr') {
        const a = it.kind === 'addr' ? labels.get(it.label) : 0;
        if (a === undefined) throw new Error(`unknown label ${(it as { label: string }).label}`);
        const value = it.kind === 'word' ? it.value : a + it.plus;
        for (let k = 0; k < 4; k++) out.push((value >>> (8 * k)) & 0xff);
        pc += 4;
      } else if (it.kind === 'align') {
        while (pc % it.bytes) push16(assemble('NOP_T1', {})[0]!);
      } else if (it.kind === 'insn') {
        for (const h of assemble(it.name, it.fields)) push16(h);
      } else {
        const target = labels.get(it.label);
        if (target === undefined) throw new Error(`unknown label ${it.label}`);
        const f = { ...it.fields, ...branchFields(it.name, target - (pc + 4)) };
        for (const h of assemble(it.name, f)) push16(h);
      }
    }
    return Uint8Array.from(out);
  }
}

/** For layout only: branch fields are not known yet, and size does not depend on them. */
function fillZero(fields: Fields): Fields {
  return new Proxy(fields, { get: (t, k) => (typeof k === 'string' && k in t ? t[k] : 0) });
}

/** Assembles a list of items at `base` (functional form of Program). */
export function assembleProgram(base: number, items: AsmItem[]): Uint8Array {
  const p = new Program(base);
  for (const it of items) {
    if (it.kind === 'insn') p.i(it.name, it.fields);
    else if (it.kind === 'branch') p.branch(it.name, it.label, it.fields);
    else if (it.kind === 'word') p.word(it.value);
    else if (it.kind === 'addr') p.addr(it.label, it.plus);
    else if (it.kind === 'label') p.label(it.name);
    else p.align(it.bytes);
  }
  return p.bytes();
}
