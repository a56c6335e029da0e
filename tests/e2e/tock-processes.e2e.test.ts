/**
 * The Processes and Fault Explainer panels, driven as a person would: Debug on the nRF52840-DK in
 * the emulator, let the kernel run until the fault apps used up their restarts (the Console says
 * so), Pause, then Processes lists every app of the image with its state (hello Terminated, the
 * two fault apps Faulted, the others alive), its counters and, for a faulted app, its memory map
 * and the fault in words; the Fault Explainer says why fault_kernel faulted (kernel RAM, no MPU
 * region) and that fault_stack overflowed its stack, and its link opens the faulting line.
 *
 * Runs on a temporary copy of the kernel workspace with its build output. Screenshots go to
 * test-results/tock-processes-*.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBuiltKernelStudio, startDebugging, type BuiltKernelStudio } from './built-kernel';
import { APP_ROOT, openInExplorer, type OfflineBrowser } from './harness';

const RESULTS = path.join(APP_ROOT, 'test-results');
const FAULT_APP = 'apps/fault/src/bin/fault_kernel.rs';
/** The line of fault_kernel's faulting write, found in its source. */
const WRITE_LINE =
  readFileSync(path.join(APP_ROOT, 'kernel', FAULT_APP), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('write_volatile(KERNEL_RAM')) + 1;

let k: BuiltKernelStudio;
let b: OfflineBrowser;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(RESULTS, `tock-processes-${name}.png`) });
}
/** Drags the editor/panels splitter up by `px`, so the screenshots show the panels' content. */
async function growPanels(page: Page, px: number): Promise<void> {
  const split = await page.locator('.splitter-y').boundingBox();
  if (!split) throw new Error('no splitter');
  const x = split.x + split.width / 2;
  const y = split.y + split.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 20; i++) await page.mouse.move(x, y - (px * i) / 20);
  await page.mouse.up();
}
const tab = (page: Page, name: string) => page.getByRole('tab', { name, exact: true }).click();

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  k = await openBuiltKernelStudio(['nrf52840dk'], 'tock-processes');
  ({ b } = k);
}, 400_000);

afterAll(async () => {
  await k?.close();
});

