/**
 * The emulator in a worker thread, as a DebugTarget for the host: `startEmulatorWorker` starts
 * main/host/emulator-worker.ts with a machine and an image, and returns a `TargetProxy` whose
 * calls and events cross the thread boundary (bytes as transferred Uint8Arrays).
 *
 * The host thread never runs the machine, so it stays responsive while the emulator runs flat
 * out (tests/bench/target-bench.ts measures its event-loop delay). A worker that dies (an
 * uncaught error, running out of memory, being terminated) ends only its own session: the proxy
 * answers every waiting and later call with an error, and emits one `closed` event naming the
 * cause ("the emulator worker ran out of memory ..."). Nothing else in the host is affected.
 *
 * Under tsx (development, tests) the worker is the .ts source loaded with `--import tsx`; a
 * bundled host (dist/host, dist/main: scripts/bundle.mjs) starts the bundled worker beside it.
 *
 * `prepareEmulatorWorker` starts a spare ahead of its session (its modules load, ~0.6-1 s at
 * load, meanwhile); `start(spec)` then builds only the machine and the image.
 *
 * @example
 *   const t = await startEmulatorWorker({ machine: 'nrf52840dk', files });
 *   if (!t.ok) return showError(t.error);
 *   t.value.onEvent((e) => e.kind === 'closed' && showError(e.reason));
 *   await t.value.resume();
 *
 *   const spare = prepareEmulatorWorker();   // when a window opens
 *   const t2 = await spare.start(spec);      // when Run is pressed
 */
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { err, type Result } from '../../emulator/core/result';
import type { EmulatorTargetSpec } from '../../emulator/debug/emulator-target';
import {
  connectTarget,
  type TargetMessage,
  type TargetPort,
  type TargetProxy,
} from '../../emulator/debug/target-rpc';
import { hostWorkerLocation } from './worker-location';

export interface WorkerOptions {
  /** Memory limits for the worker's heap (Node's ResourceLimits). */
  resourceLimits?: ResourceLimits;
  /** The worker entry (default: emulator-worker.ts beside this file, or .js when bundled). */
  workerScript?: string | URL;
  /** Longest wait for the worker to build the machine and say hello. Default 30 s. */
  startTimeoutMs?: number;
}

/**
 * How to start `script`: a built .js file directly; a .ts source through a small bootstrap that
 * registers tsx's loader inside the worker first (Node 20 does not apply `--import tsx` from a
 * worker's execArgv to its entry module).
 */
function workerEntry(script: string | URL): [string | URL, { eval?: true }] {
  const url = script instanceof URL ? script : pathToFileURL(script);
  if (!url.pathname.endsWith('.ts')) return [url, {}];
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return [boot, { eval: true }];
}

/** Why a worker ended, for people. */
function deathReason(e: Error & { code?: string }, limits?: ResourceLimits): string {
  if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    const mb = limits?.maxOldGenerationSizeMb;
    return `the emulator worker ran out of memory${mb ? ` (its limit is ${mb} MB)` : ''}: ${e.message}`;
  }
  return `the emulator worker crashed: ${e.message}`;
}

/** A worker thread started with its death watched, connected to its target on request. */
interface Launched {
  worker: Worker;
  /** Why it died, or null while it lives. */
  death(): string | null;
  /** Waits for the worker's target (its `hello`, or why not) and returns its proxy. */
  connect(): Promise<Result<TargetProxy>>;
  /** Ends the worker, unconnected. */
  end(): Promise<void>;
}

