/**
 * The SVD parse, in a worker thread (started by peripheral-svd.ts): reads the file named in
 * `workerData.file`, parses it and posts the device back, or the parse error (where and why).
 *
 * A chip's SVD is megabytes of XML: its parse takes over a second, which on the host's thread
 * would hold up everything else it serves (the first step after the first stop waited for it).
 *
 * @example
 *   new Worker(url, { workerData: { file: '/app/resources/svd/nrf52840.svd' } });
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { parseSvd, SvdError } from '../../emulator/peripherals/nrf/svd';
import type { SvdReply } from './peripheral-svd';

if (parentPort === null) throw new Error('peripheral-svd-worker.ts runs only as a worker thread');
const { file } = workerData as { file: string };
let reply: SvdReply;
try {
  reply = { ok: true, device: parseSvd(readFileSync(file, 'utf8')) };
} catch (e) {
  reply =
    e instanceof SvdError
      ? { ok: false, where: e.where, problem: e.problem }
      : {
          ok: false,
          where: null,
          problem: (e as Error).message,
          ...((e as { code?: string }).code ? { code: (e as { code: string }).code } : {}),
        };
}
parentPort.postMessage(reply);
