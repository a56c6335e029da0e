/**
 * Command-line numbers for the benchmarks: `--name N`, a positive number, or the default.
 * A bad value ends the bench with status 2 and names the option, before anything is measured.
 *
 * @example
 *   const ROUNDS = positiveArg('--rounds', 4);
 */
export function positiveArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(v > 0)) {
    console.error(`${name} needs a positive number`);
    process.exit(2);
  }
  return v;
}
