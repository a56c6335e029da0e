import { systemPrograms } from '../programs/programs';
import { assemble } from './assemble';
import { runLockstep } from './driver';
import { generateProgram } from './generator';
import { parseElf } from '../../emulator/formats/elf';
import { readFileSync } from 'node:fs';
const which = process.argv[2] ?? 'gen';
const progs =
  which === 'gen'
    ? [1, 2, 3].map((s) => {
        const p = generateProgram(0x1000 + s, 300);
        return { name: p.name, source: p.source };
      })
    : systemPrograms();
for (const p of progs) {
  const b = assemble(p.name, p.source);
  if (!b.ok) {
    console.log(b.error);
    continue;
  }
  const done =
    parseElf(new Uint8Array(readFileSync(b.value))).symbols.find((s) => s.name === 'done')!.value &
    ~1;
  const r = await runLockstep(b.value, { maxSteps: 20000, stopAt: done });
  console.log(p.name, r.steps, (r.steps / r.seconds).toFixed(0), '/s', r.divergence ?? 'OK');
}
