/**
 * A bare Cortex-M core for the core's own tests: flash at 0 and RAM at 0x2000_0000, and a
 * semihosting call that ends the run with a register's value as the exit code.
 *
 * Why: the translator, spin-loop, exception, debug-observer, NVIC and SCS tests each built this
 * same machine by hand; one place keeps them alike. Pure TypeScript like the rest of the core.
 *
 *   const { core, flash } = bareCore({ translate: false });
 *   flash.set(program.assemble());
 */
import { CortexM, type CoreConfig } from '../cortex-m';

/** Where the RAM of a bare core starts. */
export const BARE_RAM = 0x2000_0000;

export interface BareLayout {
  /** Flash size in bytes (mapped at 0); default 64 KiB. */
  flash?: number;
  /** RAM size in bytes (mapped at BARE_RAM); default 64 KiB. */
  ram?: number;
  /** The register whose value the semihosting call exits with; default r1. */
  exitRegister?: number;
}

/**
 * The core (1 MHz, 8 IRQ lines, 3 priority bits unless `config` says otherwise) and its flash
 * bytes to load a program into.
 */
export function bareCore(
  config: Partial<CoreConfig> = {},
  layout: BareLayout = {},
): { core: CortexM; flash: Uint8Array } {
  const exitRegister = layout.exitRegister ?? 1;
  const core = new CortexM({
    frequencyHz: 1_000_000,
    numIrqs: 8,
    priorityBits: 3,
    ...config,
    hooks: {
      semihost: (c) => {
        (c as CortexM).requestExit(c.readRegister(exitRegister));
        return true;
      },
    },
  });
  const flash = core.bus.mapRom(0, layout.flash ?? 0x10000, 'flash');
  core.bus.mapRam(BARE_RAM, layout.ram ?? 0x10000, 'ram');
  return { core, flash };
}
