/**
 * A host stand-in for openocd-process.test.ts: starts `sleep 300` tied to itself, prints the
 * sleeper's pid, then waits to be killed (argv "wait") or exits on its own (argv "exit").
 *
 * @example
 *   node --import tsx main/host/testing/tied-child.ts wait
 */
import { spawnTied } from '../openocd-process';

const child = spawnTied('sleep', ['300'], { stdio: 'ignore' });
child.once('spawn', () => {
  process.stdout.write(`${child.pid}\n`);
  if (process.argv[2] === 'exit') setTimeout(() => process.exit(0), 100);
  else setInterval(() => {}, 1000);
});
