/**
 * MPS2 Serial Communication Controller (SCC): the FPGA's configuration registers.
 *
 * Firmware reads CFG registers for board options, ID/AID to identify the FPGA image, and talks
 * to the motherboard configuration controller through CFGDATA/CFGCTRL/CFGSTAT. The values are
 * those QEMU gives the AN386 image (ID 0x41043860, AID 0x00200008, CFG4 = 2); configuration
 * transactions complete at once and read back zero, as there is no motherboard to answer.
 */
import { ApbDevice } from './apb-device';

export const SCC_CFG0 = 0x000;
export const SCC_CFG1 = 0x004;
export const SCC_CFG3 = 0x00c;
export const SCC_CFG4 = 0x010;
export const SCC_CFGDATA_RTN = 0x0a0;
export const SCC_CFGDATA_OUT = 0x0a4;
export const SCC_CFGCTRL = 0x0a8;
export const SCC_CFGSTAT = 0x0ac;
export const SCC_DLL = 0x100;
export const SCC_AID = 0xff8;
export const SCC_ID = 0xffc;

export const CFGCTRL_START = 1 << 31;
export const CFGSTAT_COMPLETE = 1 << 0;
/** DLL reset value: all locked, as the FPGA reports after configuration. */
export const DLL_RESET = 0xffff0001;
export const CFGCTRL_RESET = 0x100000;

export interface SccConfig {
  id: number;
  aid: number;
  cfg4: number;
}

/** What QEMU 7.2 configures for mps2-an386. */
export const AN386_SCC: SccConfig = { id: 0x41043860, aid: 0x00200008, cfg4: 0x2 };

interface SccState {
  cfg0: number;
  cfg1: number;
  cfgdataRtn: number;
  cfgdataOut: number;
  cfgctrl: number;
  cfgstat: number;
  dll: number;
}

export class Mps2Scc extends ApbDevice {
  private s: SccState = Mps2Scc.initial();

  constructor(
    readonly name: string,
    private readonly config: SccConfig = AN386_SCC,
  ) {
    super();
  }

  private static initial(): SccState {
    return {
      cfg0: 0,
      cfg1: 0,
      cfgdataRtn: 0,
      cfgdataOut: 0,
      cfgctrl: CFGCTRL_RESET,
      cfgstat: 0,
      dll: DLL_RESET,
    };
  }

  reset(): void {
    this.s = Mps2Scc.initial();
  }

  protected readRegister(offset: number): number {
    switch (offset) {
      case SCC_CFG0:
        return this.s.cfg0;
      case SCC_CFG1:
        return this.s.cfg1;
      case SCC_CFG3:
        return 0;
      case SCC_CFG4:
        return this.config.cfg4;
      case SCC_CFGDATA_RTN:
        return this.s.cfgdataRtn;
      case SCC_CFGDATA_OUT:
        return this.s.cfgdataOut;
      case SCC_CFGCTRL:
        return this.s.cfgctrl;
      case SCC_CFGSTAT:
        return this.s.cfgstat;
      case SCC_DLL:
        return this.s.dll;
      case SCC_AID:
        return this.config.aid;
      case SCC_ID:
        return this.config.id;
      default:
        return 0;
    }
  }

  protected writeRegister(offset: number, value: number): void {
    switch (offset) {
      case SCC_CFG0:
        this.s.cfg0 = value >>> 0;
        break;
      case SCC_CFG1:
        this.s.cfg1 = value >>> 0;
        break;
      case SCC_CFGDATA_RTN:
        this.s.cfgdataRtn = value >>> 0;
        break;
      case SCC_CFGDATA_OUT:
        this.s.cfgdataOut = value >>> 0;
        break;
      case SCC_CFGCTRL:
        // A transaction starts and completes at once; START is self-clearing.
        this.s.cfgctrl = (value & ~CFGCTRL_START) >>> 0;
        if (value & CFGCTRL_START) {
          this.s.cfgstat = CFGSTAT_COMPLETE;
          this.s.cfgdataRtn = 0;
        }
        break;
      case SCC_CFGSTAT:
        this.s.cfgstat = value & 3;
        break;
      case SCC_DLL:
        // DLL lock status is read-only: the FPGA clocks are always locked here.
        break;
      default:
        break;
    }
  }

  snapshot(): SccState {
    return { ...this.s };
  }

  restore(state: unknown): void {
    this.s = { ...(state as SccState) };
  }
}
