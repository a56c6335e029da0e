/**
 * A simulated Tock bootloader behind a real pseudo-terminal (socat), for host tests that open
 * the port with `serialport` as they would a board's: the bytes socat hands over go to the
 * `SimulatedBoard`, its answers go back. Stopping socat makes the port vanish, as unplugging
 * a board does.
 *
 * @example
 *   const board = await startPtyBoard(new SimulatedBoard());
 *   const link = await openSerialLink(board.path);
 *   await board.stop();
 */
import { spawn } from 'node:child_process';
import { SimulatedBoard } from '../../debug/tock-bootloader/testing/simulated-board.js';

export interface PtyBoard {
  path: string;
  sim: SimulatedBoard;
  stop(): Promise<void>;
}

export async function startPtyBoard(sim = new SimulatedBoard()): Promise<PtyBoard> {
  const proc = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  proc.stdout!.on('data', (d: Buffer) => {
    void sim.write(new Uint8Array(d)).then(async () => {
      const answer = await sim.read(0);
      if (answer.ok && answer.value.length > 0 && proc.stdin!.writable)
        proc.stdin!.write(Buffer.from(answer.value));
    });
  });
  const path = await new Promise<string>((done, fail) => {
    let err = '';
    proc.once('error', (e) => fail(new Error(`socat: ${e.message} (apt-get install socat)`)));
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /PTY is (\S+)/.exec(err);
      if (m) done(m[1]!);
    });
    proc.once('exit', (code) => fail(new Error(`socat exited (${code}): ${err}`)));
  });
  return {
    path,
    sim,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
