/**
 * Ambient types for the renderer: Vite's client types (asset and `?worker` imports) and the
 * bridge the Electron preload exposes as `window.capsule`.
 */
/// <reference types="vite/client" />
import type { EventsMessage } from '../../main/common/contract';

declare global {
  interface Window {
    capsule?: Record<
      string,
      Record<string, (args: unknown, callId?: number) => Promise<unknown>>
    > & {
      cancel(callId: number): Promise<unknown>;
      onEvents(listener: (message: EventsMessage) => void): () => void;
    };
  }
}
