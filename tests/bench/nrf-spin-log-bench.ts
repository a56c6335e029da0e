/**
 * Spin loop with the MMIO access log on: an nRF52 TIMER0 EVENTS_COMPARE[0] polled with the
 * kernel's count-up timeout loop while every device read is logged, so no pass may be skipped.
 * Prints emulated instructions per CPU second of this thread, fast-forward on and (--no-spin)
 * off: the two must be alike (the loop runs as the translator's ordinary region while it may
 * not skip, not one trip through the core per pass). Run both, alternated, in the same minutes.
 *
 * Usage: npx tsx tests/bench/nrf-spin-log-bench.ts [--no-spin]
 */
import { readFileSync } from 'node:fs';
import { Program } from '../../emulator/core/assembler';
import { CortexM } from '../../emulator/core/cortex-m';
import { setSpinLoops } from '../../emulator/core/spin-loop';
import { Timer } from '../../emulator/peripherals/nrf/timer';

const spin = !process.argv.includes('--no-spin');
setSpinLoops(spin);
const RAM = 0x20000000;
const TIMER = 0x40008000;
const core = new CortexM({
  frequencyHz: 64_000_000,
  numIrqs: 48,
  priorityBits: 3,
  translate: true,
});
const flash = core.bus.mapRom(0, 0x10000, 'flash');
core.bus.mapRam(RAM, 0x10000, 'ram');
const dma = { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false };
core.bus.mapDevice(
  TIMER,
  0x1000,
  new Timer('TIMER0', TIMER, { clock: core.clock, irq: core.irq, dma }, 4),
);
let logged = 0;
core.bus.onDeviceAccess = () => {
  logged++;
};
const p = new Program(0);
p.word(RAM + 0x8000).addr('reset', 1);
const store = (addr: number, v: number): void => {
  p.mov32(5, addr).mov32(6, v).i('STR_imm_T1', { t: 6, n: 5, i: 0 });
};
p.label('reset');
store(TIMER + 0x510, 4); // PRESCALER: 1 MHz
store(TIMER + 0x508, 3); // BITMODE: 32 bits
store(TIMER + 0x540, 1000); // CC[0]: 1 ms
store(TIMER + 0x200, 1); // SHORTS: COMPARE0 -> CLEAR
store(TIMER + 0x000, 1); // TASKS_START
p.mov32(1, TIMER).mov32(4, 0);
p.label('outer').mov32(10, 4_000_000).mov32(0, 0);
// cmp sl, r0; beq outer; ldr.w r2, [r1, #0x140]; adds r0, #1; cmp r2, #0; beq up
p.label('up')
  .i('CMP_reg_T2', { N: 1, n: 2, m: 0 })
  .branch('B_T1', 'outer', { c: 0 })
  .i('LDR_imm12', { n: 1, t: 2, i: 0x140 })
  .i('ADD_imm_T2', { d: 0, i: 1 })
  .i('CMP_imm_T1', { n: 2, i: 0 })
  .branch('B_T1', 'up', { c: 0 });
p.i('STR_imm12', { t: 4, n: 1, i: 0x140 }).branch('B_T2', 'outer');
flash.set(p.bytes());
core.reset();
const cpu = (): number =>
  Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
core.run(2_000_000);
const t0 = cpu();
for (let i = 0; i < 40; i++) core.run(1_000_000);
const dt = cpu() - t0;
console.log(
  `spin ${spin ? 'on' : 'off'}, access log on: ${(40 / dt).toFixed(1)} M instructions per CPU s (${dt.toFixed(2)} s), ${logged} device accesses logged`,
);
