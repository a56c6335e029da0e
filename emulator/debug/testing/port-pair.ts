/**
 * Both ends of a MessageChannel as `TargetPort`s: a DebugTarget served and proxied in one
 * thread, as the emulator worker and the host do across threads.
 *
 * Why: the target-rpc tests and the Peripherals service's "one trip per refresh" test each
 * need the pair; one helper keeps them alike.
 *
 * @example
 *   const [a, b, end] = portPair();
 *   serveTarget(target, a);
 *   const proxy = await connectTarget(b);
 *   end(); // after the test
 */
import type { TargetMessage, TargetPort } from '../target-rpc';

export function portPair(): [TargetPort, TargetPort, () => void] {
  const { port1, port2 } = new MessageChannel();
  const wrap = (p: MessagePort): TargetPort => ({
    post: (m, transfer) => p.postMessage(m, transfer),
    listen(handler) {
      const h = (e: MessageEvent<TargetMessage>): void => handler(e.data);
      p.addEventListener('message', h);
      p.start();
      return () => p.removeEventListener('message', h);
    },
  });
  return [wrap(port1), wrap(port2), () => (port1.close(), port2.close())];
}
