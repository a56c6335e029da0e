/**
 * `npm run bench:syscall`: the kernel's cost of a null system call round trip and of a context
 * switch between two processes, in cycles of the emulated nRF52840 (64 MHz Cortex-M4).
 *
 * Why: a system call is the price of every driver use; Tock keeps it small, and so must we
 * (issue 17, "Speed": 200 cycles or fewer for each). Cycles, not seconds: the emulator counts
 * the Cortex-M4's cycles (exception entry 12, return 10, tail-chain 6, Cortex-M4 TRM 3.9.1), so
 * the figures do not depend on how loaded the host is.
 *
 * Builds the nrf52840dk kernel and apps, boots the kernel with the sysbench pair
 * (kernel/apps/sysbench: `sysbench_calls` makes 200 calls of each null kind, then spins;
 * `sysbench_spin` spins, checking that its r4-r11 survive the switches) in the emulator with
 * the Tock views' recorder on, runs until 40 timeslice switches happened and prints min /
 * median / max cycles per kind (tests/bench/syscall-cycles.ts says what is counted).
 *
 * Options: --no-build (use the image already built); --profile (then boots the pair again and
 * steps 1,500 traps instruction by instruction, printing the mean cycles per kernel function
 * of each kind of trap: tests/bench/syscall-profile.ts). Exit status 1 when the run fails.
 *
 * @example
 *   npm run bench:syscall
 *   npm run bench:syscall -- --no-build --profile
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TockRecorder } from '../../emulator/debug/tock/recorder';
import { createSession } from '../../emulator/session/session';
import { parseElf } from '../../emulator/formats/elf';
import { kernelSession } from './nrf-fuzz-image';
import { kernelCosts, NULL_CALLS, summary, type KernelCosts } from './syscall-cycles';
import { formatProfile, profileTraps } from './syscall-profile';

const root = resolve(import.meta.dirname, '..', '..');
const BOARD = 'nrf52840dk';
const APPS = ['sysbench_calls', 'sysbench_spin'];
/** Flash each app slot takes (scripts/apps.mjs FLASH_SLOT). */
const FLASH_SLOT = 0x4000;
const SWITCHES = 40;
const GOAL = 200;

interface Manifest {
  appsStart: number;
  apps: { name: string; tbf: string; elf: string; flash: number }[];
}

/**
 * The built apps named `names` (from the image's apps.json) composed into one apps image at
 * their own flash addresses, as the board's flash holds them.
 */
export async function composeBuiltApps(
  image: { dir: string },
  names: readonly string[],
): Promise<{ appsStart: number; apps: Manifest['apps']; bin: Uint8Array }> {
  const manifest = JSON.parse(readFileSync(join(image.dir, 'apps.json'), 'utf8')) as Manifest;
  const apps = names.map((name) => {
    const a = manifest.apps.find((x) => x.name === name);
    if (!a) throw new Error(`apps.json has no ${name}: build the apps (scripts/kernel.mjs build)`);
    return a;
  });
  // @ts-expect-error scripts/apps.mjs is plain JavaScript without type declarations.
  const appsScript = (await import('../../scripts/apps.mjs')) as {
    composeApps(start: number, tbfs: { address: number; bytes: Uint8Array }[]): Promise<Uint8Array>;
  };
  const bin = await appsScript.composeApps(
    manifest.appsStart,
    apps.map((a) => ({ address: a.flash, bytes: new Uint8Array(readFileSync(a.tbf)) })),
  );
  return { appsStart: manifest.appsStart, apps, bin };
}

/**
 * Boots the pair and measures; throws with the transcript when the run goes wrong. With
 * `profile`, then profiles that many more traps (`profileTraps`) and returns the text too.
 */
