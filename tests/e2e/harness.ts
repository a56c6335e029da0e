/**
 * End-to-end harness: starts Capsule Studio in browser mode on a copy of a project and drives
 * Debian's Chromium through playwright-core with the outside network cut off.
 *
 * The studio runs the host `npm start` runs (the browser-mode host on 127.0.0.1), bundled once
 * by the suite's global setup (HOST_BUNDLE_ENV), with CAPSULE_NO_BROWSER=1; the printed URL (with its token) is what the browser opens. Chromium's
 * resolver maps every host name to nowhere, and every request not for 127.0.0.1 is recorded, so
 * a test can assert that the UI fetched nothing from a CDN.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const APP_ROOT = path.resolve(import.meta.dirname, '..', '..');

export function chromiumPath(): string {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  throw new Error('Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)');
}

/** Copies a project (without build output) into a fresh temp folder. */
export function copyProject(source: string): string {
  const dest = mkdtempSync(path.join(os.tmpdir(), 'capsule-e2e-'));
  cpSync(source, dest, {
    recursive: true,
    filter: (src) => !/[\\/](target|\.git|node_modules)$/.test(src),
  });
  return dest;
}

/**
 * The environment variable naming the bundled browser-mode host (set by the suite's global
 * setup). Without it (a bench, a file run outside the suite's config) the studio starts from
 * the sources through tsx, as `npm start` does.
 */
export const HOST_BUNDLE_ENV = 'CAPSULE_E2E_HOST_BUNDLE';

export interface Studio {
  url: string;
  process: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

export async function startStudio(
  project: string,
  env: Record<string, string> = {},
  /** Node options for the host process (a bench's `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs: string[] = [],
): Promise<Studio> {
  const output: string[] = [];
  const bundle = process.env[HOST_BUNDLE_ENV];
  const child = spawn(
    process.execPath,
    bundle
      ? [...nodeArgs, bundle, project]
      : [...nodeArgs, '--import', 'tsx', path.join(APP_ROOT, 'main/host/cli.ts'), project],
    {
      cwd: APP_ROOT,
      env: { ...process.env, CAPSULE_NO_BROWSER: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`studio did not print its URL:\n${output.join('')}`)),
      // From the sources, tsx compiles the host on start: ~3 s quiet, over 30 s seen at load 15
      // on 2 cores; the bundle (global setup) took half of tsx's time at load 20.
      120_000,
    );
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const m = /Open: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    child.on('exit', (code) => reject(new Error(`studio exited (${code}):\n${output.join('')}`)));
  });
  return {
    url,
    process: child,
    output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface OfflineBrowser {
  browser: Browser;
  page: Page;
  blocked: string[];
  consoleErrors: string[];
}

export async function openOffline(url: string): Promise<OfflineBrowser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--disable-gpu',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  // Actions and waits without their own timeout: 90 s, not Playwright's 30 s. On a loaded
  // 2-core machine the page can be starved for tens of seconds (a tab click timed out at 30 s
  // at load 20); a real failure still fails, only later.
  context.setDefaultTimeout(90_000);
  // Observed, not intercepted: the resolver rules above already send every other host to
  // nowhere, and intercepting (context.route) makes the page's own fetch() calls fail.
  const blocked: string[] = [];
  context.on('request', (request) => {
    const u = new URL(request.url());
    if (u.hostname === '127.0.0.1' || u.protocol === 'data:' || u.protocol === 'blob:') return;
    blocked.push(request.url());
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.stack ?? e.message));
  await page.goto(url);
  return { browser, page, blocked, consoleErrors };
}

/** Opens the explorer's folders down to `file` (clicking only the closed ones). */
export async function expandTo(page: Page, file: string): Promise<void> {
  const parts = file.split('/');
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join('/');
    const row = page.locator(`.tree-row.dir[data-path="${dir}"]`);
    await row.waitFor();
    if ((await row.locator('xpath=..').getAttribute('aria-expanded')) !== 'true') await row.click();
  }
}

/** Opens `file` from the explorer as a person would and waits for its editor. */
export async function openInExplorer(page: Page, file: string): Promise<void> {
  await expandTo(page, file);
  await page.locator(`.tree-row.file[data-path="${file}"]`).click();
  await page.locator(`.tab.active[data-path="${file}"]`).waitFor();
  await page.locator('.monaco-editor .view-lines').waitFor();
}

/** The fixture workspace (host-target crates, stand-in builder) copied, with a second board. */
export const FIXTURE = path.join(APP_ROOT, 'tests', 'fixtures', 'mini-kernel');
export const FIXTURE_BUILDER = path.join(APP_ROOT, 'tests', 'fixtures', 'fixture-builder.mjs');
export function copyFixtureWithTwoBoards(): string {
  const project = copyProject(FIXTURE);
  mkdirSync(path.join(project, 'boards', 'second'), { recursive: true });
  writeFileSync(
    path.join(project, 'boards', 'second', 'Cargo.toml'),
    '[package]\nname = "second"\n',
  );
  return project;
}

/** Presses Ctrl+B and waits for the build to end; resolves to how it ended. */
export async function buildWithKeys(page: Page, timeoutMs: number): Promise<string> {
  await page.keyboard.press('Control+b');
  await page
    .locator('.app[data-build="running"]')
    .waitFor({ timeout: 10_000 })
    .catch(() => {});
  const done = page.locator('.app:not([data-build="running"]):not([data-build="idle"])');
  await done.waitFor({ timeout: timeoutMs });
  return (await done.getAttribute('data-build')) ?? '';
}

/**
 * The Console panel's whole log as its "Save log…" button writes it (a download: what a user
 * keeps). Console text is checked here, not in the terminal's drawn rows: xterm draws only the
 * last rows of its buffer, and a kernel printing fast (the fuzzer's progress) scrolls an earlier
 * line out of them before a test reads them. The Console panel must be shown.
 */
export async function savedConsoleLog(page: Page): Promise<string> {
  const save = page.locator('.console-panel').getByRole('button', { name: 'Save log…' });
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    save.click({ timeout: 30_000 }),
  ]);
  const text = readFileSync(await download.path(), 'utf8');
  await download.delete();
  return text;
}

