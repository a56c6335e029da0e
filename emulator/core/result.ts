/**
 * Result: the one value type for operations that can fail in an expected way.
 *
 * Errors are values in this code base (house style): parsers, loaders, targets and services
 * return `Result` instead of throwing for bad input. `E` defaults to a message that names the
 * problem for a person; callers that need to branch on the cause use a discriminated union.
 *
 * @example
 *   function parsePort(s: string): Result<number> {
 *     const n = Number(s);
 *     return Number.isInteger(n) && n > 0 && n < 65536 ? ok(n) : err(`not a port: ${s}`);
 *   }
 */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}
