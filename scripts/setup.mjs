// Set-up step shared by `npm start` and `npm test`: checks what the kernel build and the tests
// need, installs what is missing when it can, and prepares the kernel toolchain.
//
// On Debian as root it installs missing packages with apt (after `apt-get update`). Anywhere else
// it prints exactly what to install, including the rustup path. Then it calls KERNEL-CORE's
// `ensureKernelToolchain()` (scripts/toolchain.mjs), which builds and caches the
// thumbv7em-none-eabi sysroot from Debian's rust-src when the chosen rustc lacks that target.
// With everything present it finishes well under 2 s: one `dpkg-query` for all packages and a
// cached toolchain check.
//
//   node scripts/setup.mjs [--for start|test] [--check-only]
//
// The decision logic (`planSetup`) is pure and unit-tested in setup.test.mjs; the package query
// and the command runner are injected.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Debian packages the kernel build, the emulator comparisons and the tests use. */
export const REQUIRED_PACKAGES = [
  { name: 'rustc', why: 'compiles the kernel (Debian 1.63 builds the thumbv7em sysroot)' },
  { name: 'cargo', why: 'builds the kernel workspace' },
  { name: 'rust-src', why: 'source of core for the thumbv7em-none-eabi sysroot' },
  { name: 'librust-compiler-builtins-dev', why: 'source of compiler_builtins for the sysroot' },
  { name: 'binutils-arm-none-eabi', why: 'links and inspects kernel images' },
  { name: 'gcc-arm-none-eabi', why: 'assembles test programs for the emulator' },
  { name: 'libnewlib-arm-none-eabi', why: 'C library for bare-metal test programs' },
  { name: 'qemu-system-arm', why: 'reference machine for kernel and lockstep tests' },
  { name: 'openocd', why: 'flashes and debugs real boards' },
  { name: 'gdb-multiarch', why: 'debugger front end for boards and QEMU' },
  { name: 'chromium', why: 'browser for the end-to-end tests' },
  { name: 'xvfb', why: 'virtual display for headed browser runs' },
  { name: 'socat', why: 'pseudo-terminal for the emulated board UART (--uart-pty)' },
  { name: 'llvm-14', why: 'llvm-dwarfdump-14: the oracle the DWARF reader is checked against' },
  { name: 'clang-14', why: 'compiles the DWARF 5 C fixtures of the DWARF reader tests' },
];

/** Other systems' names for the same needs, for the printed instructions. */
const ELSEWHERE = [
  'Rust: install rustup (https://rustup.rs), then `rustup target add thumbv7em-none-eabi` and `rustup component add rust-src`',
  'ARM GNU toolchain (arm-none-eabi-gcc, binutils, newlib): macOS `brew install --cask gcc-arm-embedded`; Windows: Arm GNU Toolchain installer',
  'QEMU with qemu-system-arm: macOS `brew install qemu`; Windows: qemu.org installer',
  'OpenOCD and a multi-arch GDB: macOS `brew install open-ocd arm-none-eabi-gdb`',
  'Chromium or Chrome for the end-to-end tests (set CHROMIUM_PATH if it is not /usr/bin/chromium)',
  'LLVM 14 (llvm-dwarfdump-14) and clang-14 for the DWARF reader checks: macOS `brew install llvm@14`',
];

/** Parses `dpkg-query -W -f='${Package}\t${db:Status-Status}\n'` output into installed names. */
export function parseDpkgQuery(text) {
  const installed = new Set();
  for (const line of text.split('\n')) {
    const [name, status] = line.split('\t');
    if (name && status?.trim() === 'installed') installed.add(name.trim());
  }
  return installed;
}

/**
 * Decides what to do about system packages.
 * @param {{ installed: Set<string> | null, isRoot: boolean, isDebian: boolean, aptAvailable: boolean }} facts
 *   `installed` is null when the package database cannot be queried (not a Debian system).
 * @returns {{ action: 'none' | 'apt-install' | 'print', missing: string[], commands: string[], lines: string[] }}
 */
