/**
 * nRF52 EGU: the event generator unit, 16 software-triggered events per instance.
 *
 * From the nRF52840 Product Specification, "EGU — Event generator unit": TASKS_TRIGGER[n]
 * (0x000 + 4n, n = 0..15) raises EVENTS_TRIGGERED[n] (0x100 + 4n), which interrupts through
 * INTEN/INTENSET/INTENCLR bit n and is published to the PPI like any event. Firmware and PPI
 * use it for software interrupts and for turning a task into an event. EGU0-5 sit at
 * 0x40014000-0x40019000 and share their IDs (20-25) with SWI0-5. The task/event/interrupt
 * behaviour itself is the shared NrfPeripheral's; this module only maps the 16 channels.
 */
import { type NrfContext, NrfPeripheral } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

/** Number of TRIGGER tasks / TRIGGERED events per EGU. */
export const EGU_CHANNELS = 16;

export const EGU_REGISTERS: readonly RegisterInfo[] = [
  {
    name: 'TASKS_TRIGGER[%s]',
    offset: 0x000,
    access: 'write-only',
    reset: 0,
    dim: { count: EGU_CHANNELS, stride: 4 },
  },
  {
    name: 'EVENTS_TRIGGERED[%s]',
    offset: 0x100,
    access: 'read-write',
    reset: 0,
    dim: { count: EGU_CHANNELS, stride: 4 },
  },
  { name: 'INTEN', offset: 0x300, access: 'read-write', reset: 0 },
  { name: 'INTENSET', offset: 0x304, access: 'read-write', reset: 0 },
  { name: 'INTENCLR', offset: 0x308, access: 'read-write', reset: 0 },
];

export class Egu extends NrfPeripheral {
  protected override readonly intenMask = (1 << EGU_CHANNELS) - 1;

  constructor(name: string, base: number, ctx: NrfContext) {
    super(name, base, ctx);
  }

  protected task(offset: number): void {
    const n = offset >> 2;
    if (n < EGU_CHANNELS) this.generate(n);
  }

  /** Events 16-31 do not exist on the EGU: their registers read 0 and ignore writes. */
  override write(offset: number, size: 1 | 2 | 4, value: number): void {
    const aligned = offset & ~3;
    if (aligned >= 0x100 + 4 * EGU_CHANNELS && aligned < 0x180) return;
    super.write(offset, size, value);
  }

  protected readRegister(_offset: number): number {
    return 0;
  }

  protected writeRegister(_offset: number, _value: number): void {
    // The EGU has no registers beyond tasks, events and interrupt enables.
  }

  protected saveState(): unknown {
    return null;
  }

  protected loadState(_state: unknown): void {
    // Nothing beyond the events and INTEN the base class saves.
  }

  protected resetRegisters(): void {
    // Nothing beyond the events and INTEN the base class resets.
  }
}
