/**
 * Interrupt table: per external interrupt, whether the NVIC enables it, holds it pending or
 * active, its priority, and which peripheral drives the line (from the SVD), built from the
 * NVIC's registers as any debugger reads them.
 *
 * The NVIC registers (ARMv7-M ARM B3.4.3, table B3-8): NVIC_ISERn at 0xE000E100, NVIC_ISPRn at
 * 0xE000E200, NVIC_IABRn at 0xE000E300 (one bit per interrupt, 32 per word), NVIC_IPRn at
 * 0xE000E400 (one byte per interrupt, the implemented priority bits at the top of the byte,
 * B3.4.9). ICTR (0xE000E004) INTLINESNUM tells how many words of them exist (B3.2.2). All are
 * plain state: reading them has no effect, so the table is safe to refresh on any target. On
 * the emulator the level of each line (a level-sensitive peripheral holding it high) comes too.
 *
 * @example
 *   const rows = interruptTable({ iser, ispr, iabr, ipr }, svd, 3, levels);
 *   rows.find((r) => r.irq === 2); // { name: 'UARTE0_UART0', enabled: true, priority: 7, ... }
 */
import type { SvdDevice } from '../../peripherals/nrf/svd';

export const NVIC_ICTR = 0xe000e004;
export const NVIC_ISER = 0xe000e100;
export const NVIC_ISPR = 0xe000e200;
export const NVIC_IABR = 0xe000e300;
export const NVIC_IPR = 0xe000e400;

/** The NVIC's state as read: bit arrays as bytes (little-endian words), priorities one a byte. */
export interface NvicState {
  iser: Uint8Array;
  ispr: Uint8Array;
  iabr: Uint8Array;
  ipr: Uint8Array;
}

export interface InterruptRow {
  irq: number;
  /** The SVD's interrupt name ('UARTE0_UART0'), or IRQn. */
  name: string;
  /** Peripherals whose SVD entry names this interrupt (several share a line on the nRF52). */
  peripherals: string[];
  enabled: boolean;
  pending: boolean;
  active: boolean;
  /** The priority as the group/sub priority value, shifted down to its implemented bits. */
  priority: number;
  /** The IPR byte as read. */
  priorityByte: number;
  /** The line's level (emulator only; null when the target cannot tell). */
  level: boolean | null;
}

const bit = (bytes: Uint8Array, n: number): boolean =>
  ((bytes[n >>> 3] ?? 0) & (1 << (n & 7))) !== 0;

/** How many external interrupts ICTR declares: 32 × (INTLINESNUM + 1) (B3.4.4). */
export function interruptCount(ictr: number): number {
  return 32 * ((ictr & 0xf) + 1);
}

/**
 * The rows for every interrupt the SVD names, plus any other line that is enabled, pending or
 * active (firmware using a line the SVD does not know is worth seeing).
 */
export function interruptTable(
  nvic: NvicState,
  svd: SvdDevice | null,
  priorityBits: number,
  levels: Uint8Array | null,
): InterruptRow[] {
  const named = new Map<number, { name: string; peripherals: string[] }>();
  for (const p of svd?.peripherals ?? [])
    for (const i of p.interrupts) {
      const at = named.get(i.value);
      if (at) {
        if (!at.peripherals.includes(p.name)) at.peripherals.push(p.name);
      } else named.set(i.value, { name: i.name, peripherals: [p.name] });
    }
  const count = Math.min(nvic.ipr.length, nvic.iser.length * 8);
  const rows: InterruptRow[] = [];
  const shift = 8 - Math.max(0, Math.min(8, priorityBits));
  for (let irq = 0; irq < count; irq++) {
    const enabled = bit(nvic.iser, irq);
    const pending = bit(nvic.ispr, irq);
    const active = bit(nvic.iabr, irq);
    const n = named.get(irq);
    if (!n && !enabled && !pending && !active) continue;
    const byte = nvic.ipr[irq] ?? 0;
    rows.push({
      irq,
      name: n?.name ?? `IRQ${irq}`,
      peripherals: n?.peripherals ?? [],
      enabled,
      pending,
      active,
      priority: byte >>> shift,
      priorityByte: byte,
      level: levels !== null && irq < levels.length ? levels[irq] !== 0 : null,
    });
  }
  return rows;
}
