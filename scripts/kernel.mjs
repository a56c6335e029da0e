/**
 * Kernel command line: build the kernel for a board, list boards, run host tests, TCB report.
 *
 * `build --board <b> [--project <dir>] [--message-format json]` cross-builds the board crate
 * with the toolchain from toolchain.mjs, copies the kernel ELF to
 * <project>/target/images/<board>/kernel.elf and, when scripts/apps.mjs exists, builds the apps
 * and the bootable image beside it (apps/*.tbf, apps.bin, image.hex, apps.json). Board names
 * come from the board registry (scripts/boards.mjs); a former name still works, with a notice.
 * With `--message-format json` (the IDE's build) the same files are written, stdout carries
 * only JSON lines (cargo's, the apps' cargo's with their file names made project-relative, and
 * a last `{"reason":"capsule-artifacts",...}` line naming the board and every file written)
 * and stderr everything for people. Exit code: cargo's, 1 when the apps or the image fail, 2
 * for a bad board, 3 for a missing toolchain.
 * `boards` prints the board names as JSON; `test-host` runs the host unit tests with rustup's
 * stable, then the gate (`cargo fmt --check`, clippy with the safety lints denied); `tcb`
 * prints code and unsafe lines per crate and enforces the unsafe rules.
 *
 * Usage: node scripts/kernel.mjs build --board mps2-an386
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveBoard } from './boards.mjs';
import { ensureKernelToolchain } from './toolchain.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Options that take a value; their value is never read as an option itself. */
const VALUE_OPTIONS = new Set(['--board', '--project', '--message-format']);

/**
 * The value of option `name`, reading left to right and skipping other options' values, so a
 * value that looks like an option (a board folder named `--project`) stays a value.
 */
function arg(name, argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) return argv[i + 1];
    if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
    if (VALUE_OPTIONS.has(argv[i])) i++;
  }
  return undefined;
}

/** Board names: folders of <project>/boards that hold a Cargo.toml. */
export function listBoards(projectDir) {
  const dir = join(projectDir, 'boards');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'Cargo.toml')))
    .sort();
}

function boardPackage(projectDir, board) {
  const toml = readFileSync(join(projectDir, 'boards', board, 'Cargo.toml'), 'utf8');
  const pkg = /\[package\][^[]*?name\s*=\s*"([^"]+)"/s.exec(toml);
  const bin = /\[\[bin\]\][^[]*?name\s*=\s*"([^"]+)"/s.exec(toml);
  return { pkg: pkg ? pkg[1] : board, bin: bin ? bin[1] : board };
}

