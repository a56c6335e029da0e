/**
 * Inside an emulator worker: build the target a spec describes and serve it to the host over
 * the worker's parent port. The worker entry (emulator-worker.ts) is this and nothing else;
 * tests wrap the target first (`adapt`) to make the worker misbehave on demand.
 *
 * @example
 *   serveEmulatorSpec(parentPort!, workerData as EmulatorTargetSpec);
 */
import type { MessagePort } from 'node:worker_threads';
import {
  createEmulatorTarget,
  type EmulatorTarget,
  type EmulatorTargetSpec,
} from '../../emulator/debug/emulator-target';
import { serveTarget, type TargetMessage, type TargetPort } from '../../emulator/debug/target-rpc';
import type { DebugTarget } from '../../emulator/debug/target';
import { nodeScheduler } from '../../emulator/node/scheduler';

/** A worker's parent port as a TargetPort. */
export function parentTargetPort(parent: MessagePort): TargetPort {
  return {
    post: (message, transfer) => parent.postMessage(message, transfer),
    listen(handler) {
      const h = (m: TargetMessage): void => handler(m);
      parent.on('message', h);
      return () => parent.off('message', h);
    },
  };
}

/** Builds the spec's target and serves it; a spec that cannot be built is answered `failed`. */
export function serveEmulatorSpec(
  parent: MessagePort,
  spec: EmulatorTargetSpec,
  adapt: (target: EmulatorTarget) => DebugTarget = (t) => t,
): void {
  const port = parentTargetPort(parent);
  const created = createEmulatorTarget(spec, nodeScheduler);
  if (!created.ok) port.post({ t: 'failed', error: created.error }, []);
  else serveTarget(adapt(created.value), port);
}

/**
 * A spare worker's wait: it says `{ t: 'spare' }` (its modules are loaded); the first message
 * from the host is `{ t: 'spec', spec }`, which it then builds and serves. Anything else first
 * is answered `failed`.
 */
export function serveSpareSpec(parent: MessagePort): void {
  parent.postMessage({ t: 'spare' });
  parent.once('message', (m: { t?: string; spec?: EmulatorTargetSpec }) => {
    if (m.t === 'spec' && m.spec) serveEmulatorSpec(parent, m.spec);
    else
      parentTargetPort(parent).post(
        { t: 'failed', error: `the spare emulator worker expected a spec first, got '${m.t}'` },
        [],
      );
  });
}
