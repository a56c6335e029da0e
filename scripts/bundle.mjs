/**
 * Bundles the Electron main process and its preload into dist/main (esbuild), as `npm start`
 * (with Electron present) and `npm run dist` need them.
 *
 * Both bundles are CommonJS (dist/ sits under a "type": "module" package, so dist/main gets a
 * package.json saying so). `electron` comes from the runtime; `trash` stays a package loaded
 * from node_modules, because it finds its macOS and Windows helpers next to its own files.
 * `mainBundleOptions()` is what the packaging test reads to know what the bundle leaves out.
 *
 * `buildBrowserHost()` bundles the browser-mode host (main/host/cli.ts, what `npm start` runs
 * without Electron) and its emulator worker into dist/host, ES modules with every package left
 * to node_modules. The end-to-end suite starts the studio from it: through tsx, every start
 * compiled the host's ~170 sources again (over 30 s seen at load 15 on 2 cores).
 *
 *   node scripts/bundle.mjs        # writes dist/main/{electron-main.js,preload.cjs,package.json}
 *   node scripts/bundle.mjs --host # writes dist/host/{cli.js,emulator-worker.js,peripheral-svd-worker.js}
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Packages the main bundle imports at run time instead of bundling. */
export const MAIN_EXTERNALS = ['electron', 'trash'];

export function mainBundleOptions(out = path.join(ROOT, 'dist', 'main')) {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: MAIN_EXTERNALS,
    logLevel: 'warning',
  };
  return [
    {
      ...common,
      entryPoints: [path.join(ROOT, 'main/electron/electron-main.ts')],
      outfile: path.join(out, 'electron-main.js'),
    },
    {
      ...common,
      entryPoints: [path.join(ROOT, 'main/electron/preload.ts')],
      outfile: path.join(out, 'preload.cjs'),
    },
  ];
}

export async function buildMain(out = path.join(ROOT, 'dist', 'main')) {
  const esbuild = await import('esbuild');
  mkdirSync(out, { recursive: true });
  // dist/ sits under a "type": "module" package; the Electron entry and preload are CommonJS.
  writeFileSync(path.join(out, 'package.json'), '{ "type": "commonjs" }\n');
  for (const options of mainBundleOptions(out)) await esbuild.build(options);
}

/**
 * Bundles the browser-mode host into `out` (default dist/host; it must sit two folders below
 * the app root, as main/host does: the host finds resources/ and dist/renderer from its own
 * location) and returns the entry's path. Each file is written under a temporary name and
 * renamed, so a suite starting a studio meanwhile never loads half a file.
 */
export async function buildBrowserHost(out = path.join(ROOT, 'dist', 'host')) {
  const esbuild = await import('esbuild');
  mkdirSync(out, { recursive: true });
  const result = await esbuild.build({
    entryPoints: {
      cli: path.join(ROOT, 'main/host/cli.ts'),
      // Started by the host beside itself (emulator-worker-target.ts: `./emulator-worker.js`).
      'emulator-worker': path.join(ROOT, 'main/host/emulator-worker.ts'),
      // The SVD parse off the host's thread (peripheral-svd.ts: `./peripheral-svd-worker.js`).
      'peripheral-svd-worker': path.join(ROOT, 'main/host/peripheral-svd-worker.ts'),
    },
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    write: false,
  });
  for (const file of result.outputFiles) {
    const temp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temp, file.contents);
    renameSync(temp, file.path);
  }
  return path.join(out, 'cli.js');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--host')) {
    console.log(`bundle: ${path.relative(ROOT, await buildBrowserHost())}`);
  } else {
    await buildMain();
    console.log('bundle: dist/main/electron-main.js, dist/main/preload.cjs');
  }
}