export async function measure(
  image: { kernelElf: string; dir: string },
  opts: { profile?: number } = {},
): Promise<KernelCosts & { profile?: string }> {
  const { appsStart, apps, bin } = await composeBuiltApps(image, APPS);
  const { session, text } = kernelSession(
    { kernel: new Uint8Array(readFileSync(image.kernelElf)), bin, appsStart },
    createSession,
  );
  const recorder = new TockRecorder({ core: session.core, dma: [] });
  recorder.start({ timeline: true, capacity: 1 << 18 });
  const appOf = (pc: number): string | undefined =>
    apps.find((a) => pc >= a.flash && pc < a.flash + FLASH_SLOT)?.name;
  let costs = kernelCosts(recorder.fetch(0), appOf);
  // sysbench_spin checks its r4-r11 across the switches and says so (kernel/apps/sysbench).
  const kept = (): boolean => /sysbench_spin: r4-r11 kept/.test(text());
  for (let slice = 0; costs.switches.length < SWITCHES || !kept(); slice++) {
    const r = session.runSlice({ instructions: 2_000_000 });
    if (r.kind !== 'limit') throw new Error(`emulator stopped: ${JSON.stringify(r)}\n${text()}`);
    if (slice > 200)
      throw new Error(`fewer than ${SWITCHES} switches in 400 M instructions:\n${text()}`);
    if (/sysbench: done/.test(text())) costs = kernelCosts(recorder.fetch(0), appOf);
  }
  recorder.stop();
  const done = /sysbench: done \((\d+) unexpected results\)/.exec(text());
  if (!done) throw new Error(`sysbench_calls did not finish:\n${text()}`);
  if (done[1] !== '0') throw new Error(`sysbench_calls saw unexpected results:\n${text()}`);
  if (/r4-r11 changed/.test(text()))
    throw new Error(`a context switch lost sysbench_spin's r4-r11:\n${text()}`);
  if (!opts.profile) return costs;
  // The calls are over by now (the pair spins): profile a fresh boot's calls and switches.
  session.reset();
  const elf = parseElf(new Uint8Array(readFileSync(image.kernelElf)));
  const classify = (svc: number | undefined, r0: number, r1: number): string => {
    if (svc === undefined) return 'interrupt';
    const c = NULL_CALLS.find(
      (k) => k.svc === svc && k.r0 === r0 && (k.r1 === undefined || k.r1 === r1),
    );
    return c ? c.name : `svc ${svc} r0 ${r0}`;
  };
  const prof = profileTraps(session, elf, appOf, classify, { traps: opts.profile });
  return { ...costs, profile: formatProfile(prof) };
}

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) {
    const r = spawnSync(process.execPath, ['scripts/kernel.mjs', 'build', '--board', BOARD], {
      cwd: root,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`kernel build failed:\n${r.stdout}\n${r.stderr}`);
  }
  const dir = join(root, 'kernel/target/images', BOARD);
  const profile = process.argv.includes('--profile') ? 1500 : undefined;
  const costs = await measure({ kernelElf: join(dir, 'kernel.elf'), dir }, { profile });
  const row = (name: string, samples: number[]): string => {
    const m = summary(samples);
    const verdict = m.median <= GOAL ? 'goal met' : `goal ${GOAL} not met`;
    return `${name.padEnd(48)} ${String(m.count).padStart(5)} ${String(m.min).padStart(6)} ${String(m.median).padStart(7)} ${String(m.max).padStart(6)}   ${verdict}`;
  };
  console.log(
    `kernel cost on the emulated ${BOARD} (cycles at 64 MHz; from the trap to the process again)`,
  );
  console.log(
    `${'what'.padEnd(48)} ${'n'.padStart(5)} ${'min'.padStart(6)} ${'median'.padStart(7)} ${'max'.padStart(6)}`,
  );
  for (const [name, samples] of costs.syscalls) console.log(row(`null syscall: ${name}`, samples));
  console.log(row('context switch (timeslice end, A to B)', costs.switches));
  if (costs.profile) {
    console.log('\nprofile: mean cycles per trap and kernel function (--profile)');
    console.log(costs.profile);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
