/**
 * Flashing and debugging a board through OpenOCD from the Boards panel, end to end, as a person
 * with a probe would: the "board" is the emulated nRF52840-DK served to real OpenOCD 0.12 over
 * remote_bitbang (`npm run emulator -- --remote-bitbang 0 --uart-pty`), running other firmware
 * (tests/openocd/firmware/flashed.c, "flashed image A") with its UART on a pseudo-terminal. In
 * the UI: the board's console is opened on the pty and shows image A; the DK's build
 * (kernel.elf) is flashed through OpenOCD with verify and reset, progress shown from OpenOCD's
 * output; the new kernel boots (its banner on the console). Before that, a micro:bit v2 build
 * flashed into it is refused (the registry's nRF52833 against the chip's FICR nRF52840). Then "Debug" attaches the debug session through OpenOCD's GDB port, and Pause halts the
 * kernel, its registers shown. Screenshots go to test-results/openocd-*.png.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTool } from '../../emulator/node/tools';
import { startEmulatedBootloader, type EmulatedBootloader } from '../bootloader-pty';
import { buildFlashedImages } from '../openocd/emulated-board';
import { compilerAvailable } from '../programs/nrf52-baremetal/build';
import { ensureBuiltImages } from './built-kernel';
import {
  APP_ROOT,
  copyFixtureWithTwoBoards,
  FIXTURE_BUILDER,
  openOffline,
  startStudio,
  type OfflineBrowser,
  type Studio,
} from './harness';

const RESULTS = path.join(APP_ROOT, 'test-results');
const IMAGES = path.join(APP_ROOT, 'kernel', 'target', 'images');
const usable = findTool('openocd').ok && compilerAvailable();

let project: string;
let studio: Studio;
let b: OfflineBrowser;
let board: EmulatedBootloader | undefined;
let imageA: string;

beforeAll(async () => {
  if (!usable) return;
  mkdirSync(RESULTS, { recursive: true });
  ensureBuiltImages(['nrf52840dk', 'microbit-v2']);
  const built = buildFlashedImages();
  if (!built.ok) throw new Error(built.error);
  imageA = built.value.a;
  project = copyFixtureWithTwoBoards();
  // The DK's build as the IDE's build leaves it (the kernel and its apps' manifest).
  const dk = path.join(project, 'target', 'images', 'nrf52840dk');
  mkdirSync(dk, { recursive: true });
  for (const f of ['kernel.elf', 'apps.json', 'apps.bin'])
    if (existsSync(path.join(IMAGES, 'nrf52840dk', f)))
      copyFileSync(path.join(IMAGES, 'nrf52840dk', f), path.join(dk, f));
  // And a micro:bit v2 build (its kernel): flashing it into the DK is refused.
  const mb = path.join(project, 'target', 'images', 'microbit-v2');
  mkdirSync(mb, { recursive: true });
  copyFileSync(path.join(IMAGES, 'microbit-v2', 'kernel.elf'), path.join(mb, 'kernel.elf'));
  studio = await startStudio(project, { CAPSULE_BUILDER_SCRIPT: FIXTURE_BUILDER });
  b = await openOffline(studio.url);
  await b.page.locator('.tree-row').first().waitFor();
}, 400_000);

afterAll(async () => {
  await b?.browser.close();
  await studio?.stop();
  await board?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Waits for the emulator's remote_bitbang port on its stderr. */
