/**
 * The build summary: how much flash and RAM the kernel and each app use, against the board's
 * memory layout, with a warning as a limit nears.
 *
 * The layout is the board's `boards/<board>/layout.json` (the same file the app builder places
 * apps by): flash and RAM regions for the kernel and for the apps, each as [start, size]. The
 * kernel's use comes from its ELF's loadable segments (flash: the bytes stored in flash, that
 * is code, read-only data and the initial values of `.data`; RAM: the memory size of segments
 * that run from RAM, `.data`, `.bss` and the stack). Each app's use comes from its TBF header:
 * flash is the TBF's total size (what the kernel's app walk steps over) of which the binary
 * ends at `binary_end_offset`; RAM is the `minimum_ram_size` the kernel must give it.
 * `computeSummary` is pure; `summarizeBuild` finds the files of a build and reads them.
 *
 * @example
 *   const s = await summarizeBuild('/home/me/kernel', 'nrf52840dk');
 *   for (const w of s.warnings) console.warn(w);
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PT_LOAD, parseElf, type ElfFile } from '../../emulator/formats/elf.js';
import { parseTbfHeader, type TbfHeader } from '../../emulator/formats/tbf.js';
import type { BuildSummary, BuildSummaryPart } from '../common/contract.js';

/** A region this full or more gets a warning. */
export const NEAR_LIMIT = 0.85;

export interface BoardLayout {
  flash: { kernel: [number, number]; apps: [number, number] };
  ram: { kernel: [number, number]; apps: [number, number] };
}

const inside = (addr: number, [start, size]: [number, number]): boolean =>
  addr >= start && addr < start + size;

const kib = (n: number): string => `${Math.round((n / 1024) * 10) / 10} KiB`;

/** Flash and RAM bytes of a kernel ELF, counted by where its segments live in `layout`. */
export function kernelUsage(elf: ElfFile, layout: BoardLayout): { flash: number; ram: number } {
  let flash = 0;
  let ram = 0;
  for (const s of elf.segments) {
    if (s.type !== PT_LOAD || s.memsz === 0) continue;
    // Initial values of RAM data are stored in flash at the physical (load) address.
    if (s.filesz > 0 && inside(s.paddr, layout.flash.kernel)) flash += s.filesz;
    if (inside(s.vaddr, layout.ram.kernel)) ram += s.memsz;
  }
  return { flash, ram };
}

export function computeSummary(input: {
  board: string;
  layout: BoardLayout;
  kernel: ElfFile | null;
  apps: { name: string; header: TbfHeader }[];
  notes?: string[];
}): BuildSummary {
  const { layout } = input;
  const notes = [...(input.notes ?? [])];
  const parts: BuildSummaryPart[] = [];
  const kernelFlashSize = layout.flash.kernel[1];
  const kernelRamSize = layout.ram.kernel[1];
  let kernelFlash = 0;
  let kernelRam = 0;
  if (input.kernel) {
    ({ flash: kernelFlash, ram: kernelRam } = kernelUsage(input.kernel, layout));
    parts.push({
      name: 'kernel',
      kind: 'kernel',
      flash: { used: kernelFlash, available: kernelFlashSize },
      ram: { used: kernelRam, available: kernelRamSize },
    });
  }
  let appsFlash = 0;
  let appsRam = 0;
  for (const app of input.apps) {
    const h = app.header;
    const main = h.program ?? h.main;
    const binaryEnd = h.program?.binaryEndOffset ?? h.totalSize;
    appsFlash += h.totalSize;
    appsRam += main?.minimumRamSize ?? 0;
    parts.push({
      name: app.name,
      kind: 'app',
      flash: { used: binaryEnd, available: h.totalSize },
      ram: { used: main?.minimumRamSize ?? 0, available: layout.ram.apps[1] },
    });
  }
  const regions: BuildSummary['regions'] = [];
  if (input.kernel) {
    regions.push({ name: 'kernel', memory: 'flash', used: kernelFlash, size: kernelFlashSize });
    regions.push({ name: 'kernel', memory: 'ram', used: kernelRam, size: kernelRamSize });
  }
  if (input.apps.length) {
    regions.push({ name: 'apps', memory: 'flash', used: appsFlash, size: layout.flash.apps[1] });
    regions.push({ name: 'apps', memory: 'ram', used: appsRam, size: layout.ram.apps[1] });
  }
  const warnings: string[] = [];
  for (const r of regions) {
    if (r.size <= 0) continue;
    const share = r.used / r.size;
    const what = `${r.name} ${r.memory === 'flash' ? 'flash' : 'RAM'}`;
    const figures = `${kib(r.used)} of ${kib(r.size)}`;
    if (share > 1)
      warnings.push(
        `${what} is over its limit: ${Math.round(share * 100)}% (${figures}); the image will not fit on ${input.board}`,
      );
    else if (share >= NEAR_LIMIT)
      warnings.push(`${what} is ${Math.round(share * 100)}% used (${figures})`);
  }
  return { board: input.board, parts, regions, warnings, notes };
}

