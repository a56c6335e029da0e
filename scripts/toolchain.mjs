/**
 * Kernel toolchain finder: locates a Rust compiler that can build the kernel for thumbv7em.
 *
 * The kernel needs only Rust's `core` (and `compiler_builtins`) for `thumbv7em-none-eabi`.
 * Two ways to get them: a rustup toolchain with the target installed (a user's machine after
 * `rustup target add thumbv7em-none-eabi`), or Debian's rustc 1.63 plus its `rust-src` and
 * `librust-compiler-builtins-dev` packages, from which we build the two sysroot crates once and
 * cache them under `${XDG_CACHE_HOME:-~/.cache}/capsule-studio/sysroot/<rustc version>/`.
 * When the cache is present the check costs two `rustc --version` calls.
 *
 * Usage:
 *   import { ensureKernelToolchain } from './toolchain.mjs';
 *   const tc = await ensureKernelToolchain({ log: console.error });
 *   if (!tc.ok) { console.error(`toolchain: ${tc.problem} (fix: ${tc.fix})`); process.exit(3); }
 *   spawnSync(tc.cargo, ['build', '--target', tc.target], { env: tc.env });
 *
 * Run directly (`node scripts/toolchain.mjs`) it prints the result as JSON.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KERNEL_TARGET = 'thumbv7em-none-eabi';

const DEBIAN_RUST_SRC = '/usr/lib/rustlib/src/rust/library';
const DEBIAN_BUILTINS_GLOB_DIR = '/usr/share/cargo/registry';

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env });
  return {
    ok: r.status === 0,
    out: (r.stdout ?? '').trim(),
    err: (r.stderr ?? '').trim(),
    error: r.error,
  };
}

function rustcVersion(rustc) {
  const r = run(rustc, ['--version']);
  if (!r.ok) return null;
  const m = /^rustc (\d+\.\d+\.\d+)/.exec(r.out);
  return m ? m[1] : null;
}

function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'capsule-studio', 'sysroot');
}

function hasTargetLibs(dir) {
  if (!existsSync(dir)) return false;
  const files = readdirSync(dir);
  // rustc names an rlib `libNAME.rlib`, or `libNAME-<hash>.rlib` when built by cargo/rustup.
  const has = (name) =>
    files.some(
      (f) => f.endsWith('.rlib') && (f === `lib${name}.rlib` || f.startsWith(`lib${name}-`)),
    );
  return has('core') && has('compiler_builtins');
}

function findBuiltinsSource() {
  if (!existsSync(DEBIAN_BUILTINS_GLOB_DIR)) return null;
  const dirs = readdirSync(DEBIAN_BUILTINS_GLOB_DIR)
    .filter((d) => d.startsWith('compiler_builtins-'))
    .sort();
  const d = dirs.at(-1);
  return d ? join(DEBIAN_BUILTINS_GLOB_DIR, d) : null;
}

function findLinker() {
  const r = run('arm-none-eabi-ld', ['--version']);
  return r.ok ? 'arm-none-eabi-ld' : null;
}

/** Builds core and compiler_builtins for the target into `sysroot` (atomically via a temp dir). */
function buildSysroot(rustc, sysroot, log) {
  const builtins = findBuiltinsSource();
  if (!existsSync(join(DEBIAN_RUST_SRC, 'core', 'src', 'lib.rs'))) {
    return {
      ok: false,
      problem: `core's source is missing (${DEBIAN_RUST_SRC}/core)`,
      fix: 'apt-get install rust-src',
    };
  }
  if (!builtins) {
    return {
      ok: false,
      problem: `compiler_builtins source is missing (${DEBIAN_BUILTINS_GLOB_DIR}/compiler_builtins-*)`,
      fix: 'apt-get install librust-compiler-builtins-dev',
    };
  }
  const tmp = `${sysroot}.tmp-${process.pid}`;
  const libDir = join(tmp, 'lib', 'rustlib', KERNEL_TARGET, 'lib');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(libDir, { recursive: true });
  const env = { ...process.env, RUSTC_BOOTSTRAP: '1' };
  const common = [
    '--target',
    KERNEL_TARGET,
    '-C',
    'opt-level=3',
    '-C',
    'panic=abort',
    '-C',
    'debuginfo=1',
  ];
  log(`toolchain: building core for ${KERNEL_TARGET} from ${DEBIAN_RUST_SRC} (about 20 s, once)`);
  let r = run(
    rustc,
    [
      '--edition',
      '2021',
      '--crate-type',
      'rlib',
      '--crate-name',
      'core',
      ...common,
      '-C',
      'metadata=capsule-core',
      '--out-dir',
      libDir,
      join(DEBIAN_RUST_SRC, 'core', 'src', 'lib.rs'),
    ],
    env,
  );
  if (!r.ok) {
    rmSync(tmp, { recursive: true, force: true });
    return {
      ok: false,
      problem: `building core failed: ${r.err.split('\n').slice(-5).join(' ')}`,
      fix: 'check that rust-src matches rustc (apt-get install rust-src rustc)',
    };
  }
  log('toolchain: building compiler_builtins');
  r = run(
    rustc,
    [
      '--edition',
      '2015',
      '--crate-type',
      'rlib',
      '--crate-name',
      'compiler_builtins',
      ...common,
      '-C',
      'metadata=capsule-builtins',
      '--cfg',
      'feature="unstable"',
      '--cfg',
      'feature="mem"',
      '--cfg',
      'feature="compiler-builtins"',
      '--cfg',
      'thumb',
      '--sysroot',
      tmp,
      '--cap-lints',
      'allow',
      '--out-dir',
      libDir,
      join(builtins, 'src', 'lib.rs'),
    ],
    env,
  );
  if (!r.ok) {
    rmSync(tmp, { recursive: true, force: true });
    return {
      ok: false,
      problem: `building compiler_builtins failed: ${r.err.split('\n').slice(-5).join(' ')}`,
      fix: 'apt-get install --reinstall librust-compiler-builtins-dev',
    };
  }
  rmSync(sysroot, { recursive: true, force: true });
  mkdirSync(join(sysroot, '..'), { recursive: true });
  renameSync(tmp, sysroot);
  writeFileSync(join(sysroot, 'STAMP'), `built by scripts/toolchain.mjs with ${rustc}\n`);
  return { ok: true };
}