describe('Processes and Fault Explainer in the IDE', () => {
  it('lists every app with its state and explains the fault apps', async () => {
    const { page } = b;
    await page.locator('.tree-row').first().waitFor();
    await page.locator('.toolbar select').selectOption('nrf52840dk');
    await growPanels(page, 260);

    await tab(page, 'Processes');
    await page.locator('.panel-empty', { hasText: 'No debug session' }).waitFor();

    await openInExplorer(page, FAULT_APP);
    await startDebugging(page);
    await page.locator('.app[data-session="running"]').waitFor({ timeout: 60_000 });
    await tab(page, 'Processes');
    await page.locator('.panel-empty', { hasText: 'read when the target halts' }).waitFor();

    // Let it run until both fault apps faulted at least once (the Console scrolls too fast to
    // watch on a loaded machine): pause, read, continue.
    const rows = page.locator('tr.tock-process');
    // 0 while the row is not there (a pause early in the boot shows words, not the table: on a
    // loaded machine the first pause can come before the kernel loaded the apps).
    const restarts = async (name: string): Promise<number> => {
      const row = page.locator(`tr.tock-process[data-process="${name}"]`);
      if ((await row.count()) === 0) return 0;
      return Number((await row.getAttribute('data-restarts')) ?? 0);
    };
    for (let i = 0; i < 40; i++) {
      await page.waitForTimeout(3000);
      await page.keyboard.press('F6');
      await page.locator('.app[data-session="halted"]').waitFor({ timeout: 60_000 });
      // The table, or words (early on the kernel has loaded no process yet).
      // The Processes tab stays in front at the pause (a stop outside the project's source
      // brings Disassembly forward only when no view of the target shows).
      await page.locator('.tock-processes, .tock-problem').first().waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1000);
      if ((await restarts('fault_kernel')) >= 1 && (await restarts('fault_stack')) >= 1) break;
      await page.keyboard.press('F5');
      await page.locator('.app[data-session="running"]').waitFor();
    }
    // The Faults tab's badge says what it counts (the fault apps fault on purpose, and the
    // kernel handles it): "n handled", the processes named in its tooltip.
    const faultsBadge = page.locator('.panel-tabs button', { hasText: 'Faults' }).locator('.badge');
    await faultsBadge.waitFor();
    expect(await faultsBadge.textContent()).toMatch(/^\d+ handled$/);
    const badgeTitle = (await faultsBadge.getAttribute('title')) ?? '';
    expect(badgeTitle).toMatch(/process faults? the kernel handled: .*fault_(kernel|stack)/);
    expect(badgeTitle).toContain('not errors of the IDE');
    await shot(page, 'halted');
    expect(await restarts('fault_stack')).toBeGreaterThanOrEqual(1);
    // The process on the CPU at the pause, when the pause caught one (the kernel test checks
    // which one it is): never more than one, marked in its row.
    const onCpu = page.locator('tr.tock-process[data-on-cpu="yes"]');
    expect(await onCpu.count()).toBeLessThanOrEqual(1);
    if ((await onCpu.count()) === 1)
      expect(await onCpu.locator('.process-on-cpu').innerText()).toBe('on CPU');

    const apps = JSON.parse(
      readFileSync(path.join(k.project, 'target/images/nrf52840dk/apps.json'), 'utf8'),
    ) as { apps: { name: string; inImage?: boolean }[] };
    const expected = apps.apps.filter((a) => a.inImage !== false).map((a) => a.name);
    expect(await rows.locator('.process-name').allInnerTexts()).toEqual(expected);
    const state = (name: string) =>
      page.locator(`tr.tock-process[data-process="${name}"] .process-state`).innerText();
    expect(await state('hello')).toBe('Terminated');
    // The others are alive, faulted, or ended by themselves (rng exits after its rounds).
    for (const name of expected.filter((n) => n !== 'hello'))
      expect(await state(name)).toMatch(/^(Running|Yielded|YieldedFor|Faulted|Terminated)$/);
    const fk = page.locator('tr.tock-process[data-process="fault_kernel"]');
    expect(await fk.innerText()).toMatch(/RestartUpTo\(3\)/);

    // A process that faulted shows its memory map and its fault without a click.
    const details = page.locator('[data-process-details="fault_kernel"]');
    await details.waitFor();
    expect(await details.locator('[data-memmap="flash"] [data-seg]').count()).toBe(3);
    // (Its grant region may be empty: halted just after a restart, it has allocated none yet.)
    expect(await details.locator('[data-memmap="RAM"] [data-seg]').count()).toBeGreaterThan(0);
    expect(await details.locator('.fault-summary').innerText()).toMatch(
      /fault_kernel accessed 0x20000000, in the kernel's RAM/,
    );
    // Open a live app's map: the MPU regions are drawn under its RAM.
    await page.locator('tr.tock-process[data-process="timer"]').click();
    const timer = page.locator('[data-process-details="timer"]');
    await timer.waitFor();
    expect(await timer.locator('[data-memmap="RAM"] [data-mpu-region]').count()).toBeGreaterThan(0);
    // timer holds its alarm and console grants: a grant region below its RAM's end.
    expect(await timer.locator('[data-memmap="RAM"] [data-seg="grant"]').count()).toBe(1);
    // The MPU's live registers, read at this halt, and whose regions they hold.
    const liveFor = await page.locator('[data-live-mpu]').getAttribute('data-live-mpu');
    expect(await page.locator('[data-live-mpu]').innerText()).toMatch(
      /^Live MPU registers: enabled, default map for the kernel \(PRIVDEFENA\); \d+ of 8 regions on/,
    );
    if (liveFor && liveFor !== 'timer') {
      await page.locator(`tr.tock-process[data-process="${liveFor}"]`).click();
      const loaded = page.locator(`[data-process-details="${liveFor}"]`);
      expect(await loaded.locator('[data-mpu-live]').count()).toBeGreaterThan(0);
      await shot(page, 'live-mpu');
      await page.locator('tr.tock-process[data-process="timer"]').click();
      await timer.waitFor();
    } else if (liveFor === 'timer') {
      expect(await timer.locator('[data-mpu-live]').count()).toBeGreaterThan(0);
    }
    await shot(page, 'list');

    // The stack high-water mark (emulator): watched from the view's first read; once the board
    // ran on, timer (woken by its alarm) took exceptions from its stack and has one, drawn on
    // its RAM map.
    const button = (command: string) =>
      page.locator(`.toolbar .debug-group button[data-command="${command}"]`);
    const mark = page.locator('[data-process-details="timer"] [data-stack-mark]');
    for (let i = 0; i < 10 && !(await mark.getAttribute('data-stack-mark')); i++) {
      await button('session.debug').click();
      await page.locator('.app[data-session="running"]').waitFor();
      await page.waitForTimeout(2000); // let the board run (not a wait for a condition)
      await button('session.pause').click();
      await page.locator('.app[data-session="halted"]').waitFor({ timeout: 60_000 });
      await expect
        .poll(() => mark.getAttribute('data-stack-mark'), { timeout: 30_000 })
        .toMatch(/^\d+$/)
        .catch(() => undefined);
    }
    expect(await mark.innerText()).toMatch(
      /^Stack high-water mark: 0x[0-9a-f]{8}, \d+ (bytes|KiB) above the start of its RAM \(lowest process stack pointer at an exception entry \(emulator\)/,
    );
    expect(
      await page
        .locator(
          '[data-process-details="timer"] [data-memmap="RAM"] .memmap-mark[title^="stack high-water"]',
        )
        .count(),
    ).toBe(1);
    await shot(page, 'stack-mark');

    // Stop and start timer from the view while halted: its stopped flag, written and read back.
    const before = await state('timer');
    await timer.locator('button[data-action="stop"]').click();
    await page.locator('.process-message', { hasText: 'timer stopped' }).waitFor();
    await expect.poll(() => state('timer')).toBe('Stopped');
    await shot(page, 'stopped');
    await page.locator('[data-process-details="timer"] button[data-action="start"]').click();
    await page.locator('.process-message', { hasText: 'timer resumed' }).waitFor();
    await expect.poll(() => state('timer')).toBe(before);

    // Grants: which capsule holds each grant, its type, size and fields.
    await tab(page, 'Grants');
    const timerGrants = page.locator('[data-grants-process="timer"]');
    await timerGrants.waitFor({ timeout: 30_000 });
    const consoleGrant = page.locator('[data-grant-capsule="capsules::console::Console"]').first();
    expect(await consoleGrant.locator('.grant-title').innerText()).toMatch(
      /^#\d+ capsules::console::Console \(driver console\) · capsules::console::App, 12 bytes at 0x[0-9a-f]{8}$/,
    );
    expect(
      await consoleGrant
        .locator('[data-grant-field]')
        .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-grant-field'))),
    ).toEqual(['pending', 'len', 'written']);
    await timerGrants.scrollIntoViewIfNeeded();
    await shot(page, 'grants');

    await tab(page, 'Fault Explainer');
    const explained = page.locator('.tock-faults [data-fault-process="fault_kernel"]');
    await explained.waitFor({ timeout: 30_000 });
    const words = await explained.innerText();
    expect(words).toMatch(/Address 0x20000000: the kernel's RAM/);
    expect(words).toMatch(/MPU: no MPU region covers it/);
    expect(words).toMatch(/Last system call: /);
    expect(
      await page
        .locator('.tock-faults [data-fault-process="fault_stack"] .fault-summary')
        .innerText(),
    ).toMatch(/fault_stack overflowed its stack/);
    await shot(page, 'explainer');

    // The link opens the faulting line of the app's source.
    const link = explained.locator('.fault-source');
    expect(await link.innerText()).toBe(`fault_kernel.rs:${WRITE_LINE}`);
    await link.click();
    await page.locator(`.tab.active[data-path="${FAULT_APP}"]`).waitFor();
    await expect
      .poll(() => page.locator('.statusbar [data-item="cursor"]').innerText())
      .toMatch(new RegExp(`^Ln ${WRITE_LINE},`));
    await shot(page, 'source');

    await page.keyboard.press('Shift+F5');
    await page.locator('.app[data-session="ended"]').waitFor();
  }, 480_000);
});
