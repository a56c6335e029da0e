/**
 * Debugging in the IDE, driven as a person would in the browser-mode UI: a breakpoint in the
 * console capsule's command handler (clicked in the editor's gutter), Debug on the nRF52840-DK
 * in the emulator, the hello app's write stopping there, the Call Stack with the app, the SVCall
 * boundary and the kernel's frames, Variables with the command number and the length, two
 * steps over, Continue, the app's greeting in the Console, `list` answered by the process
 * console; hovering `command` in the editor while halted shows its value. Then the same
 * breakpoint on the mps2-an386 kernel under QEMU's gdbstub (Attach). Last, the GDB Server
 * switch on a Run session: a taken port is refused naming it; on port 0 the view shows the port,
 * the gdb-multiarch command line and the Cortex-Debug configuration; the shown command line,
 * pasted into a shell with batch commands, makes real gdb-multiarch read the PC and a kernel
 * static (the IDE's Memory panel shows the same words), and the IDE goes on (Console answers).
 *
 * It runs on a temporary copy of the kernel workspace with its build output (timestamps kept,
 * so the images are the last build and are not stale): the kernel suite builds the images
 * (tests/kernel/global-setup.ts); run alone, this file builds them first. Breakpoints are kept
 * in a temporary cache folder. Screenshots go to test-results/debug-*.png.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadableSegments, parseElf, symbolAt } from '../../emulator/formats/elf';
import { findTool } from '../../emulator/node/tools';
import {
  clickGutter,
  openBuiltKernelStudio,
  startDebugging,
  type BuiltKernelStudio,
} from './built-kernel';
import {
  APP_ROOT,
  expectTerminalDrawsLog,
  openInExplorer,
  waitForConsoleLog,
  type OfflineBrowser,
} from './harness';

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
  // Scrolled into the panel's sight (the listing starts at the function's entry).
  await page.waitForFunction(
    () => {
      const row = document.querySelector('.disasm-line.current');
      const body = row?.closest('.panel-body');
      if (!row || !body) return false;
      const r = row.getBoundingClientRect();
      const b = body.getBoundingClientRect();
      return r.height > 0 && r.top >= b.top && r.bottom <= b.bottom;
    },
    undefined,
    { timeout: 10_000, polling: 100 },
  );
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

// A test that fails midway leaves what it made: its breakpoint set and its session running,
// perhaps halted there. The next test would meet them (its gutter click removes that
// breakpoint instead of setting it; its wait for a breakpoint stop sees the old one) and fail
// for the first one's cause. So after a failure the UI is put back as a person would: each
// breakpoint removed in the Run and Debug view's list, Continue if halted, then Stop.
afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail' || b === undefined) return;
  const { page } = b;
  await page.getByRole('tab', { name: 'Run and Debug' }).click();
  const remove = page.getByRole('button', { name: /^Remove the breakpoint at / });
  // Each click removes one; the list shows it a moment later.
  for (let n = await remove.count(); n > 0; n--) {
    await remove.first().click();
    await expect.poll(() => remove.count()).toBe(n - 1);
  }
  const app = page.locator('.app');
  if ((await app.getAttribute('data-session')) === 'halted') {
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect.poll(() => app.getAttribute('data-session')).not.toBe('halted');
  }
  const phase = await app.getAttribute('data-session');
  if (phase !== null && phase !== 'none' && phase !== 'ended') {
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.locator('.app[data-session="ended"]').waitFor({ timeout: 60_000 });
  }
  await page.getByRole('tab', { name: 'Explorer', exact: true }).click();
}, 90_000);

describe('debugging in the IDE', () => {
  it('stops the hello app in the console capsule, shows its stack and variables, steps, continues, and the console works', async () => {
    const { page } = b;
    await page.locator('.tree-row').first().waitFor();
    await page.locator('.toolbar select').selectOption('nrf52840dk');
    await openInExplorer(page, FILE);
    await clickGutter(page, LINE);
    // No session yet: the breakpoint is kept but not set (hollow), and says why.
    await page.locator(`.bp-glyph.bp-line-${LINE}.pending`).waitFor();

    // The files the window asks the host for (the read-ahead check below).
    await page.evaluate(() => {
      const w = window as unknown as { sentReads: string[] };
      w.sentReads = [];
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (this: WebSocket, data) {
        if (typeof data === 'string' && data.includes('"project.readFile"'))
          w.sentReads.push((JSON.parse(data) as { args: { path: string } }).args.path);
        return send.call(this, data);
      };
    });
    await startDebugging(page);
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
    // The app's frames go up to its main: its r4-r11 (its frame pointer, r7) are the ones the
    // kernel saved for it, not zeros.
    const appFrames = await stack.locator('.frame[data-program="hello"]').allInnerTexts();
    expect(appFrames.join('\n'), appFrames.join(' | ')).toMatch(/app_main/);
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
    // The kernel's statics are not read until their group is opened; opened, they are read
    // (and again at each stop while it stays open).
    const statics = vars.locator('.value-tree[data-scope="Statics"]');
    expect(await statics.count()).toBe(0);
    await vars.getByRole('button', { name: 'Statics' }).click();
    await statics.locator('.value-row').first().waitFor();
    expect(await statics.locator('.value-row').count()).toBeGreaterThan(0);
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

    // Read ahead: at the stop the window reads the files a step may show (the callers' among
    // them), so a caller's file opens without a trip to the host: the first caller in another
    // file was read before it was selected, and selecting it reads nothing more of it.
    const frameLocs = await stack
      .locator('.frame[data-program="kernel"] .frame-loc')
      .allInnerTexts();
    const callerIndex = frameLocs.findIndex(
      (l) => /\.rs:\d+$/.test(l) && !l.startsWith('console.rs:'),
    );
    expect(callerIndex, frameLocs.join('\n')).toBeGreaterThan(0);
    const [callerFile, callerLine] = frameLocs[callerIndex]!.split(':') as [string, string];
    const reads = (): Promise<string[]> =>
      page.evaluate(() => (window as unknown as { sentReads: string[] }).sentReads);
    await expect
      .poll(async () => (await reads()).filter((p) => p.endsWith(`/${callerFile}`)).length, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    const readBefore = (await reads()).length;
    await stack.locator('.frame[data-program="kernel"]').nth(callerIndex).click();
    await page.locator(`.tab.active[data-path$="/${callerFile}"]`).waitFor();
    await expect.poll(() => currentLine(page)).toBe(Number(callerLine));
    expect((await reads()).slice(readBefore).filter((p) => p.endsWith(`/${callerFile}`))).toEqual(
      [],
    );
    await shot(page, 'caller');
    await stack.locator('.frame[data-frame="0"]').click();
    await page.locator(`.tab.active[data-path="${FILE}"]`).waitFor();
    await expect.poll(() => currentLine(page)).toBe(LINE);

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
    // In the saved log (what a user keeps), not the drawn rows: the apps' output that follows
    // scrolls the greeting out of the terminal's last rows.
    await waitForConsoleLog(page, /hello: Hello, World!/);

    // Typing into the Console reaches the process console: `list` answers with the processes.
    await terminal.click();
    await page.keyboard.type('list');
    await page.keyboard.press('Enter');
    await waitForConsoleLog(page, /PID\s+ShortID\s+Name[\s\S]*hello/);
    await expectTerminalDrawsLog(page, terminal);
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

  it('serves a Run session to gdb-multiarch from the GDB Server switch while the IDE goes on', async () => {
    const gdbPath = findTool('gdb-multiarch');
    expect(gdbPath.ok).toBe(true); // installed by scripts/setup.mjs, as the kernel suite needs it
    const { page } = b;
    await page.locator('.toolbar select').selectOption('nrf52840dk');
    await page.keyboard.press('Control+F5');
    await page.locator('.app[data-session="running"]').waitFor({ timeout: 120_000 });
    await page.getByRole('tab', { name: 'Run and Debug' }).click();
    const view = page.locator('.side-view[data-view="GDB Server"]');
    const toggle = view.getByRole('switch', { name: 'Serve this session to GDB' });
    const port = view.getByLabel('GDB server port');

    // A port another program listens on: refused, naming the port; the switch stays off.
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const taken = (holder.address() as { port: number }).port;
    try {
      await port.fill(String(taken));
      await toggle.click(); // the host refuses: it stays off
      const alert = view.getByRole('alert');
      await alert.waitFor();
      expect(await alert.innerText()).toMatch(new RegExp(`port ${taken} .*already in use`));
      expect(await toggle.isChecked()).toBe(false);
    } finally {
      await new Promise((r) => holder.close(r));
    }

    // Port 0: any free port; the view shows it with the command line and launch.json.
    await port.fill('0');
    await toggle.click(); // on once the host listens
    const status = view.locator('.gdb-status');
    await status.waitFor();
    const shown = Number(await status.getAttribute('data-port'));
    expect(shown).toBeGreaterThan(0);
    expect(await status.innerText()).toContain(`127.0.0.1:${shown}`);
    const elfPath = path.join(project, KERNEL_ELF);
    const command = await view.getByLabel('gdb-multiarch command', { exact: true }).innerText();
    expect(command).toBe(
      `gdb-multiarch ${elfPath} -ex 'target extended-remote 127.0.0.1:${shown}'`,
    );
    expect(
      JSON.parse(await view.getByLabel('Cortex-Debug launch.json', { exact: true }).innerText()),
    ).toMatchObject({
      type: 'cortex-debug',
      request: 'attach',
      servertype: 'external',
      gdbTarget: `127.0.0.1:${shown}`,
      executable: elfPath,
    });
    await view.getByRole('button', { name: 'Copy the gdb-multiarch command' }).click();
    await view.locator('.gdb-copy-note').first().waitFor();
    await shot(page, 'gdb-server');

    // The IDE pauses the board and reads a kernel static in its Memory panel; GDB then reads
    // the same words at the same stop (it finds the board halted and leaves it so).
    await page.keyboard.press('F6');
    await page.locator('.app[data-session="halted"]').waitFor({ timeout: 30_000 });
    const address = parseElf(
      new Uint8Array(readFileSync(path.join(project, KERNEL_ELF))),
    ).symbols.find((x) => x.name.startsWith('_ZN10nrf52840dk13reset_handler6KERNEL'))!.value;
    await page.getByRole('tab', { name: 'Memory', exact: true }).click();
    const input = page.getByLabel('Address, register or symbol');
    await input.fill(`0x${address.toString(16)}`);
    await input.press('Enter');
    await page.locator(`.hexdump .hex-byte[data-address="${address}"]`).waitFor();
    const bytes: number[] = [];
    for (let i = 0; i < 16; i++)
      bytes.push(
        parseInt(
          await page.locator(`.hexdump .hex-byte[data-address="${address + i}"]`).innerText(),
          16,
        ),
      );
    const ide = [0, 1, 2, 3].map(
      (w) =>
        (bytes[w * 4]! |
          (bytes[w * 4 + 1]! << 8) |
          (bytes[w * 4 + 2]! << 16) |
          (bytes[w * 4 + 3]! << 24)) >>>
        0,
    );
    // The command line as shown, pasted into a shell, with batch commands after it.
    const batch = [
      'set pagination off',
      'set confirm off',
      // The board may halt in an app (no symbols there): GDB's language would then be C, which
      // cannot parse the Rust path below ("No type reset_handler within ... nrf52840dk").
      'set language rust',
      'info registers pc',
      'echo KERNEL-AT=',
      'print/x &nrf52840dk::reset_handler::KERNEL',
      'echo X4-BEGIN\\n',
      'x/4wx &nrf52840dk::reset_handler::KERNEL',
      'echo X4-END\\n',
    ]
      .map((c) => ` -ex '${c}'`)
      .join('');
    const out = await new Promise<string>((resolve) => {
      execFile(
        '/bin/sh',
        [
          '-c',
          // remotetimeout: GDB gives up on a reply after 2 s by default, too short for the first
          // halt on a heavily loaded test machine (the reply then answers its next packet).
          `${command.replace(/^gdb-multiarch/, `${gdbPath.ok ? gdbPath.value : 'gdb-multiarch'} -q -batch -nx -iex 'set remotetimeout 60'`)}${batch}`,
        ],
        { timeout: 90_000 },
        (_e, stdout, stderr) => resolve(`${stdout}${stderr}`),
      );
    });
    // Kept for a failed run's diagnosis (the assertion messages cut long output).
    writeFileSync(path.join(RESULTS, 'debug-gdb-batch.txt'), out);
    const pc = /^pc\s+(0x[0-9a-f]+)/m.exec(out);
    expect(pc, out).not.toBeNull();
    // Halted wherever the board was: in the kernel (its ELF names the function) or in an app
    // (flash from 0x40000 on); code runs from the nRF52840's 1 MiB of flash.
    const at0 = Number(pc![1]);
    expect(at0).toBeLessThan(0x10_0000);
    if (at0 < 0x4_0000)
      expect(symbolAt(parseElf(new Uint8Array(readFileSync(elfPath))), at0)).not.toBeNull();
    const at = /KERNEL-AT=\$\d+ = (0x[0-9a-f]+)/.exec(out);
    expect(at, out).not.toBeNull();
    const block = /X4-BEGIN\n([\s\S]*?)X4-END/.exec(out);
    expect(block, out).not.toBeNull();
    // "0x20000a10 <nrf52840dk::reset_handler::KERNEL>:\t0x...\t0x...": the words after the label.
    const words = block![1]!
      .split('\n')
      .flatMap((l) => [...l.slice(l.indexOf(':') + 1).matchAll(/0x[0-9a-f]{8}/g)])
      .map((m) => Number(m[0]));
    expect(words.length).toBe(4);

    expect(Number(at![1])).toBe(address);
    expect(words).toEqual(ide);
    await view.locator('.gdb-status', { hasText: '0 clients' }).waitFor({ timeout: 30_000 });
    // GDB detached, alone with a halted board: it runs again (as a probe's server leaves it);
    // the process console answers `list`.
    await page.locator('.app[data-session="running"]').waitFor({ timeout: 30_000 });
    await page.getByRole('tab', { name: 'Console', exact: true }).click();
    const terminal = page.locator('.terminal-host');
    await terminal.click();
    await page.keyboard.type('list');
    await page.keyboard.press('Enter');
    await waitForConsoleLog(page, /PID\s+ShortID\s+Name[\s\S]*hello/);
    await shot(page, 'gdb-server-after');
    await toggle.click();
    await status.waitFor({ state: 'detached' });
    await page.keyboard.press('Shift+F5');
    await page.locator('.app[data-session="ended"]').waitFor();
  });
});
