/**
 * The whole loop a capsule developer goes through, in the browser-mode UI with the outside
 * network cut off: open a capsule source from the explorer, make an edit that breaks the
 * build, build with Ctrl+B, find the error marker on the right line (editor squiggle and
 * Problems entry), fix it, build green; edit an app's greeting, build, and run the image the
 * build wrote with README's emulator command: the new greeting prints. Also: unsaved edits
 * survive a reload of the window.
 *
 * It runs on a temporary copy of the bundled sample project (the kernel workspace), never on
 * the repository's kernel/. Until scripts/kernel.mjs exists, or with CAPSULE_E2E_PROJECT=fixture,
 * it uses the host-target fixture workspace and its stand-in builder instead, and says so.
 * Screenshots go to test-results/.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_ROOT,
  buildWithKeys,
  copyProject,
  expectTerminalDrawsLog,
  openInExplorer,
  openOffline,
  startStudio,
  waitForConsoleLog,
  type OfflineBrowser,
  type Studio,
} from './harness';

const realKernel =
  process.env.CAPSULE_E2E_PROJECT !== 'fixture' &&
  existsSync(path.join(APP_ROOT, 'scripts', 'kernel.mjs')) &&
  existsSync(path.join(APP_ROOT, 'kernel', 'Cargo.toml'));

const SETUP = realKernel
  ? {
      source: path.join(APP_ROOT, 'kernel'),
      file: 'capsules/src/rng.rs',
      env: {} as Record<string, string>,
    }
  : {
      source: path.join(APP_ROOT, 'tests', 'fixtures', 'mini-kernel'),
      file: 'capsules/src/lib.rs',
      env: {
        CAPSULE_BUILDER_SCRIPT: path.join(APP_ROOT, 'tests', 'fixtures', 'fixture-builder.mjs'),
      },
    };
const RESULTS = path.join(APP_ROOT, 'test-results');
const BREAK = 'const E2E_BROKEN: u32 = "not a number";';

let project: string;
let studio: Studio;
let b: OfflineBrowser;

/** Monaco's input element differs between versions (textarea or EditContext): click the text. */
async function focusEditor(page: Page): Promise<void> {
  await page.locator('.monaco-editor .overflow-guard').click();
}

async function build(page: Page, expected: 'succeeded' | 'failed'): Promise<void> {
  const status = await buildWithKeys(page, 240_000);
  if (status !== expected) {
    await page.getByRole('tab', { name: 'Build' }).click();
    const output = await page.locator('.build-panel').innerText();
    throw new Error(`build ended "${status}", expected "${expected}":\n${output.slice(-3000)}`);
  }
}

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  if (!realKernel)
    console.warn('e2e: scripts/kernel.mjs or kernel/ is missing; using the fixture workspace');
  project = copyProject(SETUP.source);
  studio = await startStudio(project, SETUP.env);
  b = await openOffline(studio.url);
});

