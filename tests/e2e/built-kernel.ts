/**
 * A studio on a copy of the repository's kernel project with its build output, for the e2e files
 * that debug the real kernel (debugging, Tock views, peripherals).
 *
 * The boards' images are built first unless the last build is fresh (the kernel suite's set-up
 * usually built them); the copy keeps timestamps, so the IDE takes the images as the last build
 * and not as stale. Breakpoints and other per-project state go to a temporary cache folder.
 *
 * @example
 *   let k: BuiltKernelStudio;
 *   beforeAll(async () => { k = await openBuiltKernelStudio(['nrf52840dk'], 'periph'); }, 400_000);
 *   afterAll(() => k?.close());
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { changedSince, findImages, mtime } from '../../main/host/debug-images';
import { buildBoard } from '../kernel/global-setup';
import { APP_ROOT, openOffline, startStudio, type OfflineBrowser, type Studio } from './harness';

export interface BuiltKernelStudio {
  /** The temporary copy of kernel/ the studio has open. */
  project: string;
  studio: Studio;
  b: OfflineBrowser;
  /** Closes the browser and the studio and removes the copies. */
  close(): Promise<void>;
}

/** Whether no kernel source changed after `builtAt` (ms since the epoch; null: never built). */
function freshSince(kernel: string, builtAt: number | null): boolean {
  return builtAt !== null && changedSince(kernel, builtAt, 1).length === 0;
}

/** Builds each board's images in the repository's kernel/ unless they are newer than its sources. */
export function ensureBuiltImages(boards: string[]): void {
  const kernel = path.join(APP_ROOT, 'kernel');
  for (const board of boards) {
    const images = findImages(kernel, board);
    const fresh =
      images.ok &&
      existsSync(path.join(images.value.dir, 'apps.json')) &&
      freshSince(kernel, images.value.builtAt);
    if (fresh) continue;
    const built = buildBoard(APP_ROOT, board);
    if (!built.ok) throw new Error(built.problem);
  }
}

/**
 * Builds a bootloader board (layout.json `kind: "bootloader"`: bootloader.elf, kernel.elf and
 * image.hex holding both, no apps) unless its image.hex is newer than the kernel's sources. A
 * stale image would run an older kernel and fail its tests with no word of why.
 */
export function ensureBuiltBootloader(board: string): void {
  const kernel = path.join(APP_ROOT, 'kernel');
  const hex = path.join(kernel, 'target', 'images', board, 'image.hex');
  if (freshSince(kernel, mtime(hex))) return;
  const built = buildBoard(APP_ROOT, board, true);
  if (!built.ok) throw new Error(built.problem);
  if (!freshSince(kernel, mtime(hex)))
    throw new Error(
      `the build of ${board} left ${hex} older than the kernel's sources (${changedSince(kernel, mtime(hex) ?? 0, 3).join(', ')})`,
    );
}

/** Builds `boards` if needed, copies kernel/ with its build and opens a studio on the copy. */
export async function openBuiltKernelStudio(
  boards: string[],
  name: string,
): Promise<BuiltKernelStudio> {
  ensureBuiltImages(boards);
  const project = mkdtempSync(path.join(os.tmpdir(), `capsule-e2e-${name}-`));
  cpSync(path.join(APP_ROOT, 'kernel'), project, {
    recursive: true,
    preserveTimestamps: true,
    filter: (src) => !/[\\/](\.git|node_modules)$/.test(src),
  });
  const cache = mkdtempSync(path.join(os.tmpdir(), 'capsule-e2e-cache-'));
  const studio = await startStudio(project, { XDG_CACHE_HOME: cache });
  const b = await openOffline(studio.url);
  return {
    project,
    studio,
    b,
    async close() {
      await b.browser.close();
      await studio.stop();
      rmSync(project, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    },
  };
}

/** Clicks the editor's glyph margin left of line `n` (goes to the line first, so it is in view). */
export async function clickGutter(page: Page, n: number): Promise<void> {
  await page.keyboard.press('Control+g');
  await page.keyboard.type(String(n));
  await page.keyboard.press('Enter');
  const number = page.locator('.monaco-editor .line-numbers', { hasText: new RegExp(`^${n}$`) });
  // Monaco may still be scrolling to the line and redraw the number's element: ask again.
  for (let tries = 0; ; tries++) {
    await number.waitFor();
    const box = await number.boundingBox();
    if (box) return page.mouse.click(box.x - 12, box.y + box.height / 2);
    if (tries === 50) throw new Error(`line ${n}'s number is not drawn in the editor`);
    await page.waitForTimeout(50);
  }
}

/**
 * Starts debugging with `press` (default F5) and takes the IDE's offer to build first ("Build
 * and Debug") when it makes one; resolves once the session runs or has halted (a breakpoint hit
 * at once), after the build if there was one.
 */
export async function startDebugging(
  page: Page,
  press: () => Promise<void> = () => page.keyboard.press('F5'),
): Promise<void> {
  await press();
  const offer = page.getByRole('button', { name: 'Build and Debug' });
  const started = page.locator('.app[data-session="running"], .app[data-session="halted"]');
  await Promise.race([
    started.waitFor({ timeout: 60_000 }),
    offer.waitFor({ timeout: 60_000 }).then(() => offer.click()),
  ]);
  await started.waitFor({ timeout: 180_000 });
}

/** Picks `board` in the toolbar and starts debugging it (building first if the IDE offers). */
export async function debugBoard(page: Page, board: string): Promise<void> {
  await page.locator('.toolbar select').selectOption(board);
  await startDebugging(page);
  await page.locator('.app[data-session="running"]').waitFor({ timeout: 60_000 });
}
