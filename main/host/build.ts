/**
 * The build service: runs the kernel build for a board, streams its output and progress, and
 * turns rustc's JSON diagnostics into markers.
 *
 * It spawns `node scripts/kernel.mjs build --board <b> --project <dir> --message-format json`
 * (stdout: cargo's JSON lines; stderr: cargo's human progress) and reports everything as
 * `build.*` events. How a build ended is classified so the user always gets a clear message:
 * compiler errors, a missing toolchain (exit 3 with a `toolchain:` line), a process killed
 * midway, a builder that could not start, or a cancel from the user. One build runs at a time.
 *
 * The builder runs in its own process group with cargo and rustc under it. When the builder
 * ends, however it ends, whatever is left of its group is killed at once: cargo and rustc
 * hold the output pipes, and waiting for them to notice would delay the report by seconds
 * (or for ever, for a process stuck in the compiler). scripts/kernel.mjs dies of the signal
 * that killed cargo, so a killed cargo is reported as a build killed midway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type {
  BuildArtifacts,
  BuildStarted,
  BuildStatus,
  Diagnostic,
  HostEvents,
  Result,
} from '../common/contract.js';
import { findBoard } from '../../emulator/boards/registry.js';
import { parseCargoLine, stripAnsi } from '../common/diagnostics.js';
import { err } from './project.js';

export const TOOLCHAIN_FIX =
  'Run `npm run setup` (it installs the Debian packages and builds the thumbv7em-none-eabi sysroot from rust-src), or with rustup: `rustup target add thumbv7em-none-eabi`.';

export interface BuildOptions {
  projectRoot: string;
  /** The script that builds the kernel; scripts/kernel.mjs of the app by default. */
  builderScript: string;
  emit: <K extends keyof HostEvents>(name: K, payload: HostEvents[K]) => void;
}

export interface BuildOutcome {
  status: BuildStatus;
  message: string;
  fix?: string;
}

/**
 * The builder's last stdout line, `{"reason":"capsule-artifacts",...}` (scripts/kernel.mjs),
 * as artifacts with project-relative paths; null for any other line.
 */
export function parseArtifactsLine(line: string, projectRoot: string): BuildArtifacts | null {
  const t = line.trim();
  if (!t.startsWith('{') || !t.includes('"capsule-artifacts"')) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(t) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (raw.reason !== 'capsule-artifacts' || typeof raw.board !== 'string') return null;
  const rel = (p: unknown): string | null =>
    typeof p === 'string'
      ? path.relative(projectRoot, path.resolve(projectRoot, p)).split(path.sep).join('/')
      : null;
  const kernelElf = rel(raw.kernelElf);
  const dir = rel(raw.outDir);
  if (kernelElf === null || dir === null) return null;
  return {
    board: raw.board,
    machine: typeof raw.machine === 'string' ? raw.machine : null,
    dir,
    kernelElf,
    apps: Array.isArray(raw.apps) ? raw.apps.map(rel).filter((p): p is string => p !== null) : [],
    appsBin: rel(raw.appsBin),
    imageHex: rel(raw.imageHex),
    appsJson: rel(raw.appsJson),
  };
}

