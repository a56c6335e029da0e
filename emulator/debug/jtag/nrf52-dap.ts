/**
 * The emulated nRF52's debug access port as a JTAG target: TAP, JTAG-DP, AHB-AP (AP #0) onto
 * the chip's system bus, and Nordic's CTRL-AP (AP #1), wired to an emulator session.
 *
 * The AHB-AP is a bus master beside the CPU (ADIv5 "MEM-AP"; Cortex-M4 TRM "AHB-AP"): its
 * transfers reach memory and peripherals as the CPU's do, without the MPU, and with the
 * effects a read or write has on the silicon (writes into flash go through the NVMC, a read of
 * DHCSR clears its sticky bits). An address nothing answers is a bus error: STICKYERR.
 *
 * Access port protection (nRF52840 PS "Access port protection"; "UICR APPROTECT"): the
 * protection state is taken from UICR.APPROTECT.PALL at each reset, 0x00 meaning enabled;
 * while enabled the AHB-AP refuses every transfer (CSW.DeviceEn reads 0) and only the CTRL-AP
 * answers. CTRL-AP ERASEALL erases flash, RAM and UICR and lifts the protection (the erased
 * UICR no longer enables it). Not modelled: the hardened APPROTECT of newer revisions (the
 * APPROTECT.DISABLE register firmware writes at boot), which would lock our kernel, built
 * without that write, at every reset.
 *
 * Reset sources a debugger uses: SRST (the chip's reset pin, remote_bitbang's 'r'..'u'), the
 * CTRL-AP's RESET register, and AIRCR.SYSRESETREQ through the AHB-AP (the core's own path).
 * While SRST or CTRL-AP RESET is held the chip stays in reset and the core does not run.
 *
 * @example
 *   const dap = new Nrf52Dap(nrf52ChipOf(session));
 *   socket.on('data', (b) => socket.write(dap.bitbang.feed(b).reply));
 */
import { BusErrorSignal } from '../../core/interfaces';
import type { CortexM } from '../../core/cortex-m';
import { err, ok, type Result } from '../../core/result';
import { nrf52Of } from '../../machines/nrf52';
import type { EmulatorSession } from '../../session/session';
import { JtagDp } from './jtag-dp';
import { MemAp, type SystemBusPort } from './mem-ap';
import { NrfCtrlAp } from './nrf-ctrl-ap';
import { RemoteBitbang } from './remote-bitbang';
import { JtagTap } from './tap';

/**
 * IDCODE of the JTAG-DP: ARM's JTAG-DP (part 0xBA00, designer ARM 0x23B) at version 4, the
 * value the Cortex-M4's SWJ-DP reports over JTAG (Cortex-M4 TRM "JTAG-DP"). OpenOCD's
 * configuration (resources/openocd/emulated-nrf52.cfg) expects it.
 */
export const NRF52_JTAG_IDCODE = 0x4ba00477;

/** UICR.APPROTECT address and its PALL value that enables protection. */
export const UICR_APPROTECT = 0x10001208;
const PALL_ENABLED = 0x00;

/** What the DAP needs of the emulated chip. */
export interface Nrf52DapChip {
  readonly core: CortexM;
  /** A reset of the chip (pin: SRST; sreq: soft reset, as CTRL-AP RESET). */
  reset(reason: 'pin' | 'sreq'): void;
  /** CTRL-AP ERASEALL: flash and UICR erased, RAM cleared. */
  eraseAll(): void;
  /** Listen for resets of the chip from any source; returns the unsubscribe function. */
  onReset(listener: () => void): () => void;
}

export class Nrf52Dap {
  readonly tap: JtagTap;
  readonly dp: JtagDp;
  readonly memAp: MemAp;
  readonly ctrlAp: NrfCtrlAp;
  readonly bitbang: RemoteBitbang;
  private protection: boolean;
  private srstHeld = false;
  private ctrlResetHeld = false;
  private readonly unsubscribe: () => void;
  /** Called when something the run loop waits on changed (reset released, core resumed). */
  onChange: () => void = () => undefined;

  /**
   * `runLoop`: a run loop drives the core (the remote_bitbang server's host) and takes a halt
   * request at its next slice, woken by `onChange`. Without one (the DAP alone, in tests) the
   * DAP completes the halt itself.
   */
  constructor(
    private readonly chip: Nrf52DapChip,
    options: { runLoop?: boolean } = {},
  ) {
    const completeHalts = options.runLoop !== true;
    const core = chip.core;
    const bus: SystemBusPort = {
      read: (address, size) => {
        try {
          return core.bus.read(address, size);
        } catch (e) {
          if (e instanceof BusErrorSignal) return null;
          throw e;
        }
      },
      write: (address, size, value) => {
        try {
          core.bus.write(address, size, value);
          // The DAP acts between instructions: a halt it requests (DHCSR.C_HALT) is complete
          // before its next transfer, as on silicon where it takes a few cycles.
          if (completeHalts && core.haltRequested && !core.halted) core.run(1);
          this.onChange();
          return true;
        } catch (e) {
          if (e instanceof BusErrorSignal) return false;
          throw e;
        }
      },
      enabled: () => !this.protection,
    };
    this.memAp = new MemAp(bus);
    this.ctrlAp = new NrfCtrlAp({
      protectedNow: () => this.protection,
      eraseAll: () => {
        chip.eraseAll();
        this.protection = false;
      },
      holdReset: (held) => {
        this.ctrlResetHeld = held;
        chip.reset('sreq');
        this.onChange();
      },
    });
    this.dp = new JtagDp({ idcode: NRF52_JTAG_IDCODE, aps: [this.memAp, this.ctrlAp] });
    this.tap = new JtagTap(this.dp);
    this.bitbang = new RemoteBitbang(this.tap, {
      srst: (asserted) => {
        this.srstHeld = asserted;
        chip.reset('pin');
        this.onChange();
      },
    });
    this.protection = this.protectionFromUicr();
    this.unsubscribe = chip.onReset(() => {
      this.protection = this.protectionFromUicr();
    });
  }

  /** APPROTECT.PALL as the chip reads it at reset. */
  private protectionFromUicr(): boolean {
    try {
      return (this.chip.core.bus.read(UICR_APPROTECT, 4) & 0xff) === PALL_ENABLED;
    } catch {
      return false;
    }
  }

  /** Access port protection in force. */
  get protected(): boolean {
    return this.protection;
  }

  /** The chip is held in reset (SRST or CTRL-AP RESET): the core must not run. */
  get heldInReset(): boolean {
    return this.srstHeld || this.ctrlResetHeld;
  }

  dispose(): void {
    this.unsubscribe();
  }
}

/** The DAP's view of an emulator session on an nRF machine; an error for other machines. */
export function nrf52DapChipOf(session: EmulatorSession): Result<Nrf52DapChip> {
  const nrf = nrf52Of(session.machine);
  if (nrf === null)
    return err(
      `machine ${session.options.machine} has no nRF52 debug port (the JTAG target is the nRF52840-DK or micro:bit v2)`,
    );
  return ok({
    core: session.core,
    reset: (reason) => session.reset(reason),
    eraseAll: () => nrf.powerOn(),
    onReset: (listener) =>
      session.on((e) => {
        if (e.kind === 'reset') listener();
      }),
  });
}
