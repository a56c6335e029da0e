// Runs every test stage in order and stops at the first failure.
// `npm test` = setup (done by the npm script) then this. Each stage is an npm script, so a
// developer can run any one of them alone.
//
// Why the digest at the end: CI keeps only the tail of a long log, so a failing stage's test
// names and first error lines are repeated after the summary, where they survive.
import { spawn } from 'node:child_process';

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

/** Runs one npm script, streaming its output, and resolves with its exit code and text. */
function runStage(stage) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', stage], { stdio: ['inherit', 'pipe', 'pipe'] });
    let text = '';
    const keep = (chunk, out) => {
      out.write(chunk);
      text += chunk.toString();
      if (text.length > 4_000_000) text = text.slice(-2_000_000);
    };
    child.stdout.on('data', (c) => keep(c, process.stdout));
    child.stderr.on('data', (c) => keep(c, process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, text }));
  });
}

/** The lines of a failed stage worth repeating: failing tests and the lines after each error. */
function failureDigest(text, maxLines = 40) {
  // eslint-disable-next-line no-control-regex
  const lines = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const picked = [];
  for (let i = 0; i < lines.length && picked.length < maxLines; i++) {
    const line = lines[i];
    if (/^\s*(×|FAIL\b)|(^|\s)(\w*Error|error\[E\d+\]|error TS\d+|✖)/.test(line)) {
      picked.push(line.trimEnd());
      if (/Error/.test(line)) {
        for (let j = i + 1; j < Math.min(lines.length, i + 4); j++) {
          if (lines[j].trim()) picked.push(lines[j].trimEnd());
        }
      }
    }
  }
  return [...new Set(picked)].slice(0, maxLines);
}

const results = [];
let digest = [];
for (const stage of stages) {
  const started = Date.now();
  console.log(`\n=== ${stage} ===`);
  const r = await runStage(stage);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push({ stage, ok: r.code === 0, seconds });
  if (r.code !== 0) {
    digest = failureDigest(r.text);
    break;
  }
}
console.log('\n=== summary ===');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.stage} (${r.seconds} s)`);
const failed = results.filter((r) => !r.ok).length;
if (digest.length > 0) {
  console.log(`\n=== what failed in ${results[results.length - 1].stage} ===`);
  for (const line of digest) console.log(line);
}
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length === stages.length ? 0 : 1);
