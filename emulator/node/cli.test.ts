/**
 * CLI tests: real images built with GNU as, run through `tsx emulator/node/cli.ts` as a user
 * would; checks output, exit status, the stderr summary line, and every bad-input path
 * (missing file, malformed ELF, wrong architecture, unknown machine, runaway image).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../tests/lockstep/assemble';
import { parseArgs } from './cli';

const HEADER = [
  '.syntax unified',
  '.thumb',
  '.section .vectors, "a"',
  '.word 0x20010000',
  '.word start',
  '.text',
  '.thumb_func',
  'start:',
];

function image(name: string, body: string[]): string {
  const r = assemble(`cli-${name}`, [...HEADER, ...body, '.ltorg', ''].join('\n'));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function cli(...args: string[]) {
  return cliWithin(60_000, ...args);
}

/** The CLI killed after `ms` of wall time (a hang shows as a null status). */
function cliWithin(ms: number, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'emulator/node/cli.ts', ...args], {
    encoding: 'utf8',
    timeout: ms,
    // A host hung inside one instruction never reaches its SIGTERM handler.
    killSignal: 'SIGKILL',
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    last: r.stderr.trim().split('\n').at(-1) ?? '',
  };
}

const tmp = mkdtempSync(join(tmpdir(), 'cli-test-'));

/** UARTE0 on the nRF52840-DK's console pins (TXD P0.06, RXD P0.08), enabled; r0 = its base. */
const UARTE0_SETUP = [
  'ldr r0, =0x40002000',
  'movs r1, #6',
  'str r1, [r0, #0x50c]', // PSEL.TXD = P0.06
  'movs r1, #8',
  'str r1, [r0, #0x514]', // PSEL.RXD = P0.08
  'str r1, [r0, #0x500]', // ENABLE = UARTE
];

