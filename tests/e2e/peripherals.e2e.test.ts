/**
 * Peripherals, driven as a person would in the browser-mode UI, on the nRF52840-DK kernel in the
 * emulator: Button 1 pressed on the Board drawing makes the kernel print its button line in the
 * Console; the Peripherals panel shows UARTE0's ENABLE as Enabled and TXD.PTR inside RAM;
 * writing P0's OUTCLR for LED2's pin (P0.14) lights LED2 in the drawing; UART0's RXD (reading it
 * pops the receive FIFO) is not read until its Read button is pressed, as the Access Log shows;
 * and the Access Log shows the apps' UART writes with the chip driver's source line and the
 * console capsule's line that called it.
 *
 * Like the debugging suite it runs on a temporary copy of the kernel workspace with its build
 * output (the kernel suite builds the images; run alone, this file builds them first).
 * Screenshots go to test-results/periph-*.png.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBuiltKernelStudio, type BuiltKernelStudio } from './built-kernel';
import { APP_ROOT, type OfflineBrowser } from './harness';

const RESULTS = path.join(APP_ROOT, 'test-results');

let k: BuiltKernelStudio;
let b: OfflineBrowser;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(RESULTS, `periph-${name}.png`) });
}

async function tab(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name, exact: true }).click();
}

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  k = await openBuiltKernelStudio(['nrf52840dk'], 'periph');
  ({ b } = k);
}, 400_000);

afterAll(async () => {
  await k?.close();
});

describe('peripherals in the IDE', () => {
  it('board buttons, decoded registers, register writes, read-on-demand and the access log', async () => {
    const { page } = b;
    try {
      await scenario(page);
    } catch (e) {
      await shot(page, 'failure');
      throw e;
    }
  });
});

async function scenario(page: Page): Promise<void> {
  {
    await page.locator('.tree-row').first().waitFor();
    await page.locator('.toolbar select').selectOption('nrf52840dk');
    await page.keyboard.press('F5');
    const offer = page.getByRole('button', { name: 'Build and Debug' });
    await Promise.race([
      page.locator('.app[data-session="running"]').waitFor({ timeout: 60_000 }),
      offer.waitFor({ timeout: 60_000 }).then(() => offer.click()),
    ]);
    await page.locator('.app[data-session="running"]').waitFor({ timeout: 180_000 });

    // Record every MMIO access from now on.
    await tab(page, 'Access Log');
    await page.locator('[data-log-toggle]').click();
    await page.getByRole('button', { name: '■ Stop recording' }).waitFor();

    // Button 1 on the drawing, held as a finger would: the kernel prints its button line.
    await tab(page, 'Board');
    const button = page.locator('[data-button="BUTTON1"]');
    await button.waitFor();
    const box = (await button.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.locator('[data-button="BUTTON1"][data-pressed="1"]').waitFor();
    await shot(page, 'button-held');
    await page.waitForTimeout(300);
    await page.mouse.up();
    await tab(page, 'Console');
    await expect
      .poll(() => page.locator('.terminal-host').innerText(), { timeout: 30_000 })
      .toMatch(/\[board\] button 1 pressed/);

    // UARTE0: ENABLE decodes as Enabled, TXD.PTR points into RAM.
    await tab(page, 'Peripherals');
    await page.getByLabel('Search registers').fill('UARTE0');
    await page.locator('[data-peripheral="UARTE0"]').click();
    await page.locator('[data-register="UARTE0.ENABLE"]').click();
    const details = page.locator('[data-details="UARTE0.ENABLE"]');
    await expect
      .poll(
        () =>
          details
            .locator('tr[data-field="ENABLE"] .enum')
            .innerText()
            .catch(() => ''),
        { timeout: 15_000 },
      )
      .toBe('Enabled');
    await page.locator('[data-register="UARTE0.TXD.PTR"]').waitFor();
    await expect
      .poll(
        async () => {
          const t = await page.locator('[data-register="UARTE0.TXD.PTR"] .reg-value').innerText();
          return /^0x[0-9A-F]{8}$/.test(t) ? Number(t) : 0;
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThanOrEqual(0x2000_0000);
    const ptr = Number(
      await page.locator('[data-register="UARTE0.TXD.PTR"] .reg-value').innerText(),
    );
    expect(ptr).toBeLessThan(0x2004_0000);
    await shot(page, 'uarte0');

    // LED2 is P0.14, active low: OUTCLR's PIN14 lights it in the drawing.
    await page.getByLabel('Search registers').fill('P0.OUTCLR');
    await page.locator('[data-peripheral="P0"]').click();
    await page.locator('[data-register="P0.OUTCLR"]').click();
    const pin14 = page.locator('[data-details="P0.OUTCLR"] tr[data-field="PIN14"]');
    await pin14.locator('[data-field-input="PIN14"]').fill('1');
    await pin14.getByRole('button', { name: 'Write' }).click();
    await page.locator('.periph-notice.info', { hasText: 'Wrote P0.OUTCLR.PIN14' }).waitFor();
    await tab(page, 'Board');
    await page.locator('[data-led="LED2"][data-lit="1"]').waitFor({ timeout: 10_000 });
    await shot(page, 'led2');

    // UART0.RXD pops the FIFO when read: shown as "read on demand", never read by the refresh.
    await tab(page, 'Peripherals');
    await page.getByLabel('Search registers').fill('UART0.RXD');
    await page.locator('[data-peripheral="UART0"]').click();
    const rxd = page.locator('[data-register="UART0.RXD"]');
    await expect.poll(() => rxd.innerText(), { timeout: 15_000 }).toMatch(/read on demand/);
    await page.waitForTimeout(1000); // ten refreshes
    await tab(page, 'Access Log');
    await page.getByLabel('Filter by register').fill('UART0.RXD');
    await page.waitForTimeout(600); // the log is fetched every 250 ms
    expect(await page.locator('.log-row[data-log-register="UART0.RXD"]').count()).toBe(0);
    // Read while the kernel runs, as a person would: the kernel's polling (~10^5 accesses a
    // second) does not push the one read out of the filtered view (filters apply in the host).
    await tab(page, 'Peripherals');
    await rxd.getByRole('button', { name: 'Read' }).click();
    await page.locator('.periph-notice', { hasText: 'Read UART0.RXD on demand' }).waitFor();
    await tab(page, 'Access Log');
    await expect
      .poll(() => page.locator('.log-row.debugger[data-log-register="UART0.RXD"]').count(), {
        timeout: 10_000,
      })
      .toBe(1);
    await page.waitForTimeout(1500); // more polls of a running kernel: the entry stays
    expect(await page.locator('.log-row.debugger[data-log-register="UART0.RXD"]').count()).toBe(1);
    await shot(page, 'rxd-on-demand');

    // The apps' console output: the UART writes the chip driver makes, each with the console
    // capsule line that asked for it. Restart while recording: hello and rng print at boot.
    // The UART's own reads of RAM (EasyDMA) are entries of their own, the peripheral's: the
    // filter is set first, so the view holds every match however fast the kernel polls.
    await page.getByLabel('Filter by register').fill('UARTE0.EasyDMA');
    await page.keyboard.press('Control+Shift+F5');
    const dma = page.locator('.log-row[data-log-dma="1"][data-log-register="UARTE0.EasyDMA"]');
    await expect.poll(() => dma.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await dma.first().locator('.log-source').innerText()).toBe('UARTE0 (EasyDMA)');
    await shot(page, 'easydma');
    await page.getByLabel('Filter by register').fill('UARTE0.TASKS_STARTTX');
    await page.keyboard.press('Control+Shift+F5');
    const starttx = page.locator(
      '.log-row[data-log-register="UARTE0.TASKS_STARTTX"][data-log-kind="write"]',
    );
    const fromConsole = starttx.locator('.log-caller[data-log-caller*="capsules/src/console.rs:"]');
    await expect.poll(() => fromConsole.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const row = fromConsole.first().locator('xpath=..');
    const source = await row.locator('.log-source').getAttribute('data-log-source');
    expect(source).toMatch(/\.rs:\d+$/);
    expect(source).not.toMatch(/capsules\//); // the innermost frame is the chip driver's
    await row.scrollIntoViewIfNeeded();
    await shot(page, 'access-log');
    await page.getByLabel('Filter by register').fill('UARTE0.TXD');
    await expect
      .poll(() => page.locator('.log-row[data-log-register="UARTE0.TXD.PTR"]').count(), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    await page.locator('[data-log-toggle]').click();
    await page.getByRole('button', { name: '● Record accesses' }).waitFor();

    await page.keyboard.press('Shift+F5');
    await page.locator('.app[data-session="ended"]').waitFor();
  }
}
