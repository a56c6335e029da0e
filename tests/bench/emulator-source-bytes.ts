/**
 * What the translator's generated source is made of, on the busy nRF52840 run's first session
 * (bench:nrf's busy run: the fuzzer app on the nrf52840dk kernel, MPU on), and what V8 makes of
 * it: characters by construct (memory fast paths, their slow paths into the core, hole tests,
 * flags, block ends...), characters per emitted instruction, and the Ignition bytecode of every
 * region function (bytes, bytes per character, the largest function against V8's bound).
 *
 * Why: on 2 cores the first run's wall clock is dominated by V8 compiling the regions' source
 * (~2.2 MB in ~155 regions), so the size of each instruction's code matters. But what V8
 * compiles is bytecode, not characters, and the translator bounds a region in characters
 * (cpu/translate.ts MAX_SOURCE, calibrated at ~0.73-0.8 bytes of bytecode a character so that
 * no region passes `--max-optimized-bytecode-size`, 61,440 bytes, and runs unoptimised). A
 * shrink of the characters that keeps the bytecode (spaces, shorter names) lets every region
 * take more code under the same bound: more bytecode, not less, and a denser region can pass
 * V8's bound (measured: the memory paths written without spaces came to 1.0 byte a character,
 * and the first run took more process CPU). Read both columns before changing a generator.
 *
 * The constructs are recognised by the generators' spelling (cpu/codegen.ts, the translator's
 * block ends and checks); what no pattern matches is "other". The sources are taken as the
 * translator makes them (`new Function`, replaced for the run by a proxy that records them).
 * The bytecode is read in a child process (`node --print-bytecode`) that compiles each
 * source and calls it once with empty arguments (it throws at its first use of them, after
 * V8 compiled it).
 *
 * Usage: npx tsx tests/bench/emulator-source-bytes.ts [--keep DIR] (DIR: where the sources
 * go, as JSON, for a later look; a temporary directory otherwise)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession } from '../../emulator/session/session';
import { kernelSession, nrfFuzzImage } from './nrf-fuzz-image';

/** V8's `--max-optimized-bytecode-size`: no function with more bytecode is optimised. */
const V8_MAX_OPTIMIZED_BYTECODE = 61_440;

/** The constructs, matched in this order (each match is taken out before the next pattern). */
const CONSTRUCTS: [string, RegExp][] = [
  // The tests of the stretch above a window's hole (codegen.ts `clear`), with their `||`.
  [
    'hole tests',
    / \|\| \(\(o - [qv]hh\) \^ H\) < [qv]ux|\(\(o - [rqwv]hh\) \^ H\) < [rqwv]ux \|\| |\(\(\(o - [rqwv]hh\) \^ H\) < [rqwv]ux && \(\(o - [rqwv]hh \+ \d+\) \^ H\) < [rqwv]ux\) \|\| /g,
  ],
  [
    'slow paths (sync, core call, x)',
    /else \{ (clock\.now = now \+ -?\d+; cpu\.pc = \d+; )?[^{}]*?x = cpu\.attention \? 1 : 2; \}/g,
  ],
  // The core call of codegen's `misaligned` (and the inline byte-wise path it replaced).
  [
    'unaligned paths',
    / else if \(\(a & [13]\) !== 0\) \{[^}]*\}| else if \(\(cpu\.ccr & 8\) === 0 && [^;]*;( \{[^}]*\})?/g,
  ],
  [
    'memory fast paths',
    /o = \(a - [rqwv]lo\) \| 0; if \([^;]*?\)\)? [A-Za-z0-9]+(\[[^\]]*\])? = [^;]*;( else \{)?/g,
  ],
  ['window reloads (REFRESH)', / d = cpu\.readRegion; [^\n]*W8 = d\.bytes;/g],
  ['exit checks (x === 1)', /if \(x === 1\) break L;/g],
  ['fault indexes (k =)', /k = \d+; /g],
  ['flags', /([NZCV] = [^;]+; ?)+/g],
  ['block ends (n, now, l, its)', /n \+= \d+; (now \+= -?\d+; )?l = \d+; its = \d+;/g],
  [
    'block branches (pc, b)',
    /(if \([^{]*\) \{ o = \d+; pc = \d+; b = -?\d+; \} else \{ o = \d+; pc = \d+; b = -?\d+; \} now \+= o;)|(pc = \d+; b = -?\d+;)/g,
  ],
  ['fall-through checks', /if \(b !== \d+ \|\| now >= lim \|\| n > nlim \|\| x !== 0\) break;/g],
  ['whitespace', /\s+/g],
];

