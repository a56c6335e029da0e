/**
 * The editor features of issue 21, driven through the UI as a person would, on the fixture
 * workspace: the command palette (F1, Ctrl+Shift+P) listing every command with its shortcut,
 * quick open (Ctrl+P), the explorer's New File / New Folder / Rename / Delete (to the system
 * trash) and drag to move, the Markdown preview beside the source (sanitized, under the CSP),
 * and the clickable status bar. One host and one browser serve the file; the system trash is a
 * temporary XDG data folder. Screenshots go to test-results/.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_ROOT,
  copyFixtureWithTwoBoards,
  FIXTURE_BUILDER,
  expandTo,
  openOffline,
  startStudio,
  type OfflineBrowser,
  type Studio,
} from './harness';

const RESULTS = path.join(APP_ROOT, 'test-results');

let project: string;
let data: string;
let studio: Studio;
let b: OfflineBrowser;

async function answer(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input input');
  await input.waitFor();
  await input.fill(text);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input').waitFor({ state: 'detached' });
}

async function menu(page: Page, target: string, item: string): Promise<void> {
  await page.locator(`.tree-row[data-path="${target}"]`).click({ button: 'right' });
  await page.locator('.context-menu').getByRole('menuitem', { name: item }).click();
}

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  project = copyFixtureWithTwoBoards();
  data = path.join(os.tmpdir(), `capsule-e2e-data-${process.pid}`);
  studio = await startStudio(project, {
    CAPSULE_BUILDER_SCRIPT: FIXTURE_BUILDER,
    XDG_DATA_HOME: data,
    XDG_CACHE_HOME: path.join(data, 'cache'),
  });
  b = await openOffline(studio.url);
  await b.page.locator('.tree-row').first().waitFor();
});

afterAll(async () => {
  await b?.browser.close();
  await studio?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
  if (data) rmSync(data, { recursive: true, force: true });
});

describe('issue 21 features', () => {
  it('F1 and Ctrl+Shift+P list every command with its shortcut, and run one', async () => {
    const { page } = b;
    await page.keyboard.press('F1');
    const items = page.locator('.quick-items li');
    await items.first().waitFor();
    const texts = await items.allInnerTexts();
    for (const [title, keys] of [
      ['Build: Build', 'Ctrl+B'],
      ['File: Save', 'Ctrl+S'],
      ['Go: Go to Line...', 'Ctrl+G'],
      ['File: Go to File...', 'Ctrl+P'],
      ['Kernel: New Capsule...', ''],
      ['View: Toggle Bottom Panel', 'Ctrl+J'],
      ['File: Rename Selected File or Folder...', 'F2'],
    ])
      expect(
        texts.some((t) => t.includes(title) && t.includes(keys)),
        title,
      ).toBe(true);
    await page.screenshot({ path: path.join(RESULTS, 'features-palette.png') });
    await page.keyboard.press('Escape');
    await page.locator('.quick-input').waitFor({ state: 'detached' });

    await page.keyboard.press('Control+Shift+P');
    await page.locator('.quick-input input').fill('>toggle bottom');
    await page.keyboard.press('Enter');
    await page.locator('.panel-tabs').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+j');
    await page.locator('.panel-tabs').waitFor();
  });

  it('Ctrl+P opens a file by a part of its name', async () => {
    const { page } = b;
    await page.keyboard.press('Control+p');
    await page.locator('.quick-input input').fill('hostboard main');
    await page.locator('.quick-items li[data-id="boards/hostboard/src/main.rs"]').waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active[data-path="boards/hostboard/src/main.rs"]').waitFor();
  });

  it('creates, renames, moves and deletes files from the explorer, confined to the project', async () => {
    const { page } = b;
    await expandTo(page, 'capsules/src/lib.rs');
    await menu(page, 'capsules/src', 'New File…');
    await answer(page, 'extra.rs');
    await page.locator('.tab.active[data-path="capsules/src/extra.rs"]').waitFor();
    expect(existsSync(path.join(project, 'capsules/src/extra.rs'))).toBe(true);

    // The title row's New Folder goes beside the selected file (the new one).
    await page.getByRole('button', { name: 'New Folder' }).click();
    await answer(page, 'notes');
    await page.locator('.tree-row.dir[data-path="capsules/src/notes"]').waitFor();

    // A name that leaves the folder is refused where it is typed.
    await menu(page, 'capsules/src/extra.rs', 'Rename…');
    await page.locator('.quick-input input').fill('../../escape.rs');
    await page.keyboard.press('Enter');
    expect(await page.locator('.quick-problem').innerText()).toMatch(/"\.\."/);
    await page.locator('.quick-input input').fill('renamed.rs');
    await page.keyboard.press('Enter');
    await page.locator('.tree-row[data-path="capsules/src/renamed.rs"]').waitFor();
    await page.locator('.tab.active[data-path="capsules/src/renamed.rs"]').waitFor();
    expect(existsSync(path.join(project, 'capsules/src/extra.rs'))).toBe(false);

    await page
      .locator('.tree-row[data-path="capsules/src/renamed.rs"]')
      .dragTo(page.locator('.tree-row.dir[data-path="capsules/src/notes"]'));
    await page.locator('.tree-row.dir[data-path="capsules/src/notes"]').click();
    await page.locator('.tree-row[data-path="capsules/src/notes/renamed.rs"]').waitFor();
    expect(existsSync(path.join(project, 'capsules/src/notes/renamed.rs'))).toBe(true);
    await page.locator('.tab.active[data-path="capsules/src/notes/renamed.rs"]').waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'features-explorer.png') });

    await menu(page, 'capsules/src/notes/renamed.rs', 'Delete');
    await page.locator('.notice', { hasText: 'moved to the system trash' }).waitFor();
    expect(existsSync(path.join(project, 'capsules/src/notes/renamed.rs'))).toBe(false);
    const info = readdirSync(path.join(data, 'Trash', 'info'));
    expect(
      info.some((f) =>
        readFileSync(path.join(data, 'Trash', 'info', f), 'utf8').includes('notes/renamed.rs'),
      ),
    ).toBe(true);
    expect(await page.locator('.tab[data-path="capsules/src/notes/renamed.rs"]').count()).toBe(0);
  });

  it('shows Markdown rendered beside its source, with active content removed', async () => {
    const { page } = b;
    writeFileSync(
      path.join(project, 'NOTES.md'),
      '# Capsule notes\n\nSome *emphasis* and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n' +
        '<script>window.__pwned = 1</script>\n\n<img src=x onerror="window.__pwned = 2">\n\n' +
        '[bad](javascript:window.__pwned=3) [good](https://example.org/)\n',
    );
    await page.locator('.tree-row.file[data-path="NOTES.md"]').click();
    const preview = page.locator('.markdown-preview');
    await preview.locator('h1', { hasText: 'Capsule notes' }).waitFor();
    expect(await preview.locator('em').innerText()).toBe('emphasis');
    expect(await preview.locator('table td').count()).toBe(2);
    expect(await preview.locator('script, img[onerror], a[href^="javascript"]').count()).toBe(0);
    expect(await preview.locator('a[href="https://example.org/"]').getAttribute('target')).toBe(
      '_blank',
    );
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    // The source stays editable beside it, and the preview follows the edits.
    await page.locator('.monaco-editor .overflow-guard').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n## Added while previewing\n');
    await preview.locator('h2', { hasText: 'Added while previewing' }).waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'features-markdown.png') });
    await page.keyboard.press('Control+s');
    await page.locator('.tab.dirty[data-path="NOTES.md"]').waitFor({ state: 'detached' });
  });

  it('the status bar opens the board chooser, Build, Problems and the session view', async () => {
    const { page } = b;
    const bar = page.locator('.statusbar');
    await bar.locator('[data-item="board"]').click();
    await page.locator('.quick-items li[data-id="second"]').click();
    await expect.poll(() => page.locator('.board select').inputValue()).toBe('second');
    expect(await bar.locator('[data-item="board"]').innerText()).toBe('second');
    await page.locator('.board select').selectOption('hostboard');

    await bar.locator('[data-item="problems"]').click();
    expect(await page.getByRole('tab', { name: 'Problems' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    await bar.locator('[data-item="build"]').click();
    expect(await page.getByRole('tab', { name: 'Build' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    await bar.locator('[data-item="session"]').click();
    // The Console panel's state line (not its terminal's rows).
    expect(
      await page.locator('.panel-body[data-panel="Console"] .console-state').innerText(),
    ).toContain('No session is running: Run (Ctrl+F5) or Debug (F5) starts one.');
    await page.screenshot({ path: path.join(RESULTS, 'features-statusbar.png') });
  });

  it('fetched nothing from outside 127.0.0.1 and logged no page errors', () => {
    expect(b.blocked).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  });
});
