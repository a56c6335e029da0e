// `npm start`: builds what is stale, then opens Capsule Studio on the bundled sample project.
//
// With Electron's binary present it bundles main/ (scripts/bundle.mjs) and opens the Electron window.
// Without it (`require('electron')` throws, or names a file that does not exist) it runs the
// same host in browser mode on 127.0.0.1 (bundled into dist/host) and prints the URL; `CAPSULE_NO_BROWSER=1` stops it
// from opening a browser. Extra arguments are passed on (a project folder, `--port N`).
//
//   npm start [-- <project-dir>] [-- --port 8080]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBrowserHost, buildMain } from './bundle.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Rebuilds the renderer bundle when any renderer or contract source is newer than it. */
export function buildRendererIfStale() {
  const index = path.join(ROOT, 'dist', 'renderer', 'index.html');
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'renderer')),
    newestMtime(path.join(ROOT, 'main', 'common')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  console.log('start: building the renderer (vite)...');
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'renderer/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    {
      cwd: ROOT,
      stdio: 'inherit',
      // Always React's production build: under vitest (the e2e suite's set-up) NODE_ENV is
      // 'test', which vite keeps, and the bundle then carried React's development runtime
      // (jsxDEV, owner stacks): about a quarter of the window's CPU time at every debugger stop.
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  if (r.status !== 0) {
    console.error('start: the renderer build failed (see above)');
    process.exit(1);
  }
}

/** Path of a runnable Electron binary, or null with the reason. */
export function findElectron() {
  try {
    const binary = require('electron');
    if (typeof binary === 'string' && existsSync(binary)) return { binary };
    return { binary: null, reason: `Electron's binary ${binary} is missing` };
  } catch (e) {
    return {
      binary: null,
      reason: `Electron is not usable (${e instanceof Error ? e.message.split('\n')[0] : e})`,
    };
  }
}

function run(cmd, args) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function main() {
  const passThrough = process.argv.slice(2);
  buildRendererIfStale();
  const electron = findElectron();
  if (electron.binary && process.env.CAPSULE_BROWSER_MODE !== '1') {
    await buildMain();
    run(electron.binary, [path.join(ROOT, 'dist', 'main', 'electron-main.js'), ...passThrough]);
    return;
  }
  console.log(
    `start: ${electron.reason ?? 'CAPSULE_BROWSER_MODE=1'}; serving the UI in browser mode instead.`,
  );
  // The bundled host (dist/host) and its bundled emulator worker: under tsx every start
  // compiled the host's sources, and every Run's worker the emulator's (~0.4 s more per Run).
  run(process.execPath, [await buildBrowserHost(), ...passThrough]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await main();