const keepAt = process.argv.indexOf('--keep');
const dir = keepAt >= 0 ? process.argv[keepAt + 1]! : mkdtempSync(join(tmpdir(), 'capsule-src-'));

// Record every source the translator compiles during the run.
const sources: string[] = [];
const RealFunction = globalThis.Function;
(globalThis as { Function: unknown }).Function = new Proxy(RealFunction, {
  construct(target, args: unknown[]) {
    sources.push(String(args[args.length - 1]));
    return Reflect.construct(target, args) as object;
  },
});

const { session: s, text } = kernelSession(await nrfFuzzImage(), createSession, {
  translate: true,
});
for (let slices = 0; !/fuzz: done/.test(text()); slices++) {
  if (slices > 1000)
    throw new Error(`the fuzzer app did not finish in 10^9 instructions\n${text()}`);
  const r = s.runSlice({ instructions: 1_000_000 });
  if (r.kind !== 'limit') throw new Error(`emulator stopped: ${JSON.stringify(r)}\n${text()}`);
}
(globalThis as { Function: unknown }).Function = RealFunction;
if (sources.length === 0) throw new Error('the translator compiled nothing (is it on?)');

// Characters by construct; instructions from the block ends (`n += <instructions>`, before
// the cycles or, at a conditional branch, the link register's value), copies of blocks (tail
// copies) counted as emitted.
let chars = 0;
let insns = 0;
const by = new Map<string, number>(CONSTRUCTS.map(([name]) => [name, 0]));
let other = 0;
for (const src of sources) {
  chars += src.length;
  for (const m of src.matchAll(/n \+= (\d+); (now|l =)/g)) insns += Number(m[1]);
  let rest = src;
  for (const [name, re] of CONSTRUCTS)
    rest = rest.replace(re, (m) => {
      by.set(name, by.get(name)! + m.length);
      return ' ';
    });
  other += rest.length;
}
by.set('other', other);
const kib = (n: number): string => `${(n / 1024).toFixed(0).padStart(6)} KiB`;
console.log(
  `${sources.length} sources (${s.core.translatorStats.regions} regions), ${kib(chars)},` +
    ` ${insns} instructions emitted: ${(chars / insns).toFixed(1)} characters an instruction`,
);
for (const [name, n] of by)
  console.log(
    `  ${name.padEnd(32)} ${kib(n)} ${((100 * n) / chars).toFixed(1).padStart(5)} % ${(n / insns).toFixed(1).padStart(6)} an instruction`,
  );

// Bytecode: a child compiles each source and prints its bytecode.
const file = join(dir, 'sources.json');
writeFileSync(file, JSON.stringify(sources));
const child = spawnSync(
  process.execPath,
  [
    '--print-bytecode',
    '--print-bytecode-filter=region*',
    '-e',
    `const srcs = JSON.parse(require('fs').readFileSync(${JSON.stringify(file)}, 'utf8'));` +
      `for (const s of srcs) { try { new Function(s)()({}, [], {}, []); } catch {} }`,
  ],
  { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 300_000 },
);
if (child.status !== 0 && child.stdout === '')
  throw new Error(`bytecode child failed: ${child.error?.message ?? child.stderr}`);
// Each function's bytecode ends with its last instruction; its offset (plus that
// instruction, at most a few bytes) is the function's size.
const sizes: number[] = [];
let last = -1;
for (const line of child.stdout.split('\n')) {
  if (line.startsWith('[generated bytecode for function: region')) {
    if (last >= 0) sizes.push(last);
    last = 0;
  } else if (last >= 0) {
    const m = / @ +(\d+) : /.exec(line);
    if (m) last = Number(m[1]);
  }
}
if (last >= 0) sizes.push(last);
if (sizes.length !== sources.length)
  console.log(`(bytecode read for ${sizes.length} of ${sources.length} functions)`);
const bytecode = sizes.reduce((a, b) => a + b, 0);
const largest = Math.max(...sizes);
console.log(
  `bytecode ${kib(bytecode)}: ${(bytecode / chars).toFixed(2)} bytes a character,` +
    ` ${(bytecode / insns).toFixed(1)} an instruction; largest function ${largest} bytes` +
    ` (V8 optimises none over ${V8_MAX_OPTIMIZED_BYTECODE})`,
);
if (keepAt < 0) rmSync(dir, { recursive: true, force: true });
else console.log(`sources in ${file}`);
