/**
 * Parses an SVD file off the host's thread: `parseSvdFile` runs the parse in a worker thread
 * (peripheral-svd-worker.ts) and resolves with the device, or an SvdError naming where and why.
 *
 * A chip's SVD takes over a second to parse (the nRF52840's is 1.2 MB of XML); parsed on the
 * host's thread at the first stop, it held up the first step and every other request for that
 * long. Where no worker can start (a bundle without the worker's file), the parse runs here, as
 * before.
 *
 * @example
 *   const device = await parseSvdFile('/app/resources/svd/nrf52840.svd');
 */
import { access, readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { parseSvd, SvdError, type SvdDevice } from '../../emulator/peripherals/nrf/svd';
import { hostWorkerLocation } from './worker-location';

/** What the worker posts back. */
export type SvdReply =
  | { ok: true; device: SvdDevice }
  | { ok: false; where: string | null; problem: string; code?: string };

/**
 * Where the SVD parse's worker file is, from `here` (this module's `import.meta.url`); the
 * packaged app's unpacked copy included (main/host/worker-location.ts).
 */
export function svdWorkerLocation(here: string): URL {
  return hostWorkerLocation('peripheral-svd-worker', here);
}

/** A worker's entry: built .js directly, a .ts source through tsx's loader (as under tests). */
function entry(script: URL): [string | URL, { eval?: true }] {
  if (!script.pathname.endsWith('.ts')) return [script, {}];
  const tsx = import.meta.resolve('tsx/esm/api');
  return [
    `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`,
    { eval: true },
  ];
}

/**
 * Parses the SVD at `file` in a worker thread; rejects with SvdError, or an Error with the read's
 * `code` when the file cannot be read.
 */
export async function parseSvdFile(file: string): Promise<SvdDevice> {
  let worker: Worker;
  try {
    const script = svdWorkerLocation(import.meta.url);
    if (script.protocol === 'file:' && !(await exists(script))) throw new Error('no worker');
    const [what, how] = entry(script);
    worker = new Worker(what, { ...how, workerData: { file } });
  } catch {
    return parseSvd(await readFile(file, 'utf8'));
  }
  const reply = await new Promise<SvdReply>((resolve) => {
    worker.once('message', (m: SvdReply) => resolve(m));
    worker.once('error', (e) => resolve({ ok: false, where: null, problem: e.message }));
    worker.once('exit', (code) =>
      resolve({ ok: false, where: null, problem: `the SVD parser stopped (exit code ${code})` }),
    );
  });
  void worker.terminate();
  if (reply.ok) return reply.device;
  if (reply.where !== null) throw new SvdError(reply.where, reply.problem);
  // A read's error keeps its code (ENOENT...), as a read here would have had it.
  throw Object.assign(new Error(reply.problem), reply.code ? { code: reply.code } : {});
}

async function exists(url: URL): Promise<boolean> {
  try {
    await access(url);
    return true;
  } catch {
    return false;
  }
}
