/**
 * Debugging in the IDE, driven as a person would in the browser-mode UI: a breakpoint in the
 * console capsule's command handler (clicked in the editor's gutter), Debug on the nRF52840-DK
 * in the emulator, the hello app's write stopping there, the Call Stack with the app, the SVCall
 * boundary and the kernel's frames, Variables with the command number and the length, two
 * steps over, Continue, the app's greeting in the Console, `list` answered by the process
 * console; hovering `command` in the editor while halted shows its value. Then the same
 * breakpoint on the mps2-an386 kernel under QEMU's gdbstub (Attach).
 *
 * It runs on a temporary copy of the kernel workspace with its build output (timestamps kept,
 * so the images are the last build and are not stale): the kernel suite builds the images
 * (tests/kernel/global-setup.ts); run alone, this file builds them first. Breakpoints are kept
 * in a temporary cache folder. Screenshots go to test-results/debug-*.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadableSegments, parseElf, symbolAt } from '../../emulator/formats/elf';
import { clickGutter, openBuiltKernelStudio, type BuiltKernelStudio } from './built-kernel';
import { APP_ROOT, openInExplorer, type OfflineBrowser } from './harness';

const RESULTS = path.join(APP_ROOT, 'test-results');
const FILE = 'capsules/src/console.rs';
const KERNEL_ELF = 'target/images/nrf52840dk/kernel.elf';
/** `let allowed = self` in `command`'s write arm: the first line of the handler with code. */
const LINE = 155;

let k: BuiltKernelStudio;
let project: string;
let b: OfflineBrowser;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(RESULTS, `debug-${name}.png`) });
}

async function currentLine(page: Page): Promise<number> {
  return Number(await page.locator('.editor-host').getAttribute('data-current-line'));
}

/**
 * Registers, Disassembly, Memory and Faults on the stop at the breakpoint, checked against the
 * kernel ELF the session runs: PC lies in the console capsule's command handler, Disassembly's
 * current line is PC, Memory at a flash object's address shows the ELF's bytes there.
 */
async function checkMachinePanels(page: Page): Promise<void> {
  const elf = parseElf(new Uint8Array(readFileSync(path.join(project, KERNEL_ELF))));
  // The window may not have built (the build came from disk): the status bar says when it was.
  expect(await page.locator('.statusbar').innerText()).toMatch(/Built \d|Build succeeded/);
  await page.getByRole('tab', { name: 'Registers', exact: true }).click();
  const pcCell = page.locator('.registers tr[data-register="pc"] .reg-value');
  await pcCell.waitFor();
  const pc = Number(await pcCell.innerText());
  expect(symbolAt(elf, pc)?.name).toMatch(/console.*command/);
  await page.locator('.registers tr[data-register="xpsr"]').waitFor();
  await shot(page, 'registers');

  await page.getByRole('tab', { name: 'Disassembly', exact: true }).click();
  const current = page.locator('.disasm-line.current');
  await current.waitFor();
  expect(Number(await current.getAttribute('data-address'))).toBe(pc);
  await shot(page, 'disassembly');

  // A read-only object in flash, its bytes as the ELF's loadable segment holds them.
  const object = elf.symbols.find(
    (sym) =>
      sym.type === 'object' && sym.size >= 16 && sym.value < 0x2000_0000 && sym.value % 16 === 0,
  )!;
  const seg = loadableSegments(elf).find(
    (sg) => object.value >= sg.vaddr && object.value + 16 <= sg.vaddr + sg.filesz,
  )!;
  const expected = Array.from(
    seg.data.subarray(object.value - seg.vaddr, object.value - seg.vaddr + 16),
  );
  await page.getByRole('tab', { name: 'Memory', exact: true }).click();
  const input = page.getByLabel('Address, register or symbol');
  await input.fill(`0x${object.value.toString(16)}`);
  await input.press('Enter');
  const first = page.locator(`.hexdump .hex-byte[data-address="${object.value}"]`);
  await first.waitFor();
  const shown: number[] = [];
  for (let i = 0; i < 16; i++)
    shown.push(
      parseInt(
        await page.locator(`.hexdump .hex-byte[data-address="${object.value + i}"]`).innerText(),
        16,
      ),
    );
  expect(shown).toEqual(expected);
  await shot(page, 'memory');

  await page.getByRole('tab', { name: 'Faults', exact: true }).click();
  await page.locator('.faults', { hasText: 'No faults in this session.' }).waitFor();
  await page.getByRole('tab', { name: 'Console', exact: true }).click();
}

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  k = await openBuiltKernelStudio(['nrf52840dk', 'mps2-an386'], 'debug');
  ({ project, b } = k);
}, 400_000);

afterAll(async () => {
  await k?.close();
});

