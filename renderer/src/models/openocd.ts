/**
 * The OpenOCD part of the Boards panel: which board is reached how (a debug probe listed by the
 * host, chosen by its USB serial number, or the emulated board behind `npm run emulator --
 * --remote-bitbang PORT`), the build image to program, and the flash in progress with its
 * phases from OpenOCD's output (connect, program, verify, reset) and its outcome or error (the
 * host's message and fix, e.g. the recover command for a protected chip).
 *
 * Debugging the same board goes through the debug session model (`attachOpenocd`): the panels of
 * the emulator then show the board through OpenOCD's GDB port.
 *
 * @example
 *   const flash = new OpenocdModel(host);
 *   flash.choose({ board: 'nrf52840dk', via: { emulatorPort: 3335 } });
 *   await flash.loadImages();
 *   await flash.flash('target/images/nrf52840dk/image.hex');
 */
import type { FlashResult, HostError, HostEvents } from '../../../main/common/contract';
import type { HostConnection } from '../client';
import { Model } from './model';

/** How OpenOCD reaches the board: a probe by its serial number, or the emulated board's port. */
export interface OpenocdVia {
  probeSerial?: string;
  emulatorPort?: number;
}

export interface OpenocdState {
  board: string;
  via: OpenocdVia;
  /** Project-relative images of the board's build (image.hex, kernel.elf). */
  images: string[];
  /** The flash running now, or null. */
  flashing: { image: string; flashId: number | null } | null;
  progress: HostEvents['flash.progress'] | null;
  result: FlashResult | null;
  error: HostError | null;
}

const via = (v: OpenocdVia): OpenocdVia =>
  v.emulatorPort !== undefined
    ? { emulatorPort: v.emulatorPort }
    : v.probeSerial !== undefined
      ? { probeSerial: v.probeSerial }
      : {};

export class OpenocdModel extends Model<OpenocdState> {
  constructor(private readonly host: HostConnection) {
    super({
      board: '',
      via: {},
      images: [],
      flashing: null,
      progress: null,
      result: null,
      error: null,
    });
    host.onEvent('flash.progress', (p) => {
      const f = this.state.flashing;
      if (!f || (f.flashId !== null && f.flashId !== p.flashId)) return;
      this.set({ progress: p, flashing: { ...f, flashId: p.flashId } });
    });
  }

  choose(c: { board?: string; via?: OpenocdVia }): void {
    const board = c.board ?? this.state.board;
    const changed = board !== this.state.board;
    this.set({ board, via: c.via ? via(c.via) : this.state.via, error: null });
    if (changed) void this.loadImages();
  }

  async loadImages(): Promise<void> {
    const board = this.state.board;
    if (!board) return this.set({ images: [] });
    const r = await this.host.api.flash.images({ board });
    if (board === this.state.board) this.set({ images: r.ok ? r.value : [] });
  }

  /** Programs `image` with verify and reset; resolves true when the board holds it. */
  async flash(image: string): Promise<boolean> {
    const { board } = this.state;
    if (!board || this.state.flashing) return false;
    this.set({ flashing: { image, flashId: null }, progress: null, result: null, error: null });
    const r = await this.host.api.flash.program({
      board,
      image,
      verify: true,
      reset: true,
      ...via(this.state.via),
    });
    this.set({
      flashing: null,
      result: r.ok ? r.value : null,
      error: r.ok ? null : r.error,
    });
    return r.ok;
  }
}
