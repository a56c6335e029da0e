/**
 * Suites that need an outside tool (a cross compiler, QEMU, rustfmt) and the policy for when it
 * is missing: on a developer's machine the suite is skipped with one line saying what to
 * install; under CI=true (what `.ci/run` sets) a missing tool is a failure, never a silent pass.
 *
 * @example
 *   const skip = skipWithoutTool(compilerAvailable(), 'arm-none-eabi-gcc', 'apt-get install gcc-arm-none-eabi');
 *   describe.skipIf(skip)('bare-metal program', () => { ... });
 */
import { it } from 'vitest';

/** What to do about a suite whose tool is (or is not) there: run it, skip it, or fail. */
export function toolDecision(
  available: boolean,
  env: Record<string, string | undefined> = process.env,
): 'run' | 'skip' | 'fail' {
  if (available) return 'run';
  return env.CI === 'true' ? 'fail' : 'skip';
}

/**
 * Returns true when the suites needing `tool` should be skipped. When the tool is missing
 * under CI=true it registers, in their place, a test that fails naming the tool and the fix.
 */
export function skipWithoutTool(
  available: boolean,
  tool: string,
  install: string,
  env: Record<string, string | undefined> = process.env,
): boolean {
  const decision = toolDecision(available, env);
  if (decision === 'run') return false;
  const message = `${tool} is not installed (${install})`;
  if (decision === 'skip') console.warn(`skipped: ${message}`);
  else
    it(`needs ${tool}`, () => {
      throw new Error(`${message}; CI=true does not allow skipping the suites that need it`);
    });
  return true;
}
