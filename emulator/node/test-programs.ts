/**
 * Small firmware for the session, runner and debug-access tests, assembled with GNU as
 * (tests/lockstep/assemble.ts: an assembler independent of our decoder, cached by content).
 *
 * @example
 *   const elf = program('spin', ['1: adds r0, #1', 'b 1b']); // bytes of an mps2-an386 ELF
 *   const echo = mps2Echo(true);
 */
import { readFileSync } from 'node:fs';
import { assemble } from '../../tests/lockstep/assemble';
import { parseElf } from '../formats/elf';

/**
 * An ELF whose vector table holds the initial SP and `start` and, after them, `vectors` (one
 * symbol per entry from exception 2 on), followed by `body` (which defines `start`).
 */
export function program(name: string, body: string[], vectors: string[] = []): Uint8Array {
  const source = [
    '.syntax unified',
    '.thumb',
    '.section .vectors, "a"',
    '.word 0x20010000',
    '.word start',
    ...vectors.map((v) => `.word ${v}`),
    '.text',
    '.thumb_func',
    'start:',
    ...body,
    '.ltorg',
    '',
  ].join('\n');
  const r = assemble(`test-${name}`, source);
  if (!r.ok) throw new Error(r.error);
  return new Uint8Array(readFileSync(r.value));
}

/**
 * Vector entries from exception 2 (NMI) up to and including `exception` (15 SysTick, 16 + n
 * IRQ n): `handler` for that one, `fault` (which the program defines) for the others.
 */
export function vectorsUpTo(exception: number, handler: string): string[] {
  return [...Array.from({ length: exception - 2 }, () => 'fault'), handler];
}

/**
 * mps2-an386 echo through UART0's RX interrupt (or, without `rxInterrupt`, a receiver that
 * cannot wake the core): sleeps in WFI with nothing scheduled, reading a RAZ/WI placeholder
 * block QEMU also leaves unimplemented (its reads are counted) each time it wakes; the handler
 * takes each byte from DATA and echoes it; 'q' exits through semihosting.
 */
export function mps2Echo(rxInterrupt: boolean): Uint8Array {
  return program(
    `mps2-echo-${rxInterrupt ? 'irq' : 'polled'}`,
    [
      'ldr r0, =0x40004000',
      `movs r1, #${rxInterrupt ? 0x0b : 0x03}`, // CTRL: TX_EN | RX_EN (| RX_INTEN)
      'str r1, [r0, #8]',
      'ldr r2, =0xe000e100',
      'movs r1, #1',
      'str r1, [r2]', // NVIC ISER0: IRQ 0
      'ldr r3, =0x40020000', // PL022 SPI: a placeholder
      'cpsie i',
      '1: ldr r1, [r3]',
      'wfi',
      'b 1b',
      '.thumb_func',
      'uart0_rx:',
      'ldr r0, =0x40004000',
      'movs r2, #2',
      'str r2, [r0, #12]', // INTCLEAR: RX
      'ldr r1, [r0]', // DATA
      'cmp r1, #0x71', // 'q'
      'beq 2f',
      'str r1, [r0]',
      'bx lr',
      '2: movs r0, #0x18', // SYS_EXIT
      'ldr r1, =0x20026', // ADP_Stopped_ApplicationExit
      'bkpt 0xab',
      'b .',
      '.thumb_func',
      'fault: b .',
    ],
    vectorsUpTo(16, 'uart0_rx'),
  );
}

/** SysTick set to interrupt every millisecond at 25 MHz (mps2-an386), the handler returning. */
export const SYSTICK_1MS = [
  'ldr r0, =0xe000e010',
  'ldr r1, =24999',
  'str r1, [r0, #4]', // RVR
  'movs r1, #7', // ENABLE | TICKINT | CLKSOURCE
  'str r1, [r0]',
];

/** An nRF52 ELF (vector table with SP and `start`, then `body`, which `start` begins). */
export function nrfProgram(name: string, body: string[]): Uint8Array {
  const source = [
    '.syntax unified',
    '.thumb',
    '.section .vectors, "a"',
    '.word 0x20010000',
    '.word start',
    '.text',
    '.global start',
    '.thumb_func',
    'start:',
    ...body,
    '.ltorg',
    '',
  ].join('\n');
  const r = assemble(`nrf-${name}`, source);
  if (!r.ok) throw new Error(r.error);
  return new Uint8Array(readFileSync(r.value));
}

/** The address of a global symbol of an ELF (Thumb bit cleared). */
export function symbolOf(elf: Uint8Array, name: string): number {
  const s = parseElf(elf).symbols.find((x) => x.name === name);
  if (!s) throw new Error(`no symbol ${name}`);
  return s.value & ~1;
}

/**
 * nRF52840 legacy UART0 writer: enables the UART (ENABLE = 4 at `enable_store`), starts TX,
 * then for ever writes 'A' to TXD (`txd_store`) and reads EVENTS_TXDRDY (`txdrdy_load`).
 */
let uartWriter: Uint8Array | null = null;
export function nrfUartWriter(): Uint8Array {
  return (uartWriter ??= nrfProgram('uart-writer', [
    'ldr r0, =0x40002000',
    'movs r1, #6',
    'str r1, [r0, #0x50c]', // PSEL.TXD
    'movs r1, #4',
    '.global enable_store',
    'enable_store:',
    'str r1, [r0, #0x500]', // ENABLE = UART
    'movs r1, #1',
    'str r1, [r0, #8]', // TASKS_STARTTX
    'loop:',
    'movs r1, #0x41',
    '.global txd_store',
    'txd_store:',
    'str r1, [r0, #0x51c]', // TXD
    '.global txdrdy_load',
    'txdrdy_load:',
    'ldr r2, [r0, #0x11c]', // EVENTS_TXDRDY
    'movs r3, #50',
    '1: subs r3, #1',
    'bne 1b',
    'b loop',
  ]));
}