afterAll(async () => {
  await b?.browser.close();
  await studio?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe(`Capsule Studio end to end (${realKernel ? 'kernel workspace' : 'fixture workspace'})`, () => {
  it('shows the project, the board, and says plainly why a target view is empty', async () => {
    const { page } = b;
    await page.locator('.tree-row').first().waitFor();
    expect(await page.locator('.board select').inputValue()).not.toBe('');
    await page.getByRole('tab', { name: 'Processes' }).click();
    await expect
      .poll(() => page.locator('.panel-body').innerText())
      .toContain("No debug session: start one with Debug (F5) to see the kernel's processes.");
    await page.getByRole('tab', { name: 'Build' }).click();
  });

  it('breaks a capsule, marks the error on the right line, fixes it and builds green', async () => {
    const { page } = b;
    const original = readFileSync(path.join(project, SETUP.file), 'utf8');
    await openInExplorer(page, SETUP.file);

    // Append a line with a type error at the end of the capsule.
    await focusEditor(page);
    await page.keyboard.press('Control+End');
    const endsWithNewline = original.endsWith('\n');
    if (!endsWithNewline) await page.keyboard.press('Enter');
    const brokenLine = original.split('\n').length + (endsWithNewline ? 0 : 1);
    await page.keyboard.type(BREAK);
    await page.locator(`.tab.dirty[data-path="${SETUP.file}"]`).waitFor();

    await build(page, 'failed');
    expect(readFileSync(path.join(project, SETUP.file), 'utf8')).toContain(BREAK);
    const problem = page.locator(`.problem.error[data-path="${SETUP.file}"]`).first();
    await problem.waitFor();
    expect(Number(await problem.getAttribute('data-line'))).toBe(brokenLine);
    expect(await problem.innerText()).toMatch(/mismatched types/);

    await problem.click();
    await page.locator('.monaco-editor .squiggly-error').first().waitFor();
    // The status bar shows where the cursor is (no test hook on the page).
    await expect
      .poll(async () => page.locator('.statusbar [data-item="cursor"]').innerText())
      .toMatch(new RegExp(`^Ln ${brokenLine},`));
    await page.screenshot({ path: path.join(RESULTS, 'e2e-error-marker.png') });

    // Fix: remove the line again.
    await focusEditor(page);
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.press('Backspace');
    if (!endsWithNewline) await page.keyboard.press('Backspace');
    await build(page, 'succeeded');
    expect(readFileSync(path.join(project, SETUP.file), 'utf8')).toBe(original);
    expect(await page.locator('.problem.error').count()).toBe(0);
    await page.screenshot({ path: path.join(RESULTS, 'e2e-build-green.png') });
  });

  it.skipIf(!realKernel)(
    "builds an image that README's emulator command runs, with the edit in it",
    async () => {
      const { page } = b;
      const file = 'apps/hello/src/main.rs';
      const greeting = `IDE ${Date.now().toString(36)}`;
      await page.locator('.board select').selectOption('nrf52840dk');
      await openInExplorer(page, file);
      // Find "World" in the greeting and type over it, as a person would.
      await focusEditor(page);
      await page.keyboard.press('Control+f');
      await page.keyboard.type('World');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Escape');
      await page.keyboard.type(greeting);
      await page.locator(`.tab.dirty[data-path="${file}"]`).waitFor();
      await build(page, 'succeeded');
      expect(readFileSync(path.join(project, file), 'utf8')).toContain(`Hello, ${greeting}!`);
      // The Build panel names what the build wrote: the image the command line writes too.
      await page.getByRole('tab', { name: 'Build' }).click();
      await page
        .locator('.build-panel', { hasText: 'target/images/nrf52840dk/image.hex' })
        .waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(RESULTS, 'e2e-build-artifacts.png') });

      // README: npm run emulator -- --machine nrf52840dk kernel/target/images/nrf52840dk/image.hex
      // (the project here is a copy of kernel/, so its image is <project>/target/images/...).
      const image = path.join(project, 'target', 'images', 'nrf52840dk', 'image.hex');
      const emulator = spawn(
        'npm',
        ['run', '--silent', 'emulator', '--', '--machine', 'nrf52840dk', image],
        { cwd: APP_ROOT, stdio: ['pipe', 'pipe', 'pipe'], detached: true },
      );
      let out = '';
      let err = '';
      emulator.stdout.on('data', (d: Buffer) => (out += d.toString()));
      emulator.stderr.on('data', (d: Buffer) => (err += d.toString()));
      try {
        const deadline = Date.now() + 90_000;
        while (!out.includes(`hello: Hello, ${greeting}!`) && Date.now() < deadline) {
          if (emulator.exitCode !== null) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(out, `emulator output:\n${out}\n${err}`).toContain(`hello: Hello, ${greeting}!`);
      } finally {
        try {
          process.kill(-emulator.pid!, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      // Back to the capsule the other tests edit.
      await openInExplorer(page, SETUP.file);
    },
  );

  it('keeps unsaved edits across a reload of the window', async () => {
    const { page } = b;
    await focusEditor(page);
    await page.keyboard.press('Control+Home');
    await page.keyboard.type('// unsaved note from the e2e test\n');
    await page.locator(`.tab.dirty[data-path="${SETUP.file}"]`).waitFor();
    await page.waitForTimeout(800); // the recovery write is debounced (300 ms)
    page.once('dialog', (d) => void d.accept());
    await page.reload();
    await page.locator(`.tab.dirty[data-path="${SETUP.file}"]`).waitFor({ timeout: 15_000 });
    // Monaco renders spaces as non-breaking spaces.
    const text = (await page.locator('.monaco-editor .view-lines').innerText()).replace(
      /\u00a0/g,
      ' ',
    );
    expect(text).toContain('unsaved note from the e2e test');
    expect(await page.locator('.notice').allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringContaining('Restored unsaved edits')]),
    );
    expect(readFileSync(path.join(project, SETUP.file), 'utf8')).not.toContain('unsaved note');
  });

  it('New capsule writes a capsule, wires it, writes its app and builds; the summary shows the use', async () => {
    const { page } = b;
    await page.locator('.toolbar button', { hasText: 'New capsule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New capsule' });
    await dialog.waitFor();
    const number = dialog.getByLabel('Driver number');
    await expect.poll(() => number.inputValue()).toMatch(/^0x/);
    const free = await number.inputValue();
    await dialog.getByLabel('Name (snake_case)').fill('e2e_counter');
    // A number the driver table already uses is refused as it is typed.
    await number.fill('0x1');
    await dialog.locator('.hint', { hasText: 'taken by the console capsule' }).waitFor();
    await dialog.locator('.problem-text', { hasText: 'taken by the console capsule' }).waitFor();
    await number.fill(free);
    await dialog.getByLabel(/Split-phase HIL client/).check();
    await dialog.locator('.plan li', { hasText: 'capsules/src/e2e_counter.rs' }).waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'e2e-new-capsule-plan.png') });
    await dialog.getByRole('button', { name: 'Create and build' }).click();
    const step = dialog.locator('[data-step="build"]');
    await step.waitFor();
    await expect
      .poll(async () => step.getAttribute('class'), { timeout: 240_000, interval: 1000 })
      .toMatch(/succeeded|failed|crashed/);
    if ((await step.getAttribute('class')) !== 'succeeded') {
      await dialog.getByRole('button', { name: 'Close' }).click();
      throw new Error(`build after New capsule: ${await page.locator('.build-panel').innerText()}`);
    }
    await page.screenshot({ path: path.join(RESULTS, 'e2e-new-capsule-built.png') });
    expect(await dialog.locator('[data-step="run"]').innerText()).toMatch(/apps.mjs compose|Run/);
    if (realKernel) {
      // Step 4: Run boots the new app (past the kernel's 8 processes, so in an image of hello
      // and it) and the Console shows what it printed from the new capsule.
      await dialog.locator('[data-step="run"]').getByRole('button', { name: 'Run' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.locator('.app[data-session="running"]').waitFor({ timeout: 60_000 });
      await page.getByRole('tab', { name: 'Console', exact: true }).click();
      const log = await waitForConsoleLog(
        page,
        /e2e_counter: the capsule remembered 42[\s\S]*e2e_counter: request done/,
      );
      expect(log).toMatch(/\[kernel\] 2 process\(es\) loaded/);
      await expectTerminalDrawsLog(page, page.locator('.terminal-host'));
      await page.screenshot({ path: path.join(RESULTS, 'e2e-new-capsule-run.png') });
      await page.locator('button[data-command="session.stop"]').click();
      await page.locator('.app[data-session="running"]').waitFor({ state: 'detached' });
    } else await dialog.getByRole('button', { name: 'Close' }).click();

    const board = readFileSync(path.join(project, 'capsules/src/board.rs'), 'utf8');
    expect(board).toContain('crate::e2e_counter::DRIVER_NUM => Some(self.e2e_counter)');
    expect(readFileSync(path.join(project, 'apps/e2e_counter/src/main.rs'), 'utf8')).toContain(
      `const DRIVER: u32 = ${free};`,
    );
    await page.locator('.tab.active[data-path="capsules/src/e2e_counter.rs"]').waitFor();
    // The build summary: the kernel's flash and RAM against the board's layout.
    await page.getByRole('tab', { name: 'Build' }).click();
    const summary = page.locator('.build-summary');
    await summary.waitFor();
    expect(await summary.locator('tr[data-part="kernel region"]').innerText()).toMatch(/KiB/);
    await page.screenshot({ path: path.join(RESULTS, 'e2e-build-summary.png') });
  });

  it('fetched nothing from outside 127.0.0.1 and logged no page errors', () => {
    expect(b.blocked).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  });
});
