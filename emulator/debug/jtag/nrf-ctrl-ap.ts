/**
 * The nRF52's CTRL-AP: Nordic's own access port (AP #1), which works even while access port
 * protection locks the AHB-AP, so a locked chip can be erased and recovered.
 *
 * nRF52840 PS "CTRL-AP — Control access port" (same on the nRF52833):
 * - RESET 0x000 (read-write): 1 holds the device in reset (a soft reset; debug logic is not
 *   reset), 0 releases it.
 * - ERASEALL 0x004 (write): writing 1 starts an erase of all flash, then RAM, then UICR ("a
 *   secure erase ... the device will be returned to factory default settings upon next
 *   reset"). Reads back what was written.
 * - ERASEALLSTATUS 0x008 (read): 1 while the erase runs, 0 when ready. The emulated erase is
 *   done when the write that starts it completes, so it reads 0 from then on.
 * - APPROTECTSTATUS 0x00C (read): 0 access port protection is enabled, 1 it is not.
 * - IDR 0x0FC (read): 0x02880000, the identification OpenOCD's `nrf52_recover` checks.
 * Other addresses read 0 and ignore writes.
 *
 * @example
 *   const ctrl = new NrfCtrlAp({ protectedNow: () => false, eraseAll, holdReset });
 */
import type { AccessPort } from './jtag-dp';

/** What the CTRL-AP acts on. */
export interface NrfCtrlChip {
  /** Access port protection in force now. */
  protectedNow(): boolean;
  /** Erase flash, RAM and UICR (ERASEALL). */
  eraseAll(): void;
  /** Hold the device in reset (true) or release it (false). */
  holdReset(held: boolean): void;
}

export const CTRL_AP_REG = {
  RESET: 0x000,
  ERASEALL: 0x004,
  ERASEALLSTATUS: 0x008,
  APPROTECTSTATUS: 0x00c,
  IDR: 0x0fc,
} as const;

export const CTRL_AP_IDR = 0x02880000;

export class NrfCtrlAp implements AccessPort {
  readonly name = 'CTRL-AP';
  private reset = 0;
  private eraseall = 0;
  /** ERASEALL operations performed, for tests and logs. */
  erasures = 0;

  constructor(private readonly chip: NrfCtrlChip) {}

  read(address: number): number {
    switch (address) {
      case CTRL_AP_REG.RESET:
        return this.reset;
      case CTRL_AP_REG.ERASEALL:
        return this.eraseall;
      case CTRL_AP_REG.ERASEALLSTATUS:
        return 0;
      case CTRL_AP_REG.APPROTECTSTATUS:
        return this.chip.protectedNow() ? 0 : 1;
      case CTRL_AP_REG.IDR:
        return CTRL_AP_IDR;
      default:
        return 0;
    }
  }

  write(address: number, value: number): boolean {
    if (address === CTRL_AP_REG.RESET) {
      const held = (value & 1) === 1;
      if (held !== (this.reset === 1)) this.chip.holdReset(held);
      this.reset = held ? 1 : 0;
    } else if (address === CTRL_AP_REG.ERASEALL) {
      this.eraseall = value & 1;
      if (this.eraseall === 1) {
        this.chip.eraseAll();
        this.erasures++;
      }
    }
    return true;
  }
}
