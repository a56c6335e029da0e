/**
 * OpenOCD processes tied to the host: they end when the host ends, however it ends.
 *
 * Why: an OpenOCD started for a Debug session or a flash holds the probe (USB) and its ports;
 * one that outlives a crashed or killed studio keeps the probe busy ("probe in use") until the
 * user finds and kills it by hand. Two ties:
 * - on Linux the process is started through util-linux's `setpriv --pdeathsig KILL`, which sets
 *   the kernel's parent-death signal (prctl PR_SET_PDEATHSIG, kept across the exec into
 *   OpenOCD): when the host process dies, even by SIGKILL, the kernel kills OpenOCD;
 * - everywhere, the children still running when the host's process exits normally (quit,
 *   `process.exit`, a handled SIGINT/SIGTERM) get SIGTERM from an `exit` handler.
 * `setpriv` is looked up once on PATH; without it only the exit handler applies.
 *
 * @example
 *   const child = spawnTied(openocdPath, ['-f', 'board.cfg'], { stdio: ['ignore', 'pipe', 'pipe'] });
 *   // child.pid is OpenOCD's own (setpriv execs into it)
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const live = new Set<ChildProcess>();
let exitHooked = false;
let setpriv: string | null | undefined;

function findSetpriv(): string | null {
  if (setpriv !== undefined) return setpriv;
  setpriv = null;
  if (process.platform !== 'linux') return setpriv;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir, 'setpriv');
    try {
      accessSync(p, constants.X_OK);
      setpriv = p;
      break;
    } catch {
      // not here
    }
  }
  return setpriv;
}

function endAll(): void {
  for (const c of live) {
    try {
      c.kill('SIGTERM');
    } catch {
      // already gone
    }
  }
}

/** How the children are tied, for the log and the tests. */
export function tieMethod(): 'parent-death-signal' | 'exit-handler' {
  return findSetpriv() ? 'parent-death-signal' : 'exit-handler';
}

/** `spawn(executable, args, options)`, tied to this process's life (see the header). */
export function spawnTied(
  executable: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  const sp = findSetpriv();
  const child = sp
    ? spawn(sp, ['--pdeathsig', 'KILL', '--', executable, ...args], options)
    : spawn(executable, [...args], options);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', endAll);
  }
  live.add(child);
  const forget = (): void => void live.delete(child);
  child.once('exit', forget);
  child.once('error', forget);
  return child;
}
