/**
 * The bugs a new user hit (issue 21), each driven through the UI as a person would, on the
 * fixture workspace (a host-target Cargo workspace whose stand-in builder runs in seconds).
 *
 * Every test here failed on the UI before its fix (the note lists the failures). One host and
 * one browser serve the file, except the host-restart test, which stops and starts hosts.
 * Screenshots go to test-results/.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_ROOT,
  buildWithKeys,
  copyFixtureWithTwoBoards,
  FIXTURE,
  FIXTURE_BUILDER,
  expandTo,
  openInExplorer,
  openOffline,
  startStudio,
  type OfflineBrowser,
  type Studio,
} from './harness';

const RESULTS = path.join(APP_ROOT, 'test-results');
const LIB = 'capsules/src/lib.rs';

let project: string;
let cache: string;
let env: Record<string, string>;
let studio: Studio;
let b: OfflineBrowser;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function box(b: { x: number; y: number; width: number; height: number } | null) {
  if (!b) throw new Error('element has no box');
  return { left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height };
}

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  // A second board crate, so the board choice has something to be kept across a reload.
  project = copyFixtureWithTwoBoards();
  cache = path.join(os.tmpdir(), `capsule-e2e-cache-${process.pid}`);
  env = {
    CAPSULE_BUILDER_SCRIPT: FIXTURE_BUILDER,
    XDG_CACHE_HOME: cache,
  };
  studio = await startStudio(project, env);
  b = await openOffline(studio.url);
});

afterAll(async () => {
  await b?.browser.close();
  await studio?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
  if (cache) rmSync(cache, { recursive: true, force: true });
});

describe('issue 21 bugs', () => {
  it('a splitter follows a drag made of small moves', async () => {
    const { page } = b;
    await page.locator('.tree-row').first().waitFor();
    const panels = page.locator('.panels');
    const before = box(await panels.boundingBox());
    const split = box(await page.locator('.splitter-y').boundingBox());
    const x = (split.left + split.right) / 2;
    let y = (split.top + split.bottom) / 2;
    await page.mouse.move(x, y);
    await page.mouse.down();
    for (let i = 0; i < 20; i++) {
      y -= 5;
      await page.mouse.move(x, y);
    }
    await page.mouse.up();
    const after = box(await panels.boundingBox());
    expect(after.bottom - after.top - (before.bottom - before.top)).toBeGreaterThan(95);
    expect(after.bottom - after.top - (before.bottom - before.top)).toBeLessThan(105);
  });

  it('serves /favicon.ico', async () => {
    const r = await b.page.request.get(new URL('/favicon.ico', b.page.url()).href);
    expect(r.status()).toBe(200);
    expect(r.headers()['content-type']).toMatch(/image/);
  });

  it('keeps the EXPLORER title in view while the tree scrolls', async () => {
    const { page } = b;
    await expandTo(page, 'boards/hostboard/src/main.rs');
    await expandTo(page, 'capsules/src/lib.rs');
    await page.setViewportSize({ width: 1400, height: 300 });
    await page.locator('.sidebar').evaluate((el) => (el.scrollTop = 10_000));
    const title = box(await page.locator('.sidebar-title').boundingBox());
    const sidebar = box(await page.locator('.sidebar').boundingBox());
    expect(title.top).toBeGreaterThanOrEqual(sidebar.top - 1);
    await page.setViewportSize({ width: 1400, height: 860 });
  });

  it('enables Save only with something to save', async () => {
    const { page } = b;
    await openInExplorer(page, LIB);
    const save = page.locator('.toolbar button', { hasText: 'Save' });
    expect(await save.isDisabled()).toBe(true);
    await page.locator('.monaco-editor .overflow-guard').click();
    await page.keyboard.type('// x');
    await page.locator(`.tab.dirty[data-path="${LIB}"]`).waitFor();
    expect(await save.isDisabled()).toBe(false);
    await page.keyboard.press('Control+s');
    await page.locator(`.tab.dirty[data-path="${LIB}"]`).waitFor({ state: 'detached' });
    expect(await save.isDisabled()).toBe(true);
    writeFileSync(path.join(project, LIB), readFileSync(path.join(FIXTURE, LIB)));
  });

  it('Ctrl+G goes to a line without typing into the file', async () => {
    const { page } = b;
    await openInExplorer(page, LIB);
    await page.locator('.monaco-editor .overflow-guard').click();
    await page.keyboard.press('Control+g');
    await page.keyboard.type('14');
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => page.locator('.statusbar').innerText(), { timeout: 3000 })
      .toMatch(/Ln 14\b/);
    expect(await page.locator(`.tab.dirty[data-path="${LIB}"]`).count()).toBe(0);
  });

  it('says "1 error" and keeps the badge red only for errors', async () => {
    const { page } = b;
    const file = path.join(project, LIB);
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, `${original}\nfn e2e_unused() {}\n`);
    expect(await buildWithKeys(page, 120_000)).toBe('succeeded');
    const badge = page.locator('.panel-tabs .badge');
    await badge.waitFor();
    const warnColor = await badge.evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(await page.locator('.statusbar').innerText()).toMatch(/\b1 warning\b(?!s)/);
    writeFileSync(file, `${original}\nconst E2E: u32 = "x";\n`);
    expect(await buildWithKeys(page, 120_000)).toBe('failed');
    expect(await page.locator('.statusbar').innerText()).toMatch(/\b1 error\b(?!s)/);
    const errColor = await badge.evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(warnColor).not.toBe(errColor);
    await page.getByRole('tab', { name: 'Build' }).click();
    expect(await page.locator('.build-status').innerText()).not.toMatch(/1 errors|1 warnings/);
    writeFileSync(file, original);
  });

  it('shows notifications beside the code, not over it, with the close button inline', async () => {
    const { page } = b;
    // A binary file opens as a read-only hex view of the raw bytes the host sent.
    writeFileSync(path.join(project, 'blob.bin'), Buffer.from([1, 0, 2]));
    // A file too large for the editor is refused with a notification.
    writeFileSync(path.join(project, 'big.txt'), Buffer.alloc(5 * 1024 * 1024, 0x61));
    await page.reload();
    await page.locator('.tree-row.file[data-path="blob.bin"]').click();
    await expect
      .poll(async () =>
        (await page.locator('.monaco-editor .view-lines').innerText()).replace(/\u00a0/g, ' '),
      )
      .toContain('00000000  01 00 02');
    await page.locator('.tree-row.file[data-path="big.txt"]').click();
    const notice = page.locator('.notice').last();
    await notice.waitFor();
    expect(await notice.innerText()).toMatch(/big\.txt is 5\.0 MiB/);
    const n = box(await notice.boundingBox());
    const editor = box(await page.locator('.editor-host').boundingBox());
    const overlaps =
      n.left < editor.right &&
      n.right > editor.left &&
      n.top < editor.bottom &&
      n.bottom > editor.top;
    expect(overlaps).toBe(false);
    const close = box(await notice.locator('.dismiss').boundingBox());
    const text = box(await notice.locator('span').first().boundingBox());
    expect(close.top).toBeLessThan(text.bottom);
    await page.screenshot({ path: path.join(RESULTS, 'bugs-notice.png') });
    await notice.locator('.dismiss').click();
    rmSync(path.join(project, 'blob.bin'));
    rmSync(path.join(project, 'big.txt'));
  });

  it('keeps the board, open tabs and layout across a reload', async () => {
    const { page } = b;
    await page.locator('.board select').selectOption('second');
    await openInExplorer(page, LIB);
    await openInExplorer(page, 'boards/hostboard/src/main.rs');
    await page.getByRole('tab', { name: 'Problems' }).click();
    const heightBefore = box(await page.locator('.panels').boundingBox());
    await page.reload();
    await page.locator(`.tab.active[data-path="boards/hostboard/src/main.rs"]`).waitFor();
    expect(await page.locator(`.tab[data-path="${LIB}"]`).count()).toBe(1);
    expect(await page.locator('.board select').inputValue()).toBe('second');
    await page.locator('.board select').selectOption('hostboard');
    expect(await page.getByRole('tab', { name: 'Problems' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    const heightAfter = box(await page.locator('.panels').boundingBox());
    expect(
      Math.abs(heightAfter.bottom - heightAfter.top - (heightBefore.bottom - heightBefore.top)),
    ).toBeLessThan(2);
  });

  it('sees files created, renamed and deleted on disk without a reload', async () => {
    const { page } = b;
    await expandTo(page, 'capsules/src/lib.rs');
    const created = path.join(project, 'capsules', 'src', 'fresh.rs');
    writeFileSync(created, '// fresh\n');
    await page.locator('.tree-row[data-path="capsules/src/fresh.rs"]').waitFor({ timeout: 5000 });
    renameSync(created, path.join(project, 'capsules', 'src', 'renamed.rs'));
    await page.locator('.tree-row[data-path="capsules/src/renamed.rs"]').waitFor({ timeout: 5000 });
    expect(await page.locator('.tree-row[data-path="capsules/src/fresh.rs"]').count()).toBe(0);
    rmSync(path.join(project, 'capsules', 'src', 'renamed.rs'));
    await page
      .locator('.tree-row[data-path="capsules/src/renamed.rs"]')
      .waitFor({ state: 'detached', timeout: 5000 });
  });

  it('leaves a sensible editor height at 800x600', async () => {
    const context = b.browser.contexts()[0]!;
    const page = await context.newPage();
    await page.setViewportSize({ width: 800, height: 600 });
    await page.goto(b.page.url());
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await openInExplorer(page, LIB);
    const editor = box(await page.locator('.editor-host').boundingBox());
    const lineHeight = await page
      .locator('.monaco-editor .view-line')
      .first()
      .evaluate((el) => el.getBoundingClientRect().height);
    expect((editor.bottom - editor.top) / lineHeight).toBeGreaterThanOrEqual(16);
    await page.screenshot({ path: path.join(RESULTS, 'bugs-800x600.png') });
    await page.close();
  });
});

describe('host restart', () => {
  it('reconnects to a host restarted on the same project and port, and says so otherwise', async () => {
    const port = await freePort();
    const first = await startStudio(project, { ...env, CAPSULE_PORT: String(port) });
    const context = b.browser.contexts()[0]!;
    const page = await context.newPage();
    await page.goto(first.url);
    await page.locator('.tree-row').first().waitFor();
    const buildButton = page.locator('.toolbar button', { hasText: /^Build$/ });
    expect(await buildButton.isDisabled()).toBe(false);

    await first.stop();
    await expect
      .poll(async () => page.locator('.toolbar').innerText(), { timeout: 15_000 })
      .toMatch(/not running|stopped|restarted/i);
    expect(await buildButton.isDisabled()).toBe(true);
    expect(await page.locator('.build-status').innerText()).toMatch(/not reachable/);
    await page.keyboard.press('Control+b');
    expect(await page.locator('.app').getAttribute('data-build')).toBe('idle');
    await page.screenshot({ path: path.join(RESULTS, 'bugs-host-gone.png') });

    const second = await startStudio(project, { ...env, CAPSULE_PORT: String(port) });
    await expect.poll(async () => buildButton.isDisabled(), { timeout: 20_000 }).toBe(false);
    await page.locator('.notice', { hasText: 'reconnected' }).waitFor();
    await second.stop();

    // A host on the same port that does not know this page's token (its token store is
    // elsewhere) refuses it: the page says to open the new URL.
    const third = await startStudio(project, {
      ...env,
      CAPSULE_PORT: String(port),
      XDG_CACHE_HOME: `${cache}-other`,
    });
    await expect
      .poll(async () => page.locator('.toolbar').innerText(), { timeout: 15_000 })
      .toMatch(/restarted and no longer accepts this page/);
    expect(await buildButton.isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(RESULTS, 'bugs-host-refused.png') });
    await third.stop();
    rmSync(`${cache}-other`, { recursive: true, force: true });
    await page.close();
  });
});
