/**
 * Lockstep budgets: how many generated programs of what length each mode compares, and how
 * many QEMU instances run at once (the CI machines have 2 cores).
 */
export interface Budget {
  programs: number;
  /** Body templates per generated program (about 1.7 compared instructions each). */
  length: number;
  parallel: number;
  /** Longest a single system program may run (steps) before it counts as a hang. */
  systemSteps: number;
}

export const BUDGETS: Record<'ci' | 'full', Budget> = {
  ci: { programs: 120, length: 1200, parallel: 2, systemSteps: 20_000 },
  full: { programs: 3000, length: 2000, parallel: 2, systemSteps: 200_000 },
};

export function currentBudget(): Budget {
  return BUDGETS[process.env.LOCKSTEP_MODE === 'full' ? 'full' : 'ci'];
}