function launch(
  workerData: unknown,
  transferList: ArrayBuffer[],
  options: WorkerOptions,
): Result<Launched> {
  const here = import.meta.url;
  const script = options.workerScript ?? hostWorkerLocation('emulator-worker', here);
  let worker: Worker;
  try {
    const [entry, how] = workerEntry(script);
    worker = new Worker(entry, {
      ...how,
      workerData,
      transferList,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
  } catch (e) {
    return err(`the emulator worker could not start: ${(e as Error).message}`);
  }

  let closing = false;
  let death: string | null = null;
  const deathListeners: ((reason: string) => void)[] = [];
  const died = (reason: string): void => {
    if (death !== null) return;
    death = reason;
    for (const l of deathListeners) l(reason);
  };
  worker.on('error', (e) => died(deathReason(e, options.resourceLimits)));
  worker.on('exit', (code) => {
    if (!closing) died(`the emulator worker exited unexpectedly (exit code ${code})`);
  });
  worker.on('messageerror', (e) =>
    died(`a message from the emulator worker was unreadable: ${e.message}`),
  );
  const end = async (): Promise<void> => {
    closing = true;
    await worker.terminate();
  };

  const port: TargetPort = {
    post: (message, transfer) => {
      if (death === null) worker.postMessage(message, transfer);
    },
    listen(handler) {
      const h = (m: TargetMessage): void => handler(m);
      worker.on('message', h);
      return () => worker.off('message', h);
    },
  };

  async function connect(): Promise<Result<TargetProxy>> {
    if (death !== null) return err(death);
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const started = await Promise.race([
      connectTarget(port, end),
      new Promise<Result<never>>((resolve) => deathListeners.push((r) => resolve(err(r)))),
      new Promise<Result<never>>((resolve) => {
        timer = setTimeout(
          () => resolve(err(`the emulator worker did not start within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    clearTimeout(timer);
    if (!started.ok) {
      await end();
      return started;
    }
    const proxy = started.value;
    deathListeners.push((reason) => proxy.fail(reason));
    if (death !== null) proxy.fail(death);
    return started;
  }
  return { ok: true, value: { worker, death: () => death, connect, end } };
}

/** The image's bytes as copies whose buffers move to the worker. */
function movable(spec: EmulatorTargetSpec): [EmulatorTargetSpec, ArrayBuffer[]] {
  const files = spec.files.map((f) => ({ ...f, bytes: new Uint8Array(f.bytes) }));
  return [{ ...spec, files }, files.map((f) => f.bytes.buffer as ArrayBuffer)];
}

export async function startEmulatorWorker(
  spec: EmulatorTargetSpec,
  options: WorkerOptions = {},
): Promise<Result<TargetProxy>> {
  const [data, transfer] = movable(spec);
  const launched = launch(data, transfer, options);
  return launched.ok ? launched.value.connect() : launched;
}

/**
 * An emulator worker started before its session (main/host/emulator-worker.ts with
 * `{ spare: true }`): its thread loads the emulator's modules meanwhile, so `start(spec)` waits
 * only for the machine and the image. While unused it does not keep the process alive.
 */
export interface SpareEmulatorWorker {
  /** Gives the spare its spec and resolves as `startEmulatorWorker(spec)` would. Once only. */
  start(spec: EmulatorTargetSpec): Promise<Result<TargetProxy>>;
  /** Ends the spare unused (the window closed, the host exits). */
  end(): Promise<void>;
  /** Why the spare cannot be used (it died, or was started or ended already), or null. */
  unusable(): string | null;
  /** Resolves true once the worker's modules are loaded (it said so), false if it died first. */
  readonly ready: Promise<boolean>;
}

export function prepareEmulatorWorker(options: WorkerOptions = {}): SpareEmulatorWorker {
  const launched = launch({ spare: true }, [], options);
  let used: string | null = launched.ok ? null : launched.error;
  const ready = new Promise<boolean>((resolve) => {
    if (!launched.ok) return resolve(false);
    const { worker } = launched.value;
    worker.unref();
    const said = (m: { t?: string }): void => {
      if (m?.t !== 'spare') return;
      worker.off('message', said);
      resolve(true);
    };
    worker.on('message', said);
    worker.once('exit', () => resolve(false));
  });
  return {
    ready,
    unusable: () => used ?? (launched.ok ? launched.value.death() : null),
    async start(spec) {
      if (!launched.ok) return launched;
      if (used !== null) return err(`the spare emulator worker cannot start: ${used}`);
      used = 'it was started already';
      const { worker, connect } = launched.value;
      worker.ref();
      const [data, transfer] = movable(spec);
      worker.postMessage({ t: 'spec', spec: data }, transfer);
      return connect();
    },
    async end() {
      if (used === null) used = 'it was ended';
      if (launched.ok) await launched.value.end();
    },
  };
}
