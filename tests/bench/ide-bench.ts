/**
 * `npm run bench:ide`: the IDE debugger's speed, measured in one run, with the figures issue 15
 * asks for:
 *
 * 1. MIPS of an IDE session (the DebugService, its emulator worker, events through a window's
 *    connection) against the emulator's command line on the same image: tests/bench/bench.c on
 *    mps2-an386, flat out. The program reads its round count from the semihosting command line,
 *    the image's path in both, whose last number is mps2-an386's (386 rounds, ~90 million
 *    instructions); the image is built to run `--scale` times that (a bench-only build,
 *    -DROUNDS_SCALE), so the run dominates the session's fixed costs. Each IDE session's stages
 *    are timed: worker ready (spawn, modules, machine, image), program read (host), running
 *    shown, the run (the worker's `running` to its exit `stopped`, as the host thread receives
 *    them), and the report (that stop to the exit shown in the window); the run stage is judged
 *    against the command line's own run (its MIPS line) on the same image and instructions.
 *    Both cold (a fresh process, a fresh worker: what a person starting either gets), the median
 *    of several of each, alternating. The session's own rate (the worker's `stats` events,
 *    median) is printed beside it: the wall time from "running" to the exit shown also holds
 *    the service's stop report. The same sessions pressed as Debug (history from the first
 *    instruction) are printed on their own line, and Run pressed with the studio's spare worker
 *    ready (the window open a while: its modules loaded) gives the time to running without the
 *    worker's module loading.
 * 1b. CPU time per instruction of the emulator target (what the worker runs) against the CLI's
 *    loop, in this thread, as a crossover of two sessions in lockstep (tests/bench/ide-cpu.ts):
 *    unlike wall-clock MIPS, it holds on a loaded machine.
 * 2. The host's event-loop delay (p50/p99/max) while that session runs flat out.
 * 3. Through the UI in Chromium (browser mode, the kernel workspace's nRF52840-DK build): the
 *    time from pressing F10 (Step over) to the editor's new current line, and the time from the
 *    board's UART transmitting console output (stamped in the emulator worker) to the terminal
 *    showing it (keys typed into the process console make it echo).
 *
 * Options: --scale K (part 1's image runs K x 386 rounds, default 6), --steps N (default 20), --keys N (default 60), --windows N (1b's window pairs of 50 million
 * instructions, default 12), --runs N
 * (1 and 2: cold command-line runs and cold IDE sessions, alternating, default 3),
 * --no-ui (skip 3), --ui-only (only 3), --verbose (3a: every step's figures). The machine's load changes every figure: say it when quoting them (the load
 * average is printed), and compare figures from one run only.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { CDPSession } from 'playwright-core';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import type { HostEvent, HostEvents, StepTiming } from '../../main/common/contract';
import { encodeFrame } from '../../main/common/wire';
import type { EmulatorTargetSpec } from '../../emulator/debug/emulator-target';
import { DwarfProgramView } from '../../main/host/debug-dwarf';
import { startEmulatorWorker } from '../../main/host/emulator-worker-target';
import { createHost } from '../../main/host/host';
import { clickGutter } from '../e2e/built-kernel';
import type { ConsoleShown } from '../../renderer/src/panels/debug/ConsolePanel';
import { APP_ROOT, openOffline, openInExplorer, startStudio } from '../e2e/harness';
import { buildBench } from './build';
// @ts-expect-error: plain ES module without type declarations
import { buildRendererIfStale } from '../../scripts/start.mjs';
import { cpuAB, describeAB } from './ide-cpu';
import { positiveArg } from './args';
import { percentile } from './cpu-time';

const STEPS = positiveArg('--steps', 20);
const KEYS = positiveArg('--keys', 60);
const WINDOWS = positiveArg('--windows', 12);
const RUNS = positiveArg('--runs', 3);
const SCALE = positiveArg('--scale', 6);
const UI = !process.argv.includes('--no-ui');
/** Only part 3 (through the UI): its figures without minutes of sessions before them. */
const UI_ONLY = process.argv.includes('--ui-only');
/** Part 3a prints every step (its file:line, when the halt showed, the window's long tasks). */
const VERBOSE = process.argv.includes('--verbose');
/**
 * `--profile DIR`: the window's CPU profile during the steps (Chromium's sampling profiler
 * through CDP) is written to DIR/window-steps.cpuprofile and its heaviest functions (self time)
 * printed.
 */
