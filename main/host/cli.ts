/**
 * Browser-mode entry point: opens a project, serves the UI on 127.0.0.1 and prints the URL.
 *
 * `npm start` runs this when Electron's binary is absent. The project defaults to the bundled
 * sample (the kernel workspace). `CAPSULE_NO_BROWSER=1` (or `--no-browser`) stops it from
 * opening a browser; the URL, which carries the per-launch token, is printed either way.
 * `CAPSULE_PORT` picks a fixed port (default: a free one); `CAPSULE_BUILDER_SCRIPT` replaces
 * scripts/kernel.mjs with a script of the same contract (the shell's tests use it). The crash
 * guard is installed first: an exception that slips past the handlers is logged, not fatal.
 *
 * @example
 *   node --import tsx main/host/cli.ts [project-dir] [--port 8080] [--no-browser]
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCrashGuard } from './guard.js';
import { createHost } from './host.js';
import { startBrowserServer } from './server.js';

export const APP_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface CliArgs {
  project: string;
  port: number;
  openBrowser: boolean;
}

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv): CliArgs | string {
  let project: string | undefined;
  let port = Number(env.CAPSULE_PORT ?? 0);
  let openBrowser = !['1', 'true', 'yes'].includes((env.CAPSULE_NO_BROWSER ?? '').toLowerCase());
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-browser') openBrowser = false;
    else if (a === '--port') port = Number(argv[++i]);
    else if (a.startsWith('--')) return `unknown option ${a}`;
    else if (project === undefined) project = a;
    else return `more than one project folder given (${project}, ${a})`;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return 'port must be an integer 0..65535';
  return {
    project: path.resolve(project ?? env.CAPSULE_PROJECT ?? path.join(APP_ROOT, 'kernel')),
    port,
    openBrowser,
  };
}

/**
 * The access token of a host on a fixed port: kept (readable by the user only) under the cache
 * folder per project and port, so that a page left open while Capsule Studio restarts on the
 * same project and port is accepted again and reconnects. With a free port (the default) the
 * address changes on restart anyway, and each start gets a fresh token.
 */
export function tokenFor(
  project: string,
  port: number,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (port === 0) return undefined;
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(cache, 'capsule-studio', 'tokens');
  const key = createHash('sha256').update(path.resolve(project)).digest('hex').slice(0, 16);
  const file = path.join(dir, `${key}-${port}`);
  try {
    const saved = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{32,}$/.test(saved)) return saved;
  } catch {
    // No token yet for this project and port.
  }
  const token = randomBytes(24).toString('base64url');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, token, { mode: 0o600 });
    chmodSync(file, 0o600);
  } catch {
    // Without a place to keep it the token still works for this run.
  }
  return token;
}

function openInBrowser(url: string): void {
  const cmd =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => console.log(`(could not start ${cmd}; open the URL above yourself)`));
    child.unref();
  } catch {
    console.log('(could not open a browser; open the URL above yourself)');
  }
}

async function main(): Promise<void> {
  installCrashGuard((line) => console.error(line));
  const args = parseCliArgs(process.argv.slice(2), process.env);
  if (typeof args === 'string') {
    console.error(`capsule-studio: ${args}`);
    process.exit(2);
  }
  if (!existsSync(args.project) || !statSync(args.project).isDirectory()) {
    console.error(`capsule-studio: project folder ${args.project} does not exist`);
    process.exit(2);
  }
  const host = createHost({
    projectRoot: args.project,
    appRoot: APP_ROOT,
    transport: 'browser',
    // Run and Debug take an emulator worker started ahead (its modules already loaded).
    debug: { spareWorker: true },
    // For the shell's own tests: a stand-in builder with kernel.mjs's command-line contract.
    ...(process.env.CAPSULE_BUILDER_SCRIPT
      ? { builderScript: path.resolve(process.env.CAPSULE_BUILDER_SCRIPT) }
      : {}),
  });
  const info = await host.api.project.info({});
  if (info.ok && info.value.problem) console.warn(`capsule-studio: ${info.value.problem}`);
  const token = tokenFor(args.project, args.port, process.env);
  const server = await startBrowserServer({
    host,
    staticDir: path.join(APP_ROOT, 'dist', 'renderer'),
    port: args.port,
    ...(token ? { token } : {}),
  });
  console.log(`Capsule Studio (browser mode) is serving ${args.project}`);
  console.log(`Open: ${server.url}`);
  if (args.openBrowser) openInBrowser(server.url);
  else console.log('(CAPSULE_NO_BROWSER is set: not opening a browser)');
  const stop = async (): Promise<void> => {
    host.dispose();
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  void main();
