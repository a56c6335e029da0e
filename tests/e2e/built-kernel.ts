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
import { changedSince, findImages } from '../../main/host/debug-images';
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

/** Builds each board's images in the repository's kernel/ unless they are newer than its sources. */
export function ensureBuiltImages(boards: string[]): void {
  const kernel = path.join(APP_ROOT, 'kernel');
  for (const board of boards) {
    const images = findImages(kernel, board);
    const fresh =
      images.ok &&
      existsSync(path.join(images.value.dir, 'apps.json')) &&
      changedSince(kernel, images.value.builtAt, 1).length === 0;
    if (fresh) continue;
    const built = buildBoard(APP_ROOT, board);
    if (!built.ok) throw new Error(built.problem);
  }
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

/** Picks `board` in the toolbar and starts debugging it (building first if the IDE offers). */
export async function debugBoard(page: Page, board: string): Promise<void> {
  await page.locator('.toolbar select').selectOption(board);
  await page.keyboard.press('F5');
  const offer = page.getByRole('button', { name: 'Build and Debug' });
  await Promise.race([
    page.locator('.app[data-session="running"]').waitFor({ timeout: 60_000 }),
    offer.waitFor({ timeout: 60_000 }).then(() => offer.click()),
  ]);
  await page.locator('.app[data-session="running"]').waitFor({ timeout: 180_000 });
}