function linkerEnv(env) {
  // Both rustup's and Debian's rustc can drive GNU ld from binutils-arm-none-eabi; choosing it
  // everywhere keeps one linker script dialect and one behaviour.
  env.CARGO_TARGET_THUMBV7EM_NONE_EABI_LINKER = 'arm-none-eabi-ld';
  return env;
}

/**
 * Finds (and if needed prepares) a toolchain for the kernel.
 * @param {{ log?: (line: string) => void, install?: boolean }} [options]
 */
export async function ensureKernelToolchain(options = {}) {
  const log = options.log ?? (() => {});
  if (!findLinker()) {
    return {
      ok: false,
      problem: 'arm-none-eabi-ld not found on PATH',
      fix: 'apt-get install binutils-arm-none-eabi',
    };
  }

  // 1. A rustup toolchain that already has the target (the ordinary path on a user's machine).
  const home = process.env.CARGO_HOME || join(homedir(), '.cargo');
  const rustupRustc = join(home, 'bin', 'rustc');
  const rustupCargo = join(home, 'bin', 'cargo');
  if (
    existsSync(rustupRustc) &&
    existsSync(rustupCargo) &&
    process.env.CAPSULE_FORCE_DEBIAN_RUST !== '1'
  ) {
    const sys = run(rustupRustc, ['--print', 'sysroot']);
    const version = rustcVersion(rustupRustc);
    if (sys.ok && version && hasTargetLibs(join(sys.out, 'lib', 'rustlib', KERNEL_TARGET, 'lib'))) {
      const env = linkerEnv({ ...process.env });
      return {
        ok: true,
        cargo: rustupCargo,
        rustc: rustupRustc,
        target: KERNEL_TARGET,
        env,
        sysroot: sys.out,
        rustcVersion: version,
      };
    }
  }

  // 2. Debian's rustc + rust-src: a sysroot we build and cache.
  const rustc = '/usr/bin/rustc';
  const cargo = '/usr/bin/cargo';
  if (!existsSync(rustc) || !existsSync(cargo)) {
    return {
      ok: false,
      problem: `no Rust toolchain with the ${KERNEL_TARGET} target (rustup has no target installed, and Debian's /usr/bin/rustc or /usr/bin/cargo is missing)`,
      fix: `rustup target add ${KERNEL_TARGET}, or apt-get install rustc cargo rust-src librust-compiler-builtins-dev`,
    };
  }
  const version = rustcVersion(rustc);
  if (!version)
    return {
      ok: false,
      problem: `${rustc} --version failed`,
      fix: 'apt-get install --reinstall rustc',
    };
  const sysroot = join(cacheRoot(), version);
  const libDir = join(sysroot, 'lib', 'rustlib', KERNEL_TARGET, 'lib');
  if (!hasTargetLibs(libDir) || !existsSync(join(sysroot, 'STAMP'))) {
    if (options.install === false) {
      return {
        ok: false,
        problem: `the ${KERNEL_TARGET} sysroot for rustc ${version} is not built yet (${sysroot})`,
        fix: 'run node scripts/toolchain.mjs',
      };
    }
    const built = buildSysroot(rustc, sysroot, log);
    if (!built.ok) return built;
  }
  const env = { ...process.env };
  env.PATH = [
    '/usr/bin',
    ...(env.PATH ?? '').split(delimiter).filter((p) => p && p !== '/usr/bin'),
  ].join(delimiter);
  env.RUSTFLAGS = [`--sysroot=${sysroot}`, env.RUSTFLAGS ?? ''].join(' ').trim();
  env.RUSTC = rustc;
  linkerEnv(env);
  return { ok: true, cargo, rustc, target: KERNEL_TARGET, env, sysroot, rustcVersion: version };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const tc = await ensureKernelToolchain({ log: (l) => console.error(l) });
  const { env: _env, ...shown } = tc;
  console.log(JSON.stringify({ ...shown, ms: Date.now() - started }, null, 2));
  process.exit(tc.ok ? 0 : 3);
}
