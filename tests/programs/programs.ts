/**
 * The hand-written system programs for lockstep: each `.s` here between the shared prelude.asm and vectors.asm,
 * assembled with GNU as. `done` is where each program ends (the driver's stop address).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface SystemProgram {
  name: string;
  source: string;
}

export function systemPrograms(): SystemProgram[] {
  const prelude = readFileSync(join(here, 'prelude.asm'), 'utf8');
  const vectors = readFileSync(join(here, 'vectors.asm'), 'utf8');
  return readdirSync(here)
    .filter((f) => f.endsWith('.s'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.s$/, ''),
      source: `${prelude}\n${readFileSync(join(here, f), 'utf8')}\n${vectors}`,
    }));
}