const PROFILE_AT = process.argv.indexOf('--profile');
const PROFILE_DIR = PROFILE_AT > 0 ? process.argv[PROFILE_AT + 1] : undefined;
/**
 * `--host-profile DIR`: the host process runs under `--cpu-prof` (one profile per thread: the
 * host's and its emulator worker's), written to DIR when it exits at the bench's end; the whole
 * part 3, not only the steps (NODE_OPTIONS refuses --cpu-prof).
 */
const HOST_PROFILE_AT = process.argv.indexOf('--host-profile');
const HOST_PROFILE_DIR = HOST_PROFILE_AT > 0 ? process.argv[HOST_PROFILE_AT + 1] : undefined;

const ms = (n: number): string => `${n.toFixed(1)} ms`;

console.log(
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${os.cpus().length} cores`,
);

// ---- 1 and 2: MIPS, CLI against IDE session, and event-loop delay ---------------------------

if (!UI_ONLY) {
  const built = buildBench(undefined, 'bench', SCALE);
  if (!built.ok) {
    console.error(built.error);
    process.exit(1);
  }
  const project = mkdtempSync(path.join(os.tmpdir(), 'ide-bench-'));
  const images = path.join(project, 'target', 'images', 'mps2-an386');
  mkdirSync(images, { recursive: true });
  // The program reads its round count from the last number of its command line, which is the
  // image's path in both runs: `.../mps2-an386/kernel.elf`, so 386 rounds (about 90 million
  // instructions), times SCALE (the build's -DROUNDS_SCALE).
  const elf = path.join(images, 'kernel.elf');
  copyFileSync(built.value, elf);

  /** One cold run of the command line (a fresh process, as a person runs it). */
  function runCli(): { mips: number; instructions: number; checksum: string; startMs: number } {
    const spawned = performance.now();
    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'emulator/node/cli.ts',
        '--machine',
        'mps2-an386',
        '--semihosting',
        '--pace',
        'fast',
        elf,
      ],
      { cwd: APP_ROOT, encoding: 'utf8' },
    );
    const line = /instructions: (\d+), virtual time: [\d.]+ s, MIPS: ([\d.]+)/.exec(cli.stderr);
    const sum = /checksum [0-9a-f]+ rounds [0-9a-f]+/.exec(cli.stdout + cli.stderr)?.[0];
    if (!line || !sum) {
      console.error(`the command-line run failed (${cli.status}):\n${cli.stderr}`);
      process.exit(1);
    }
    // The process's start (Node, tsx, the modules, the machine and the image) is what the run's
    // own time (instructions / MIPS) leaves of the process's wall time.
    const runMs = (Number(line[1]) / Number(line[2]) / 1e6) * 1000;
    return {
      mips: Number(line[2]),
      instructions: Number(line[1]),
      checksum: sum,
      startMs: performance.now() - spawned - runMs,
    };
  }

  /** Milliseconds from pressing Run (`session.start`) to each stage of an IDE session. */
  interface Stages {
    /** The worker said hello: its modules loaded, the machine built, the image programmed. */
    worker: number;
    /** The debug information (DWARF, else symbols) read, on the host thread. */
    program: number;
    /** The session shown running (the target runs). */
    running: number;
    /** The worker's first rate report (stats event), and the exit shown. */
    firstStats: number;
    exit: number;
    /** The target's `running` and exit `stopped` events as the host thread receives them. */
    targetRunning: number;
    targetStopped: number;
  }

  interface IdeRun {
    seconds: number;
    checksum: string | undefined;
    stop: string;
    statsMips: number[];
    delay: IntervalHistogram;
    stages: Stages;
  }

  /**
   * One cold IDE session (a fresh host and emulator worker, as pressing Run starts one), its
   * host's event-loop delay recorded while it runs (a histogram of its own: one enabled across
   * the CLI runs would count their blocking spawnSync as one long delay). `mode` is the button
   * (Debug records history from the first instruction); with `spare` the window has been open a
   * while: the studio's spare worker (its modules loaded) takes the spec.
   */
  async function runIde(mode: 'run' | 'debug' = 'run', spare = false): Promise<IdeRun> {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const stages: Stages = {
      worker: NaN,
      program: NaN,
      running: NaN,
      firstStats: NaN,
      exit: NaN,
      targetRunning: NaN,
      targetStopped: NaN,
    };
    let startedAt = 0;
    const at = (): number => performance.now() - startedAt;
    const host = createHost({
      projectRoot: project,
      appRoot: APP_ROOT,
      transport: 'browser',
      watchTree: false,
      // The service's own worker start (or its spare, untimed) and program loader, timed.
      debug: {
        ...(spare
          ? { spareWorker: true }
          : {
              startEmulator: async (spec: EmulatorTargetSpec) => {
                const t = await startEmulatorWorker(spec);
                stages.worker = at();
                // The run as the host thread sees it (both events cross the same channel).
                if (t.ok)
                  t.value.onEvent((e) => {
                    if (e.kind === 'running' && Number.isNaN(stages.targetRunning))
                      stages.targetRunning = at();
                    if (e.kind === 'stopped' && e.stop.cause.kind === 'exit')
                      stages.targetStopped = at();
                  });
                return t;
              },
            }),
        loadProgram: (images, root) => {
          const p = DwarfProgramView.load(images, root);
          stages.program = at();
          return p;
        },
      },
    });
    let console_ = '';
    let exited: (() => void) | null = null;
    let running = 0;
    const statsMips: number[] = [];
    // A window's connection, its events framed as the browser-mode server frames them.
    const conn = host.connect((events: HostEvent[]) => {
      encodeFrame({ kind: 'events', events });
      for (const e of events) {
        if (e.name === 'session.console')
          console_ += new TextDecoder().decode((e.payload as HostEvents['session.console']).bytes);
        if (e.name === 'session.stats') {
          statsMips.push((e.payload as HostEvents['session.stats']).mips);
          if (Number.isNaN(stages.firstStats)) stages.firstStats = at();
        }
        if (e.name !== 'session.state') continue;
        const st = e.payload as HostEvents['session.state'];
        if (st.phase === 'running' && !running) {
          running = performance.now();
          stages.running = at();
        }
        if (st.stop?.reason === 'exit') {
          stages.exit = at();
          exited?.();
        }
      }
    });
    const done = new Promise<void>((r) => (exited = r));
    if (spare && !(await host.debug.spareReady())) {
      console.error('the spare emulator worker did not start');
      process.exit(1);
    }
    startedAt = performance.now();
    const started = await conn.call(1, 'session.start', { mode, board: 'mps2-an386' });
    if (!started.ok) {
      console.error(`the IDE session did not start: ${JSON.stringify(started)}`);
      process.exit(1);
    }
    delay.enable();
    await done;
    delay.disable();
    const ended = performance.now();
    const stop = host.debug.session?.stop;
    conn.close();
    host.dispose();
    return {
      seconds: (ended - (running || startedAt)) / 1000,
      checksum: /checksum [0-9a-f]+ rounds [0-9a-f]+/.exec(console_)?.[0],
      stop: stop?.description ?? '?',
      statsMips,
      delay,
      stages,
    };
  }

  // Like with like: both cold (a fresh process, a fresh worker), the same image and instruction
  // count, alternating which goes first, the medians of RUNS of each.
  const clis: ReturnType<typeof runCli>[] = [];
  const ides: IdeRun[] = [];
  /** The same sessions pressed as Debug (history from the first instruction). */
  const debugs: IdeRun[] = [];
  /** Run pressed with the studio's spare worker ready (the window open a while). */
  const spares: IdeRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      clis.push(runCli());
      ides.push(await runIde('run'));
      debugs.push(await runIde('debug'));
      spares.push(await runIde('run', true));
    } else {
      spares.push(await runIde('run', true));
      debugs.push(await runIde('debug'));
      ides.push(await runIde('run'));
      clis.push(runCli());
    }
  }
  rmSync(project, { recursive: true, force: true });
  const median = (xs: number[]): number => percentile(xs, 50);
  const { instructions: cliInstructions, checksum } = clis[0]!;
  const cliMips = median(clis.map((c) => c.mips));
  const ideMipsAll = ides.map((r) => cliInstructions / r.seconds / 1e6);
  const ideMips = median(ideMipsAll);
  const list = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join(', ');
  console.log(
    `\n1. MIPS on the same image (bench.c, mps2-an386, flat out; cold, median of ${RUNS})`,
  );
  console.log(
    `   command line: ${cliMips.toFixed(1)} MIPS (runs: ${list(clis.map((c) => c.mips))}; ${cliInstructions} instructions, ${checksum})`,
  );
  console.log(
    `   IDE session pressed as Run:  ${ideMips.toFixed(1)} MIPS (runs: ${list(ideMipsAll)}; from running to exit; ${ides[0]!.checksum ?? 'no checksum!'}; stop: ${ides[0]!.stop})`,
  );
  /** MIPS of the run stage alone: the worker's running to its exit stop, on the host thread. */
  const runStage = (r: IdeRun): number =>
    cliInstructions / (r.stages.targetStopped - r.stages.targetRunning) / 1e3;
  const ideRunMipsAll = ides.map(runStage);
  const ideRunMips = median(ideRunMipsAll);
  console.log(
    `   its run stage (worker running to exit stopped): ${ideRunMips.toFixed(1)} MIPS (runs: ${list(ideRunMipsAll)}); ratio run stage / command line's run: ${((ideRunMips / cliMips) * 100).toFixed(0)} % (target >= 90 %); whole session from running shown to exit shown: ${((ideMips / cliMips) * 100).toFixed(0)} %`,
  );
  const debugMipsAll = debugs.map((r) => cliInstructions / r.seconds / 1e6);
  const debugMips = median(debugMipsAll);
  const debugRunMipsAll = debugs.map(runStage);
  const debugRunMips = median(debugRunMipsAll);
  console.log(
    `   IDE session pressed as Debug (history from the first instruction): ${debugMips.toFixed(1)} MIPS (runs: ${list(debugMipsAll)}; ${debugs[0]!.checksum ?? 'no checksum!'}); its run stage ${debugRunMips.toFixed(1)} MIPS (runs: ${list(debugRunMipsAll)}), ratio run stage / command line ${((debugRunMips / cliMips) * 100).toFixed(0)} %`,
  );
  /** The median of the sessions that reached the stage; says so when none did. */
  const stage = (k: keyof Stages, of = ides): string => {
    const seen = of.map((r) => r.stages[k]).filter((t) => !Number.isNaN(t));
    if (seen.length === 0)
      return k === 'firstStats'
        ? "none (every session ended before the worker's first rate report, every 500 ms)"
        : 'not reached';
    return `${ms(median(seen))}${seen.length < of.length ? ` (${seen.length} of ${of.length} sessions)` : ''}`;
  };
  /** The median length of a stage, from one mark to the next, over the sessions. */
  const span = (from: keyof Stages, to: keyof Stages, of = ides): string =>
    ms(median(of.map((r) => r.stages[to] - r.stages[from])));
  console.log(
    `   IDE session stages from pressing Run (medians): worker ready ${stage('worker')} (spawn, its modules, machine and image, on its thread; the host reads the program meanwhile: done at ${stage('program')}), running shown ${stage('running')}, first rate report ${stage('firstStats')}, exit shown ${stage('exit')}`,
  );
  console.log(
    `   stage lengths (medians): start (press to the worker running) ${ms(median(ides.map((r) => r.stages.targetRunning)))}, run ${span('targetRunning', 'targetStopped')}, report (exit stop on the host to exit shown) ${span('targetStopped', 'exit')}; Debug: start ${ms(median(debugs.map((r) => r.stages.targetRunning)))}, run ${span('targetRunning', 'targetStopped', debugs)}, report ${span('targetStopped', 'exit', debugs)}`,
  );
  console.log(
    `   command line: process start to its run ${ms(median(clis.map((c) => c.startMs)))} (Node, tsx, modules, machine, image; median)`,
  );
  console.log(
    `   Run with the spare worker ready (the window open a while): running ${stage('running', spares)} from pressing Run (cold worker: ${stage('running')}), exit shown ${stage('exit', spares)}`,
  );
  const sortedStats = ides.flatMap((r) => r.statsMips).sort((a, b) => a - b);
  console.log(
    `   the session's own rate (worker stats, median of ${sortedStats.length}): ${(sortedStats[sortedStats.length >> 1] ?? NaN).toFixed(1)} MIPS`,
  );
  if (
    [...ides, ...debugs, ...spares].some((r) => r.checksum !== checksum) ||
    clis.some((c) => c.checksum !== checksum)
  )
    console.log('   CHECKSUMS DIFFER');
  console.log(
    '\n1b. CPU time per instruction, emulator target against the CLI loop (this thread, crossover)',
  );
  console.log(
    `   Run (history from the first stop):   ${describeAB(await cpuAB(built.value, WINDOWS))} (target >= 90 %)`,
  );
  console.log(
    `   Debug (history from the first instruction): ${describeAB(await cpuAB(built.value, WINDOWS, { historyFrom: 'start' }))}`,
  );
  console.log('\n2. Host event-loop delay while the session runs flat out');
  console.log(
    `   p50 ${ms(median(ides.map((r) => r.delay.percentile(50))) / 1e6)}, p99 ${ms(median(ides.map((r) => r.delay.percentile(99))) / 1e6)} (medians of the sessions), max ${ms(Math.max(...ides.map((r) => r.delay.max)) / 1e6)} (target p99 < 50 ms)`,
  );
}

