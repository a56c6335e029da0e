/**
 * A gdb-multiarch process kept open for a whole run, attached to QEMU's gdbstub only while a
 * stop is examined.
 *
 * The DWARF checks drive QEMU themselves (emulator/node/gdb-client.ts): run to a breakpoint,
 * compute the backtrace and locals with the DWARF reader, close the connection without
 * resuming, then let GDB attach to the same halted machine, print what it computes
 * (tests/dwarf/gdb-dump.py) and disconnect. Commands go through GDB's standard input; each
 * batch ends with an echo of a marker so its output can be cut out.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

export const GDB = 'gdb-multiarch';

export function haveGdb(): boolean {
  return spawnSync(GDB, ['--version'], { encoding: 'utf8' }).status === 0;
}

export interface GdbFrame {
  pc: number;
  name: string | null;
  /** gdb.NORMAL_FRAME 0, INLINE_FRAME 2, SIGTRAMP_FRAME 4... */
  type: number;
  file: string | null;
  line: number;
  vars: { name: string; depth: number; arg: boolean; value: unknown }[];
}

export class GdbSession {
  private out = '';
  /** GDB's warnings and errors, kept apart so they cannot split a line of its standard output. */
  private errors = '';
  private waiters: (() => void)[] = [];
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(kernelElf: string, appElves: string[]) {
    const args = [
      '-nx',
      '-q',
      '-ex',
      'set pagination off',
      '-ex',
      'set confirm off',
      '-ex',
      'set width 0',
    ];
    args.push('-ex', `file ${kernelElf}`);
    for (const app of appElves) args.push('-ex', `add-symbol-file ${app} -o 0`);
    this.child = spawn(GDB, args, { stdio: 'pipe' });
    this.child.stdout.on('data', (d: Buffer) => {
      this.out += d.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.errors += d.toString('utf8');
    });
  }

  private async run(commands: string[], timeoutMs = 60_000): Promise<string> {
    const marker = `@@END${Math.random().toString(36).slice(2)}@@`;
    const start = this.out.length;
    const errorsStart = this.errors.length;
    this.child.stdin.write(`${commands.join('\n')}\necho ${marker}\\n\n`);
    const deadline = Date.now() + timeoutMs;
    while (!this.out.includes(marker, start)) {
      if (Date.now() > deadline)
        throw new Error(
          `gdb did not answer: ${this.out.slice(start)}${this.errors.slice(errorsStart)}`,
        );
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
    const stderr = this.errors.slice(errorsStart);
    return (
      this.out.slice(start, this.out.indexOf(marker, start)) +
      (stderr ? `\n[gdb stderr]\n${stderr}` : '')
    );
  }

  /** Attach to the halted stub, dump frames and locals, detach without resuming. */
  async dump(host: string, port: number): Promise<{ frames: GdbFrame[]; text: string }> {
    const script = join(__dirname, 'gdb-dump.py');
    const text = await this.run([
      `target remote ${host}:${port}`,
      'bt',
      `source ${script}`,
      'disconnect',
    ]);
    const line = text.split('\n').find((l) => l.includes('@@JSON@@'));
    if (!line) throw new Error(`gdb printed no frames:\n${text}`);
    const json = line.slice(line.indexOf('@@JSON@@') + '@@JSON@@'.length);
    return { frames: JSON.parse(json) as GdbFrame[], text: text.replace(/@@JSON@@.*\n/, '') };
  }

  close(): void {
    this.child.stdin.end('quit\n');
    setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
  }
}