describe('debugging in the IDE', () => {
  it('stops the hello app in the console capsule, shows its stack and variables, steps, continues, and the console works', async () => {
    const { page } = b;
    await page.locator('.tree-row').first().waitFor();
    await page.locator('.toolbar select').selectOption('nrf52840dk');
    await openInExplorer(page, FILE);
    await clickGutter(page, LINE);
    // No session yet: the breakpoint is kept but not set (hollow), and says why.
    await page.locator(`.bp-glyph.bp-line-${LINE}.pending`).waitFor();

    await page.keyboard.press('F5');
    const offer = page.getByRole('button', { name: 'Build and Debug' });
    await Promise.race([
      page
        .locator('.app[data-session="running"], .app[data-session="halted"]')
        .waitFor({ timeout: 60_000 }),
      offer.waitFor({ timeout: 60_000 }).then(() => offer.click()),
    ]);
    await page.locator('.app[data-stop="breakpoint"]').waitFor({ timeout: 180_000 });
    await page.locator(`.bp-glyph.bp-line-${LINE}.verified`).waitFor();
    expect(await currentLine(page)).toBe(LINE);

    // Call Stack: the console capsule, the kernel's syscall dispatch, the SVCall boundary, the
    // hello app's frames, then the kernel's scheduler.
    const stack = page.locator('.call-stack');
    await stack.locator('.frame').first().waitFor();
    await expect
      .poll(() => stack.locator('.frame[data-program="hello"]').count())
      .toBeGreaterThan(0);
    expect(await stack.locator('.frame').first().innerText()).toMatch(/console.*command/);
    expect(await stack.innerText()).toMatch(/handle_syscall/);
    expect(await stack.locator('.exception-boundary[data-exception="SVCall"]').count()).toBe(1);
    expect(await stack.innerText()).toMatch(/run_process/);

    // Variables: the command number (1: write) and the length the app asked for.
    const vars = page.locator('.variables');
    await vars.locator('.value-row[data-name="command"]').waitFor();
    expect(await vars.locator('.value-row[data-name="command"] .value-text').innerText()).toBe('1');
    const length = Number(
      await vars.locator('.value-row[data-name="arg1"] .value-text').innerText(),
    );
    expect(length).toBeGreaterThan(0);
    await shot(page, 'breakpoint');

    // Hover: the mouse on `command` in `match command {` shows its value while halted.
    // Where the word is drawn: a DOM range over its characters in the rendered line.
    const at = await page.evaluate(() => {
      for (const line of document.querySelectorAll('.editor-host .view-line')) {
        if (!line.textContent?.replace(/\u00a0/g, ' ').includes('match command {')) continue;
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const i = n.textContent!.indexOf('command');
          if (i < 0) continue;
          const range = document.createRange();
          range.setStart(n, i);
          range.setEnd(n, i + 'command'.length);
          const r = range.getBoundingClientRect();
          return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
        }
      }
      return null;
    });
    expect(at).not.toBeNull();
    await page.mouse.move(at!.x, at!.y);
    const hover = page.locator('.monaco-hover-content', { hasText: 'command' });
    await hover.waitFor({ timeout: 10_000 });
    expect(await hover.innerText()).toMatch(/command\s*:\s*1\s*u32/);
    await shot(page, 'hover');
    await page.mouse.move(0, 0);
    await checkMachinePanels(page);

    // Step over twice: the current line moves down the handler.
    const lines: number[] = [];
    for (let i = 0; i < 2; i++) {
      const before = await currentLine(page);
      await page.keyboard.press('F10');
      await expect.poll(() => currentLine(page), { timeout: 30_000 }).not.toBe(before);
      lines.push(await currentLine(page));
    }
    expect(lines[0]).toBeGreaterThan(LINE);
    expect(lines[1]).toBeGreaterThan(lines[0]!);
    await shot(page, 'stepped');

    // Remove the breakpoint (a click on it), Continue: the greeting reaches the Console.
    await clickGutter(page, LINE);
    await expect.poll(() => page.locator(`.bp-glyph.bp-line-${LINE}`).count()).toBe(0);
    await page.keyboard.press('F5');
    await page.locator('.app[data-session="running"]').waitFor();
    await page.getByRole('tab', { name: 'Console', exact: true }).click();
    const terminal = page.locator('.terminal-host');
    await expect
      .poll(() => terminal.innerText(), { timeout: 60_000 })
      .toMatch(/hello: Hello, World!/);

    // Typing into the Console reaches the process console: `list` answers with the processes.
    await terminal.click();
    await page.keyboard.type('list');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => terminal.innerText(), { timeout: 60_000 })
      .toMatch(/PID\s+ShortID\s+Name[\s\S]*hello/);
    await shot(page, 'console');

    await page.keyboard.press('Shift+F5');
    await page.locator('.app[data-session="ended"]').waitFor();
  });

  it('attaches to the mps2-an386 kernel under QEMU and stops at the same breakpoint', async () => {
    const { page } = b;
    await page.locator('.toolbar select').selectOption('mps2-an386');
    await page.getByRole('tab', { name: 'Explorer', exact: true }).click();
    await openInExplorer(page, FILE);
    await clickGutter(page, LINE);
    await page.locator(`.bp-glyph.bp-line-${LINE}`).waitFor();
    await page.keyboard.press('F1');
    await page.keyboard.type('Attach to QEMU');
    await page.keyboard.press('Enter');
    await page.locator('.app[data-stop="breakpoint"]').waitFor({ timeout: 120_000 });
    expect(await currentLine(page)).toBe(LINE);
    expect(await page.locator('[data-item="session"]').innerText()).toMatch(
      /Halted at console\.rs:155/,
    );
    const stack = page.locator('.call-stack');
    await expect.poll(() => stack.locator('.frame').count()).toBeGreaterThan(2);
    expect(await stack.innerText()).toMatch(/handle_syscall/);
    await shot(page, 'qemu');
    await page.keyboard.press('Shift+F5');
    await page.locator('.app[data-session="ended"]').waitFor();
  });
});
