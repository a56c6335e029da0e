/**
 * The emulator worker for bench tock-timeline-split: the IDE's worker (the same target, served
 * the same way) that also times its own side of the timeline, so the bench can say where the
 * recording's cost lies: this thread's CPU in all, in the recorder's requests (`fetch`:
 * copying records out of the ring) and in posting replies (structured clone). `monitor
 * 'bench-stats'` answers the counters as JSON; `monitor 'bench-reset'` zeroes them.
 *
 * @example
 *   startEmulatorWorker(spec, { workerScript: new URL('./tock-timeline-worker.ts', import.meta.url) });
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import {
  createEmulatorTarget,
  type EmulatorTargetSpec,
} from '../../emulator/debug/emulator-target';
import { serveTarget } from '../../emulator/debug/target-rpc';
import type { DebugTarget } from '../../emulator/debug/target';
import { ok } from '../../emulator/core/result';
import { nodeScheduler } from '../../emulator/node/scheduler';
import { parentTargetPort } from '../../main/host/emulator-worker-serve';

const cpuMs = (): number =>
  Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;

const stats = { recorderMs: 0, recorderCalls: 0, records: 0, postMs: 0, posts: 0, t0: cpuMs() };
const port = parentTargetPort(parentPort!);
const timedPort = {
  ...port,
  post: (m: Parameters<typeof port.post>[0], t: ArrayBuffer[]) => {
    const c0 = cpuMs();
    port.post(m, t);
    stats.postMs += cpuMs() - c0;
    stats.posts++;
  },
};
const created = createEmulatorTarget(workerData as EmulatorTargetSpec, nodeScheduler);
if (!created.ok) port.post({ t: 'failed', error: created.error }, []);
else {
  const target = created.value;
  const recorder = target.recorder.bind(target);
  const wrapped = new Proxy(target, {
    get(t, key) {
      if (key === 'recorder')
        return async (req: Parameters<typeof recorder>[0]) => {
          const c0 = cpuMs();
          const r = await recorder(req);
          stats.recorderMs += cpuMs() - c0;
          stats.recorderCalls++;
          if (r.ok && r.value.op === 'chunk') stats.records += r.value.chunk.cycles.length;
          return r;
        };
      if (key === 'monitor')
        return async (command: string) => {
          if (command === 'bench-reset') {
            Object.assign(stats, {
              recorderMs: 0,
              recorderCalls: 0,
              records: 0,
              postMs: 0,
              posts: 0,
            });
            stats.t0 = cpuMs();
            return ok('');
          }
          return ok(JSON.stringify({ ...stats, workerMs: cpuMs() - stats.t0 }));
        };
      const v = Reflect.get(t, key, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  }) as DebugTarget;
  serveTarget(wrapped, timedPort);
}
