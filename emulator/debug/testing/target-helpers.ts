/**
 * Helpers for tests that drive a DebugTarget: unwrap a Result, wait for the next event of a
 * kind, run to the next stop. Shared by the emulator target's, the worker's, the GDB remote
 * target's and the kernel's target tests.
 *
 * @example
 *   const stop = await runToStop(target);
 *   expect(unwrap(await target.readRegister('pc'))).toBe(stop.pc);
 */
import type { Result } from '../../core/result';
import type { DebugTarget, StopInfo, TargetEvent } from '../target';

/** The value of an ok Result; an error Result fails the test with its message. */
export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** The next event of `kind` (a `closed` event while waiting for another kind rejects). */
export function nextEvent<K extends TargetEvent['kind']>(
  t: Pick<DebugTarget, 'onEvent'>,
  kind: K,
  timeoutMs = 60_000,
): Promise<TargetEvent & { kind: K }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${kind}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = t.onEvent((e) => {
      if (e.kind === kind || e.kind === 'closed') {
        off();
        clearTimeout(timer);
        if (e.kind === kind) resolve(e as TargetEvent & { kind: K });
        else if (e.kind === 'closed')
          reject(new Error(`target closed while waiting for '${kind}': ${e.reason}`));
      }
    });
  });
}

/** Resumes the target and resolves with its next stop. */
export async function runToStop(t: DebugTarget, timeoutMs?: number): Promise<StopInfo> {
  const stopped = nextEvent(t, 'stopped', timeoutMs);
  unwrap(await t.resume());
  return (await stopped).stop;
}