describe('emulator CLI', () => {
  it('prints UART output and exits with the semihosting status', () => {
    const elf = image('hello', [
      'ldr r0, =0x40004000',
      'movs r1, #1',
      'str r1, [r0, #8]',
      'movs r1, #0x68',
      'str r1, [r0]',
      'movs r1, #0x69',
      'str r1, [r0]',
      'movs r1, #10',
      'str r1, [r0]',
      'ldr r1, =block',
      'movs r0, #0x20',
      'bkpt 0xab',
      'b .',
      '.align 2',
      'block: .word 0x20026, 3',
    ]);
    const r = cli('--machine', 'mps2-an386', '--semihosting', elf);
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(3);
    expect(r.last).toMatch(/^instructions: \d+, virtual time: [\d.]+ s, MIPS: [\d.]+$/);
  });

  it('stops a runaway image at --max-instructions and at --timeout', () => {
    const elf = image('spin', ['1: adds r0, #1', 'b 1b']);
    const a = cli('--machine', 'mps2-an386', '--max-instructions', '5000', elf);
    expect(a.status).toBe(124);
    expect(a.stderr).toMatch(/--max-instructions 5000 reached/);
    expect(a.last).toMatch(/^instructions: 5000,/);
    const b = cli('--machine', 'mps2-an386', '--timeout', '0.5', elf);
    expect(b.status).toBe(124);
    expect(b.stderr).toMatch(/--timeout 0.5 s reached/);
  });

  it('traces disassembly per instruction on stderr', () => {
    const elf = image('trace', ['movs r0, #5', 'adds r0, #1', 'b .']);
    const r = cli('--machine', 'mps2-an386', '--trace', '--max-instructions', '3', elf);
    const lines = r.stderr.split('\n').filter((l) => /^\s+\d+\s+[0-9a-f]{8}\s/.test(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/movs/i);
  });

  it('reports a BKPT without semihosting as a debug event, not a crash', () => {
    const elf = image('bkpt', ['movs r0, #0x18', 'bkpt 0xab', 'b .']);
    const r = cli('--machine', 'mps2-an386', '--max-instructions', '100000', elf);
    expect([124, 125]).toContain(r.status);
    expect(r.last).toMatch(/^instructions:/);
  });

  it('names the problem for bad input', () => {
    const missing = cli('--machine', 'mps2-an386', join(tmp, 'nope.elf'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);

    const junk = join(tmp, 'junk.elf');
    writeFileSync(junk, 'this is not an ELF file');
    expect(cli('--machine', 'mps2-an386', junk).stderr).toMatch(/bad magic/);

    const truncated = join(tmp, 'truncated.elf');
    writeFileSync(
      truncated,
      Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0]),
    );
    expect(cli('--machine', 'mps2-an386', truncated).stderr).toMatch(/truncated ELF header/);

    const x86 = join(tmp, 'x86.elf');
    const bytes = new Uint8Array(52);
    bytes.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    bytes[18] = 3;
    writeFileSync(x86, bytes);
    const wrong = cli('--machine', 'mps2-an386', x86);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/wrong architecture: x86/);

    const elf = image('nop', ['b .']);
    const unknown = cli('--machine', 'nrf99', elf);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(
      /unknown machine 'nrf99' \(known: mps2-an386, nrf52840dk, microbit-v2\)/,
    );
    expect(cli(elf).stderr).toMatch(/--machine is required/);
    expect(cli('--machine', 'mps2-an386', '--max-instructions', 'lots', elf).stderr).toMatch(
      /positive integer/,
    );
  });

  it('loads several files as one image on the nRF boards and refuses bad ones by name', () => {
    const elf = image('nrf-uart', [
      // UARTE0: TX on P0.06, ENABLE = 8, TXD.PTR = a RAM buffer holding "ok\n", MAXCNT 3, STARTTX, wait ENDTX.
      'ldr r0, =0x40002000',
      'movs r1, #6', // PSEL.TXD = P0.06, the DK's console TX
      'str r1, [r0, #0x50c]',
      'movs r1, #8',
      'str r1, [r0, #0x500]',
      'ldr r2, =0x20000000',
      'ldr r1, =0x000a6b6f',
      'str r1, [r2]',
      'str r2, [r0, #0x544]',
      'movs r1, #3',
      'str r1, [r0, #0x548]',
      'movs r1, #1',
      'str r1, [r0, #8]',
      '1: ldr r1, [r0, #0x120]',
      'cmp r1, #0',
      'beq 1b',
      'ldr r1, =0x40000',
      'ldr r1, [r1]', // the word apps.bin put at 0x40000
      'ldr r3, =0x5a5a5a5a',
      'cmp r1, r3',
      'bne .',
      'movs r1, #1',
      'str r1, [r0, #8]', // send "ok\n" again when the binary is there
      'b .',
    ]);
    const bin = join(tmp, 'apps.bin');
    writeFileSync(bin, new Uint8Array(16).fill(0x5a));
    const r = cli(
      '--machine',
      'nrf52840dk',
      '--pace',
      'fast',
      '--virtual-timeout',
      '0.01',
      elf,
      `${bin}@0x40000`,
    );
    expect(r.stdout).toBe('ok\nok\n');
    expect(r.status).toBe(124);
    expect(r.stderr).toMatch(/--virtual-timeout 0.01 s reached/);

    // The access log names each register from the chip's SVD.
    const traced = cli(
      '--machine',
      'nrf52840dk',
      '--pace',
      'fast',
      '--trace-mmio',
      '--max-instructions',
      '200',
      elf,
      `${bin}@0x40000`,
    );
    expect(traced.stderr).toMatch(/W32 UARTE0\.PSEL\.TXD \(0x4000250c\) <= 0x6/);
    expect(traced.stderr).toMatch(/W32 UARTE0\.TASKS_STARTTX \(0x40002008\) <= 0x1/);
    expect(traced.stderr).toMatch(/R32 UARTE0\.EVENTS_ENDTX \(0x40002120\) => 0x/);

    const big = join(tmp, 'big.bin');
    writeFileSync(big, new Uint8Array(0x80001));
    const tooBig = cli('--machine', 'microbit-v2', `${big}@0`);
    expect(tooBig.status).toBe(2);
    // Refused before it is read: more than the memory it is loaded into can hold.
    expect(tooBig.stderr).toMatch(
      /big\.bin is 524289 bytes: more than microbit-v2's flash at 0x00000000 holds \(524288 bytes\)/,
    );
    const overlap = cli('--machine', 'nrf52840dk', '--max-instructions', '10', elf, `${bin}@0x8`);
    expect(overlap.status).toBe(124);
    expect(overlap.stderr).toMatch(
      /\[emulator\] .*apps\.bin overwrites \d+ byte\(s\) of .*nrf-uart.* segment 0 at 0x00000008-/,
    );
    expect(cli('--machine', 'nrf52840dk', `${bin}@lots`).stderr).toMatch(/bad load address in/);
    expect(cli('--machine', 'nrf52840dk', bin).stderr).toMatch(/raw binary needs a load address/);
    expect(cli('--machine', 'nrf52840dk', '--press', 'BUTTON9@1', elf).stderr).toMatch(
      /no button 'BUTTON9' \(buttons: BUTTON1, BUTTON2, BUTTON3, BUTTON4\)/,
    );
    expect(cli('--machine', 'nrf52840dk', '--press', 'soon', elf).stderr).toMatch(
      /--press needs BUTTON@SECONDS/,
    );
  }, 120_000); // several CLI runs, each starting tsx: ~26 s alone, over 30 s under load

  // Issue 12: the dual timer in periodic 32-bit mode with LOAD >= 0x80000000 rescheduled its
  // expiry at the present cycle for ever, inside one instruction: no limit could stop it.
  it('runs the dual-timer image that used to hang the host, and stops at its limits', () => {
    const hang = 'tests/fixtures/reliability/dualtimer-hang.bin';
    const a = cliWithin(
      20_000,
      '--machine',
      'mps2-an386',
      '--max-instructions',
      '200000',
      `${hang}@0`,
    );
    expect(a.status, a.stderr).toBe(124);
    expect(a.stderr).toMatch(/--max-instructions 200000 reached/);
    expect(a.last).toMatch(/^instructions: 200000,/);
    const b = cliWithin(20_000, '--machine', 'mps2-an386', '--timeout', '0.5', `${hang}@0`);
    expect(b.status, b.stderr).toBe(124);
    expect(b.stderr).toMatch(/--timeout 0.5 s reached/);
  });

  // Issue 12: /dev/zero@0 grew to 3.6 GB and a FIFO blocked for ever.
  it('refuses image files that are not regular files, without reading them', () => {
    const zero = cliWithin(20_000, '--machine', 'nrf52840dk', '/dev/zero@0');
    expect(zero.status, zero.stderr).toBe(2);
    expect(zero.stderr).toMatch(/\/dev\/zero is a character device, not a regular file/);
    const fifo = join(tmp, 'image.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const blocked = cliWithin(20_000, '--machine', 'nrf52840dk', `${fifo}@0`);
    expect(blocked.status, blocked.stderr).toBe(2);
    expect(blocked.stderr).toMatch(/image\.fifo is a FIFO \(named pipe\), not a regular file/);
    const dir = cliWithin(20_000, '--machine', 'mps2-an386', tmp);
    expect(dir.status, dir.stderr).toBe(2);
    expect(dir.stderr).toMatch(/is a directory, not a regular file/);
  });

  it('refuses an image file larger than the machine can hold before reading it', () => {
    // Sparse: 5 GiB on paper, nothing on disk.
    const huge = join(tmp, 'huge.bin');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, 5 * 2 ** 30);
    closeSync(fd);
    const raw = cliWithin(20_000, '--machine', 'nrf52840dk', `${huge}@0`);
    expect(raw.status, raw.stderr).toBe(2);
    expect(raw.stderr).toMatch(
      /huge\.bin is 5368709120 bytes: more than nrf52840dk's flash at 0x00000000 holds \(1048576 bytes\)/,
    );
    const elf = cliWithin(20_000, '--machine', 'microbit-v2', huge);
    expect(elf.status, elf.stderr).toBe(2);
    expect(elf.stderr).toMatch(
      /huge\.bin is 5368709120 bytes: larger than any image for microbit-v2/,
    );
  });

  // Issue 12: '@1e3' was taken as address 1000; the documented forms are hex and decimal.
  it('takes only hexadecimal or decimal integers as load addresses', () => {
    const bin = join(tmp, 'four.bin');
    writeFileSync(bin, new Uint8Array(4));
    for (const bad of [
      '1e3',
      '0b100',
      '0o17',
      ' 0x40',
      '1_000',
      '0x',
      '+16',
      '0x1.8',
      'Infinity',
    ]) {
      const r = parseArgs(['--machine', 'mps2-an386', `${bin}@${bad}`]);
      expect(r.ok || r.error, bad).toMatch(/bad load address in/);
    }
    const good = parseArgs(['--machine', 'mps2-an386', `${bin}@0x40000`, `${bin}@4096`]);
    expect(good.ok && good.value.images.map((i) => i.address)).toEqual([0x40000, 4096]);
    // And end to end: the CLI says so and runs nothing.
    const e = cli('--machine', 'mps2-an386', '--max-instructions', '10', `${bin}@1e3`);
    expect(e.status).toBe(2);
    expect(e.stderr).toMatch(/bad load address in '.*four\.bin@1e3'/);
    const ok = cli(
      '--machine',
      'mps2-an386',
      '--max-instructions',
      '10',
      `${bin}@0x40`,
      `${bin}@4096`,
    );
    expect(ok.stderr).not.toMatch(/bad load address/);
    expect([124, 125], ok.stderr).toContain(ok.status);
  });

  it('bridges the console UART to a pseudo-terminal with --uart-pty', async () => {
    // Echo: receive one byte by EasyDMA, send it back, forever.
    const elf = image('nrf-echo', [
      ...UARTE0_SETUP,
      'ldr r2, =0x20000100',
      'movs r3, #1',
      '1: str r2, [r0, #0x534]', // RXD.PTR
      'str r3, [r0, #0x538]', // RXD.MAXCNT = 1
      'movs r1, #0',
      'str r1, [r0, #0x110]', // EVENTS_ENDRX = 0
      'str r3, [r0, #0]', // STARTRX
      '2: ldr r1, [r0, #0x110]',
      'cmp r1, #0',
      'beq 2b',
      'str r2, [r0, #0x544]', // TXD.PTR
      'str r3, [r0, #0x548]', // TXD.MAXCNT = 1
      'movs r1, #0',
      'str r1, [r0, #0x120]', // EVENTS_ENDTX = 0
      'str r3, [r0, #8]', // STARTTX
      '3: ldr r1, [r0, #0x120]',
      'cmp r1, #0',
      'beq 3b',
      'b 1b',
    ]);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'emulator/node/cli.ts',
        '--machine',
        'nrf52840dk',
        '--uart-pty',
        '--timeout',
        '20',
        elf,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let err = '';
      const path = await new Promise<string>((res, rej) => {
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /console UART on (\/dev\/\S+)/.exec(err);
          if (m) res(m[1]!);
        });
        child.on('exit', () => rej(new Error(`CLI exited: ${err}`)));
      });
      const fd = openSync(path, 'r+');
      const tty = new ReadStream(fd);
      tty.setRawMode(true);
      let echoed = '';
      const got = new Promise<void>((res) =>
        tty.on('data', (d: Buffer) => {
          echoed += d.toString();
          if (echoed.includes('hello')) res();
        }),
      );
      writeSync(fd, 'hello');
      await got;
      tty.destroy();
      expect(echoed).toBe('hello');
    } finally {
      child.kill();
    }
  });
});

