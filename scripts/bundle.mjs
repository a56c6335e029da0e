/**
 * Bundles the Electron main process, its preload and the host's worker threads (the emulator
 * worker, the SVD parse) into dist/main (esbuild), as `npm start` (with Electron present) and
 * `npm run dist` need them.
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
 *   node scripts/bundle.mjs        # writes dist/main/{electron-main.js,preload.cjs,*-worker.js,package.json}
 *   node scripts/bundle.mjs --host # writes dist/host/{cli.js,emulator-worker.js,peripheral-svd-worker.js}
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Packages the main bundle imports at run time instead of bundling: `usb` and `serialport` load
 * their native binaries from beside their own files, which a bundle moves away from.
 */
export const MAIN_EXTERNALS = ['electron', 'trash', 'usb', 'serialport'];

/**
 * The worker threads the host starts beside its own file (emulator-worker-target.ts and
 * peripheral-svd.ts resolve `./<name>.js` against `import.meta.url`): entry name -> source.
 */
export const HOST_WORKERS = {
  'emulator-worker': 'main/host/emulator-worker.ts',
  'peripheral-svd-worker': 'main/host/peripheral-svd-worker.ts',
};

// A CommonJS bundle has no `import.meta`: the host's `import.meta.url` (where its workers and
// resources are found) becomes the bundle file's own URL
// (`import.meta.resolve` is only asked for under tsx, for a .ts worker; it answers as Node's.)
const IMPORT_META_URL = {
  define: {
    'import.meta.url': '__capsuleImportMetaUrl',
    'import.meta.resolve': '__capsuleImportMetaResolve',
  },
  banner: {
    js: [
      "const __capsuleImportMetaUrl = require('url').pathToFileURL(__filename).href;",
      "const __capsuleImportMetaResolve = (s) => require('url').pathToFileURL(require.resolve(s)).href;",
    ].join('\n'),
  },
};

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
      ...IMPORT_META_URL,
      entryPoints: [path.join(ROOT, 'main/electron/electron-main.ts')],
      outfile: path.join(out, 'electron-main.js'),
    },
    ...Object.entries(HOST_WORKERS).map(([name, source]) => ({
      ...common,
      ...IMPORT_META_URL,
      entryPoints: [path.join(ROOT, source)],
      outfile: path.join(out, `${name}.js`),
    })),
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
      ...Object.fromEntries(
        Object.entries(HOST_WORKERS).map(([name, source]) => [name, path.join(ROOT, source)]),
      ),
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
    console.log(
      'bundle: dist/main/{electron-main.js,preload.cjs,emulator-worker.js,peripheral-svd-worker.js}',
    );
  }
}
