/**
 * Where a host worker thread's file is (the emulator worker, the SVD parse's worker), from
 * `here`, the calling module's `import.meta.url`.
 *
 * - Under tsx and the tests, `here` is a .ts source: the worker is the .ts beside it.
 * - In a bundle (dist/host/cli.js for the browser-mode host, or the Electron main bundle
 *   dist/main/electron-main.js, whose CommonJS `import.meta.url` scripts/bundle.mjs defines as
 *   the file's URL), the worker is `./<name>.js` beside it (scripts/bundle.mjs HOST_WORKERS).
 * - In the packaged app that folder is inside app.asar. Node starts a worker thread only from a
 *   real file, so electron-builder.yml unpacks every host worker (asarUnpack) and the path's
 *   `app.asar` becomes `app.asar.unpacked`. A folder merely named like the archive is left alone.
 */
export function hostWorkerLocation(name: string, here: string): URL {
  const url = new URL(here.endsWith('.ts') ? `./${name}.ts` : `./${name}.js`, here);
  url.pathname = url.pathname.replace(/\/app\.asar(?=\/)/, '/app.asar.unpacked');
  return url;
}
