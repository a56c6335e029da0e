/**
 * Board probe: what the board view needs of an emulated board, measured without touching it.
 *
 * LEDs: a multiplexed LED matrix (the micro:bit's 5x5: rows driven high one at a time, columns
 * low for the pixels lit in that row) is never all lit at one instant; an eye sees each pixel
 * as bright as the share of time it is lit. The probe follows the board's pin changes (the
 * machine's `pinChanged`, in virtual time) and integrates each LED's lit time between two
 * samples, so the drawing shows what the eye would see, whatever the sampling rate. Buttons
 * are pressed and released through the machine, as a finger would (the pin is driven to the
 * button's active level; released, the pin floats and the firmware's pull decides).
 *
 * Pure TypeScript; time is the session's virtual clock.
 *
 * @example
 *   const probe = new BoardProbe(session);
 *   probe.setButton('BUTTON1', true);
 *   probe.state().leds; // [{ name: 'LED1', lit: true, duty: 1 }, ...]
 */
import { err, ok, type Result } from '../../core/result';
import type { EmulatorSession } from '../../session/session';
import type { BoardState } from '../target';

export class BoardProbe {
  private lit: boolean[];
  private litCycles: number[];
  private since: number;
  private last: number;
  private readonly pressed = new Set<string>();
  private readonly off: () => void;

  constructor(private readonly session: EmulatorSession) {
    this.lit = session.machine.leds().map((l) => l.lit);
    this.litCycles = this.lit.map(() => 0);
    this.since = this.last = session.core.clock.now;
    this.off = session.on((e) => {
      if (e.kind === 'pin') this.account();
      else if (e.kind === 'reset') this.account();
    });
  }

  /** Adds the time since the last change to the LEDs lit through it, then takes the new state. */
  private account(): void {
    const now = this.session.core.clock.now;
    const dt = now - this.last;
    if (dt > 0) this.lit.forEach((on, i) => on && (this.litCycles[i]! += dt));
    this.last = now;
    this.lit = this.session.machine.leds().map((l) => l.lit);
    if (this.litCycles.length !== this.lit.length) this.litCycles = this.lit.map(() => 0);
  }

  state(): BoardState {
    this.account();
    const now = this.session.core.clock.now;
    const span = now - this.since;
    const leds = this.session.machine.leds().map((l, i) => ({
      name: l.name,
      lit: l.lit,
      // No virtual time passed (a halted core): the LED is as it is now.
      duty: span > 0 ? Math.min(1, this.litCycles[i]! / span) : l.lit ? 1 : 0,
    }));
    this.litCycles = this.lit.map(() => 0);
    this.since = now;
    const levels = this.session.core.exc.levels;
    return {
      leds,
      buttons: this.session.machine.buttons.map((name) => ({
        name,
        pressed: this.pressed.has(name.toLowerCase()),
      })),
      irqLevels: Array.from(levels),
      cycle: now,
    };
  }

  setButton(name: string, pressed: boolean): Result<void> {
    const known = this.session.machine.buttons.find((b) => b.toLowerCase() === name.toLowerCase());
    if (known === undefined)
      return err(
        `${this.session.machine.name} has no button '${name}' (buttons: ${this.session.machine.buttons.join(', ') || 'none'})`,
      );
    const r = this.session.setButton(known, pressed);
    if (!r.ok) return r;
    if (pressed) this.pressed.add(known.toLowerCase());
    else this.pressed.delete(known.toLowerCase());
    return ok(undefined);
  }

  dispose(): void {
    this.off();
  }
}
