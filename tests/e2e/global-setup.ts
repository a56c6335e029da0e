/**
 * Builds the renderer bundle once before the end-to-end suite, exactly as `npm start` would.
 */
// @ts-expect-error: plain ES module without type declarations
import { buildRendererIfStale } from '../../scripts/start.mjs';

export default function setup(): void {
  (buildRendererIfStale as () => void)();
}
