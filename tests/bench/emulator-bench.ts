/**
 * `npm run bench:emulator`: the CPU benchmark in our emulator and in QEMU, in the same run.
 *
 * Builds tests/bench/bench.c for mps2-an386, then runs it (a) in our emulator in this Node
 * process, counting instructions exactly, and (b) in qemu-system-arm with default TCG and with
 * `-icount shift=0`, timing whole processes and subtracting the median of a zero-round run
 * (QEMU start-up and ELF load). All runs must print the same checksum. Prints medians, MIPS
 * (QEMU's from the emulator's exact instruction count for the same image and arguments) and
 * the ratio. Exit status 1 if a checksum differs or a run fails.
 *
 * Options: --rounds N (default 1000), --runs N (default 5).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { buildBench } from './build';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const ROUNDS = arg('--rounds', 1000);
const RUNS = arg('--runs', 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function qemuRun(elf: string, rounds: number, icount: boolean): { seconds: number; out: string } {
  const args = [
    '-M',
    'mps2-an386',
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    'none',
    '-semihosting-config',
    `enable=on,target=native,arg=bench,arg=${rounds}`,
    '-kernel',
    elf,
  ];
  if (icount) args.push('-icount', 'shift=0');
  const t0 = performance.now();
  const r = spawnSync('qemu-system-arm', args, { encoding: 'utf8', timeout: 120_000 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error) throw new Error(`qemu-system-arm not runnable: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`qemu-system-arm exited ${r.status}: ${r.stderr}`);
  // QEMU 7.2 sends the semihosting console to stderr when no chardev is given.
  const out =
    /checksum [0-9a-f]+ rounds [0-9a-f]+/.exec(r.stdout + r.stderr)?.[0] ??
    `(no checksum in QEMU output: ${r.stderr.trim()})`;
  return { seconds, out };
}

interface EmuResult {
  seconds: number;
  instructions: number;
  out: string;
}

async function emulatorRun(bytes: Uint8Array, rounds: number): Promise<EmuResult> {
  const { createSession } = await import('../../emulator/session/session');
  const created = createSession({
    machine: 'mps2-an386',
    semihosting: true,
    cmdline: `bench ${rounds}`,
  });
  if (!created.ok) throw new Error(created.error);
  const s = created.value;
  let out = '';
  s.on((e) => {
    if (e.kind === 'console') out += new TextDecoder().decode(e.bytes);
  });
  const loaded = s.load(bytes);
  if (!loaded.ok) throw new Error(loaded.error);
  const t0 = performance.now();
  let reason;
  do reason = s.runSlice({ instructions: 50_000_000 });
  while (reason.kind === 'limit' && s.instructions < 20e9);
  const seconds = (performance.now() - t0) / 1000;
  if (reason.kind !== 'exit' || reason.code !== 0)
    throw new Error(`emulator stopped: ${JSON.stringify(reason)}`);
  return { seconds, instructions: s.instructions, out: out.trim() };
}

async function main(): Promise<number> {
  const built = buildBench();
  if (!built.ok) {
    console.error(built.error);
    return 1;
  }
  const bytes = new Uint8Array(readFileSync(built.elf));
  console.log(`benchmark ${built.elf}, ${ROUNDS} rounds, ${RUNS} runs each (medians)`);

  const qemu: Record<string, { net: number; out: string }> = {};
  for (const icount of [false, true]) {
    const base = median(Array.from({ length: RUNS }, () => qemuRun(built.elf, 0, icount).seconds));
    const runs = Array.from({ length: RUNS }, () => qemuRun(built.elf, ROUNDS, icount));
    qemu[icount ? 'icount' : 'tcg'] = {
      net: Math.max(1e-6, median(runs.map((r) => r.seconds)) - base),
      out: runs[0]!.out,
    };
  }

  let emu: EmuResult[];
  try {
    emu = [];
    for (let i = 0; i < RUNS; i++) emu.push(await emulatorRun(bytes, ROUNDS));
  } catch (e) {
    console.error(`emulator run failed: ${(e as Error).message}`);
    console.log(
      `QEMU default TCG: ${qemu.tcg!.net.toFixed(3)} s net, QEMU -icount shift=0: ${qemu.icount!.net.toFixed(3)} s net (${qemu.tcg!.out})`,
    );
    return 1;
  }
  const insns = emu[0]!.instructions;
  const emuSeconds = median(emu.map((r) => r.seconds));
  const rate = (s: number): number => insns / s / 1e6;
  const outputs = new Set([emu[0]!.out, qemu.tcg!.out, qemu.icount!.out, ...emu.map((r) => r.out)]);
  const rows = [
    ['our emulator (Node ' + process.versions.node + ')', emuSeconds, rate(emuSeconds)],
    ['QEMU 7.2 default TCG', qemu.tcg!.net, rate(qemu.tcg!.net)],
    ['QEMU 7.2 -icount shift=0', qemu.icount!.net, rate(qemu.icount!.net)],
  ] as const;
  console.log(
    `instructions: ${insns} (exact, from the emulator; same image and arguments in QEMU)`,
  );
  for (const [name, s, mips] of rows)
    console.log(
      `${name.padEnd(34)} ${s.toFixed(3).padStart(8)} s  ${mips.toFixed(1).padStart(8)} MIPS`,
    );
  console.log(
    `ratio emulator/QEMU TCG: ${(rate(emuSeconds) / rate(qemu.tcg!.net)).toFixed(3)}, emulator/QEMU icount: ${(rate(emuSeconds) / rate(qemu.icount!.net)).toFixed(3)}`,
  );
  console.log(`all runs per emulator run (s): ${emu.map((r) => r.seconds.toFixed(3)).join(' ')}`);
  if (outputs.size !== 1) {
    console.error(`checksum mismatch: ${[...outputs].join(' | ')}`);
    return 1;
  }
  console.log(`output identical in every run: ${emu[0]!.out}`);
  return 0;
}

process.exitCode = await main();
