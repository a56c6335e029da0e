/**
 * The renderer's typed proxy for the host contract, over Electron IPC or a WebSocket.
 *
 * `connectHost()` picks the transport: the preload's `window.capsule` bridge in Electron, or a
 * WebSocket to `/rpc` on the page's own origin in browser mode (the access cookie travels with
 * the upgrade). Either way the API is `createApi` over the contract's method table, so calls
 * are typed and no code here names a channel by hand. A call made with an `AbortSignal` sends
 * a cancel when the signal fires and resolves at once to a `cancelled` error.
 *
 * The WebSocket transport reconnects after a drop, and tells why it cannot: after a close it
 * asks the page's own origin for a small file, so it knows whether nothing is listening any
 * more (`gone`: the host stopped) or a host answers but refuses this page's access cookie
 * (`refused`: Capsule Studio was restarted and printed a new URL). Calls made while it is down
 * resolve to an `unavailable` error instead of hanging.
 *
 * @example
 *   const host = connectHost();
 *   const files = await host.api.project.listFiles({});
 *   host.onEvent('build.output', (e) => append(e.line));
 */
import {
  createApi,
  type CallOptions,
  type HostApi,
  type HostEvent,
  type HostEventName,
  type HostEvents,
  type Result,
  type WireMessage,
} from '../../main/common/contract';
import { decodeFrame, encodeFrame } from '../../main/common/wire';

/** Where the link to the host stands. */
export type LinkState = 'connected' | 'connecting' | 'gone' | 'refused';

export interface Transport {
  call(method: string, args: unknown, opts?: CallOptions): Promise<Result<unknown>>;
  onEvents(listener: (events: HostEvent[]) => void): () => void;
  onStatus?(listener: (state: LinkState) => void): () => void;
}

export interface HostConnection {
  api: HostApi;
  onEvent<K extends HostEventName>(name: K, listener: (payload: HostEvents[K]) => void): () => void;
  /** Every batch, after its events were handed to the `onEvent` listeners. */
  onBatch(listener: () => void): () => void;
  onStatus(listener: (state: LinkState) => void): () => void;
}

const unavailable = (message: string): Result<unknown> => ({
  ok: false,
  error: { code: 'unavailable', message },
});
const cancelled = (method: string): Result<unknown> => ({
  ok: false,
  error: { code: 'cancelled', message: `${method} was cancelled` },
});

export function electronTransport(bridge: NonNullable<Window['capsule']>): Transport {
  let nextId = 1;
  return {
    async call(method, args, opts) {
      const [service, name] = method.split('.') as [string, string];
      const fn = bridge[service]?.[name];
      if (!fn) return unavailable(`${method} is not exposed by the preload`);
      const id = nextId++;
      const signal = opts?.signal;
      if (signal?.aborted) return cancelled(method);
      const result = fn(args, id) as Promise<Result<unknown>>;
      if (!signal) return result;
      return Promise.race([
        result,
        new Promise<Result<unknown>>((resolve) =>
          signal.addEventListener(
            'abort',
            () => {
              void bridge.cancel(id);
              resolve(cancelled(method));
            },
            { once: true },
          ),
        ),
      ]);
    },
    onEvents(listener) {
      return bridge.onEvents((m) => listener(m.events));
    },
  };
}

export function webSocketTransport(url: string, probeUrl: string): Transport {
  let nextId = 1;
  let retryMs = 250;
  let ws: WebSocket | null = null;
  let state: LinkState = 'connecting';
  let waiters: ((ws: WebSocket | null) => void)[] = [];
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const eventListeners = new Set<(events: HostEvent[]) => void>();
  const statusListeners = new Set<(state: LinkState) => void>();

  const setState = (s: LinkState): void => {
    if (s === state) return;
    state = s;
    statusListeners.forEach((l) => l(s));
  };

  /** Asks the origin whether a host still serves this page (see the module header). */
  const probe = async (): Promise<LinkState> => {
    try {
      const r = await fetch(probeUrl, { cache: 'no-store', credentials: 'same-origin' });
      return r.status === 403 ? 'refused' : 'connecting';
    } catch {
      return 'gone';
    }
  };

  const connect = (): void => {
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      ws = socket;
      retryMs = 250;
      setState('connected');
      waiters.forEach((w) => w(socket));
      waiters = [];
    };
    socket.onmessage = (ev) => {
      const frame = decodeFrame(
        typeof ev.data === 'string' ? ev.data : new Uint8Array(ev.data as ArrayBuffer),
      );
      if (!frame.ok) return;
      const msg = frame.value as WireMessage;
      if (msg.kind === 'reply') {
        pending.get(msg.id)?.(msg.result);
        pending.delete(msg.id);
      } else if (msg.kind === 'events') {
        eventListeners.forEach((l) => l(msg.events));
      }
    };
    socket.onclose = () => {
      ws = null;
      for (const [, settle] of pending)
        settle(unavailable('the connection to the Capsule Studio host was lost'));
      pending.clear();
      void probe().then((s) => {
        setState(s);
        setTimeout(connect, s === 'connecting' ? retryMs : Math.max(retryMs, 2000));
        retryMs = Math.min(retryMs * 2, 5000);
      });
    };
  };
  connect();

  const open = (): Promise<WebSocket | null> =>
    ws && ws.readyState === WebSocket.OPEN
      ? Promise.resolve(ws)
      : state === 'gone' || state === 'refused'
        ? Promise.resolve(null)
        : new Promise((resolve) => {
            waiters.push(resolve);
            setTimeout(() => resolve(null), 10_000);
          });

  return {
    async call(method, args, opts) {
      const socket = await open();
      if (!socket || socket.readyState !== WebSocket.OPEN)
        return unavailable(
          state === 'refused'
            ? 'Capsule Studio was restarted; open the URL it printed when it started again'
            : 'the Capsule Studio host is not running; start it again with `npm start`',
        );
      const id = nextId++;
      const signal = opts?.signal;
      if (signal?.aborted) return cancelled(method);
      return new Promise((resolve) => {
        pending.set(id, resolve);
        socket.send(encodeFrame({ kind: 'call', id, method, args }));
        signal?.addEventListener(
          'abort',
          () => {
            if (!pending.has(id)) return;
            pending.delete(id);
            if (socket.readyState === WebSocket.OPEN)
              socket.send(JSON.stringify({ kind: 'cancel', id }));
            resolve(cancelled(method));
          },
          { once: true },
        );
      });
    },
    onEvents(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
  };
}

/** Wraps a transport into the typed connection the models use. */
export function hostConnection(transport: Transport): HostConnection {
  const listeners = new Map<HostEventName, Set<(payload: never) => void>>();
  const batchListeners = new Set<() => void>();
  transport.onEvents((events) => {
    for (const e of events) listeners.get(e.name)?.forEach((l) => l(e.payload as never));
    batchListeners.forEach((l) => l());
  });
  return {
    api: createApi((method, args, opts) => transport.call(method, args, opts)),
    onEvent(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    onBatch(listener) {
      batchListeners.add(listener);
      return () => batchListeners.delete(listener);
    },
    onStatus(listener) {
      return transport.onStatus?.(listener) ?? (() => {});
    },
  };
}

export function connectHost(): HostConnection {
  return hostConnection(
    window.capsule
      ? electronTransport(window.capsule)
      : webSocketTransport(
          `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`,
          `${location.origin}/favicon.ico`,
        ),
  );
}
