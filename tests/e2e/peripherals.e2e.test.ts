/**
 * Peripherals, driven as a person would in the browser-mode UI, on the nRF52840-DK kernel in the
 * emulator: Button 1 pressed on the Board drawing makes the kernel print its button line in the
 * Console; the Peripherals panel shows UARTE0's ENABLE as Enabled and TXD.PTR inside RAM;
 * writing P0's OUTCLR for LED2's pin (P0.14) lights LED2 in the drawing; UART0's RXD (reading it
 * pops the receive FIFO) is not read until its Read button is pressed, as the Access Log shows;
 * and the Access Log shows the apps' UART writes with the chip driver's source line and the
 * console capsule's line that called it; EasyDMA transfers are found by a filter set long after
 * boot; the Connections panel shows the kernel's UARTE0 DMA buffer, then a PPI channel and a
 * shortcut a person wires up. On the micro:bit v2, the matrix pixels the kernel drives are lit.
 *
 * Like the debugging suite it runs on a temporary copy of the kernel workspace with its build
 * output (the kernel suite builds the images; run alone, this file builds them first).
 * Screenshots go to test-results/periph-*.png.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LOG_CAPACITY } from '../../emulator/debug/peripherals/access-log';
import { debugBoard, openBuiltKernelStudio, type BuiltKernelStudio } from './built-kernel';
import { APP_ROOT, waitForConsoleLog, type OfflineBrowser } from './harness';

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
  k = await openBuiltKernelStudio(['nrf52840dk', 'microbit-v2'], 'periph');
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
    // Its waits are on conditions: a loaded machine emulates the kernel's boot slowly.
  }, 480_000);

  it('micro:bit v2: the matrix pixels the kernel drives are lit', async () => {
    const { page } = b;
    try {
      await microbit(page);
    } catch (e) {
      await shot(page, 'microbit-failure');
      throw e;
    }
  });
});

/**
 * The micro:bit's 5x5 matrix: a pixel is lit while its row pin is high and its column pin low
 * (the board's schematic). The kernel drives row 1 high and column 1 low at boot, and the led
 * app (LED driver: the matrix's top row, one column pin per LED) leaves LEDs 0 and 2 lit: the
 * drawing shows pixel (1,1) lit (and (1,3) once the led app has run), rows 2-5 dark.
 */
async function microbit(page: Page): Promise<void> {
  // Whatever the first test left running (it ends its session when it passes).
  if ((await page.locator('.app').getAttribute('data-session')) === 'running') {
    await page.keyboard.press('Shift+F5');
    await page.locator('.app[data-session="ended"]').waitFor();
  }
  await debugBoard(page, 'microbit-v2');
  await tab(page, 'Board');
  await page.locator('svg[data-board="microbit-v2"]').waitFor();
  const pixel = (r: number, c: number) => page.locator(`[data-led="(${r},${c})"]`);
  // The kernel lights (1,1) at boot and only ever drives row 1 high; the led app (a dozen apps
  // later, slow on a loaded machine) may add (1,3). Rows 2-5 stay dark.
  await pixel(0, 0).and(page.locator('[data-lit="1"]')).waitFor({ timeout: 60_000 });
  const lit: string[] = [];
  for (let r = 0; r < 5; r++)
    for (let c = 0; c < 5; c++)
      if ((await pixel(r, c).getAttribute('data-lit')) === '1') lit.push(`${r},${c}`);
  expect(lit[0]).toBe('0,0');
  expect(lit.every((p) => p.startsWith('0,'))).toBe(true);
  expect(await pixel(2, 2).getAttribute('data-duty')).toBe('0.00');
  // The last tab (Board) brought into view scrolls the tab row, never the window: the app is
  // no wider than the window and not scrolled sideways (it was, by the row's excess).
  const sideways = await page.evaluate(() => {
    const app = document.querySelector('.app')!;
    return { scrollLeft: app.scrollLeft, over: app.scrollWidth - app.clientWidth };
  });
  expect(sideways).toEqual({ scrollLeft: 0, over: 0 });

  await shot(page, 'microbit');

  // Button A (P0.14, active low) held on the drawing: the kernel reports it as button 1.
  await holdButton(page, 'A');
  await shot(page, 'microbit-button-a');
  await page.mouse.up();
  await tab(page, 'Console');
  await waitForConsoleLog(page, /\[board\] button 1 pressed/);

  await page.keyboard.press('Shift+F5');
  await page.locator('.app[data-session="ended"]').waitFor();
}

