/**
 * The host's last line of defence: an exception nobody caught is logged, and the host lives on.
 *
 * Every request handler of the host is meant to be total (bad input gets an answer, never a
 * throw), and the tests and the host fuzz suite hold it to that. This guard is for what slips
 * through anyway: Node's default for an uncaught exception or an unhandled rejection is to end
 * the process, and with it the user's session and every unsaved edit not yet in the recovery
 * store. The guard writes one line naming the error (with its stack) and keeps serving. A host
 * that logs these lines has a bug: the fuzz suite fails when it sees one.
 *
 * @example
 *   installCrashGuard((line) => console.error(line)); // once, in the process's entry point
 */

/** Counts what the guard has caught since it was installed (for the log line). */
let caught = 0;

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  try {
    return `non-Error value thrown: ${JSON.stringify(error)}`;
  } catch {
    return `non-Error value thrown: ${String(error)}`;
  }
}

/**
 * Installs process-wide handlers for uncaught exceptions and unhandled rejections that log and
 * survive. Returns a function that removes them again.
 */
export function installCrashGuard(log: (line: string) => void = console.error): () => void {
  const report = (kind: string) => (error: unknown) => {
    caught++;
    try {
      log(
        `capsule-studio: host bug: ${kind} #${caught} (the host keeps running): ${describe(error)}`,
      );
    } catch {
      // Logging never throws out of the guard (a closed stderr must not end the host either).
    }
  };
  const onException = report('uncaught exception');
  const onRejection = report('unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
