/**
 * Packaging: everything the packaged app loads at run time is in the package, where it is
 * loaded from. Electron's binary cannot be downloaded here, so the package itself cannot be
 * run; this checks the packaging configuration against what the app really loads:
 *
 * - the main process: the bundle and preload `npm run build:main` writes, the renderer
 *   `npm run build:renderer` writes, and the packages the bundle leaves external (production
 *   dependencies, which electron-builder packs);
 * - the kernel build, which the app runs as a separate Node process from outside the asar:
 *   every file it loads (recorded by running the script's loading path under module hooks),
 *   matched by `files` and by `asarUnpack`, and every package it loads a production
 *   dependency that `asarUnpack` unpacks.
 * - `npm run dist` builds both bundles before electron-builder runs.
 * - the SVD parse's worker thread: packed, unpacked from the asar, found there by the path the
 *   main bundle computes, and runnable as built.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import yaml from 'js-yaml';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ES module without type declarations
import { HOST_WORKERS, MAIN_EXTERNALS, mainBundleOptions } from '../../scripts/bundle.mjs';
import { svdWorkerLocation, type SvdReply } from '../../main/host/peripheral-svd';
import { hostWorkerLocation } from '../../main/host/worker-location';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};
const config = yaml.load(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as {
  files: string[];
  asarUnpack: string[];
};

/** electron-builder's reading of a glob list: later `!` patterns exclude, others include. */
function matched(globs: string[], file: string): boolean {
  let inside = false;
  for (const g of globs) {
    if (g.startsWith('!')) {
      if (minimatch(file, g.slice(1), { dot: true })) inside = false;
    } else if (minimatch(file, g, { dot: true })) inside = true;
  }
  return inside;
}

/** The production dependency closure, as electron-builder packs node_modules. */
function productionPackages(): Set<string> {
  const out = new Set<string>();
  const visit = (name: string): void => {
    if (out.has(name)) return;
    const file = path.join(ROOT, 'node_modules', name, 'package.json');
    if (!existsSync(file)) return; // an optional dependency for another platform
    out.add(name);
    const p = JSON.parse(readFileSync(file, 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const d of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) visit(d);
  };
  for (const d of Object.keys(pkg.dependencies)) visit(d);
  return out;
}

const packageOf = (file: string): string => {
  const parts = file.split('/');
  const at = parts.lastIndexOf('node_modules');
  return parts[at + 1]!.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1]!;
};

