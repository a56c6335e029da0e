/**
 * Before the end-to-end suite: builds the renderer bundle once, exactly as `npm start` would,
 * and bundles the browser-mode host (scripts/bundle.mjs `buildBrowserHost`), which every file's
 * `startStudio` then runs with plain node instead of compiling the host through tsx again.
 */
// @ts-expect-error: plain ES module without type declarations
import { buildRendererIfStale } from '../../scripts/start.mjs';
// @ts-expect-error: plain ES module without type declarations
import { buildBrowserHost } from '../../scripts/bundle.mjs';
import { HOST_BUNDLE_ENV } from './harness';

export default async function setup(): Promise<void> {
  (buildRendererIfStale as () => void)();
  process.env[HOST_BUNDLE_ENV] = await (buildBrowserHost as () => Promise<string>)();
}