function kernelBinaryName(root: string, board: string): string {
  try {
    const toml = readFileSync(path.join(root, 'boards', board, 'Cargo.toml'), 'utf8');
    const bin = /\[\[bin\]\][^[]*?name\s*=\s*"([^"]+)"/s.exec(toml);
    const pkg = /\[package\][^[]*?name\s*=\s*"([^"]+)"/s.exec(toml);
    return bin?.[1] ?? pkg?.[1] ?? board;
  } catch {
    return board;
  }
}

/** The newest `target/<triple>/release/<bin>` of the board (cargo's output of the build). */
export function findKernelElf(root: string, board: string): string | null {
  const bin = kernelBinaryName(root, board);
  const target = path.join(root, 'target');
  let best: { file: string; mtime: number } | null = null;
  let triples: string[];
  try {
    triples = readdirSync(target);
  } catch {
    return null;
  }
  for (const triple of triples) {
    const file = path.join(target, triple, 'release', bin);
    try {
      const st = statSync(file);
      if (st.isFile() && (!best || st.mtimeMs > best.mtime)) best = { file, mtime: st.mtimeMs };
    } catch {
      // Not built for this triple.
    }
  }
  return best?.file ?? null;
}

/** Reads the layout, the kernel ELF and the apps' TBFs of `board`'s last build. */
export async function summarizeBuild(
  root: string,
  board: string,
  artifacts: { kernelElf?: string; imagesDir?: string } = {},
): Promise<BuildSummary> {
  const notes: string[] = [];
  let layout: BoardLayout;
  try {
    layout = JSON.parse(
      readFileSync(path.join(root, 'boards', board, 'layout.json'), 'utf8'),
    ) as BoardLayout;
    if (!layout.flash?.kernel || !layout.ram?.apps) throw new Error('missing regions');
  } catch (e) {
    return {
      board,
      parts: [],
      regions: [],
      warnings: [],
      notes: [
        `boards/${board}/layout.json could not be read (${(e as Error).message}), so use cannot be measured against the board's memory`,
      ],
    };
  }
  let kernel: ElfFile | null = null;
  const elfPath = artifacts.kernelElf ?? findKernelElf(root, board);
  if (!elfPath) notes.push(`the kernel ELF of ${board} was not found under target/`);
  else {
    try {
      kernel = parseElf(new Uint8Array(readFileSync(elfPath)));
    } catch (e) {
      notes.push(`${path.relative(root, elfPath)}: ${(e as Error).message}`);
    }
  }
  const images = artifacts.imagesDir ?? path.join(root, 'target', 'images', board);
  const apps: { name: string; header: TbfHeader }[] = [];
  const appsDir = path.join(images, 'apps');
  if (!existsSync(appsDir))
    notes.push(
      `no app images in ${path.relative(root, appsDir)}: this build did not pack the apps`,
    );
  else {
    const elfTime = elfPath && existsSync(elfPath) ? statSync(elfPath).mtimeMs : 0;
    let stale = false;
    for (const f of readdirSync(appsDir)
      .filter((n) => n.endsWith('.tbf'))
      .sort()) {
      const file = path.join(appsDir, f);
      if (statSync(file).mtimeMs + 60_000 < elfTime) stale = true;
      const h = parseTbfHeader(new Uint8Array(readFileSync(file)));
      if (h.ok)
        apps.push({ name: h.value.packageName ?? f.replace(/\.tbf$/, ''), header: h.value });
      else notes.push(`${f}: ${h.error.message}`);
    }
    if (stale)
      notes.push('the app images are older than the kernel: they are from an earlier build');
  }
  return computeSummary({ board, layout, kernel, apps, notes });
}
