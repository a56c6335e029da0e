/**
 * The access log's recording cost, measured in a process of its own: the child that
 * bench:periph (parts 1b and 2) and bench:periph-log-ab start, one process per measurement.
 *
 * Why a process each: the emulator's bus calls one listener per device access, and V8 compiles
 * that call site, the log's `record` and the call-chain walker once per process. In one process
 * measuring several logs or modes in turn, whichever ran first shaped the code the others ran
 * in: the same log class measured 17, 25 and 34 ns per access depending on its position, and
 * bench:periph's in-thread part 1b (after part 1's workers) printed 32 ns where fresh processes
 * measured 19. So each child measures one side fresh, in window pairs whose order alternates
 * (a crossover: off-on, on-off), timed with the process's CPU time (getrusage: the thread's
 * /proc schedstat advances only at the 4 ms scheduler tick on this machine, too coarse for
 * windows of 10–40 ms); the cost is the median of the pairs' differences, divided by the
 * accesses each window actually recorded (not a nominal count).
 *
 * Two measurements:
 *   - `flood MODULE|session|DIR`: bench:periph's UART flood (a TXD write and an EVENTS_TXDRDY
 *     read every 25 instructions; `--gap`) in windows of `--window` x10^6 instructions (4: each
 *     wraps the 131,072-entry ring). `session`: through the session's own listener and log, as the
 *     IDE records; a directory: the same on the emulator found under it (a tree: for comparing
 *     revisions of the core's access paths too); a file: that file's `AccessLog` behind its own
 *     listener (`recorder`), or for a revision without one a listener calling `record` as the
 *     session's did (for comparing revisions of the log alone).
 *   - `poll DIR`: firmware waiting for a TIMER0 event (`pollSource`: a compare every 1 ms, polled
 *     with `ldr; cmp; beq`) on the emulator under DIR: the spin-loop fast-forward skips its passes,
 *     and with the log on tells the log each skipped pass's read; CPU ms of a log-on window and
 *     the entries it recorded (the same on every tree: the interpreter's entries).
 *   - `kernel DIR`: the nRF52840-DK kernel (this tree's kernel/target/images) on the emulator
 *     found under DIR (a tree: this one, or a revision's `git archive`), 10^6-instruction windows
 *     in rounds of log off / log on / log on + call chains (order rotated each round).
 * The result is one line of JSON on stdout.
 *
 * @example
 *   const r = runChild(['flood', 'session', '--window', '4']);   // { offMs, costMs, accesses }
 *   npx tsx tests/bench/periph-log-child.ts kernel /work/wt/me --rounds 5
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, processCpuMs } from './cpu-time';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ME = resolve(import.meta.filename);

/** The nRF52840-DK kernel image part 2 runs (`npm run kernel:build -- --board nrf52840dk`). */
export const KERNEL_ELF = join(ROOT, 'kernel/target/images/nrf52840dk/kernel.elf');

/** bench:periph's flood: a TXD write and an EVENTS_TXDRDY read every `gap` loop iterations. */
export const GAP = 10;
export function floodSource(gap: number): string[] {
  return [
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
    `movs r3, #${gap}`,
    '1: subs r3, #1',
    'bne 1b',
    'b loop',
  ];
}

/**
 * Waits for TIMER0's COMPARE[0] (1 MHz, CC[0] 1,000, cleared by a shortcut: an event every
 * 1 ms) in a three-instruction poll, clears it and waits again.
 */
export const POLL_SOURCE = [
  'ldr r0, =0x40008000',
  'movs r1, #4',
  'str r1, [r0, #0x510]', // PRESCALER: 16 MHz / 2^4
  'movs r1, #3',
  'str r1, [r0, #0x508]', // BITMODE: 32 bits
  'ldr r1, =1000',
  'str r1, [r0, #0x540]', // CC[0]
  'movs r1, #1',
  'str r1, [r0, #0x200]', // SHORTS: COMPARE0 -> CLEAR
  'str r1, [r0, #0]', // TASKS_START
  'loop:',
  '1: ldr r2, [r0, #0x140]', // EVENTS_COMPARE[0]
  'cmp r2, #0',
  'beq 1b',
  'movs r1, #0',
  'str r1, [r0, #0x140]',
  'b loop',
];

/** One poll child: CPU ms of a log-off and a log-on window, entries a log-on window recorded. */
export interface PollResult {
  offMs: number;
  onMs: number;
  entries: number;
}

/** One flood child: the window with the log off, the cost of turning it on, accesses logged. */
export interface FloodResult {
  offMs: number;
  costMs: number;
  accesses: number;
}

