/**
 * A browser-mode host in its own process, for the suites that must measure it from outside
 * (memory under a hostile client) or that could take it down (the fuzz suite).
 *
 * It composes the host exactly as `main/host/cli.ts` does (crash guard, createHost,
 * startBrowserServer on 127.0.0.1, port 0) and answers two messages on its IPC channel: `mem` (collect garbage, then
 * report process.memoryUsage()) and `stop`. Start it with `fork(..., { execArgv: ['--import',
 * 'tsx', '--expose-gc'] })`; it sends `{ ready: { port, url, token } }` once it listens.
 *
 * @example
 *   const child = fork('tests/host/host-process.ts', [projectDir, recoveryDir], { execArgv });
 */
import path from 'node:path';
import { installCrashGuard } from '../../main/host/guard';
import { createHost } from '../../main/host/host';
import { startBrowserServer } from '../../main/host/server';

const [projectDir, recoveryDir, staticDir] = process.argv.slice(2);
if (!projectDir || !recoveryDir || !process.send) {
  console.error('usage: fork(host-process.ts, [projectDir, recoveryDir, staticDir?])');
  process.exit(2);
}
installCrashGuard((line) => console.error(line));

const host = createHost({
  projectRoot: projectDir,
  appRoot: path.resolve(import.meta.dirname, '..', '..'),
  transport: 'browser',
  recoveryDir,
});
const server = await startBrowserServer({
  host,
  staticDir: staticDir ?? path.join(projectDir, 'no-ui'),
  port: 0,
});
const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (msg: unknown) => {
  if (msg === 'mem') {
    gc?.();
    gc?.();
    process.send!({ mem: process.memoryUsage() });
  } else if (msg === 'stop') {
    host.dispose();
    void server.close().then(() => process.exit(0));
  }
});
process.send({ ready: { port: server.port, url: server.url, token: server.token } });
