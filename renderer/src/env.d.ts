/**
 * Ambient types for the renderer: Vite's client types (asset and `?worker` imports) and the
 * bridge the Electron preload exposes as `window.capsule`.
 */
/// <reference types="vite/client" />
import type { EventMessage } from '../../main/common/contract';

declare global {
  interface Window {
    capsule?: Record<string, Record<string, (args: unknown) => Promise<unknown>>> & {
      onEvent(listener: (message: EventMessage) => void): () => void;
    };
  }
}