export function planSetup(facts) {
  if (!facts.isDebian || facts.installed === null) {
    return {
      action: 'print',
      missing: [],
      commands: [],
      lines: [
        'This is not a Debian system, so the set-up cannot check or install system packages.',
        'Install the equivalents of:',
        ...ELSEWHERE.map((l) => `  - ${l}`),
      ],
    };
  }
  const missing = REQUIRED_PACKAGES.map((p) => p.name).filter((n) => !facts.installed.has(n));
  if (missing.length === 0) return { action: 'none', missing, commands: [], lines: [] };
  const install = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (facts.isRoot && facts.aptAvailable) {
    return { action: 'apt-install', missing, commands: ['apt-get update', install], lines: [] };
  }
  return {
    action: 'print',
    missing,
    commands: [],
    lines: [
      `Missing Debian packages: ${missing.join(', ')}`,
      'Install them with:',
      `  sudo apt-get update && sudo ${install}`,
      ...missing.map((n) => `    ${n}: ${REQUIRED_PACKAGES.find((p) => p.name === n)?.why ?? ''}`),
      'With rustup instead of Debian rustc: `rustup target add thumbv7em-none-eabi` (then rust-src and',
      'librust-compiler-builtins-dev are not needed).',
    ],
  };
}

/**
 * Runs the whole set-up. Every side effect is injected so tests can drive it.
 * @returns {Promise<{ ok: boolean, problems: string[] }>}
 */
export async function runSetup({
  purpose = 'start',
  checkOnly = false,
  log = (line) => console.log(line),
  queryPackages,
  run,
  isRoot,
  isDebian,
  loadToolchain,
}) {
  const problems = [];
  const installed = queryPackages();
  const plan = planSetup({ installed, isRoot, isDebian, aptAvailable: true });
  if (plan.action === 'apt-install' && !checkOnly) {
    log(`setup: installing ${plan.missing.join(', ')} with apt`);
    for (const cmd of plan.commands) {
      const status = run(cmd);
      if (status !== 0) {
        problems.push(`\`${cmd}\` failed (exit ${status})`);
        break;
      }
    }
  } else if (plan.action === 'apt-install' || plan.action === 'print') {
    for (const l of plan.lines.length ? plan.lines : [`Missing: ${plan.missing.join(', ')}`])
      log(`setup: ${l}`);
    if (plan.missing.length) problems.push(`missing packages: ${plan.missing.join(', ')}`);
  }

  let toolchainModule;
  try {
    toolchainModule = await loadToolchain();
  } catch (e) {
    problems.push(
      `scripts/toolchain.mjs could not be loaded (${e instanceof Error ? e.message : String(e)}); the kernel toolchain was not checked`,
    );
  }
  if (toolchainModule && typeof toolchainModule.ensureKernelToolchain !== 'function') {
    problems.push(
      'scripts/toolchain.mjs does not export ensureKernelToolchain(); the kernel toolchain was not checked',
    );
  } else if (toolchainModule) {
    const r = await toolchainModule.ensureKernelToolchain({ log, install: !checkOnly });
    if (r && r.ok)
      log(`setup: kernel toolchain ready (rustc ${r.rustcVersion}, target ${r.target})`);
    else
      problems.push(
        `kernel toolchain: ${r?.problem ?? 'unknown problem'}${r?.fix ? `\n  fix: ${r.fix}` : ''}`,
      );
  }
  for (const p of problems) log(`setup: PROBLEM: ${p}`);
  // Starting the IDE is still useful without the kernel toolchain (editing, browsing); the
  // tests are not, so they stop here.
  return { ok: problems.length === 0 || purpose === 'start', problems };
}

function realQueryPackages() {
  if (!existsSync('/etc/debian_version')) return null;
  const r = spawnSync(
    'dpkg-query',
    ['-W', '-f=${Package}\t${db:Status-Status}\n', ...REQUIRED_PACKAGES.map((p) => p.name)],
    { encoding: 'utf8' },
  );
  if (r.error) return null;
  // dpkg-query exits 1 when some package is unknown; its stdout still lists the known ones.
  return parseDpkgQuery(r.stdout ?? '');
}

async function main() {
  const args = process.argv.slice(2);
  const forIndex = args.indexOf('--for');
  const purpose = forIndex >= 0 ? args[forIndex + 1] : 'start';
  const started = Date.now();
  const result = await runSetup({
    purpose,
    checkOnly: args.includes('--check-only'),
    queryPackages: realQueryPackages,
    run: (cmd) => {
      const r = spawnSync('sh', ['-c', cmd], {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      return r.status ?? 1;
    },
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    isDebian: existsSync('/etc/debian_version'),
    loadToolchain: () => import(pathToFileURL(path.join(ROOT, 'scripts', 'toolchain.mjs')).href),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  if (result.problems.length === 0) console.log(`setup: everything present (${seconds} s)`);
  else if (result.ok) console.log(`setup: continuing despite the problems above (${seconds} s)`);
  process.exit(result.ok ? 0 : 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await main();
