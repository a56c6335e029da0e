/**
 * The emulator worker: a worker_threads entry that builds an emulator target from its
 * `workerData` (an EmulatorTargetSpec: machine, image files as bytes, options) and serves it to
 * the host thread over `parentPort` (emulator/debug/target-rpc.ts).
 *
 * A spare (`workerData` is `{ spare: true }`, `prepareEmulatorWorker`) loads its modules and
 * waits: the host's first message `{ t: 'spec', spec }` is the spec it then builds and serves.
 *
 * The machine runs here, in slices on this thread's event loop, so the host thread stays free
 * while it runs flat out. A spec that cannot be built (unknown machine, bad image) is answered
 * with a `failed` message naming the problem. Started by `startEmulatorWorker`
 * (emulator-worker-target.ts); never imported by the host thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EmulatorTargetSpec } from '../../emulator/debug/emulator-target';
import { serveEmulatorSpec, serveSpareSpec } from './emulator-worker-serve';

if (parentPort === null) throw new Error('emulator-worker.ts runs only as a worker thread');
const data = workerData as EmulatorTargetSpec | { spare: true };
if ('spare' in data) serveSpareSpec(parentPort);
else serveEmulatorSpec(parentPort, data);
