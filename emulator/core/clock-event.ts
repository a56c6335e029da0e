/**
 * One re-armable clock event of a device: the one way peripherals arm, re-arm and cancel
 * their timed work on the virtual clock.
 *
 * A timed peripheral keeps at most one pending event per kind of work (the next timer expiry,
 * the next UART frame) and moves it as firmware changes its registers. Written by hand at each
 * site that is a handle variable, a cancel, a schedule and a callback that clears the handle
 * before doing the work; `ClockEvent` is those four steps once. It also remembers the armed
 * cycle (for snapshots) and names its device to the clock, whose guard reports a device that
 * re-arms at the present cycle for ever (see clock.ts).
 *
 * @example
 *   const expiry = new ClockEvent(clock, 'timer0', () => this.expire());
 *   expiry.armIn(reload + 1); // replaces any pending expiry
 *   expiry.cancel();
 */
import type { EventHandle, VirtualClock } from './interfaces';

export class ClockEvent {
  private handle: EventHandle | undefined = undefined;
  private cycle: number | null = null;

  constructor(
    private readonly clock: VirtualClock,
    /** The device (and, for a device with several events, which one): 'UARTE0 TX frame'. */
    readonly owner: string,
    private readonly fire: () => void,
  ) {}

  /** The cycle the event is armed for, or null when it is not armed. */
  get at(): number | null {
    return this.cycle;
  }

  get armed(): boolean {
    return this.handle !== undefined;
  }

  /**
   * Arm for absolute cycle `at`, replacing any pending arming. A cycle already past runs at
   * the clock's next check (the work was due while the core ran an instruction).
   */
  armAt(at: number): void {
    this.cancel();
    this.cycle = at;
    this.handle = this.clock.schedule(
      at,
      () => {
        // Cleared before the work, so the work may re-arm.
        this.handle = undefined;
        this.cycle = null;
        this.fire();
      },
      this.owner,
    );
  }

  /** Arm `cycles` from the present cycle, replacing any pending arming. */
  armIn(cycles: number): void {
    this.armAt(this.clock.now + cycles);
  }

  /** Forget the pending arming, if any. */
  cancel(): void {
    if (this.handle !== undefined) this.clock.cancel(this.handle);
    this.handle = undefined;
    this.cycle = null;
  }
}
