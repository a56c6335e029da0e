// Runs every test stage in order and stops at the first failure.
// `npm test` = setup (done by the npm script) then this. Each stage is an npm script, so a
// developer can run any one of them alone.
import { spawnSync } from 'node:child_process';

const stages = [
  'typecheck',
  'lint',
  'format:check',
  'test:unit',
  'test:host',
  'test:cargo',
  'test:kernel',
  'test:dwarf',
  'test:lockstep:ci',
  'test:e2e',
];

const results = [];
for (const stage of stages) {
  const started = Date.now();
  console.log(`\n=== ${stage} ===`);
  const r = spawnSync('npm', ['run', '--silent', stage], { stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push({ stage, ok: r.status === 0, seconds });
  if (r.status !== 0) break;
}
console.log('\n=== summary ===');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.stage} (${r.seconds} s)`);
const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length === stages.length ? 0 : 1);
