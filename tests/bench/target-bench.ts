/**
 * `npm run bench:target`: how responsive the host stays while an emulator target runs flat out,
 * with the machine on the host's own thread and in its worker thread, measured in the same run.
 *
 * For each placement the emulated mps2-an386 runs a loop that never sleeps ('fast' pace) for
 * --seconds (default 3) while the host thread measures its own event-loop delay
 * (perf_hooks.monitorEventLoopDelay: how late a ready callback runs; what a user feels as a
 * frozen UI), then asks the target to halt --halts times (default 20) while running and times
 * each halt from the call to its answer. Prints event-loop delay p50/p99/max, halt latency
 * p50/max and the emulator's speed (MIPS, from its `stats` events).
 *
 * The figures depend on the host: run it on a quiet machine for numbers to compare. The loop is
 * built with GNU as (binutils-arm-none-eabi).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { EmulatorTarget } from '../../emulator/debug/emulator-target';
import type { DebugTarget } from '../../emulator/debug/target';
import { nodeScheduler } from '../../emulator/node/scheduler';
import { createSession } from '../../emulator/session/session';
import { startEmulatorWorker } from '../../main/host/emulator-worker-target';
import { assemble } from '../lockstep/assemble';
import { positiveArg } from './args';
import { percentile } from './cpu-time';

const SECONDS = positiveArg('--seconds', 3);
const HALTS = positiveArg('--halts', 20);

const LOOP = [
  '.syntax unified',
  '.thumb',
  '.section .vectors, "a"',
  '.word 0x20010000',
  '.word start',
  '.text',
  '.thumb_func',
  'start:',
  'ldr r0, =0x20000000',
  'movs r1, #0',
  'loop: adds r1, #1',
  'str r1, [r0]',
  'eor r2, r1, r1, lsl #3',
  'b loop',
  '.ltorg',
  '',
].join('\n');

function must<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) {
    console.error(r.error);
    process.exit(1);
  }
  return r.value;
}

async function measure(label: string, target: DebugTarget): Promise<void> {
  const mips: number[] = [];
  target.onEvent((e) => e.kind === 'stats' && mips.push(e.stats.mips));
  const h = monitorEventLoopDelay({ resolution: 1 });
  must(await target.resume());
  h.enable();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  h.disable();
  const halts: number[] = [];
  for (let i = 0; i < HALTS; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    must(await target.halt());
    halts.push(performance.now() - t0);
    must(await target.resume());
  }
  must(await target.halt());
  const ms = (ns: number): string => (ns / 1e6).toFixed(1);
  console.log(
    `${label.padEnd(22)} event-loop delay p50 ${ms(h.percentile(50))} ms, p99 ${ms(h.percentile(99))} ms, max ${ms(h.max)} ms; ` +
      `halt latency p50 ${percentile(halts, 50).toFixed(1)} ms, max ${Math.max(...halts).toFixed(1)} ms; ` +
      `emulator ${mips.length ? percentile(mips, 50).toFixed(1) : '?'} MIPS`,
  );
  await target.close();
}

const built = assemble('target-bench-loop', LOOP);
if (!built.ok) {
  console.error(built.error);
  process.exit(1);
}
const elf = new Uint8Array(readFileSync(built.value));

const session = must(createSession({ machine: 'mps2-an386' }));
must(session.load(elf));
await measure(
  'host thread',
  new EmulatorTarget({ session, scheduler: nodeScheduler, pace: 'fast', statsIntervalMs: 250 }),
);
await measure(
  'worker thread',
  must(
    await startEmulatorWorker({
      machine: 'mps2-an386',
      files: [{ name: 'loop.elf', bytes: elf }],
      target: { pace: 'fast', statsIntervalMs: 250 },
    }),
  ),
);