async function bitbangPort(e: EmulatedBootloader): Promise<number> {
  for (let i = 0; i < 600; i++) {
    const m = /remote_bitbang \(JTAG\) on 127\.0\.0\.1:(\d+)/.exec(e.stderr());
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the emulator did not open its remote_bitbang port:\n${e.stderr()}`);
}

describe.skipIf(!usable)('Boards panel: OpenOCD', () => {
  it('flashes the build into the running emulated board, the kernel boots, Debug attaches and halts', async () => {
    const { page } = b;
    board = await startEmulatedBootloader({
      image: imageA,
      holdButtonSeconds: null,
      extraArgs: ['--remote-bitbang', '0'],
    });
    const port = await bitbangPort(board);
    await board.waitFor(/flashed image A/, 60_000);

    await page.getByRole('tab', { name: 'Boards' }).click();
    const panel = page.locator('.boards-panel');
    // The board's console on its serial port (the pty), as a person watching it would.
    await panel.getByLabel('Port path').fill(board.path);
    await panel.getByRole('button', { name: 'Add port' }).click();
    const row = panel.locator(`tr[data-port="${board.path}"]`);
    await row.waitFor();
    await row.locator('input[type=radio]').check();
    await panel.getByRole('button', { name: 'Open console' }).click();
    const consoleBox = panel.locator(`.serial-console[data-console="${board.path}"]`);
    await consoleBox.locator('.serial-console-state').filter({ hasText: /^open/ }).waitFor();

    const flash = panel.locator('.openocd-flash');
    // A micro:bit v2 build flashed into this board: the registry's nRF52833 against the chip's
    // FICR (an nRF52840) refuses it, naming both, before anything is written.
    await flash.getByLabel('OpenOCD board').selectOption('microbit-v2');
    await flash.getByLabel('Probe').selectOption('emulated');
    await flash.getByLabel('remote_bitbang port').fill(String(port));
    await flash.getByLabel('Flash image').selectOption('target/images/microbit-v2/kernel.elf');
    await flash.getByRole('button', { name: 'Flash' }).click();
    const refused = flash.locator('.board-error');
    await refused.waitFor({ timeout: 120_000 });
    const refusal = await refused.innerText();
    expect(refusal).toMatch(/built for the micro:bit v2 \(nRF52833\)/);
    expect(refusal).toMatch(/is an nRF52840 \(nRF52840-DK\)/);
    expect(refusal).toMatch(/nothing was written/);
    await page.screenshot({ path: path.join(RESULTS, 'openocd-wrong-board.png') });
    const before = board.output().length;
    await new Promise((r) => setTimeout(r, 300));
    expect(board.output().slice(before)).not.toMatch(/Capsule kernel/);

    // The DK's build: flashed with verify and reset.
    await flash.getByLabel('OpenOCD board').selectOption('nrf52840dk');
    await flash.getByLabel('Flash image').selectOption('target/images/nrf52840dk/kernel.elf');
    await flash.getByRole('button', { name: 'Flash' }).click();
    // Progress from OpenOCD's output while it runs.
    await flash.locator('.boards-busy', { hasText: /program/ }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(RESULTS, 'openocd-flashing.png') });
    const result = flash.locator('.openocd-result');
    await result.waitFor({ timeout: 240_000 });
    expect(await result.innerText()).toMatch(
      /^Flashed \d+ bytes into nrf52840dk, verified, reset \(\d+\.\d s\)\.$/,
    );
    // The new kernel boots: its banner on the board's console.
    await consoleBox
      .locator('pre', { hasText: 'Capsule kernel' })
      .first()
      .waitFor({ timeout: 60_000 });
    // The emulator's own copy of the UART (its stdout) can trail the pty the panel reads.
    await board.waitFor(/Capsule kernel [\d.]+ on nrf52840dk/, 60_000);
    await page.screenshot({ path: path.join(RESULTS, 'openocd-flashed.png') });

    // Debug: the session attaches through OpenOCD's GDB port; Pause halts the kernel.
    await flash.getByRole('button', { name: 'Debug' }).click();
    await page.locator('.app[data-session="running"]').waitFor({ timeout: 60_000 });
    await flash
      .locator('.openocd-session', { hasText: /through OpenOCD for the emulated nRF52/ })
      .waitFor();
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.locator('.app[data-session="halted"]').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(RESULTS, 'openocd-halted.png') });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.locator('.app[data-session="ended"]').waitFor({ timeout: 30_000 });
  }, 600_000);
});