/** CPU ms of a process and all its threads so far (Linux /proc; the host and its worker). */
function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15) in clock ticks of 10 ms.
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

/** CPU ms of the browser's renderer processes so far (the window's page and its workers). */
async function rendererCpuMs(cdp: CDPSession): Promise<number> {
  const info = (await cdp.send('SystemInfo.getProcessInfo')) as {
    processInfo: { type: string; cpuTime: number }[];
  };
  return info.processInfo
    .filter((p) => p.type === 'renderer')
    .reduce((sum, p) => sum + p.cpuTime * 1000, 0);
}

/** A CPU profile's heaviest functions by self time (and its total), for `--profile`. */
function printProfile(profile: {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }[];
  samples?: number[];
  timeDeltas?: number[];
}): void {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++)
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i] ?? 0) / 1000);
  const byName = new Map<string, number>();
  let busy = 0;
  for (const n of profile.nodes) {
    const t = self.get(n.id) ?? 0;
    const f = n.callFrame;
    if (f.functionName !== '(idle)' && f.functionName !== '(program)') busy += t;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    byName.set(key, (byName.get(key) ?? 0) + t);
  }
  console.log(`   window profile during the steps: ${ms(busy)} busy (self time, heaviest first):`);
  for (const [k, t] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 30))
    console.log(`     ${ms(t)}  ${k}`);
}