/** One kernel child: log-off window, the two modes' costs over it, accesses per window. */
export interface KernelResult {
  offMs: number;
  onCostMs: number;
  chainsCostMs: number;
  accesses: number;
  rows: number;
  hits: number;
  walks: number;
}

/** Runs one child (a fresh process) and returns its JSON result; throws with its stderr. */
export function runChild<T>(args: string[]): T {
  const run = spawnSync(process.execPath, [...process.execArgv, ME, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) throw new Error(`periph-log-child ${args.join(' ')}:\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as T;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(v > 0)) throw new Error(`${name} needs a positive number`);
  return v;
}

type SessionModule = typeof import('../../emulator/session/session');

async function flood(what: string): Promise<FloodResult> {
  const tree = what !== 'session' && statSync(what).isDirectory();
  const { createSession } = (await import(
    pathToFileURL(join(tree ? what : ROOT, 'emulator/session/session.ts')).href
  )) as SessionModule;
  const { nrfProgram } = await import('../../emulator/node/test-programs');
  const made = createSession({ machine: 'nrf52840dk' });
  if (!made.ok) throw new Error(made.error);
  const s = made.value;
  const gap = arg('--gap', GAP);
  const loaded = s.load(nrfProgram(`uart-flood-${gap}`, floodSource(gap)));
  if (!loaded.ok) throw new Error(loaded.error);
  const core = s.core;
  let setLog: (on: boolean) => void;
  let recorded: () => number;
  if (what === 'session' || tree) {
    setLog = (on) => s.setAccessLog(on);
    recorded = () => s.accessLog?.recorded ?? 0;
  } else {
    const { AccessLog } = (await import(
      pathToFileURL(what).href
    )) as typeof import('../../emulator/debug/peripherals/access-log');
    const log = new AccessLog();
    // The session's listener without a walker: the log's own (`recorder`) where the revision
    // has one, else a closure calling `record` as the session's did; the debugger's depth a field
    // read at each access, as the session's is (the debugger never reads here).
    const debug = { depth: 0 };
    const listener =
      'recorder' in log
        ? log.recorder(core, debug)
        : (write: boolean, address: number, size: 1 | 2 | 4, value: number) =>
            (log as InstanceType<typeof AccessLog>).record(
              core.clock.now,
              write,
              size,
              address,
              value,
              core.pc >>> 0,
              debug.depth !== 0,
            );
    setLog = (on) => (core.bus.onDeviceAccess = on ? listener : null);
    recorded = () => log.recorded;
  }
  const WINDOW = arg('--window', 4) * 1e6;
  const window = (on: boolean): { ms: number; entries: number } => {
    setLog(on);
    const before = recorded();
    const t0 = processCpuMs();
    s.runSlice({ instructions: WINDOW });
    const ms = processCpuMs() - t0;
    return { ms, entries: recorded() - before };
  };
  const pairs = crossoverPairs(window);
  return {
    offMs: median(pairs.map((p) => p.off.ms)),
    costMs: median(pairs.map((p) => p.on.ms - p.off.ms)),
    accesses: median(pairs.map((p) => p.on.entries)),
  };
}

/**
 * `--pairs` log-off/log-on window pairs (default 6), every other pair running its log-on window
 * first (a crossover), after four warm-up windows (the translator compiles the loop, the ring
 * fills and wraps). Throws when a log-on window recorded nothing.
 */
function crossoverPairs(
  window: (on: boolean) => { ms: number; entries: number },
): { off: { ms: number; entries: number }; on: { ms: number; entries: number } }[] {
  for (let k = 0; k < 4; k++) window(k % 2 === 1);
  const pairs = [];
  for (let k = 0; k < arg('--pairs', 6); k++) {
    const first = window(k % 2 === 1);
    const second = window(k % 2 === 0);
    const pair = k % 2 === 0 ? { off: first, on: second } : { off: second, on: first };
    if (pair.on.entries === 0) throw new Error('a log-on window recorded nothing');
    pairs.push(pair);
  }
  return pairs;
}

async function poll(dir: string): Promise<PollResult> {
  const { createSession } = (await import(
    pathToFileURL(join(dir, 'emulator/session/session.ts')).href
  )) as SessionModule;
  const { nrfProgram } = await import('../../emulator/node/test-programs');
  const made = createSession({ machine: 'nrf52840dk' });
  if (!made.ok) throw new Error(made.error);
  const s = made.value;
  const loaded = s.load(nrfProgram('timer-poll', POLL_SOURCE));
  if (!loaded.ok) throw new Error(loaded.error);
  const WINDOW = arg('--window', 4) * 1e6;
  const window = (on: boolean): { ms: number; entries: number } => {
    s.setAccessLog(on);
    const before = s.accessLog?.recorded ?? 0;
    const t0 = processCpuMs();
    s.runSlice({ instructions: WINDOW });
    return { ms: processCpuMs() - t0, entries: (s.accessLog?.recorded ?? 0) - before };
  };
  const pairs = crossoverPairs(window);
  return {
    offMs: median(pairs.map((p) => p.off.ms)),
    onMs: median(pairs.map((p) => p.on.ms)),
    entries: median(pairs.map((p) => p.on.entries)),
  };
}

async function kernel(dir: string): Promise<KernelResult> {
  const at = (p: string) => pathToFileURL(join(dir, p)).href;
  const { createSession } = (await import(at('emulator/session/session.ts'))) as SessionModule;
  const { callerTable } = (await import(
    at('emulator/debug/peripherals/call-chain.ts')
  )) as typeof import('../../emulator/debug/peripherals/call-chain');
  const { executeRow } = (await import(
    at('emulator/formats/dwarf/cfi.ts')
  )) as typeof import('../../emulator/formats/dwarf/cfi');
  const { DebugInfo } = (await import(
    at('emulator/formats/dwarf/debug-info.ts')
  )) as typeof import('../../emulator/formats/dwarf/debug-info');
  const elf = new Uint8Array(readFileSync(KERNEL_ELF));
  const info = DebugInfo.load(elf, { name: 'kernel' });
  if (!info.ok) throw new Error(info.error);
  const table = callerTable(info.value.cfi.fdes, (f, a) => executeRow(f, a));
  const made = createSession({ machine: 'nrf52840dk' });
  if (!made.ok) throw new Error(made.error);
  const s = made.value;
  const loaded = s.load(elf);
  if (!loaded.ok) throw new Error(loaded.error);
  type Mode = 'off' | 'on' | 'chains';
  const MODES: Mode[] = ['off', 'on', 'chains'];
  const window = (mode: Mode): { ms: number; accesses: number } => {
    if (mode === 'off') s.setAccessLog(false);
    else {
      // The same table every time: the session keeps its walker and the walker's memo, as the
      // IDE's one walker for a whole run does.
      s.setAccessLogCallers(mode === 'chains' ? table : null);
      s.setAccessLog(true);
    }
    const before = s.accessLog?.recorded ?? 0;
    const t0 = processCpuMs();
    s.runSlice({ instructions: 1_000_000 });
    return { ms: processCpuMs() - t0, accesses: (s.accessLog?.recorded ?? 0) - before };
  };
  // Past the boot (~11 million instructions to the first transmission) and the first
  // translations, then each mode once.
  for (let k = 0; k < 15; k++) window('off');
  for (const m of MODES) window(m);
  const offs: number[] = [];
  const on: number[] = [];
  const chains: number[] = [];
  const accesses: number[] = [];
  for (let round = 0; round < arg('--rounds', 5); round++) {
    const ms = new Map<Mode, number>();
    for (let k = 0; k < 3; k++) {
      const m = MODES[(k + round) % 3]!;
      const w = window(m);
      if (m !== 'off' && w.accesses === 0) throw new Error(`a '${m}' window recorded nothing`);
      if (m !== 'off') accesses.push(w.accesses);
      ms.set(m, w.ms);
    }
    offs.push(ms.get('off')!);
    on.push(ms.get('on')! - ms.get('off')!);
    chains.push(ms.get('chains')! - ms.get('off')!);
  }
  s.setAccessLogCallers(table); // the walker the chains windows used (kept per table)
  const walker = (s as unknown as { callerWalker: { hits: number; walks: number } | null })
    .callerWalker;
  return {
    offMs: median(offs),
    onCostMs: median(on),
    chainsCostMs: median(chains),
    accesses: median(accesses),
    rows: table.starts.length,
    hits: walker?.hits ?? 0,
    walks: walker?.walks ?? 0,
  };
}

if (resolve(process.argv[1] ?? '') === ME) {
  const [what, target] = process.argv.slice(2);
  if (what === 'flood' && target) console.log(JSON.stringify(await flood(target)));
  else if (what === 'poll' && target) console.log(JSON.stringify(await poll(target)));
  else if (what === 'kernel' && target) {
    if (!existsSync(KERNEL_ELF))
      throw new Error(`${KERNEL_ELF} is not built (npm run kernel:build -- --board nrf52840dk)`);
    console.log(JSON.stringify(await kernel(target)));
  } else {
    console.error(
      'usage: periph-log-child.ts flood MODULE|session|DIR | poll DIR | kernel DIR [--rounds N]',
    );
    process.exit(2);
  }
}
