/**
 * The Boards panel end to end, as a person with a board on a serial port would use it: the
 * "board" is our Tock bootloader running in the emulated nRF52840-DK with its UART on a
 * pseudo-terminal (tests/bootloader-pty.ts). In the UI: the port is added by its path, the
 * bootloader opened, two apps installed from the last build's TABs, one removed, the kernel
 * written (one linked for the board without a bootloader refused), EXIT; the
 * kernel then boots and runs the app left. The board's serial console is open all along: it
 * lends the port to the bootloader, takes it back after EXIT, logs to a project file, and the
 * kernel's process console answers `list` typed into it. Then what goes wrong: opening the
 * bootloader while the kernel runs says how to enter it on the DK, and a port whose board went
 * away says so (and the console waits for it to come back). The same board in the shared Console
 * panel: its port picked as the source (beside the emulator session), the baud picker, keys typed
 * into the terminal answered by the process console, and the reconnecting state there too.
 * Screenshots go to test-results/boards-*.png and console-serial*.png.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatedBootloader, type EmulatedBootloader } from '../bootloader-pty';
import { ensureBuiltBootloader, ensureBuiltImages } from './built-kernel';
import {
  APP_ROOT,
  copyFixtureWithTwoBoards,
  drawnRows,
  expectTerminalDrawsLog,
  FIXTURE_BUILDER,
  openOffline,
  savedConsoleLog,
  startStudio,
  waitForConsoleLog,
  type OfflineBrowser,
  type Studio,
} from './harness';

const RESULTS = path.join(APP_ROOT, 'test-results');
const IMAGES = path.join(APP_ROOT, 'kernel', 'target', 'images');

let project: string;
let studio: Studio;
let b: OfflineBrowser;
let board: EmulatedBootloader | undefined;

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  // Rebuilt when a kernel source is newer than the images: a stale bootloader image would run
  // an older kernel and fail the tests below with no word of why.
  ensureBuiltImages(['nrf52840dk']);
  ensureBuiltBootloader('nrf52840dk-bootloader');
  project = copyFixtureWithTwoBoards();
  const apps = path.join(project, 'target', 'images', 'nrf52840dk', 'apps');
  mkdirSync(apps, { recursive: true });
  for (const app of ['hello.tab', 'pic.tab'])
    copyFileSync(path.join(IMAGES, 'nrf52840dk', 'apps', app), path.join(apps, app));
  // Kernels as builds leave them: the DK's own (linked at 0) and the one after the bootloader.
  for (const dir of ['nrf52840dk', 'nrf52840dk-bootloader']) {
    mkdirSync(path.join(project, 'target', 'images', dir), { recursive: true });
    copyFileSync(
      path.join(IMAGES, dir, 'kernel.elf'),
      path.join(project, 'target', 'images', dir, 'kernel.elf'),
    );
  }
  studio = await startStudio(project, { CAPSULE_BUILDER_SCRIPT: FIXTURE_BUILDER });
  b = await openOffline(studio.url);
  await b.page.locator('.tree-row').first().waitFor();
}, 400_000);

afterAll(async () => {
  await board?.stop();
  await b?.browser.close();
  await studio?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('Boards panel', () => {
  it('installs two apps through the bootloader, removes one, and the kernel runs the other', async () => {
    const { page } = b;
    board = await startEmulatedBootloader({
      image: path.join(IMAGES, 'nrf52840dk-bootloader', 'image.hex'),
      holdButtonSeconds: 0.5,
    });
    await page.getByRole('tab', { name: 'Boards' }).click();
    const panel = page.locator('.boards-panel');
    await panel.locator('h3', { hasText: 'Serial ports' }).waitFor();
    await panel.locator('.boards-note').first().waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'boards-empty.png') });

    await panel.getByLabel('Port path').fill(board.path);
    await panel.getByRole('button', { name: 'Add port' }).click();
    const row = panel.locator(`tr[data-port="${board.path}"]`);
    await row.waitFor();
    await expect(row.innerText()).resolves.toContain('added by hand');
    await row.locator('input[type=radio]').check();

    // The console first, as a person watching the board would; the bootloader borrows the port.
    await panel.getByLabel('Log file').fill('logs/dk-console.log');
    await panel.getByRole('button', { name: 'Open console' }).click();
    const consoleBox = panel.locator(`.serial-console[data-console="${board.path}"]`);
    const consoleState = consoleBox.locator('.serial-console-state');
    await consoleState.filter({ hasText: /^open — logging to logs\/dk-console.log/ }).waitFor();

    await panel.getByLabel('Board', { exact: true }).selectOption('nrf52840dk');
    await panel.getByRole('button', { name: 'Open bootloader' }).click();
    const session = panel.locator(`.bootloader-session[data-bootloader="${board.path}"]`);
    await session.waitFor({ timeout: 60_000 });
    const title = await session.locator('.session-title').innerText();
    expect(title).toContain(`Tock bootloader 1.1.0 on ${board.path}`);
    expect(title).toContain('kernel 0x00008000-0x00040000');
    await expect(session.locator('.session-attributes').innerText()).resolves.toMatch(
      /board=nrf52840dk.*arch=cortex-m4.*appaddr=0x40000/s,
    );
    await session.getByText('No apps are installed.').waitFor();
    await consoleState.filter({ hasText: 'lent to the bootloader' }).waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'boards-bootloader-open.png') });

    for (const app of ['hello', 'pic']) {
      await session.getByLabel('App file').selectOption(`target/images/nrf52840dk/apps/${app}.tab`);
      await session.getByRole('button', { name: 'Install' }).click();
      await session.locator(`tr[data-app="${app}"]`).waitFor({ timeout: 120_000 });
    }
    const appRows = session.locator('.bootloader-apps tbody tr');
    expect(await appRows.allInnerTexts()).toEqual([
      expect.stringMatching(/^hello\s+0x00040000\s+16 KiB\s+enabled, linked at 0x00040080/),
      expect.stringMatching(/^pic\s+0x00044000\s+16 KiB\s+enabled, position independent/),
    ]);
    await page.screenshot({ path: path.join(RESULTS, 'boards-two-apps.png') });

    await session.locator('tr[data-app="pic"]').getByRole('button', { name: 'Remove' }).click();
    await session.locator('tr[data-app="pic"]').waitFor({ state: 'detached', timeout: 60_000 });
    expect(await appRows.allInnerTexts()).toEqual([expect.stringMatching(/^hello\s/)]);

    // The kernel too: the DK's own kernel starts where the bootloader lives and is refused;
    // the one linked after the bootloader is written, CRC-checked, and the app stays.
    const kernelSelect = session.getByLabel('Kernel image');
    expect(await kernelSelect.locator('option').allInnerTexts()).toEqual([
      'target/images/nrf52840dk-bootloader/kernel.elf',
      'target/images/nrf52840dk/kernel.elf',
    ]);
    await kernelSelect.selectOption('target/images/nrf52840dk/kernel.elf');
    await session.getByRole('button', { name: 'Flash kernel' }).click();
    const refusal = panel.locator('.board-error');
    await refusal.waitFor({ timeout: 30_000 });
    expect(await refusal.innerText()).toMatch(
      /linked to start at 0x00000000, not at 0x00008000[\s\S]*Fix: build the kernel for the board with its bootloader/,
    );
    await page.screenshot({ path: path.join(RESULTS, 'boards-kernel-refused.png') });
    await kernelSelect.selectOption('target/images/nrf52840dk-bootloader/kernel.elf');
    await session.getByRole('button', { name: 'Flash kernel' }).click();
    await panel
      .locator('.boards-log li')
      .filter({ hasText: 'Flash the kernel target/images/nrf52840dk-bootloader/kernel.elf: done' })
      .waitFor({ timeout: 180_000 });
    await expect(refusal.count()).resolves.toBe(0);
    expect(await appRows.allInnerTexts()).toEqual([expect.stringMatching(/^hello\s/)]);

    await session.getByRole('button', { name: 'Exit bootloader (start kernel)' }).click();
    await session.waitFor({ state: 'detached' });
    await board.waitFor(/hello: Hello, World!/, 90_000);
    expect(board.output()).toMatch(/\[kernel\] 1 process\(es\) loaded/);
    expect(board.output()).not.toMatch(/loaded process 'pic'/);

    // The console has the port again: the kernel's process console answers what is typed.
    await consoleState.filter({ hasText: /^open/ }).waitFor({ timeout: 20_000 });
    const output = consoleBox.locator('.serial-output');
    await consoleBox.getByLabel('Console input').fill('list');
    await consoleBox.getByLabel('Console input').press('Enter');
    await output.filter({ hasText: /ShortID\s+Name[\s\S]*\bhello\b/ }).waitFor({ timeout: 30_000 });
    const listed = await output.innerText();
    expect(listed).toMatch(/\bhello\b/);
    expect(listed).not.toMatch(/\bpic\b/);
    await expect(consoleBox.getByLabel('Console input').inputValue()).resolves.toBe('');
    expect(readFileSync(path.join(project, 'logs', 'dk-console.log'), 'latin1')).toMatch(
      /ShortID\s+Name/,
    );
    await page.screenshot({ path: path.join(RESULTS, 'boards-exited.png') });
  });

  it('shows the board in the shared Console panel: serial port as a source, baud picker, typing', async () => {
    const { page } = b;
    const port = board!.path;
    await page.getByRole('tab', { name: 'Console', exact: true }).click();
    const panel = page.locator('.console-panel');
    const picker = panel.getByLabel('Console source');
    // The emulator session and the board's port are both sources of the one panel.
    await expect
      .poll(() => picker.locator('option').allInnerTexts())
      .toEqual(expect.arrayContaining(['Emulator session', `Serial ${port}`]));
    await panel.locator('.console-state').filter({ hasText: 'No session is running' }).waitFor();
    await picker.selectOption(port);
    const terminal = panel.locator(`.terminal-host[data-source="${port}"]`);
    // The console the Boards panel opened (one model): its state, its log file, its output so far.
    await panel
      .locator('.serial-state')
      .filter({ hasText: /^open: type to send — logging to logs\/dk-console.log/ })
      .waitFor();
    await waitForConsoleLog(page, /ShortID\s+Name/, 20_000);
    await expectTerminalDrawsLog(page, terminal);
    // The baud picker changes the open port's rate (the host reports the rate it set).
    await panel.getByLabel('Baud rate').selectOption('230400');
    await expect.poll(() => panel.getByLabel('Baud rate').inputValue()).toBe('230400');
    await panel.getByLabel('Baud rate').selectOption('115200');
    await expect.poll(() => panel.getByLabel('Baud rate').inputValue()).toBe('115200');
    // Keys typed into the terminal go to the board as typed: the process console answers.
    await panel.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => drawnRows(terminal)).not.toMatch(/ShortID/);
    expect(await savedConsoleLog(page)).not.toMatch(/ShortID/);
    await terminal.click();
    await page.keyboard.type('list');
    await page.keyboard.press('Enter');
    await waitForConsoleLog(page, /ShortID\s+Name[\s\S]*\bhello\b/, 30_000);
    await expectTerminalDrawsLog(page, terminal);
    await page.screenshot({ path: path.join(RESULTS, 'console-serial.png') });
    // Back to the emulator session: its own (empty) console; the port stays open.
    await picker.selectOption('session');
    const session = panel.locator('.terminal-host[data-source="session"]');
    await session.locator('.xterm-rows').waitFor();
    expect(await drawnRows(session)).not.toMatch(/ShortID/);
    expect(await savedConsoleLog(page)).not.toMatch(/ShortID/);
    // The port again: the terminal replays its log.
    await picker.selectOption(port);
    await waitForConsoleLog(page, /ShortID\s+Name/);
    await expectTerminalDrawsLog(page, terminal);
    await page.getByRole('tab', { name: 'Boards' }).click();
  });

  it('says how to enter the bootloader when the kernel answers instead, and when the port is gone', async () => {
    const { page } = b;
    const panel = page.locator('.boards-panel');
    await panel.getByRole('button', { name: 'Open bootloader' }).click();
    const error = panel.locator('.board-error');
    await error.waitFor({ timeout: 60_000 });
    const text = await error.innerText();
    expect(text).toMatch(/no bootloader answers on \/dev\/pts\/\d+/);
    expect(text).toMatch(
      /Fix: put the nRF52840-DK into its bootloader: hold BUTTON1 down, press and release RESET/,
    );
    await page.screenshot({ path: path.join(RESULTS, 'boards-no-answer.png') });

    const gone = board!.path;
    await board!.stop();
    board = undefined;
    await panel
      .locator(`tr[data-port="${gone}"] .board-problem`)
      .filter({ hasText: 'is not there any more' })
      .waitFor({ timeout: 20_000 });
    await panel
      .locator('.serial-console-state')
      .filter({ hasText: /^reconnecting/ })
      .waitFor({ timeout: 20_000 });
    await panel.locator(`tr[data-port="${gone}"]`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(RESULTS, 'boards-port-gone.png') });
    // The Console panel says the same of its serial source: it waits for the port to come back
    // (a board that resets re-enumerates its USB serial port; the host reopens it).
    await page.getByRole('tab', { name: 'Console', exact: true }).click();
    await page
      .locator('.console-panel .serial-state')
      .filter({ hasText: /^reconnecting/ })
      .waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(RESULTS, 'console-serial-reconnecting.png') });
  });
});
