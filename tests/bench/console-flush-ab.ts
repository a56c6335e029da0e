/**
 * `npm run bench:console-flush`: console echo latency of an emulator worker session with the
 * console sent as the UART transmits it (`consoleFlushMs: 4`, what the IDE's sessions use)
 * against sent only when a slice ends, in one run, alternating.
 *
 * Why: on a loaded machine the worker thread gets a fraction of a core, and a slice of flat-out
 * code can take far longer than planned; output made early in it waited for its end. The
 * program here runs flat out (a counting loop) and echoes each byte from its UART RX interrupt,
 * as a console shell does; the figure is the host thread's time from writing a byte to
 * receiving its echo. Both targets run the same program in fresh workers.
 *
 *   npx tsx tests/bench/console-flush-ab.ts [--keys N] [--rounds N]
 *
 * Wall-clock figures: print the load average beside them (it is printed), and compare only
 * figures from one run.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { startEmulatorWorker } from '../../main/host/emulator-worker-target';
import { buildElf } from '../programs/elf';
import { positiveArg } from './args';
import { percentile } from './cpu-time';

const KEYS = positiveArg('--keys', 40);
const ROUNDS = positiveArg('--rounds', 3);

const SOURCE = [
  '.syntax unified',
  '.thumb',
  '.section .vectors, "a"',
  '.word 0x20010000',
  '.word start',
  '.rept 14',
  '.word other',
  '.endr',
  '.word uart0rx', // IRQ 0: UART0 RX (mps2-an386)
  '.rept 31',
  '.word other',
  '.endr',
  '.text',
  '.thumb_func',
  'start:',
  'ldr r0, =0x40004000',
  'movs r1, #0xb', // TX_EN | RX_EN | RX_INTEN
  'str r1, [r0, #8]',
  'ldr r2, =0xe000e100', // NVIC_ISER0
  'movs r1, #1',
  'str r1, [r2]',
  'ldr r0, =var',
  'movs r1, #0',
  'loop: adds r1, #1', // flat out: the slice never ends early
  'str r1, [r0]',
  'b loop',
  '.thumb_func',
  'uart0rx:',
  'ldr r0, =0x40004000',
  'ldr r1, [r0]',
  'movs r2, #2', // INTCLEAR RX
  'str r2, [r0, #12]',
  'str r1, [r0]', // echo
  'bx lr',
  '.thumb_func',
  'other: b other',
  '.ltorg',
  '.data',
  'var: .word 0',
  '',
].join('\n');

async function echoes(consoleFlushMs: number | undefined): Promise<number[]> {
  const { bytes } = buildElf('console-flush', SOURCE);
  const started = await startEmulatorWorker({
    machine: 'mps2-an386',
    files: [{ name: 'console-flush.elf', bytes }],
    target: { pace: 'fast', ...(consoleFlushMs !== undefined ? { consoleFlushMs } : {}) },
  });
  if (!started.ok) throw new Error(started.error);
  const t = started.value;
  const times: number[] = [];
  let waiting: ((at: number) => void) | null = null;
  t.onEvent((e) => {
    if (e.kind === 'console') waiting?.(performance.now());
  });
  await t.resume();
  for (let i = 0; i < KEYS; i++) {
    const got = new Promise<number>((r) => (waiting = r));
    const sent = performance.now();
    await t.writeConsole(0, Uint8Array.of(0x61 + (i % 26)));
    times.push((await got) - sent);
    waiting = null;
    // A person's typing pace, not a flood (the next key after 20-40 ms).
    await new Promise((r) => setTimeout(r, 20 + (i % 3) * 10));
  }
  await t.close();
  return times;
}

const on: number[] = [];
const off: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2 === 0) {
    off.push(...(await echoes(undefined)));
    on.push(...(await echoes(4)));
  } else {
    on.push(...(await echoes(4)));
    off.push(...(await echoes(undefined)));
  }
}
const line = (xs: number[]): string =>
  `p50 ${percentile(xs, 50).toFixed(1)} ms, p90 ${percentile(xs, 90).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (${xs.length} keys)`;
console.log(
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${os.cpus().length} cores`,
);
console.log(
  'Console echo, key written on the host thread to its echo received there (flat-out program):',
);
console.log(`   sent as transmitted (consoleFlushMs 4, the IDE's): ${line(on)}`);
console.log(`   sent at slice ends (before):                       ${line(off)}`);
process.exit(0);
