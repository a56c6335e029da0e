/**
 * The images a debug session runs: the selected board's last build, as the build reported it,
 * and whether the sources changed since.
 *
 * A build reports the files it wrote (`build.finished.artifacts`: kernel ELF, apps.bin,
 * apps.json, from scripts/kernel.mjs's last line); Run and Debug start exactly those files, so
 * what runs is what was built and what a flasher would write. A build made before the app
 * started (no report in hand) is found where the board registry says images go,
 * target/images/<board>/ with the same file names. Before starting, the session asks three things, each
 * answered here with a message a person can act on:
 * - is there a build for this board at all (else: "No build for nrf52840dk yet", offer to build);
 * - is the last build for another board (the images of another board's folder are newer);
 * - which source files were saved after it (a stale build: rebuild, or warn beside breakpoints).
 *
 * @example
 *   const found = findImages(root, 'nrf52840dk');
 *   if (!found.ok) return offerBuild(found.error);
 *   const stale = changedSince(root, found.value.builtAt);
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { findBoard } from '../../emulator/boards/registry';
import { err, ok, type Result } from '../../emulator/core/result';
import { buildPaddingTbf } from '../../emulator/formats/tbf';
import type { ImageFile } from '../../emulator/session/session';
import type { BuildArtifacts } from '../common/contract';

/** One app as apps.json (scripts/apps.mjs) describes it. */
export interface AppImage {
  name: string;
  /** Absolute path of the app's ELF (its DWARF), when the build kept it. */
  elf: string | null;
  /** Flash address of the TBF header. */
  flash: number;
  /** Flash address of the app's first loadable byte. */
  binary: number | null;
  ram: number | null;
  /** Absolute path of the app's TBF, when the build wrote one. */
  tbf: string | null;
  /** False for apps built beside the image but not packed into apps.bin (PIC, test-only). */
  inImage: boolean;
}

export interface BoardImages {
  board: string;
  dir: string;
  kernelElf: string;
  /** Files in the order a flasher writes them: the kernel ELF, then apps.bin at its address. */
  files: ImageFile[];
  apps: AppImage[];
  /** Newest of the image files' modification times (ms since the epoch). */
  builtAt: number;
  /** Flash address of apps.bin (the apps region's start), when the build packed apps. */
  appsStart: number | null;
}

/** The emulated machine for a board (the board registry's), or a message naming the problem. */
export function machineForBoard(board: string): Result<string> {
  const found = findBoard(board);
  return found.ok ? ok(found.value.board.machine) : found;
}

/** The files of one build, as paths (project-relative or absolute). */
type BuildFiles = Pick<BuildArtifacts, 'board' | 'dir' | 'kernelElf' | 'appsBin' | 'appsJson'>;

/** Where a build for `board` writes its files when no report says otherwise. */
function registryFiles(projectRoot: string, board: string): BuildFiles {
  const name = findBoard(board);
  const b = name.ok ? name.value.board.name : board;
  const dir = path.join(imagesRoot(projectRoot), b);
  return {
    board: b,
    dir,
    kernelElf: path.join(dir, 'kernel.elf'),
    appsBin: path.join(dir, 'apps.bin'),
    appsJson: path.join(dir, 'apps.json'),
  };
}

const imagesRoot = (projectRoot: string): string => path.join(projectRoot, 'target', 'images');

/** A file's modification time (ms since the epoch), or null when it does not exist. */
export function mtime(p: string): number | null {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return null;
  }
}

/** When each board was last built (kernel.elf's time), newest first. */
export function builtBoards(projectRoot: string): { board: string; builtAt: number }[] {
  let names: string[];
  try {
    names = readdirSync(imagesRoot(projectRoot));
  } catch {
    return [];
  }
  const out: { board: string; builtAt: number }[] = [];
  for (const b of names) {
    const t = mtime(path.join(imagesRoot(projectRoot), b, 'kernel.elf'));
    if (t !== null) out.push({ board: b, builtAt: t });
  }
  return out.sort((a, b) => b.builtAt - a.builtAt);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The board's last build: the files `artifacts` names (the build's report) when it is for this
 * board, else the registry's images folder.
 */