describe('packaging', () => {
  it('npm run dist builds the main bundle and the renderer before electron-builder', () => {
    const dist = pkg.scripts.dist!;
    expect(dist).toMatch(
      /build:renderer.*build:main.*electron-builder|build:main.*build:renderer.*electron-builder/,
    );
    expect(pkg.scripts['build:main']).toBe('node scripts/bundle.mjs');
    expect(pkg.main).toBe('dist/main/electron-main.js');
  });

  it('packs what the main process loads', () => {
    for (const f of [
      'dist/main/electron-main.js',
      'dist/main/preload.cjs',
      'dist/main/package.json',
      'dist/renderer/index.html',
      'dist/renderer/favicon.ico',
      'dist/renderer/assets/index.js',
      'package.json',
      // The worker threads the host starts beside its bundle (the emulator, the SVD parse).
      ...Object.keys(HOST_WORKERS as Record<string, string>).map((w) => `dist/main/${w}.js`),
    ])
      expect(matched(config.files, f), f).toBe(true);
    // ... and `npm run build:main` writes them there.
    const outs = (mainBundleOptions('dist/main') as { outfile: string }[]).map((o) => o.outfile);
    for (const w of Object.keys(HOST_WORKERS as Record<string, string>))
      expect(outs).toContain(path.join('dist/main', `${w}.js`));
    const prod = productionPackages();
    for (const external of MAIN_EXTERNALS as string[])
      if (external !== 'electron') expect(prod.has(external), external).toBe(true);
  });

  it('packs and unpacks every file and package the kernel build loads', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'tests/packaging/record-loads.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const loaded = JSON.parse(r.stdout.trim().split('\n').pop()!) as string[];
    // The recording works: it sees the script, the app builder and the TypeScript formats.
    expect(loaded).toEqual(
      expect.arrayContaining(['scripts/kernel.mjs', 'scripts/apps.mjs', 'emulator/formats/tbf.ts']),
    );
    const prod = productionPackages();
    const missing: string[] = [];
    for (const file of loaded) {
      if (file.startsWith('..')) continue; // outside the repository: Node's own
      if (file.includes('node_modules/')) {
        const name = packageOf(file);
        if (!prod.has(name)) missing.push(`${file}: ${name} is not a production dependency`);
        if (!matched(config.asarUnpack, `node_modules/${name}/package.json`))
          missing.push(`${file}: node_modules/${name} is not unpacked (asarUnpack)`);
      } else {
        if (!matched(config.files, file)) missing.push(`${file}: not in files`);
        if (!matched(config.asarUnpack, file)) missing.push(`${file}: not unpacked (asarUnpack)`);
      }
    }
    // The packages those packages load (esbuild's binary for the platform, tsx's helpers).
    for (const name of prod) {
      const loadedByBuild = loaded.some((f) => f.includes(`node_modules/${name}/`));
      if (!loadedByBuild) continue;
      const p = JSON.parse(
        readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
      ) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
      for (const d of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) {
        if (!existsSync(path.join(ROOT, 'node_modules', d))) continue;
        if (!matched(config.asarUnpack, `node_modules/${d}/package.json`))
          missing.push(`node_modules/${d} (needed by ${name}) is not unpacked (asarUnpack)`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('unpacks every host worker thread beside the main bundle, where the host looks for it', () => {
    type Options = { entryPoints: string[]; outfile: string };
    const options = (mainBundleOptions as (out?: string) => Options[])();
    const main = options.find((o) => o.outfile.endsWith('electron-main.js'))!;
    const resources = path.join(os.tmpdir(), 'Capsule Studio', 'resources');
    const bundled = pathToFileURL(
      path.join(resources, 'app.asar', path.relative(ROOT, main.outfile)),
    ).href;
    const workers = Object.keys(HOST_WORKERS as Record<string, string>);
    expect(workers).toContain('emulator-worker');
    for (const name of workers) {
      const inApp = `dist/main/${name}.js`;
      expect(
        options.some(
          (o) => path.relative(ROOT, o.outfile) === path.join('dist', 'main', `${name}.js`),
        ),
        inApp,
      ).toBe(true);
      expect(matched(config.files, inApp), `${inApp} in files`).toBe(true);
      expect(matched(config.asarUnpack, inApp), `${inApp} in asarUnpack`).toBe(true);
      expect(hostWorkerLocation(name, bundled).href).toBe(
        pathToFileURL(path.join(resources, 'app.asar.unpacked', 'dist', 'main', `${name}.js`)).href,
      );
    }
  });

  it('ships the SVD parse`s worker where the Electron main bundle looks for it, and it runs', async () => {
    type Options = { entryPoints: string[]; outfile: string };
    const options = (mainBundleOptions as (out?: string) => Options[])();
    const main = options.find((o) => o.outfile.endsWith('electron-main.js'))!;
    const worker = options.find((o) => o.entryPoints[0]!.endsWith('peripheral-svd-worker.ts'))!;
    const inApp = path.relative(ROOT, worker.outfile).split(path.sep).join('/');
    expect(inApp).toBe('dist/main/peripheral-svd-worker.js');
    expect(matched(config.files, inApp)).toBe(true);
    expect(matched(config.asarUnpack, inApp)).toBe(true);
    // The packaged layout: the main bundle's own URL is inside app.asar, the worker unpacked.
    const resources = path.join(os.tmpdir(), 'Capsule Studio', 'resources');
    const bundled = pathToFileURL(
      path.join(resources, 'app.asar', path.relative(ROOT, main.outfile)),
    );
    expect(svdWorkerLocation(bundled.href).href).toBe(
      pathToFileURL(
        path.join(resources, 'app.asar.unpacked', 'dist', 'main', 'peripheral-svd-worker.js'),
      ).href,
    );
    // Out of a package (npm start, the browser-mode host): beside the bundle; a folder merely
    // named like the archive is left alone.
    expect(svdWorkerLocation('file:///app/dist/host/cli.js').pathname).toBe(
      '/app/dist/host/peripheral-svd-worker.js',
    );
    expect(svdWorkerLocation('file:///x/app.asarx/dist/main/electron-main.js').pathname).toBe(
      '/x/app.asarx/dist/main/peripheral-svd-worker.js',
    );
    // Built as the main bundle builds it (CommonJS), it runs as a worker and answers: here a
    // malformed SVD, named by line.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'svd-worker-'));
    const esbuild = await import('esbuild');
    const outfile = path.join(dir, 'peripheral-svd-worker.js');
    await esbuild.build({ ...worker, outfile, logLevel: 'silent' });
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    const bad = path.join(dir, 'bad.svd');
    writeFileSync(bad, '<device>\n<name>X</name>\n<peripherals>\n</device>\n');
    const thread = new Worker(outfile, { workerData: { file: bad } });
    const reply = await new Promise<SvdReply>((resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
    });
    await thread.terminate();
    expect(reply).toMatchObject({ ok: false, where: expect.stringMatching(/line 4/) });
  }, 60_000);
});