async function build(argv) {
  const asked = arg('--board', argv);
  const projectDir = resolve(arg('--project', argv) ?? join(root, 'kernel'));
  const json = arg('--message-format', argv) === 'json';
  const boards = listBoards(projectDir);
  const resolved = asked === undefined ? undefined : resolveBoard(asked);
  const board = resolved?.name;
  if (!board || !boards.includes(board)) {
    console.error(
      `kernel: unknown or missing --board ${asked ?? ''} (boards: ${boards.join(', ') || 'none'})`,
    );
    return 2;
  }
  if (resolved.notice) console.error(`kernel: ${resolved.notice}`);
  const tc = await ensureKernelToolchain({ log: (l) => console.error(l) });
  if (!tc.ok) {
    console.error(`toolchain: ${tc.problem} (fix: ${tc.fix})`);
    return 3;
  }
  guardSysroot(projectDir, tc);
  const { pkg, bin } = boardPackage(projectDir, board);
  const args = ['build', '--release', '--target', tc.target, '-p', pkg];
  if (json) args.push('--message-format=json-diagnostic-rendered-ansi');
  const r = spawnSync(tc.cargo, args, {
    cwd: projectDir,
    env: tc.env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.signal) {
    // Die of the same signal, so the caller reports a build killed midway, not a failed one.
    console.error(`kernel: cargo was killed by ${r.signal} midway`);
    process.kill(process.pid, r.signal);
    return 128 + (osConstants.signals[r.signal] ?? 0); // a signal Node ignores (SIGPIPE)
  }
  if (r.error) console.error(`kernel: could not run ${tc.cargo}: ${r.error.message}`);
  if (r.status !== 0) return r.status ?? 1;
  // JSON mode (the IDE's build) writes exactly what the command line writes; stdout then
  // carries only JSON lines (cargo's, and a last `capsule-artifacts` line naming the files),
  // and the human log goes to stderr.
  const log = json ? (l) => console.error(l) : (l) => console.log(l);
  const elf = join(projectDir, 'target', tc.target, 'release', bin);
  const outDir = join(projectDir, 'target', 'images', board);
  mkdirSync(outDir, { recursive: true });
  const layout = boardLayout(projectDir, board);
  if (layout?.kind === 'bootloader')
    return buildBootloader({ projectDir, tc, elf, outDir, layout });
  const kernelElf = join(outDir, 'kernel.elf');
  if (!existsSync(elf)) {
    console.error(`kernel: cargo finished but wrote no ${relative(projectDir, elf)}`);
    return 1;
  }
  copyFileSync(elf, kernelElf);
  log(`kernel: ${relative(process.cwd(), kernelElf)}`);
  const artifacts = {
    reason: 'capsule-artifacts',
    board,
    machine: resolved.board?.machine ?? null,
    outDir,
    kernelElf,
  };
  const appsScript = join(root, 'scripts', 'apps.mjs');
  if (!existsSync(join(projectDir, 'apps', 'Cargo.toml'))) {
    log(
      'kernel: this project has no apps/ workspace; built the kernel ELF only (no apps, no image)',
    );
    if (json) console.log(JSON.stringify(artifacts));
    return 0;
  }
  if (!existsSync(appsScript)) {
    log(
      'kernel: scripts/apps.mjs does not exist yet; built the kernel ELF only (no apps, no image)',
    );
    if (json) console.log(JSON.stringify(artifacts));
    return 0;
  }
  const apps = await import(pathToFileURL(appsScript).href);
  const res = await apps.buildAppsAndImage({
    board,
    projectDir,
    kernelElf,
    outDir,
    log,
    ...(json
      ? {
          messageFormat: 'json',
          // The apps are their own workspace (apps/): rustc names files relative to it.
          onCargoLine: (line) => console.log(rebaseCargoLine(line, 'apps')),
        }
      : {}),
  });
  if (res && res.ok === false) {
    console.error(`kernel: apps/image failed: ${res.problem ?? JSON.stringify(res)}`);
    return 1;
  }
  if (json)
    console.log(
      JSON.stringify({
        ...artifacts,
        apps: res.apps.map((a) => a.tbf),
        appsBin: res.appsBin,
        imageHex: res.imageHex ?? null,
        appsJson: join(outDir, 'apps.json'),
      }),
    );
  return 0;
}

/** A board's layout.json, or null when it has none. */
function boardLayout(projectDir, board) {
  const file = join(projectDir, 'boards', board, 'layout.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/**
 * A bootloader board (layout.json `kind: "bootloader"`): its ELF becomes bootloader.elf, the
 * board it serves (`for`) is built again with `kernelFeature` (linked after the bootloader) as
 * kernel.elf, and image.hex holds both (no apps: they are installed through the bootloader).
 */
async function buildBootloader({ projectDir, tc, elf, outDir, layout }) {
  const bootloaderElf = join(outDir, 'bootloader.elf');
  copyFileSync(elf, bootloaderElf);
  console.log(`kernel: ${relative(process.cwd(), bootloaderElf)}`);
  const { pkg, bin } = boardPackage(projectDir, layout.for);
  const args = ['build', '--release', '--target', tc.target, '-p', pkg];
  args.push('--features', layout.kernelFeature);
  const r = spawnSync(tc.cargo, args, {
    cwd: projectDir,
    env: tc.env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) return r.status ?? 1;
  const kernelElf = join(outDir, 'kernel.elf');
  copyFileSync(join(projectDir, 'target', tc.target, 'release', bin), kernelElf);
  console.log(
    `kernel: ${relative(process.cwd(), kernelElf)} (${layout.for} linked after the bootloader)`,
  );
  const apps = await import(pathToFileURL(join(root, 'scripts', 'apps.mjs')).href);
  const res = await apps.writeImageHex({
    elves: [bootloaderElf, kernelElf],
    out: join(outDir, 'image.hex'),
  });
  if (!res.ok) {
    console.error(`kernel: ${res.problem}`);
    return 1;
  }
  console.log(`kernel: ${relative(process.cwd(), res.out)} (bootloader and kernel, no apps)`);
  return 0;
}

/**
 * A cargo JSON line from a workspace inside the project (`sub`), with the source file names of
 * its diagnostics made relative to the project, as the kernel workspace's already are.
 */
export function rebaseCargoLine(line, sub) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return line;
  }
  if (msg?.reason !== 'compiler-message' || typeof msg.message !== 'object') return line;
  const walk = (d) => {
    for (const span of d?.spans ?? []) {
      if (typeof span.file_name === 'string' && !span.file_name.startsWith('/'))
        span.file_name = `${sub}/${span.file_name}`;
      if (span.expansion?.span) walk({ spans: [span.expansion.span] });
    }
    for (const c of d?.children ?? []) walk(c);
  };
  walk(msg.message);
  return JSON.stringify(msg);
}

/**
 * Cargo does not track the sysroot: when the cached core is rebuilt (new rustc, cache wiped),
 * old artifacts fail with E0460. Remember which sysroot built the target folder and clear it
 * when that changes.
 */
function guardSysroot(projectDir, tc) {
  const targetDir = join(projectDir, 'target', tc.target);
  const stampFile = join(projectDir, 'target', `.sysroot-${tc.target}`);
  let id = `${tc.rustc} ${tc.rustcVersion} ${tc.sysroot}`;
  try {
    id += ` ${statSync(join(tc.sysroot, 'STAMP')).mtimeMs}`;
  } catch {
    // rustup sysroots carry no STAMP; the path and version identify them.
  }
  const previous = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : null;
  if (previous !== id) {
    if (previous !== null || existsSync(targetDir))
      rmSync(targetDir, { recursive: true, force: true });
    mkdirSync(dirname(stampFile), { recursive: true });
    writeFileSync(stampFile, id);
  }
}

const HOST_CRATES = ['abi', 'cells', 'registers', 'kernel', 'cortexm', 'capsules', 'nrf52', 'usb'];
/** Crates clippy checks on the host: the host-tested ones, the MPS2 chip, the apps' runtime. */
const CLIPPY_CRATES = [...HOST_CRATES, 'mps2'];
const CLIPPY_APP_CRATES = ['capsule_rt'];
/** Lints the gate denies besides every warning (house style: every unsafe is justified). */
const CLIPPY_DENY = [
  'warnings',
  'clippy::undocumented_unsafe_blocks',
  'clippy::missing_safety_doc',
];

/** rustup's cargo when there is one (the host tests and the gate use stable). */
function hostCargo() {
  const home = process.env.CARGO_HOME || join(process.env.HOME ?? '', '.cargo');
  return existsSync(join(home, 'bin', 'cargo')) ? join(home, 'bin', 'cargo') : 'cargo';
}

function hostEnv() {
  const env = { ...process.env, RUSTFLAGS: '-D warnings' };
  delete env.RUSTC;
  return env;
}

function testHost(projectDir) {
  const args = ['test', ...HOST_CRATES.flatMap((c) => ['-p', c])];
  const r = spawnSync(hostCargo(), args, { cwd: projectDir, stdio: 'inherit', env: hostEnv() });
  if ((r.status ?? 1) !== 0) return r.status ?? 1;
  return gate(projectDir);
}

/**
 * The Rust gate: `cargo fmt --check` on both workspaces, then clippy on the host-buildable
 * crates with warnings and the safety lints denied. A missing rustfmt or clippy is reported;
 * under CI=true it fails the gate (a check that cannot run must not pass).
 */
export function gate(
  projectDir,
  { crates = CLIPPY_CRATES, appCrates = CLIPPY_APP_CRATES, quiet = false } = {},
) {
  const cargo = hostCargo();
  // `quiet` (tests that make the gate fail on purpose): no cargo output, no verdict lines.
  const stdio = quiet ? 'ignore' : 'inherit';
  const say = quiet ? () => {} : (line) => console.error(line);
  const env = hostEnv();
  const ci = process.env.CI === 'true';
  const missing = (tool) => {
    const r = spawnSync(cargo, [tool, '--version'], { encoding: 'utf8', env });
    return r.status !== 0;
  };
  for (const tool of ['fmt', 'clippy']) {
    if (!missing(tool)) continue;
    const msg = `cargo ${tool} is not installed (rustup component add ${tool === 'fmt' ? 'rustfmt' : 'clippy'})`;
    if (ci) {
      console.error(`gate: FAIL ${msg}; CI=true does not allow skipping it`);
      return 1;
    }
    console.error(`gate: skipped: ${msg}`);
    return 0;
  }
  const workspaces = [projectDir, join(projectDir, 'apps')].filter((d) =>
    existsSync(join(d, 'Cargo.toml')),
  );
  for (const dir of workspaces) {
    const r = spawnSync(cargo, ['fmt', '--all', '--check'], { cwd: dir, stdio, env });
    if (r.status !== 0) {
      say(
        `gate: FAIL cargo fmt --check in ${relative(process.cwd(), dir) || '.'} (run cargo fmt there)`,
      );
      return 1;
    }
  }
  const lints = CLIPPY_DENY.flatMap((l) => ['-D', l]);
  const runs = [
    { dir: projectDir, names: crates },
    { dir: join(projectDir, 'apps'), names: appCrates },
  ].filter((x) => x.names.length > 0 && existsSync(join(x.dir, 'Cargo.toml')));
  for (const { dir, names } of runs) {
    const args = ['clippy', '--all-targets', ...names.flatMap((c) => ['-p', c]), '--', ...lints];
    const r = spawnSync(cargo, args, { cwd: dir, stdio, env });
    if (r.status !== 0) {
      say(`gate: FAIL clippy (${names.join(', ')})`);
      return 1;
    }
  }
  if (!quiet) console.log('gate: cargo fmt and clippy clean');
  return 0;
}

function rustFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === 'target' || e === 'apps') continue;
    if (statSync(p).isDirectory()) out.push(...rustFiles(p));
    else if (p.endsWith('.rs')) out.push(p);
  }
  return out;
}

