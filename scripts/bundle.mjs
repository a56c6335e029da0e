/**
 * Bundles the Electron main process and its preload into dist/main (esbuild), as `npm start`
 * (with Electron present) and `npm run dist` need them.
 *
 * Both bundles are CommonJS (dist/ sits under a "type": "module" package, so dist/main gets a
 * package.json saying so). `electron` comes from the runtime; `trash` stays a package loaded
 * from node_modules, because it finds its macOS and Windows helpers next to its own files.
 * `mainBundleOptions()` is what the packaging test reads to know what the bundle leaves out.
 *
 *   node scripts/bundle.mjs        # writes dist/main/{electron-main.js,preload.cjs,package.json}
 */
import { mkdirSync, writeFileSync } from 'node:fs';
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

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildMain();
  console.log('bundle: dist/main/electron-main.js, dist/main/preload.cjs');
}
