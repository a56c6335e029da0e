/**
 * Core micro-benchmark: MIPS of four tight loops assembled with the test assembler.
 *
 * A development gauge for the interpreter's hot path (dispatch, ALU, memory fast paths), not
 * the project's speed claim: that is `npm run bench:emulator`, which runs a C benchmark in this
 * emulator and in QEMU side by side. Wall-clock figures depend on machine load.
 *
 * Usage: npx tsx emulator/core/bench/micro-bench.ts
 */
import { CortexM, Program } from '../index';

/** Instructions per measured run. */
const N = 50_000_000;
for (const variant of ['self', 'nops', 'alu', 'mem']) {
  const core = new CortexM({ frequencyHz: 25e6, numIrqs: 32, priorityBits: 8 });
  const flash = core.bus.mapRom(0, 0x40000, 'flash');
  core.bus.mapRam(0x20000000, 0x20000, 'ram');
  const p = new Program(0);
  p.word(0x20010000).addr('start', 1).label('start');
  p.mov32(2, 0x20000000);
  // self: a branch to itself; nops/alu: 50 instructions and a branch; mem: 25 STR/LDR pairs.
  if (variant === 'self') p.label('l').branch('B_T2', 'l');
  if (variant === 'nops') {
    p.label('l');
    for (let i = 0; i < 50; i++) p.i('NOP_T1');
    p.branch('B_T2', 'l');
  }
  if (variant === 'alu') {
    p.label('l');
    for (let i = 0; i < 50; i++) p.i('ADD_reg_T1', { d: 0, n: 0, m: 1 });
    p.branch('B_T2', 'l');
  }
  if (variant === 'mem') {
    p.label('l');
    for (let i = 0; i < 25; i++)
      p.i('STR_imm_T1', { t: 0, n: 2, i: i }).i('LDR_imm_T1', { t: 3, n: 2, i: i });
    p.branch('B_T2', 'l');
  }
  flash.set(p.bytes());
  core.reset();
  core.run(1e6);
  const t0 = performance.now();
  const stop = core.run(N);
  const t1 = performance.now();
  if (stop.kind !== 'limit') throw new Error(`${variant}: stopped early: ${JSON.stringify(stop)}`);
  console.log(`${variant.padEnd(5)} ${(N / (t1 - t0) / 1000).toFixed(1)} MIPS (wall clock)`);
}
