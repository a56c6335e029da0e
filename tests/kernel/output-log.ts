/**
 * The console text of a running board (QEMU or the emulator) and the waits tests put on it.
 *
 * Runners append what the board prints and say when it ended; `waitFor` resolves with the first
 * match of a pattern after an offset, or rejects with the transcript's tail when the board ends
 * or the time runs out, so a failing test shows what the board said.
 *
 * Usage:
 *   const log = new OutputLog();
 *   child.stdout.on('data', (d) => log.append(d.toString()));
 *   await log.waitFor(/hello: Hello, World!/);
 */
export class OutputLog {
  text = '';
  /** Why the board stopped on its own (it exited, crashed), once it has. */
  ended: string | undefined;
  private readonly listeners = new Set<() => void>();

  append(s: string): void {
    this.text += s;
    this.notify();
  }

  end(reason: string): void {
    this.ended = reason;
    this.notify();
  }

  private notify(): void {
    this.listeners.forEach((l) => l());
  }

  waitFor(pattern: RegExp, timeoutMs = 60_000, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this.text.slice(from).match(pattern);
        if (m) {
          done();
          resolve(m);
        } else if (this.ended) {
          done();
          reject(
            new Error(
              `${this.ended} before ${pattern} appeared. Output:\n${this.text.slice(-4000)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${pattern} did not appear in ${timeoutMs} ms. Output:\n${this.text.slice(-4000)}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }
}