export function findImages(
  projectRoot: string,
  board: string,
  artifacts?: BuildArtifacts | null,
): Result<BoardImages> {
  const at = (p: string): string => path.resolve(projectRoot, p);
  const reported =
    artifacts && findBoard(board).ok && artifacts.board === registryFiles(projectRoot, board).board;
  const f = reported ? artifacts : registryFiles(projectRoot, board);
  const dir = at(f.dir);
  const kernelElf = at(f.kernelElf);
  const kernelTime = mtime(kernelElf);
  if (kernelTime === null) return err(`there is no build for ${board} yet`);
  let kernelBytes: Uint8Array;
  try {
    kernelBytes = new Uint8Array(readFileSync(kernelElf));
  } catch (e) {
    return err(
      `${path.relative(projectRoot, kernelElf)} could not be read: ${(e as Error).message}`,
    );
  }
  const files: ImageFile[] = [{ name: kernelElf, bytes: kernelBytes, format: 'elf' }];
  const apps: AppImage[] = [];
  let builtAt = kernelTime;
  let appsStart: number | null = null;
  const manifest = f.appsJson === null ? null : at(f.appsJson);
  const appsBin = f.appsBin === null ? null : at(f.appsBin);
  if (manifest !== null && mtime(manifest) !== null) {
    let raw: { appsStart?: unknown; apps?: unknown };
    try {
      raw = JSON.parse(readFileSync(manifest, 'utf8')) as typeof raw;
    } catch (e) {
      return err(
        `${path.relative(projectRoot, manifest)} is not valid JSON (${(e as Error).message}): build again`,
      );
    }
    const start = num(raw.appsStart);
    appsStart = start;
    const binTime = appsBin === null ? null : mtime(appsBin);
    if (appsBin !== null && start !== null && binTime !== null) {
      files.push({
        name: appsBin,
        bytes: new Uint8Array(readFileSync(appsBin)),
        address: start,
        format: 'bin',
      });
      builtAt = Math.max(builtAt, binTime);
    }
    for (const a of Array.isArray(raw.apps) ? raw.apps : []) {
      const r = a as Record<string, unknown>;
      const flash = num(r.flash);
      if (typeof r.name !== 'string' || flash === null) continue;
      apps.push({
        name: r.name,
        elf: typeof r.elf === 'string' ? r.elf : null,
        flash,
        binary: num(r.binary),
        ram: num(r.ram),
        tbf: typeof r.tbf === 'string' ? r.tbf : null,
        inImage: r.inImage !== false,
      });
    }
  }
  return ok({ board: f.board, dir, kernelElf, files, apps, builtAt, appsStart });
}

/** The kernel loads at most this many processes (kernel/boards' NUM_PROCS). */
export const MAX_PROCESSES = 8;

/**
 * The build with only the apps `names` in its apps region: the kernel runs at most 8 processes,
 * so an app past the eighth (one "New capsule..." wrote) runs from an image of its own. The
 * TBFs are laid at the addresses they were linked for, gaps filled with padding TBFs, as
 * scripts/apps.mjs `compose` does for the command line. Nothing is written to disk.
 */
export function withApps(images: BoardImages, names: string[]): Result<BoardImages> {
  if (names.length > MAX_PROCESSES)
    return err(`${names.length} apps were asked for; the kernel loads at most ${MAX_PROCESSES}`);
  if (images.appsStart === null) return err(`the build of ${images.board} packed no apps`);
  const picked: { app: AppImage; bytes: Uint8Array }[] = [];
  for (const name of new Set(names)) {
    const app = images.apps.find((a) => a.name === name);
    if (!app || app.tbf === null)
      return err(
        `${name} is not among the apps built for ${images.board} (${images.apps.map((a) => a.name).join(', ')}): build again`,
      );
    if (!app.inImage) return err(`${name} is not linked for a fixed place in flash`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(app.tbf));
    } catch (e) {
      return err(`${app.tbf} could not be read: ${(e as Error).message}: build again`);
    }
    picked.push({ app, bytes });
  }
  picked.sort((a, b) => a.app.flash - b.app.flash);
  const start = images.appsStart;
  const last = picked[picked.length - 1];
  const out = new Uint8Array(last ? last.app.flash + last.bytes.length - start : 0);
  let at = start;
  for (const p of picked) {
    if (p.app.flash < at)
      return err(`${p.app.name} overlaps the app before it in flash: build again`);
    if (p.app.flash > at) out.set(buildPaddingTbf(p.app.flash - at), at - start);
    out.set(p.bytes, p.app.flash - start);
    at = p.app.flash + p.bytes.length;
  }
  const files = images.files.filter((f) => f.format !== 'bin');
  files.push({ name: `${names.join('+')}.bin`, bytes: out, address: start, format: 'bin' });
  return ok({ ...images, files, apps: picked.map((p) => p.app) });
}

/** File kinds a kernel build reads: a newer one makes the build stale. */
const SOURCE = /\.(rs|toml|c|h|s|S|ld|x|json)$/;
const SKIP = new Set(['target', '.git', 'node_modules', 'dist', '.cache']);

/** Project files (project-relative, '/'-separated) saved after `since`, at most `limit`. */
export function changedSince(projectRoot: string, since: number, limit = 50): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= limit) return;
      if (e.isDirectory()) {
        if (!SKIP.has(e.name)) walk(path.join(dir, e.name), rel ? `${rel}/${e.name}` : e.name);
      } else if (e.isFile() && SOURCE.test(e.name)) {
        const t = mtime(path.join(dir, e.name));
        if (t !== null && t > since) out.push(rel ? `${rel}/${e.name}` : e.name);
      }
    }
  };
  walk(projectRoot, '');
  return out.sort();
}
