/**
 * OpenOCD's remote_bitbang protocol, target side: bytes from OpenOCD in, TDO samples out.
 *
 * The protocol (OpenOCD manual, "remote_bitbang" adapter; doc/manual/jtag/drivers/
 * remote_bitbang.txt in its sources) is one ASCII character per action, the emulator being
 * the TCP server:
 * - '0'..'7': set TCK, TMS, TDI to the bits of (c - '0') = 4*TCK + 2*TMS + TDI. A TCK change
 *   from 0 to 1 is a rising edge: the TAP samples TMS and TDI.
 * - 'R': answer TDO as '0' or '1'.
 * - 'r'..'u': set TRST and SRST to the bits of (c - 'r') = 2*TRST + SRST (1 = asserted).
 * - 'B' / 'b': blink on / off (the LED of a real adapter; reported to the host).
 * - 'Q': the client quits.
 * - 'Z' / 'z': sleep 1 ms / 1 µs (newer OpenOCD with use_remote_sleep): nothing to wait for
 *   here, every action completes at once.
 * SWD's commands (later OpenOCD only) and anything else are protocol errors: this target is
 * JTAG only, as OpenOCD 0.12's remote_bitbang is.
 *
 * @example
 *   const rb = new RemoteBitbang(tap, { srst: (on) => chip.pinReset(on) });
 *   const r = rb.feed(bytes); socket.write(r.reply); if (r.quit) socket.end();
 */
import type { JtagTap } from './tap';

export interface RemoteBitbangHooks {
  /** SRST (the chip's reset pin) asserted or released. */
  srst?(asserted: boolean): void;
  /** Blink LED on or off. */
  blink?(on: boolean): void;
}

export interface FeedResult {
  /** Bytes to send back ('0'/'1' for each 'R'). */
  reply: Uint8Array;
  /** The client sent 'Q'. */
  quit: boolean;
  /** A byte the protocol does not have: the connection should be closed with this message. */
  error?: string;
}

const CH_0 = 0x30;
const CH_7 = 0x37;
const CH_R = 0x52;
const CH_r = 0x72;
const CH_u = 0x75;

export class RemoteBitbang {
  private tck = 0;
  private trst = false;
  private srst = false;
  /** Rising TCK edges seen, for statistics. */
  clocks = 0;

  constructor(
    private readonly tap: JtagTap,
    private readonly hooks: RemoteBitbangHooks = {},
  ) {}

  feed(bytes: Uint8Array): FeedResult {
    const reply: number[] = [];
    const tap = this.tap;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (c >= CH_0 && c <= CH_7) {
        const v = c - CH_0;
        const tck = v >> 2;
        if (tck === 1 && this.tck === 0 && !this.trst) {
          tap.clock((v >> 1) & 1, v & 1);
          this.clocks++;
        }
        this.tck = tck;
      } else if (c === CH_R) {
        reply.push(CH_0 + tap.tdo());
      } else if (c >= CH_r && c <= CH_u) {
        const v = c - CH_r;
        const trst = (v & 2) !== 0;
        const srst = (v & 1) !== 0;
        if (trst) tap.trst();
        this.trst = trst;
        if (srst !== this.srst) {
          this.srst = srst;
          this.hooks.srst?.(srst);
        }
      } else if (c === 0x42 || c === 0x62) {
        this.hooks.blink?.(c === 0x42);
      } else if (c === 0x51) {
        return { reply: Uint8Array.from(reply), quit: true };
      } else if (c === 0x5a || c === 0x7a || c === 0x0a || c === 0x0d) {
        // Remote sleeps need no wait; line ends are tolerated from hand-typed sessions.
      } else {
        return {
          reply: Uint8Array.from(reply),
          quit: false,
          error: `remote_bitbang: unsupported command byte 0x${c.toString(16).padStart(2, '0')} ('${String.fromCharCode(c)}'): this target speaks the JTAG commands only (OpenOCD 0.12: transport select jtag)`,
        };
      }
    }
    return { reply: Uint8Array.from(reply), quit: false };
  }
}