/** The last `n` lines of `text`, for a failure message. */
function tail(text: string, n = 25): string {
  const lines = text.split('\n');
  const shown = lines.slice(-n).join('\n');
  return lines.length > n ? `[${lines.length - n} lines before]\n${shown}` : shown;
}

/**
 * Saves the Console's log again and again until `pattern` is in it; resolves to that log. After
 * `timeoutMs` (a deadline, checked between saves) it fails naming the pattern and showing the
 * log's tail.
 */
export async function waitForConsoleLog(
  page: Page,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await savedConsoleLog(page);
    if (pattern.test(log)) return log;
    if (Date.now() >= deadline)
      throw new Error(
        `the Console's saved log has no ${pattern} after ${timeoutMs / 1000} s; its last lines:\n${tail(log)}`,
      );
    await page.waitForTimeout(500);
  }
}

/** The rows `terminal` (a `.terminal-host`) draws now, one line each, spaces as spaces. */
export async function drawnRows(terminal: Locator): Promise<string> {
  const rows = await terminal.locator('.xterm-rows > div').allTextContents();
  return rows.map((r) => r.replace(/\u00a0/g, ' ').trimEnd()).join('\n');
}

/**
 * Waits until `terminal` draws what the Console's saved log ends with: its last three non-empty
 * lines, compared without white space (a long line wraps onto two rows, a tab is drawn as
 * spaces). A check of what the terminal shows (it renders, it replays a source's log, it shows
 * what was typed's answer), robust to a kernel printing fast: each try saves the log and reads
 * the rows again, and a terminal behind by a few lines catches up by the next try.
 */
export async function expectTerminalDrawsLog(
  page: Page,
  terminal: Locator,
  timeoutMs = 30_000,
): Promise<void> {
  const squeeze = (s: string) => s.replace(/\s+/g, '');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await savedConsoleLog(page);
    const last = log
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-3);
    const rows = await drawnRows(terminal);
    if (last.length > 0 && squeeze(rows).includes(squeeze(last.join('')))) return;
    if (Date.now() >= deadline)
      throw new Error(
        last.length === 0
          ? `the Console's saved log is empty after ${timeoutMs / 1000} s: nothing for the terminal to draw`
          : `the terminal does not draw the end of the Console's saved log after ${timeoutMs / 1000} s;\n` +
              `the log ends:\n${last.join('\n')}\nthe terminal draws:\n${rows}`,
      );
    await page.waitForTimeout(500);
  }
}