/**
 * Holds the drawing's button `name` down as a finger would (the mouse stays down: the caller
 * releases it) until the host reports it pressed (the board's next refresh: slow when loaded).
 */
async function holdButton(page: Page, name: string): Promise<void> {
  const button = page.locator(`[data-button="${name}"]`);
  await button.waitFor();
  const box = (await button.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  try {
    await page.locator(`[data-button="${name}"][data-pressed="1"]`).waitFor({ timeout: 20_000 });
  } catch {
    const at = await page.evaluate(
      ([x, y]) => {
        const el = document.elementFromPoint(x!, y!);
        return `${el?.outerHTML.slice(0, 200)} in ${el?.parentElement?.outerHTML.slice(0, 200)}`;
      },
      [box.x + box.width / 2, box.y + box.height / 2],
    );
    const notices = await page.locator('.periph-notice').allInnerTexts();
    console.log(
      `DIAG ${name}: at point ${at}; notices ${JSON.stringify(notices)}; box ${JSON.stringify(box)}`,
    );
    await page.locator(`[data-button="${name}"][data-pressed="1"]`).waitFor({ timeout: 70_000 });
  }
}

async function scenario(page: Page): Promise<void> {
  {
    await page.locator('.tree-row').first().waitFor();
    await debugBoard(page, 'nrf52840dk');

    // Record every MMIO access from now on.
    await tab(page, 'Access Log');
    await page.locator('[data-log-toggle]').click();
    await page.getByRole('button', { name: '■ Stop recording' }).waitFor();

    // Button 1 on the drawing, held as a finger would: the kernel prints its button line.
    await tab(page, 'Board');
    await holdButton(page, 'BUTTON1');
    await shot(page, 'button-held');
    await page.waitForTimeout(300);
    await page.mouse.up();
    await tab(page, 'Console');
    await waitForConsoleLog(page, /\[board\] button 1 pressed/);

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
    await page.locator('[data-led="LED2"][data-lit="1"]').waitFor({ timeout: 60_000 });
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

    // The UART's own reads of RAM (EasyDMA) are entries of their own, the peripheral's. The
    // filter is set once the kernel's polling has overwritten the emulator's ring (waited for:
    // how soon depends on the machine's speed), but EasyDMA transfers (like the debugger's
    // reads and each peripheral's last accesses) are kept apart, so the boot's console output
    // is still found; the panel says how much was not searched, and what was.
    await expect
      .poll(
        async () =>
          Number(await page.locator('[data-log-sequence]').getAttribute('data-log-sequence')),
        { timeout: 120_000 },
      )
      .toBeGreaterThan(ACCESS_LOG_CAPACITY + 10_000);
    await page.getByLabel('Filter by register').fill('UARTE0.EasyDMA');
    const dma = page.locator('.log-row[data-log-dma="1"][data-log-register="UARTE0.EasyDMA"]');
    await expect.poll(() => dma.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await dma.first().locator('.log-source').innerText()).toBe('UARTE0 (EasyDMA)');
    const unsearched = page.locator('[data-log-unsearched]');
    await unsearched.waitFor({ timeout: 10_000 });
    expect(Number(await unsearched.getAttribute('data-log-unsearched'))).toBeGreaterThan(0);
    // It says what was searched of them: what the emulator keeps apart.
    expect(await unsearched.innerText()).toContain(
      "only what the emulator keeps apart was searched (each peripheral's last 512 accesses, debugger reads and EasyDMA transfers)",
    );
    // The view follows the run: it fetches the newest transfers, and counts no CPU access to
    // UARTE0's registers as a transfer it left out.
    expect(await page.locator('[data-log-passed]').count()).toBe(0);
    await shot(page, 'easydma');

    // The apps' console output: the UART writes the chip driver makes, each with the console
    // capsule line that asked for it. Restart while recording, the filter set first: hello and
    // rng print at boot.
    await page.getByLabel('Filter by register').fill('UARTE0.TASKS_STARTTX');
    const restartedAt = Number(
      await page.locator('[data-log-sequence]').getAttribute('data-log-sequence'),
    );
    await page.keyboard.press('Control+Shift+F5');
    const starttx = page.locator(
      '.log-row[data-log-register="UARTE0.TASKS_STARTTX"][data-log-kind="write"]',
    );
    const fromConsole = starttx.locator('.log-caller[data-log-caller*="capsules/src/console.rs:"]');
    // Waited for: a console write of the restarted run, with its capsule caller. The kernel makes
    // ~11 million instructions from its reset vector to its first transmission (UARTE0 enabled,
    // TXD.PTR set), which a loaded machine emulates in tens of seconds.
    await expect
      .poll(
        async () =>
          Math.max(
            -1,
            ...(await fromConsole.evaluateAll((cs) =>
              cs.map((c) => Number(c.parentElement?.getAttribute('data-log-seq') ?? -1)),
            )),
          ),
        { timeout: 180_000 },
      )
      .toBeGreaterThanOrEqual(restartedAt);
    // The "not searched" line spoke of the run before the Restart: gone once it is done.
    await expect
      .poll(() => page.locator('[data-log-unsearched]').count(), { timeout: 60_000 })
      .toBe(0);
    const row = fromConsole.first().locator('xpath=..');
    const source = await row.locator('.log-source').getAttribute('data-log-source');
    expect(source).toMatch(/\.rs:\d+$/);
    expect(source).not.toMatch(/capsules\//); // the innermost frame is the chip driver's
    // Stop following new rows, so the row stays where it is drawn.
    await page.getByRole('checkbox', { name: 'follow' }).uncheck();
    await row.scrollIntoViewIfNeeded();
    await shot(page, 'access-log');
    // Filtered, what the ring overwrote before a poll is said to be unsearched, not "dropped".
    expect(await page.locator('[data-log-count]').innerText()).not.toContain('dropped');
    await page.getByLabel('Filter by register').fill('UARTE0.TXD');
    await expect
      .poll(() => page.locator('.log-row[data-log-register="UARTE0.TXD.PTR"]').count(), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    await page.locator('[data-log-toggle]').click();
    await page.getByRole('button', { name: '● Record accesses' }).waitFor();

    // Connections of the running kernel: its UARTE0 transmit buffer (EasyDMA) in Data RAM; no
    // PPI channel and no shortcut (the kernel uses neither). A person wires TIMER2's COMPARE[0]
    // event to its COUNT task on PPI channel 0 and enables its COMPARE0_CLEAR shortcut through
    // register writes: the panel draws the arrow and lists the shortcut while the kernel runs.
    await tab(page, 'Connections');
    // The restarted kernel has transmitted (waited for above): UARTE0 is enabled, TXD.PTR set.
    const txd = page.locator('[data-dma="UARTE0.TXD"]');
    await txd.waitFor({ timeout: 30_000 });
    expect(await txd.innerText()).toMatch(/0x2000[0-9a-f]{4}[\s\S]*in Data RAM/);
    await page.getByText('No PPI channel is enabled.').waitFor();
    await page.getByText('No shortcut is enabled.').waitFor();
    await tab(page, 'Peripherals');
    const write = async (register: string, field: string, value: string) => {
      await page.getByLabel('Search registers').fill(register);
      const [peripheral] = register.split('.');
      const reg = page.locator(`[data-register="${register}"]`);
      await page.waitForTimeout(300); // the tree redrawn for the search
      // Open the peripheral unless an earlier write left it open.
      if (!(await reg.isVisible())) await page.locator(`[data-peripheral="${peripheral}"]`).click();
      await reg.click();
      const row = page.locator(`[data-details="${register}"] tr[data-field="${field}"]`);
      await row.locator(`[data-field-input="${field}"]`).fill(value);
      await row.getByRole('button', { name: 'Write' }).click();
      await page
        .locator('.periph-notice.info', { hasText: `Wrote ${register}.${field}` })
        .waitFor();
    };
    await write('PPI.CH[0].EEP', 'EEP', '0x4000A140'); // TIMER2.EVENTS_COMPARE[0]
    await write('PPI.CH[0].TEP', 'TEP', '0x4000A008'); // TIMER2.TASKS_COUNT
    await write('PPI.CHENSET', 'CH0', '1');
    await write('TIMER2.SHORTS', 'COMPARE0_CLEAR', '1');
    await tab(page, 'Connections');
    const ch0 = page.locator('[data-ppi-channel="0"]');
    await ch0.waitFor({ timeout: 10_000 });
    expect(await ch0.textContent()).toMatch(
      /CH0.*TIMER2\.EVENTS_COMPARE\[0\].*TIMER2\.TASKS_COUNT/,
    );
    await page.locator('[data-short="TIMER2.COMPARE0_CLEAR"]').scrollIntoViewIfNeeded();
    expect(await page.locator('.app').getAttribute('data-session')).toBe('running');
    await txd.waitFor();
    await shot(page, 'connections');

    await page.keyboard.press('Shift+F5');
    await page.locator('.app[data-session="ended"]').waitFor();
  }
}