/**
 * nRF52840 echo that sleeps until a byte arrives: UARTE0 receives one byte by EasyDMA with
 * ENDRX's interrupt enabled (`armed`) or not, the core waits in WFI with nothing scheduled,
 * and the handler echoes the byte and re-arms; 'q' exits through semihosting.
 */
function sleepingEcho(armed: boolean): string {
  const src = [
    '.syntax unified',
    '.thumb',
    '.section .vectors, "a"',
    '.word 0x20010000',
    '.word start',
    '.rept 16',
    '.word fault',
    '.endr',
    '.word uarte0', // IRQ 2: UARTE0
    '.text',
    '.thumb_func',
    'start:',
    ...UARTE0_SETUP,
    'ldr r2, =0x20000100',
    'movs r3, #1',
    'str r2, [r0, #0x534]', // RXD.PTR
    'str r3, [r0, #0x538]', // RXD.MAXCNT = 1
    `movs r1, #${armed ? 0x10 : 0}`,
    'str r1, [r0, #0x304]', // INTENSET: ENDRX
    'ldr r4, =0xe000e100',
    'movs r1, #4',
    'str r1, [r4]', // NVIC ISER0: IRQ 2
    'str r3, [r0, #0]', // STARTRX
    'cpsie i',
    '1: wfi',
    'b 1b',
    '.thumb_func',
    'uarte0:',
    'ldr r0, =0x40002000',
    'movs r1, #0',
    'str r1, [r0, #0x110]', // EVENTS_ENDRX = 0
    'ldr r2, =0x20000100',
    'ldrb r1, [r2]',
    'cmp r1, #0x71', // 'q'
    'beq 3f',
    'movs r3, #1',
    'str r2, [r0, #0x544]', // TXD.PTR
    'str r3, [r0, #0x548]', // TXD.MAXCNT = 1
    'movs r1, #0',
    'str r1, [r0, #0x120]', // EVENTS_ENDTX = 0
    'str r3, [r0, #8]', // STARTTX
    '2: ldr r1, [r0, #0x120]',
    'cmp r1, #0',
    'beq 2b',
    'str r3, [r0, #0]', // STARTRX: the next byte
    'bx lr',
    '3: movs r0, #0x18', // SYS_EXIT
    'ldr r1, =0x20026', // ADP_Stopped_ApplicationExit
    'bkpt 0xab',
    'b .',
    '.thumb_func',
    'fault: b .',
    '.ltorg',
    '',
  ].join('\n');
  const r = assemble(`cli-sleeping-echo-${armed ? 'armed' : 'unarmed'}`, src);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat (12 and 13 after "pid (comm) ").
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

describe('emulator CLI waiting for input (issue 14 item 3)', () => {
  const args = (elf: string) => [
    '--import',
    'tsx',
    'emulator/node/cli.ts',
    '--machine',
    'nrf52840dk',
    '--semihosting',
    '--timeout',
    '60',
    elf,
  ];

  it('stays alive at near-zero CPU while stdin is open and the UART is armed; input wakes it', async () => {
    const child = spawn(process.execPath, args(sleepingEcho(true)), {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      // The CLI says once when the board starts waiting for input (start-up is over by then).
      for (let i = 0; i < 600 && !/waiting for console input/.test(err); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(err).toMatch(/\[emulator\] [\d.]+ s: asleep, waiting for console input\n/);
      expect(child.exitCode, `the CLI exited while waiting for input: ${err}`).toBe(null);
      const before = cpuSeconds(child.pid!);
      await new Promise((r) => setTimeout(r, 2000));
      const used = cpuSeconds(child.pid!) - before;
      // Asleep waiting for input: no slices run (a busy loop would use ~2 s of CPU here).
      expect(used).toBeLessThan(0.5);
      expect(child.exitCode).toBe(null);
      child.stdin.write('hi');
      for (let i = 0; i < 200 && out !== 'hi'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toBe('hi');
      child.stdin.write('q');
      expect(await exited).toBe(0);
      expect(err).not.toMatch(/nothing left that could wake it/);
    } finally {
      child.kill();
    }
  });

  it('ends as idle once stdin closes, and at once when the UART cannot wake the core', async () => {
    // stdin from /dev/null: end of input, so nothing the host can send will come.
    const closed = spawnSync(process.execPath, args(sleepingEcho(true)), {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(closed.status).toBe(125);
    expect(closed.stderr).toMatch(/asleep \(WFI\/WFE\) with nothing left that could wake it/);
    // stdin open but ENDRX's interrupt disabled: no byte can wake the core.
    const child = spawn(process.execPath, args(sleepingEcho(false)), {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    child.stdin.destroy();
    expect(code).toBe(125);
    expect(err).toMatch(/nothing left that could wake it/);
  });
});
