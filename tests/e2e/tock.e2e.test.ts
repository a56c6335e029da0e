/**
 * The Tock views in the IDE, driven as a person would: Debug on the nRF52840-DK in the emulator
 * with a breakpoint in the console capsule's command handler (the hello app's write); the Cells
 * panel shows the console capsule's `buffer` TakeCell present; then a breakpoint in the UARTE's
 * interrupt handler: Cells reads the console buffer "taken" and DMA shows UARTE0 TXD moving that
 * buffer, owned by the kernel's DMA channel and given up by the console capsule; then QEMU
 * (Attach, mps2-an386): DMA says plainly this target has no EasyDMA state. The Timeline records
 * from the first stop on (Record): after the UARTE stops it shows hello's second write system
 * call with its result and, after it, the console's upcall to hello; clicking the call (zoomed in
 * with the wheel over it, as a person would) opens hello's own line that made it (its
 * `println!`, found by unwinding the stack kept at the call), not the runtime's.
 *
 * Runs on a temporary copy of the kernel workspace with its build output (as debug.e2e.test.ts
 * does). Screenshots go to test-results/tock-*.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickGutter,
  openBuiltKernelStudio,
  startDebugging,
  type BuiltKernelStudio,
} from './built-kernel';
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

/** The lines of the hello app's `println!` calls in its app_main (first to the last's end). */
const HELLO_PRINTS = (() => {
  const lines = readFileSync(path.join(APP_ROOT, 'kernel', 'apps/hello/src/main.rs'), 'utf8').split(
    '\n',
  );
  const first = lines.findIndex((l) => l.includes('println!(')) + 1;
  const last = lines.map((l) => l.trim()).lastIndexOf(');') + 1;
  return { first, last };
})();

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
  // One scenario from the first stop to the timeline's click: on a loaded 2-core host the
  // emulator runs at a few MIPS, and the file's default timeout ran out while the Timeline
  // waited (as it should) for hello's write; every wait in it is for a condition.
  it(
    'Cells and DMA follow the console buffer from the capsule to EasyDMA',
    { timeout: 480_000 },
    async () => {
      const { page } = b;
      await page.locator('.tree-row').first().waitFor();
      await page.locator('.toolbar select').selectOption('nrf52840dk');

      // No session: the panels say so.
      await page.getByRole('tab', { name: 'Cells', exact: true }).click();
      await page.locator('.panel-empty', { hasText: 'No debug session' }).waitFor();

      await openInExplorer(page, CONSOLE);
      await clickGutter(page, CONSOLE_LINE);
      await startDebugging(page, () => toolbar(page, 'session.debug').click());
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

      // Record the timeline from here on (hello's first write is under way; its second comes).
      await page.getByRole('tab', { name: 'Timeline', exact: true }).click();
      await page.locator('.tock-timeline button[data-action="record"]').click();
      await page.locator('.timeline-status', { hasText: /^Recording/ }).waitFor();

      // Move the breakpoint to the UARTE interrupt handler and continue.
      await clickGutter(page, CONSOLE_LINE);
      await expect.poll(() => page.locator(`.bp-glyph.bp-line-${CONSOLE_LINE}`).count()).toBe(0);
      await page.getByRole('tab', { name: 'Explorer', exact: true }).click();
      await openInExplorer(page, UARTE);
      await clickGutter(page, UARTE_LINE);
      let owners = '';
      for (let i = 0; i < 12 && !/console Console\.buffer/.test(owners); i++) {
        await toolbar(page, 'session.debug').click();
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
      // Its occupancy history (watched since the first halt): taken at least once, and the strip
      // ends in the empty state it is in now.
      const strip = buffer.locator('svg.cell-history');
      expect(Number(await strip.getAttribute('data-history-changes'))).toBeGreaterThanOrEqual(1);
      expect(await strip.locator('rect.history-empty').count()).toBeGreaterThanOrEqual(1);
      expect(await strip.getAttribute('aria-label')).toMatch(
        /^\d+ occupancy changes in the last \d+ ms$/,
      );
      await shot(page, 'cells-taken');
      // The Cells entry opens the field's declaration; the editor decorates it: taken.
      await openDeclaration(page);
      await expect
        .poll(() => consoleDecoration(page).innerText(), { timeout: 30_000 })
        .toMatch(/taken/);
      await shot(page, 'editor-taken');

      await page.getByRole('tab', { name: 'Explorer', exact: true }).click();
      await openInExplorer(page, UARTE);
      await clickGutter(page, UARTE_LINE);
      await expect.poll(() => page.locator(`.bp-glyph.bp-line-${UARTE_LINE}`).count()).toBe(0);
      await checkTimeline(page);
      await toolbar(page, 'session.stop').click();
      await page.locator('.app[data-session="ended"]').waitFor();
    },
  );
});