/** Decides how a finished build is reported. Pure, so every branch is unit-tested. */
export function classifyExit(input: {
  code: number | null;
  signal: NodeJS.Signals | null;
  cancelled: boolean;
  spawnError?: string;
  toolchainLine?: string;
  errors: number;
  board: string;
}): BuildOutcome {
  if (input.spawnError)
    return {
      status: 'crashed',
      message: `The build could not start: ${input.spawnError}`,
      fix: 'Check that Node can run scripts/kernel.mjs from the Capsule Studio folder.',
    };
  if (input.cancelled) return { status: 'cancelled', message: 'Build cancelled.' };
  // kernel.mjs also logs progress lines with the "toolchain: " prefix (building the sysroot);
  // only exit code 3 means the toolchain is missing.
  if (input.code === 3 && input.toolchainLine) {
    const text = input.toolchainLine.replace(/^toolchain:\s*/, '');
    const at = text.search(/\bfix:\s*/i);
    return at >= 0
      ? {
          status: 'toolchain-missing',
          message: `Toolchain problem: ${text.slice(0, at).trim()}`,
          fix: text.slice(at).replace(/^fix:\s*/i, ''),
        }
      : { status: 'toolchain-missing', message: `Toolchain problem: ${text}`, fix: TOOLCHAIN_FIX };
  }
  if (input.signal)
    return {
      status: 'crashed',
      message: `The build was killed midway (${input.signal}); nothing was produced for ${input.board}.`,
      fix: 'Build again. If it keeps dying, check free memory and disk space.',
    };
  if (input.code === 0)
    return { status: 'succeeded', message: `Build for ${input.board} succeeded.` };
  if (input.errors > 0)
    return {
      status: 'failed',
      message: `Build for ${input.board} failed with ${input.errors} error${input.errors === 1 ? '' : 's'}.`,
    };
  return {
    status: 'crashed',
    message: `The build exited with code ${input.code} without a compiler error; see the Build panel for its output.`,
  };
}

export class BuildService {
  private nextId = 1;
  private running: { id: number; child: ChildProcess; cancelled: boolean } | undefined;

  constructor(private readonly opts: BuildOptions) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  start(asked: string, boards: string[]): Result<BuildStarted> {
    // The board registry's name for it: a former name (microbit_v2) still builds, with a notice.
    const known = findBoard(asked);
    const renamed = known.ok && known.value.notice !== undefined;
    const board = renamed ? known.value.board.name : asked;
    if (this.running)
      return err(
        'build-running',
        `build ${this.running.id} is still running`,
        'Wait for it or cancel it.',
      );
    if (!existsSync(path.join(this.opts.projectRoot, 'Cargo.toml')))
      return err(
        'no-project',
        `${this.opts.projectRoot} has no Cargo.toml; there is no kernel workspace to build`,
      );
    if (!boards.includes(board))
      return err(
        'bad-request',
        `unknown board "${board}"; this project has ${boards.length ? boards.join(', ') : 'no boards/ crates'}`,
      );
    if (!existsSync(this.opts.builderScript))
      return err(
        'unavailable',
        `the kernel build script ${this.opts.builderScript} is missing`,
        'Reinstall Capsule Studio or restore scripts/kernel.mjs.',
      );

    const id = this.nextId++;
    const started = Date.now();
    const { emit } = this.opts;
    const args = [
      this.opts.builderScript,
      'build',
      '--board',
      board,
      '--project',
      this.opts.projectRoot,
      '--message-format',
      'json',
    ];
    if (renamed && known.ok)
      emit('build.output', { buildId: id, stream: 'host', line: known.value.notice! });
    emit('build.output', {
      buildId: id,
      stream: 'host',
      line: `$ node ${args.map(shortPath).join(' ')}`,
    });

    const child = spawn(process.execPath, args, {
      cwd: this.opts.projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Under Electron, process.execPath is the app binary: ask it to behave as plain Node.
      env: process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : process.env,
      // Own process group, so a cancel reaches cargo and rustc too, not only our direct child.
      detached: process.platform !== 'win32',
    });
    const state = { id, child, cancelled: false };
    this.running = state;

    const diagnostics: Diagnostic[] = [];
    let errors = 0;
    let warnings = 0;
    let done = 0;
    let toolchainLine: string | undefined;
    let spawnError: string | undefined;
    let artifacts: BuildArtifacts | undefined;
    const seen = new Set<string>();

    const out = readline.createInterface({ input: child.stdout! });
    out.on('line', (line) => {
      const built = parseArtifactsLine(line, this.opts.projectRoot);
      if (built) {
        artifacts = built;
        emit('build.output', {
          buildId: id,
          stream: 'host',
          line: `Built ${built.kernelElf}, ${built.apps.length} app${built.apps.length === 1 ? '' : 's'}${built.imageHex ? ` and ${built.imageHex}` : ''}`,
        });
        return;
      }
      const m = parseCargoLine(line, this.opts.projectRoot);
      if (!m) {
        if (line.trim()) emit('build.output', { buildId: id, stream: 'stdout', line });
        return;
      }
      if (m.reason === 'compiler-message') {
        for (const l of m.rendered.replace(/\n+$/, '').split('\n'))
          emit('build.output', { buildId: id, stream: 'stdout', line: l });
        const d = m.diagnostic;
        if (!d) return;
        // Cargo repeats a diagnostic for each target that compiles the same file; show it once.
        const key = `${d.path}:${d.line}:${d.column}:${d.severity}:${d.message}`;
        if (seen.has(key)) return;
        seen.add(key);
        diagnostics.push(d);
        if (d.severity === 'error') errors++;
        else if (d.severity === 'warning') warnings++;
        emit('build.diagnostics', { buildId: id, diagnostics: [...diagnostics] });
      } else if (m.reason === 'compiler-artifact') {
        done++;
        emit('build.progress', {
          buildId: id,
          crate: m.crate,
          done,
          phase: m.fresh ? 'fresh' : 'compiled',
        });
      }
    });
    const errLines = readline.createInterface({ input: child.stderr! });
    errLines.on('line', (raw) => {
      const line = stripAnsi(raw);
      // Keep the last one: with exit code 3 it names the problem and the fix.
      if (line.startsWith('toolchain: ')) toolchainLine = line;
      emit('build.output', { buildId: id, stream: 'stderr', line });
      const compiling = /^\s*(Compiling|Checking)\s+(\S+)/.exec(line);
      if (compiling)
        emit('build.progress', {
          buildId: id,
          crate: compiling[2]!,
          done,
          phase: compiling[1]!.toLowerCase(),
        });
    });

    let finished = false;
    let ended: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(lateClose);
      const outcome = classifyExit({
        code,
        signal,
        cancelled: state.cancelled,
        spawnError,
        toolchainLine,
        errors,
        board,
      });
      this.running = undefined;
      emit('build.diagnostics', { buildId: id, diagnostics });
      const report: HostEvents['build.finished'] = {
        buildId: id,
        board,
        ...(outcome.status === 'succeeded' && artifacts ? { artifacts } : {}),
        status: outcome.status,
        message: outcome.message,
        errors,
        warnings,
        seconds: (Date.now() - started) / 1000,
      };
      if (outcome.fix) report.fix = outcome.fix;
      emit('build.finished', report);
    };
    let lateClose: NodeJS.Timeout | undefined;

