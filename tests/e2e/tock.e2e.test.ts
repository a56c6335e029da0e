/**
 * The Tock views in the IDE, driven as a person would: Debug on the nRF52840-DK in the emulator
 * with a breakpoint in the console capsule's command handler (the hello app's write); the Cells
 * panel shows the console capsule's `buffer` TakeCell present; then a breakpoint in the UARTE's
 * interrupt handler: Cells reads the console buffer "taken" and DMA shows UARTE0 TXD moving that
 * buffer, owned by the kernel's DMA channel and given up by the console capsule; then QEMU
 * (Attach, mps2-an386): DMA says plainly this target has no EasyDMA state.
 *
 * Runs on a temporary copy of the kernel workspace with its build output (as debug.e2e.test.ts
 * does). Screenshots go to test-results/tock-*.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickGutter, openBuiltKernelStudio, type BuiltKernelStudio } from './built-kernel';
import { APP_ROOT, openInExplorer, type OfflineBrowser } from './harness';

const RESULTS = path.join(APP_ROOT, 'test-results');
const CONSOLE = 'capsules/src/console.rs';
/** `let allowed = self` in `command`'s write arm. */
const CONSOLE_LINE = 155;
const UARTE = 'chips/nrf52/src/uarte.rs';
/** The first line of `Uarte::handle_interrupt` with code (its event loop), found in the source. */
const UARTE_LINE =
  readFileSync(path.join(APP_ROOT, 'kernel', UARTE), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('pub fn handle_interrupt(&self) {')) + 2;

let k: BuiltKernelStudio;
let b: OfflineBrowser;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(RESULTS, `tock-${name}.png`) });
}

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  k = await openBuiltKernelStudio(['nrf52840dk', 'mps2-an386'], 'tock');
  ({ b } = k);
}, 400_000);

afterAll(async () => {
  await k?.close();
});

describe('Tock views in the IDE', () => {
  it('Cells and DMA follow the console buffer from the capsule to EasyDMA', async () => {
    const { page } = b;
    await page.locator('.tree-row').first().waitFor();
    await page.locator('.toolbar select').selectOption('nrf52840dk');

    // No session: the panels say so.
    await page.getByRole('tab', { name: 'Cells', exact: true }).click();
    await page.locator('.panel-empty', { hasText: 'No debug session' }).waitFor();

    await openInExplorer(page, CONSOLE);
    await clickGutter(page, CONSOLE_LINE);
    await page.keyboard.press('F5');
    const offer = page.getByRole('button', { name: 'Build and Debug' });
    await Promise.race([
      page
        .locator('.app[data-session="running"], .app[data-session="halted"]')
        .waitFor({ timeout: 60_000 }),
      offer.waitFor({ timeout: 60_000 }).then(() => offer.click()),
    ]);
    await page.locator('.app[data-stop="breakpoint"]').waitFor({ timeout: 180_000 });

    await page.getByRole('tab', { name: 'Cells', exact: true }).click();
    const buffer = page.locator('.tock-cell[data-cell="Console.buffer"]');
    await buffer.waitFor({ timeout: 60_000 });
    expect(await buffer.locator('.cell-occupancy').innerText()).toBe('present');
    expect(await buffer.innerText()).toMatch(/TakeCell<&mut \[u8\]>[\s\S]*128 bytes/);
    expect(await page.locator('.tock-group').allInnerTexts()).toEqual(
      expect.arrayContaining(['capsules::console', 'kernel::dma']),
    );
    await shot(page, 'cells-present');

    // Move the breakpoint to the UARTE interrupt handler and continue.
    await clickGutter(page, CONSOLE_LINE);
    await expect.poll(() => page.locator(`.bp-glyph.bp-line-${CONSOLE_LINE}`).count()).toBe(0);
    await page.getByRole('tab', { name: 'Explorer', exact: true }).click();
    await openInExplorer(page, UARTE);
    await clickGutter(page, UARTE_LINE);
    let owners = '';
    for (let i = 0; i < 6 && !/console Console\.buffer/.test(owners); i++) {
      await page.keyboard.press('F5');
      await page.locator('.app[data-session="running"]').waitFor();
      await page.locator('.app[data-stop="breakpoint"]').waitFor({ timeout: 120_000 });
      await page.getByRole('tab', { name: 'DMA', exact: true }).click();
      const tx = page.locator('tr[data-channel="UARTE0 TXD"]');
      await tx.waitFor({ timeout: 60_000 });
      await expect.poll(() => tx.locator('.dma-state').innerText()).not.toBe('');
      owners = await tx.locator('.dma-owners').innerText();
    }
    expect(owners).toMatch(/capsules::console Console\.buffer \(gave it up\)/);
    expect(owners).toMatch(/kernel::dma DmaChannel\.buffer/);
    expect(owners).toMatch(/static components::console::BUF/);
    await shot(page, 'dma');
    await page.getByRole('tab', { name: 'Cells', exact: true }).click();
    await expect
      .poll(() => buffer.locator('.cell-occupancy').innerText(), { timeout: 30_000 })
      .toBe('taken');
    await shot(page, 'cells-taken');

    await clickGutter(page, UARTE_LINE);
    await page.keyboard.press('Shift+F5');
    await page.locator('.app[data-session="ended"]').waitFor();
  });
});