/** Counts code lines and unsafe lines of one file and finds unsafe uses without a SAFETY note. */
export function scanRust(text) {
  const lines = text.split('\n');
  let code = 0;
  let unsafeLines = 0;
  const problems = [];
  let inTests = false;
  let depth = 0;
  let testsDepth = -1;
  let unsafeDepth = -1;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t.startsWith('#[cfg(test)]')) {
      inTests = true;
      testsDepth = depth;
    }
    const opens = (t.match(/{/g) ?? []).length;
    const closes = (t.match(/}/g) ?? []).length;
    const isComment = t.startsWith('//') || t.startsWith('*') || t.startsWith('/*');
    if (!inTests && t !== '' && !isComment) {
      code++;
      if (unsafeDepth >= 0 || /\bunsafe\b/.test(t)) unsafeLines++;
      const fnPointerType = /unsafe\s+extern\s+"C"\s+fn\s*\(/.test(t);
      if (
        !fnPointerType &&
        (/\bunsafe\s*(\{|impl|fn|extern)/.test(t) || /=\s*unsafe\s*\{/.test(t))
      ) {
        const before = lines.slice(Math.max(0, i - 12), i + 1).join('\n');
        const isFn = /\bunsafe\s+(extern\s+"C"\s+)?fn\b/.test(t) && !/extern\s+"C"\s*\{/.test(t);
        const ok = isFn ? /# Safety|SAFETY:/.test(before) : /SAFETY:/.test(before);
        if (!ok) problems.push({ line: i + 1, text: t });
        if (/unsafe\s*\{/.test(t) && !t.includes('}')) unsafeDepth = depth;
      }
    }
    depth += opens - closes;
    if (unsafeDepth >= 0 && depth <= unsafeDepth) unsafeDepth = -1;
    if (inTests && depth <= testsDepth && closes > 0) {
      inTests = false;
      testsDepth = -1;
    }
  }
  return { code, unsafeLines, problems };
}

function tcb(projectDir) {
  const crates = [];
  for (const m of readFileSync(join(projectDir, 'Cargo.toml'), 'utf8').matchAll(
    /^\s*"([^"]+)",?\s*$/gm,
  )) {
    if (existsSync(join(projectDir, m[1], 'Cargo.toml'))) crates.push(m[1]);
  }
  let failed = false;
  let totalCode = 0;
  let totalUnsafe = 0;
  console.log('crate                 code lines  unsafe lines  unsafe %');
  for (const c of crates) {
    let code = 0;
    let uns = 0;
    const isCapsule = c.startsWith('capsules');
    for (const f of rustFiles(join(projectDir, c))) {
      const text = readFileSync(f, 'utf8');
      const s = scanRust(text);
      code += s.code;
      uns += s.unsafeLines;
      for (const p of s.problems) {
        console.log(
          `FAIL ${relative(projectDir, f)}:${p.line}: unsafe without a // SAFETY: comment (or # Safety section): ${p.text}`,
        );
        failed = true;
      }
      if (
        isCapsule &&
        /\bunsafe\b/.test(text.replace(/forbid\(unsafe_code\)/g, '').replace(/\/\/.*$/gm, ''))
      ) {
        console.log(`FAIL ${relative(projectDir, f)}: capsule crates may not contain unsafe`);
        failed = true;
      }
    }
    if (
      isCapsule &&
      !readFileSync(join(projectDir, c, 'src', 'lib.rs'), 'utf8').includes(
        '#![forbid(unsafe_code)]',
      )
    ) {
      console.log(`FAIL ${c}: capsule crate lacks #![forbid(unsafe_code)]`);
      failed = true;
    }
    totalCode += code;
    totalUnsafe += uns;
    console.log(
      `${c.padEnd(22)}${String(code).padStart(10)}${String(uns).padStart(14)}${((100 * uns) / Math.max(1, code)).toFixed(1).padStart(10)}`,
    );
  }
  const pct = (100 * totalUnsafe) / Math.max(1, totalCode);
  console.log(
    `${'total'.padEnd(22)}${String(totalCode).padStart(10)}${String(totalUnsafe).padStart(14)}${pct.toFixed(1).padStart(10)}`,
  );
  if (pct > 5) {
    console.log(
      `FAIL unsafe lines are ${pct.toFixed(1)}% of kernel code lines (target: at most 5%)`,
    );
    failed = true;
  }
  console.log(failed ? 'tcb: FAIL' : 'tcb: ok');
  return failed ? 1 : 0;
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const projectDir = resolve(arg('--project', rest) ?? join(root, 'kernel'));
  switch (cmd) {
    case 'build':
      return build(rest);
    case 'boards':
      console.log(JSON.stringify(listBoards(projectDir)));
      return 0;
    case 'test-host':
      return testHost(projectDir);
    case 'tcb':
      return tcb(projectDir);
    default:
      console.error(
        'usage: node scripts/kernel.mjs build --board <board> [--project <dir>] [--message-format json] | boards | test-host | tcb',
      );
      return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exit(await main());
}