    child.on('error', (e) => {
      spawnError = e.message;
      // No process was started: no 'exit' comes, only 'close'.
    });
    child.on('exit', (code, signal) => {
      ended = { code, signal };
      // The builder is gone: nothing left in its group has anyone to report to.
      killGroup(child, 'SIGKILL');
      // A process that left the group (a daemon) may still hold a pipe: report without it.
      lateClose = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, signal);
      }, 2000);
      lateClose.unref();
    });
    child.on('close', (code, signal) => finish(ended?.code ?? code, ended?.signal ?? signal));
    return { ok: true, value: { buildId: id, board } };
  }

  cancel(buildId: number): Result<null> {
    if (!this.running || this.running.id !== buildId)
      return err('not-found', `build ${buildId} is not running`);
    this.running.cancelled = true;
    killTree(this.running.child);
    return { ok: true, value: null };
  }

  dispose(): void {
    if (this.running) killTree(this.running.child);
  }
}

function shortPath(arg: string): string {
  if (!path.isAbsolute(arg)) return arg;
  const rel = path.relative(process.cwd(), arg);
  return rel && !rel.startsWith('..') ? rel : arg;
}

/** Signals the builder's whole process group (cargo and rustc included). */
function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (!child.pid) return;
  try {
    if (process.platform !== 'win32') process.kill(-child.pid, sig);
    // Windows has no process groups: taskkill ends the tree under the builder.
    else
      spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' }).on(
        'error',
        () => {},
      );
  } catch {
    // Already gone.
  }
}

function killTree(child: ChildProcess): void {
  killGroup(child, 'SIGTERM');
  const hard = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
  hard.unref();
  child.once('close', () => clearTimeout(hard));
}
