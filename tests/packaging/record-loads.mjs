// Records every module file the kernel build script loads at run time, by running it the way
// the packaged app does (a plain Node process) up to the point where it has loaded everything:
// scripts/kernel.mjs itself, the app builder it imports by path, and the TypeScript format
// modules the app builder loads through tsx. Prints the files as JSON on stdout.
//
//   node tests/packaging/record-loads.mjs
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const seen = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => seen.add(url));
port1.unref();
register(pathToFileURL(path.join(ROOT, 'tests', 'packaging', 'record-hooks.mjs')), {
  data: { port: port2 },
  transferList: [port2],
});

const kernel = await import(pathToFileURL(path.join(ROOT, 'scripts', 'kernel.mjs')).href);
void kernel;
// kernel.mjs imports the app builder by path when a build gets that far; so does this.
const apps = await import(pathToFileURL(path.join(ROOT, 'scripts', 'apps.mjs')).href);
await apps.loadFormats();
// Let the last messages from the hooks thread arrive.
await new Promise((r) => setTimeout(r, 200));
const files = [...seen]
  .filter((u) => u.startsWith('file:'))
  .map((u) => path.relative(ROOT, fileURLToPath(u)).split(path.sep).join('/'));
console.log(JSON.stringify([...new Set(files)].sort()));