/** One step as the window saw it (3a): ms after F10, and the press and the halt in epoch ms. */
interface StepStage {
  halted: number;
  busy: number;
  line: string;
  pressedEpoch: number;
  haltedEpoch: number;
}

// ---- 3: through the UI --------------------------------------------------------------------

if (UI) {
  const kernel = mkdtempSync(path.join(os.tmpdir(), 'ide-bench-kernel-'));
  cpSync(path.join(APP_ROOT, 'kernel'), kernel, {
    recursive: true,
    preserveTimestamps: true,
    filter: (src) => !/[\\/](\.git|node_modules)$/.test(src),
  });
  const cache = mkdtempSync(path.join(os.tmpdir(), 'ide-bench-cache-'));
  // The window the bench drives is the renderer bundle as the sources say now.
  (buildRendererIfStale as () => void)();
  const studio = await startStudio(
    kernel,
    { XDG_CACHE_HOME: cache },
    HOST_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(HOST_PROFILE_DIR)] : [],
  );
  const b = await openOffline(studio.url);
  const page = b.page;
  // The host's split of each step (SessionStop.timing) as its session state reaches the window:
  // the connection's frames, watched from the reload on (the first connection opened unwatched).
  const stepTimings: StepTiming[] = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload !== 'string' || !payload.includes('"timing"')) return;
      try {
        const m = JSON.parse(payload) as { events?: HostEvent[] };
        for (const e of m.events ?? []) {
          const t =
            e.name === 'session.state'
              ? (e as HostEvent<'session.state'>).payload.stop?.timing
              : undefined;
          if (t && !stepTimings.some((x) => x.receivedAt === t.receivedAt)) stepTimings.push(t);
        }
      } catch {
        // another kind of frame
      }
    }),
  );
  await page.reload();
  try {
    await page.locator('.tree-row').first().waitFor();
    await page.locator('.toolbar select').selectOption('nrf52840dk');
    await openInExplorer(page, 'capsules/src/console.rs');
    await page.keyboard.press('Control+g');
    await page.keyboard.type('155');
    await page.keyboard.press('Enter');
    await page.keyboard.press('F9');
    await page.keyboard.press('F5');
    await page.locator('.app[data-stop="breakpoint"]').waitFor({ timeout: 300_000 });
    // The page measures: F10's keydown to the editor's current line attribute changing.
    await page.evaluate(() => {
      const w = window as unknown as {
        stepTimes: number[];
        onStep: (() => void) | null;
        stages: StepStage[];
        pressed: number;
        pressedEpoch: number;
        haltedAt: number;
        haltedEpoch: number;
        busy: number;
        busyAtPress: number;
      };
      w.stepTimes = [];
      w.onStep = null;
      w.stages = [];
      // The window's own share: its main thread's long tasks (> 50 ms), summed.
      w.busy = 0;
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) w.busy += e.duration;
      }).observe({ type: 'longtask' });
      window.addEventListener(
        'keydown',
        (e) => {
          if (e.key !== 'F10') return;
          w.pressed = performance.now();
          w.pressedEpoch = Date.now();
          w.haltedAt = 0;
          w.haltedEpoch = 0;
          w.busyAtPress = w.busy;
        },
        true,
      );
      // The new line, not the old one cleared while the stop's file opens (a step into another
      // file clears the line first: counting that undercounted every step that changed file).
      const host = document.querySelector('.editor-host')!;
      new MutationObserver(() => {
        if (w.pressed && host.getAttribute('data-current-line')) {
          w.stepTimes.push(performance.now() - w.pressed);
          // Where the time went: the stop shown in the window's state (the host's reply and
          // its event through the connection), and the window's long tasks during the step.
          w.stages.push({
            // No PC change seen first: the stop and its line came in one render.
            halted: (w.haltedAt || performance.now()) - w.pressed,
            busy: w.busy - w.busyAtPress,
            line: `${document.querySelector('.tab.active')?.getAttribute('data-path')?.split('/').pop() ?? '?'}:${host.getAttribute('data-current-line')}`,
            pressedEpoch: w.pressedEpoch,
            haltedEpoch: w.haltedEpoch || Date.now(),
          });
          w.pressed = 0;
          w.onStep?.();
        }
      }).observe(host, {
        attributes: true,
        attributeFilter: ['data-current-line'],
      });
      // The window's state has the new stop (its PC changed): the host's part is done.
      new MutationObserver(() => {
        // A new stop, not the stop cleared (a step longer than 250 ms shows as running first).
        const pc = document.querySelector('.app')!.getAttribute('data-stop-pc');
        if (w.pressed && !w.haltedAt && pc) {
          w.haltedAt = performance.now();
          w.haltedEpoch = Date.now();
        }
      }).observe(document.querySelector('.app')!, {
        attributes: true,
        attributeFilter: ['data-stop-pc'],
      });
    });
    const cdp = PROFILE_DIR ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    // CPU time over the steps (load-independent, unlike their wall-clock figures): the window's
    // renderer processes (Chromium's process info) and the host process with its worker threads.
    const browserCdp = await b.browser.newBrowserCDPSession();
    const cpu0 = {
      window: await rendererCpuMs(browserCdp),
      host: processCpuMs(studio.process.pid),
    };
    const steps: number[] = [];
    // The steps' span in the monotonic clock the host's profile stamps its samples with.
    const stepsFrom = process.hrtime.bigint() / 1000n;
    for (let i = 0; i < STEPS; i++) {
      const before = await page.locator('.app').getAttribute('data-session');
      await page.keyboard.press('F10');
      // Told by the page when the line shows, not polled: waitForFunction's default polling runs
      // its predicate at every animation frame, and that cost the window's main thread more
      // than half a second over the steps it measures (a CPU profile's requestAnimationFrame).
      await page.evaluate(
        (n) =>
          new Promise<void>((resolve) => {
            const w = window as unknown as { stepTimes: number[]; onStep: (() => void) | null };
            if (w.stepTimes.length > n) return resolve();
            const timer = setTimeout(resolve, 30_000);
            w.onStep = () => {
              clearTimeout(timer);
              w.onStep = null;
              resolve();
            };
          }),
        steps.length,
      );
      const t = await page.evaluate(() => (window as unknown as { stepTimes: number[] }).stepTimes);
      if (t.length > steps.length) steps.push(t[t.length - 1]!);
      // A step may leave the function; back to the breakpoint when it runs on.
      if (
        (await page.locator('.app').getAttribute('data-session')) !== 'halted' ||
        before !== 'halted'
      )
        await page.locator('.app[data-session="halted"]').waitFor({ timeout: 60_000 });
    }
    if (HOST_PROFILE_DIR)
      console.log(
        `host profile: the steps ran from ${stepsFrom} to ${process.hrtime.bigint() / 1000n} (µs, the profile's clock)`,
      );
    if (cdp && PROFILE_DIR) {
      const { profile } = await cdp.send('Profiler.stop');
      mkdirSync(PROFILE_DIR, { recursive: true });
      writeFileSync(path.join(PROFILE_DIR, 'window-steps.cpuprofile'), JSON.stringify(profile));
      printProfile(profile);
    }
    const cpu1 = {
      window: await rendererCpuMs(browserCdp),
      host: processCpuMs(studio.process.pid),
    };
    const busy = await page.evaluate(() => (window as unknown as { busy: number }).busy);
    const stages = await page.evaluate(() => (window as unknown as { stages: StepStage[] }).stages);
    console.log('\n3a. Step over, F10 to the new current line shown (through the UI)');
    console.log(
      `   ${steps.length} steps: p50 ${ms(percentile(steps, 50))}, p90 ${ms(percentile(steps, 90))}, max ${ms(Math.max(...steps))} (target < 100 ms); the window's long tasks meanwhile: ${ms(busy)}`,
    );
    const hostCpu =
      cpu0.host !== null && cpu1.host !== null ? ms((cpu1.host - cpu0.host) / steps.length) : '-';
    console.log(
      `   CPU time per step (the steps' loop, the bench's own calls included): window ${ms((cpu1.window - cpu0.window) / steps.length)}, host with its emulator worker ${hostCpu}`,
    );
    // The window's own part of the steps that showed another file (the stage the read-ahead of
    // a stop's nearby sources removes): from the halt shown to the new line shown.
    const intoOther = stages
      .map((st, i) => ({ st, i }))
      .filter(({ st, i }) => i > 0 && st.line.split(':')[0] !== stages[i - 1]!.line.split(':')[0])
      .map(({ st, i }) => steps[i]! - st.halted);
    console.log(
      `   ${intoOther.length} steps showed another file: their new line came ${intoOther.length ? `${ms(percentile(intoOther, 50))} (p50), ${ms(Math.max(...intoOther))} (max)` : '-'} after the halt was shown`,
    );
    // Up to the halt shown, split (epoch ms, one system clock): the request to the host, its
    // turn, the step (the worker's time answering it, the round trips beyond that, the runs to
    // temporary breakpoints, the host's own code), the stop's handling (registers, unwind,
    // location), the session state to the window showing the stop.
    const split = stages.map((st) => {
      // The window's Date.now may read a few ms behind the host's (seen: -5 ms); steps are
      // further apart than 20 ms, so the window cannot take the step before's figures.
      const t = stepTimings.find(
        (x) => x.receivedAt >= st.pressedEpoch - 20 && x.receivedAt <= st.haltedEpoch,
      );
      if (!t) return null;
      const worker = t.workerMs ?? 0;
      return {
        t,
        parts: [
          t.receivedAt - st.pressedEpoch,
          t.queuedMs,
          worker,
          Math.max(0, t.callsMs - t.waitMs - worker),
          t.waitMs,
          Math.max(0, t.stepMs - t.callsMs),
          t.stopMs,
          st.haltedEpoch - t.emittedAt,
        ],
      };
    });
    const known = split.filter((x) => x !== null);
    const names = [
      'to the host',
      'its turn',
      'worker',
      'round trips beyond it',
      'runs to temporary breakpoints',
      "the step's own code",
      'stop handling',
      'state to the window shown',
    ];
    if (known.length > 0) {
      const col = (k: number): string => {
        const v = known.map((x) => x.parts[k]!);
        return `${names[k]} p50 ${ms(percentile(v, 50))} / p90 ${ms(percentile(v, 90))} / max ${ms(Math.max(...v))}`;
      };
      console.log(
        `   halt shown, split (${known.length} of ${stages.length} steps had the host's figures): ${names.map((_, k) => col(k)).join('; ')}`,
      );
      const trips = known.map((x) => x.t.trips ?? 0);
      const stopTrips = known.map((x) => x.t.stopTrips ?? 0);
      const calls = known.map((x) => x.t.calls);
      console.log(
        `   per step: target calls p50 ${percentile(calls, 50)} / max ${Math.max(...calls)}, messages to the worker p50 ${percentile(trips, 50)} / max ${Math.max(...trips)}, and for the stop's handling p50 ${percentile(stopTrips, 50)} / max ${Math.max(...stopTrips)}`,
      );
    } else console.log("   halt shown, split: the host's figures did not reach the bench");
    if (VERBOSE)
      stages.forEach((st, i) => {
        const x = split[i];
        console.log(
          `   step ${i + 1}: ${ms(steps[i] ?? NaN)} to ${st.line}; halted shown at ${ms(st.halted)}; window long tasks ${ms(st.busy)}${
            x
              ? `; split ${x.parts.map((p) => p.toFixed(0)).join(' + ')} ms (${x.t.calls} calls, ${x.t.trips ?? '-'} messages; stop ${x.t.stopTrips ?? '-'} messages)`
              : ''
          }`,
        );
      });
    // Console: run freely and time each chunk of UART output from its transmission (the
    // worker stamps when the board sent the first byte, `sentAt`, epoch ms) to the terminal
    // showing it (the rows change; the terminal host carries the last chunk's stamp). Typed keys
    // make the process console echo, so output keeps coming. The breakpoint goes first: the
    // steps may have opened another file, so console.rs is opened again and its glyph clicked.
    await page.getByRole('tab', { name: 'Explorer', exact: true }).click();
    await openInExplorer(page, 'capsules/src/console.rs');
    await clickGutter(page, 155);
    await page.locator('.bp-glyph.bp-line-155').waitFor({ state: 'detached' });
    await page.keyboard.press('F5');
    await page.locator('.app[data-session="running"]').waitFor();
    await page.getByRole('tab', { name: 'Console', exact: true }).click();
    await page.locator('.terminal-host').click();
    await page.waitForTimeout(3000);
    // Every stamped chunk: from its transmission (worker, wall clock) to the frame that paints
    // it after the terminal took it (`console-shown`, then the next animation frame), in the
    // same wall clock (Date.now: both processes read the system clock).
    // Each chunk's parts: transmission to the worker posting it (bytes held in the worker), to
    // the host thread taking it from the port (the message queue), to the host passing it on
    // (its handling there), to the window
    // receiving it (WebSocket), to the terminal taking it (xterm's parse), to the frame painting it.
    await page.evaluate(() => {
      const w = window as unknown as { outputTimes: number[]; outputParts: number[][] };
      w.outputTimes = [];
      w.outputParts = [];
      document.querySelector('.terminal-host')!.addEventListener('console-shown', (e) => {
        const { sentAt, postedAt, arrivedAt, forwardedAt, receivedAt } = (
          e as CustomEvent<ConsoleShown>
        ).detail;
        const forwarded = forwardedAt ?? receivedAt;
        const posted = postedAt ?? forwarded;
        const arrived = arrivedAt ?? posted;
        const taken = Date.now();
        requestAnimationFrame(() => {
          const shown = Date.now();
          w.outputTimes.push(shown - sentAt);
          w.outputParts.push([
            posted - sentAt,
            arrived - posted,
            forwarded - arrived,
            receivedAt - forwarded,
            taken - receivedAt,
            shown - taken,
          ]);
        });
      });
    });
    for (let i = 0; i < KEYS; i++) {
      await page.keyboard.type('x');
      await page.waitForTimeout(50);
      // Enter now and then: the process console answers (a longer reply than an echo).
      if (i % 10 === 9) await page.keyboard.press('Enter');
    }
    await page.waitForTimeout(1000);
    const outputs = await page.evaluate(
      () => (window as unknown as { outputTimes: number[] }).outputTimes,
    );
    const parts = await page.evaluate(
      () => (window as unknown as { outputParts: number[][] }).outputParts,
    );
    await page.keyboard.press('Control+u');
    console.log('\n3b. Console: UART transmit to the terminal showing it');
    if (outputs.length === 0) {
      const state = await page.locator('.app').getAttribute('data-session');
      console.log(`   no output seen for ${KEYS} keys (session ${state}): not measured`);
      process.exitCode = 1;
    } else
      console.log(
        `   ${outputs.length} chunks: p50 ${ms(percentile(outputs, 50))}, p90 ${ms(percentile(outputs, 90))}, p99 ${ms(percentile(outputs, 99))}, max ${ms(Math.max(...outputs))} (target < 50 ms; stamps in the wall clock of both processes, Date.now)`,
      );
    if (parts.length > 0) {
      const part = (k: number): string => {
        const v = parts.map((p) => p[k]!);
        return `p50 ${ms(percentile(v, 50))}, p90 ${ms(percentile(v, 90))}, max ${ms(Math.max(...v))}`;
      };
      console.log(
        `   parts: transmit to the worker posting it ${part(0)} (bytes held in the worker: its slices); to the host thread taking it ${part(1)} (the message queue: the host thread busy or off the CPU); to the host passing it on ${part(2)} (its handling in the host); to the window receiving it ${part(3)} (event batch, WebSocket, the window's turn); to the terminal taking it ${part(4)}; to the frame painting it ${part(5)}`,
      );
      // The slowest chunks' parts, as they split.
      const slow = parts
        .map((p, i) => ({ p, t: outputs[i]! }))
        .sort((a, b) => b.t - a.t)
        .slice(0, 3)
        .map(({ p, t }) => `${ms(t)} = ${p.map((x) => x.toFixed(0)).join(' + ')}`);
      console.log(
        `   slowest: ${slow.join('; ')} (ms: posted + arrived + forwarded + received + taken + painted)`,
      );
    }
    await page.keyboard.press('Shift+F5');
  } finally {
    await b.browser.close();
    await studio.stop();
    rmSync(kernel, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
}
console.log(
  `\nload average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
process.exit(0);
