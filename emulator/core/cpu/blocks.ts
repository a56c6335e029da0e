/**
 * Basic-block translator: turns a straight run of decoded instructions into one generated
 * JavaScript function, so each executor is called from its own call site (monomorphic, and
 * inlined by the JIT) instead of the interpreter's single megamorphic `insn.exec` call.
 *
 * A block does exactly what the interpreter loop does per instruction (nextPc, r15, execute,
 * pc, budget, clock, due events) with the same state writes, and returns to the loop after
 * any instruction that did not fall through, raised `attention` or made a clock event due.
 * The loop enters a block only with budget for all of it. Faults unwind out of the block
 * exactly as out of the loop (pc still on
 * the faulting instruction). So instruction counts, cycles and exception boundaries are the
 * interpreter's. Blocks are only entered with itstate = 0 and end after IT, so IT blocks run
 * in the interpreter. Blocks are dropped by Region.invalidate on writes to their chunks.
 *
 * Usage (cortex-m.ts): `const fn = compileBlock(region, offset)`; `fn(cpu, cpu.r, cpu.clock)`.
 */
import { BLOCK_CHUNK_SHIFT, type BlockFn, CodeChunk, type Region } from '../memory/bus';
import { decode, type Insn } from './table';

/** Longest block in instructions. */
const MAX_BLOCK = 24;

/** Encodings after which a block ends (control flow, IT, exceptions, sleep, mode changes). */
const ENDS_BLOCK = new Set([
  'B_T1',
  'B_T2',
  'B_T3',
  'B_T4',
  'BL_T1',
  'BX_T1',
  'BLX_reg_T1',
  'CBZ_T1',
  'CBNZ_T1',
  'TBB_T1',
  'POP_T1',
  'LDM_T1',
  'LDM_T2',
  'LDMDB_T1',
  'IT_T1',
  'SVC_T1',
  'UDF_T1',
  'UDF_T2',
  'BKPT_T1',
  'WFI_T1',
  'WFI_T2',
  'WFE_T1',
  'WFE_T2',
  'CPS_T1',
  'MSR_T1',
  'COPROC_T1',
  'COPROC_T2',
  'UNDEFINED16',
  'UNDEFINED32',
]);

/** Addresses that are never executable (fetch raises a MemManage fault there). */
function executeNever(a: number): boolean {
  return a >= 0xe0000000 || (a >= 0x40000000 && a < 0x60000000) || a >= 0xa0000000;
}

/**
 * Compiles the block starting at byte `offset` of `reg` (whose first instruction the core
 * has already fetched through its checked path), records it in the region's block caches
 * and returns it; null when no instruction fits (a 32-bit one straddling the region's end).
 */
export function compileBlock(reg: Region, offset: number): BlockFn | null {
  const code = reg.code as (Insn | undefined)[];
  const insns: Insn[] = [];
  const pcs: number[] = [];
  let o = offset;
  while (insns.length < MAX_BLOCK && o + 2 <= reg.size) {
    const a = reg.base + o;
    if (insns.length > 0 && (executeNever(a) || executeNever(a + 2))) break;
    let insn = code[o >>> 1];
    if (insn === undefined) {
      const hw1 = reg.u16[o >>> 1]!;
      let hw2 = 0;
      if (hw1 >>> 11 >= 0x1d) {
        if (o + 4 > reg.size) break;
        hw2 = reg.u16[(o >>> 1) + 1]!;
      }
      insn = decode(hw1, hw2);
      code[o >>> 1] = insn;
    }
    if (o + insn.size > reg.size) break;
    insns.push(insn);
    pcs.push(a);
    o += insn.size;
    if (ENDS_BLOCK.has(insn.encoding.name)) break;
  }
  if (insns.length === 0) return null;
  const lines: string[] = ['"use strict";'];
  for (let i = 0; i < insns.length; i++) lines.push(`const e${i} = E[${i}], f${i} = F[${i}];`);
  lines.push('return function block(cpu, r, clock) {', 'let n = 0;', 'let c = 0;', 'for (;;) {');
  for (let i = 0; i < insns.length; i++) {
    const pc = pcs[i]!;
    const next = pc + insns[i]!.size;
    lines.push(
      `cpu.nextPc = ${next}; r[15] = ${(pc + 4) | 0};`,
      `c = e${i}(cpu, f${i});`,
      'cpu.pc = cpu.nextPc; cpu.budget--; n = clock.now + c; clock.now = n;',
      'if (n >= clock.next) { clock.runDue(); cpu.attention = true; return; }',
    );
    if (i < insns.length - 1) {
      lines.push(`if (cpu.pc !== ${next} || cpu.attention) return;`);
    }
  }
  // A loop that branches back to its own start stays in the block while nothing intervenes
  // (the same checks the loop makes before entering a block).
  lines.push(
    `if (cpu.pc !== ${pcs[0]!} || cpu.attention || cpu.itstate !== 0 || cpu.budget < ${insns.length}) return;`,
    '}',
    '};',
  );
  const factory = new Function('E', 'F', lines.join('\n')) as (
    e: unknown[],
    f: unknown[],
  ) => BlockFn;
  const fn = factory(
    insns.map((x) => x.exec),
    insns.map((x) => x.f),
  );
  const start = offset >>> 1;
  const chunks = reg.chunks!;
  const own = chunks[start >>> 7]!;
  own.fns[start & 127] = fn;
  own.lens[start & 127] = insns.length;
  for (let c = offset >>> BLOCK_CHUNK_SHIFT, last = (o - 1) >>> BLOCK_CHUNK_SHIFT; c <= last; c++) {
    let chunk = chunks[c];
    if (chunk === undefined) chunks[c] = chunk = new CodeChunk();
    chunk.covering.push(start);
  }
  return fn;
}
