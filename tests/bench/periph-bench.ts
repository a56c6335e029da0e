/**
 * `npm run bench:periph`: what the peripheral views cost the emulator, measured in one run.
 *
 * The nRF52840-DK runs firmware that drives the legacy UART flat out (a TXD write and an
 * EVENTS_TXDRDY read every `--gap` loop iterations: the denser, the more the access log has to
 * record) in five configurations, interleaved round by round so a noisy machine hurts them
 * alike:
 *   - baseline: the access log never turned on;
 *   - log off: turned on and off again (the issue's "none while off");
 *   - log on: every MMIO access recorded;
 *   - live panel: the PeripheralService refreshing UARTE0's registers, the board and the
 *     interrupt table every 100 ms of wall time (10 Hz), as the IDE does while the board runs;
 *   - live panel + log: both.
 * Each prints MIPS (instructions per wall second) and its cost against the baseline. Targets
 * (issue 18): live panel under 5%, log on under 20%, log off none.
 *
 * The machine runs in the emulator worker, as in the IDE: the panel's reads cross to it and are
 * answered between slices; MIPS come from the target's instruction count over the wall time.
 * With the log on, the Access Log panel's polling (10,000 entries every 250 ms) runs too.
 * Figures depend on the host and its load: run it on a quiet machine to compare (the worker
 * and this thread need two free cores). The firmware is built with GNU as.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readPolicy } from '../../emulator/debug/peripherals/register-view';
import { nrfProgram } from '../../emulator/node/test-programs';
import { parseSvd } from '../../emulator/peripherals/nrf/svd';
import { startEmulatorWorker } from '../../main/host/emulator-worker-target';
import { PeripheralService } from '../../main/host/peripheral-service';
import { readFileSync } from 'node:fs';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(v > 0)) {
    console.error(`${name} needs a positive number`);
    process.exit(2);
  }
  return v;
}
const SECONDS = arg('--seconds', 1.5);
const ROUNDS = arg('--rounds', 3);
const GAP = arg('--gap', 10);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const FIRMWARE = nrfProgram(`uart-flood-${GAP}`, [
  'ldr r0, =0x40002000',
  'movs r1, #6',
  'str r1, [r0, #0x50c]',
  'movs r1, #4',
  'str r1, [r0, #0x500]',
  'movs r1, #1',
  'str r1, [r0, #8]',
  'loop:',
  'movs r1, #0x41',
  'str r1, [r0, #0x51c]',
  'ldr r2, [r0, #0x11c]',
  `movs r3, #${GAP}`,
  '1: subs r3, #1',
  'bne 1b',
  'b loop',
]);

type Config = 'baseline' | 'log off' | 'log on' | 'live panel' | 'live panel + log';
const CONFIGS: Config[] = ['baseline', 'log off', 'log on', 'live panel', 'live panel + log'];

const svd = parseSvd(readFileSync(path.join(ROOT, 'resources/svd/nrf52840.svd'), 'utf8'));
const uarte0 = svd.peripherals.find((p) => p.name === 'UARTE0')!;
const WATCHED = uarte0.registers
  .filter((r) => readPolicy(r).kind === 'live')
  .map((r) => (uarte0.baseAddress + r.addressOffset) >>> 0);

async function measure(
  config: Config,
): Promise<{ mips: number; refreshes: number; logged: number }> {
  const started = await startEmulatorWorker({
    machine: 'nrf52840dk',
    board: 'nrf52840dk',
    files: [{ name: 'flood.elf', bytes: FIRMWARE, format: 'elf' }],
    target: { pace: 'fast' },
  });
  if (!started.ok) throw new Error(started.error);
  const target = started.value;
  const accessLog = target.accessLog!;
  if (config === 'log off') {
    await accessLog({ enable: true });
    await accessLog({ enable: false });
  }
  const logging = config === 'log on' || config === 'live panel + log';
  if (logging) await accessLog({ enable: true });
  const live = config.startsWith('live panel');
  const service = new PeripheralService({
    projectRoot: ROOT,
    appRoot: ROOT,
    debug: {
      target,
      program: null,
      session: { board: 'nrf52840dk', phase: 'running' },
      onStop: () => () => undefined,
      onSession: () => () => undefined,
      addLiveRead: () => () => undefined,
    },
    emit: () => undefined,
  });
  await service.describe();
  await service.watch({ addresses: WATCHED });
  await target.resume();
  // Warm up (the translator compiles the loop).
  await sleep(300);
  const h0 = await target.halt();
  if (!h0.ok) throw new Error(h0.error);
  await target.resume();
  const start = performance.now();
  let refreshes = 0;
  let logged = 0;
  let since = 0;
  let nextRefresh = start + 100;
  let nextPoll = start + 250;
  while (performance.now() - start < SECONDS * 1000) {
    const now = performance.now();
    if (live && now >= nextRefresh) {
      await service.refresh(target);
      refreshes++;
      nextRefresh += 100;
    }
    // The Access Log panel's polling: up to 10,000 entries every 250 ms.
    if (logging && now >= nextPoll) {
      const page = await service.log({ since, max: 10_000 });
      if (page.ok) {
        since = page.value.next;
        logged += page.value.entries.length;
      }
      nextPoll += 250;
    }
    const wake = Math.min(
      live ? nextRefresh : Infinity,
      logging ? nextPoll : Infinity,
      start + SECONDS * 1000,
    );
    await sleep(Math.max(0, wake - performance.now()));
  }
  const h1 = await target.halt();
  if (!h1.ok) throw new Error(h1.error);
  const elapsed = (performance.now() - start) / 1000;
  const mips = ((h1.value.instructions ?? 0) - (h0.value.instructions ?? 0)) / elapsed / 1e6;
  service.dispose();
  await target.close();
  return { mips, refreshes, logged };
}

const results = new Map<Config, number[]>(CONFIGS.map((c) => [c, []]));
const extra = new Map<Config, { refreshes: number; logged: number }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const c of CONFIGS) {
    const r = await measure(c);
    results.get(c)!.push(r.mips);
    extra.set(c, { refreshes: r.refreshes, logged: r.logged });
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results.get('baseline')!);
console.log(
  `peripheral views on the emulator: nRF52840-DK, UART flood (2 MMIO accesses per ${GAP * 2 + 5} instructions), ${ROUNDS} rounds of ${SECONDS} s, median MIPS`,
);
for (const c of CONFIGS) {
  const m = median(results.get(c)!);
  const e = extra.get(c)!;
  const cost = c === 'baseline' ? '' : `  cost ${(((base - m) / base) * 100).toFixed(1)}%`;
  const notes = [
    e.refreshes ? `${(e.refreshes / SECONDS).toFixed(1)} refreshes/s` : '',
    e.logged ? `${e.logged.toLocaleString()} entries fetched by the panel` : '',
  ]
    .filter(Boolean)
    .join(', ');
  console.log(
    `  ${c.padEnd(18)} ${m.toFixed(1).padStart(7)} MIPS${cost}${notes ? `  (${notes})` : ''}`,
  );
}
console.log('Targets: live panel < 5%, log on < 20%, log off 0%. Noisy on a shared machine.');