/**
 * The debug toolbar's button for a command (Continue and Debug are both `session.debug`): the
 * toolbar acts whatever holds the keyboard focus.
 */
function toolbar(page: Page, command: string) {
  return page.locator(`.toolbar .debug-group button[data-command="${command}"]`);
}

/** Clicks the Cells panel's Console.buffer entry's declaration link. */
async function openDeclaration(page: Page): Promise<void> {
  const link = page.locator('.tock-cell[data-cell="Console.buffer"] .cell-decl button');
  await link.waitFor({ timeout: 30_000 });
  expect(await link.innerText()).toMatch(/^console\.rs:\d+$/);
  await link.click();
  await expect.poll(() => page.locator('.tab.active').innerText()).toContain('console.rs');
}

/** The inline decoration on `buffer: TakeCell<...>` in console.rs (Monaco draws spaces as NBSP). */
function consoleDecoration(page: Page) {
  return page.locator('.view-line', { hasText: /buffer:\sTakeCell/ }).locator('.cell-deco');
}

/** Runs on without breakpoints until the Timeline shows hello's write and then its upcall. */
async function checkTimeline(page: Page): Promise<void> {
  await page.getByRole('tab', { name: 'Timeline', exact: true }).click();
  await toolbar(page, 'session.debug').click();
  await page.locator('.app[data-session="running"]').waitFor();
  const hello = page.locator('.timeline-lane[data-lane="hello"]');
  const write = hello.locator(
    '.timeline-event[data-kind="syscall"][data-name="command console 1"]',
  );
  const upcall = hello.locator(
    '.timeline-event[data-kind="upcall"][data-name^="upcall-delivered console"]',
  );
  await expect.poll(() => write.count(), { timeout: 60_000 }).toBeGreaterThan(0);
  await expect.poll(() => upcall.count(), { timeout: 60_000 }).toBeGreaterThan(0);
  // Stop recording so the picture holds still while the person looks (the board runs on).
  // (a mouse click at the button without Playwright's stable-frame checks: the live panels
  // redraw several times a second, and on a loaded host those checks may never settle)
  await page.locator('.tock-timeline button[data-action="record"]').click({ force: true });
  await page
    .locator('.timeline-status', { hasText: /^Not recording/ })
    .waitFor({ timeout: 150_000 });
  const title = (await write.last().getAttribute('title')) ?? '';
  expect(title).toMatch(/^command console 1 at .* for .*result: Success/);
  const startOf = async (el: ReturnType<Page['locator']>): Promise<number> =>
    (await el.boundingBox())!.x;
  // The upcall follows the write (left to right on the axis).
  expect(await startOf(upcall.last())).toBeGreaterThanOrEqual(await startOf(write.last()));
  await shot(page, 'timeline');
  // Running on, the console's buffer is back: the live decoration reads present.
  await page.getByRole('tab', { name: 'Cells', exact: true }).click();
  await openDeclaration(page);
  await expect
    .poll(() => consoleDecoration(page).innerText(), { timeout: 30_000 })
    .toMatch(/^\s*present/);
  await shot(page, 'editor-present');
  await page.getByRole('tab', { name: 'Timeline', exact: true }).click();

  // Zoom in with the wheel over the call until it can be clicked on its own, then click it.
  const target = write.last();
  for (let i = 0; i < 40; i++) {
    if (
      await target.click({ trial: true, timeout: 300 }).then(
        () => true,
        () => false,
      )
    )
      break;
    const box = (await target.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
  }
  await target.click();
  await expect
    .poll(() => page.locator('.timeline-message').innerText(), { timeout: 15_000 })
    .toMatch(/\.rs:\d+$/);
  const where = await page.locator('.timeline-message').innerText();
  // hello's own line that made the call (its `println!` in app_main): the stack kept at the
  // call unwound past the runtime's svc, its console write and core::fmt, not a runtime line.
  expect(where).toMatch(/^apps\/hello\/src\/main\.rs:\d+$/);
  const line = Number(where.split(':')[1]);
  expect(line).toBeGreaterThanOrEqual(HELLO_PRINTS.first);
  expect(line).toBeLessThanOrEqual(HELLO_PRINTS.last);
  await expect
    .poll(() => page.locator('.tab.active, [role="tab"][aria-selected="true"]').allInnerTexts())
    .toEqual(expect.arrayContaining([expect.stringContaining('main.rs')]));
  // The editor shows that line: the cursor is on it.
  await expect
    .poll(() => page.locator('.editor-host .active-line-number').allInnerTexts(), {
      timeout: 15_000,
    })
    .toEqual(expect.arrayContaining([String(line)]));
  await shot(page, 'timeline-source');
}
