// The missing-tool policy: skip on a developer's machine, fail under CI=true.
import { describe, expect, it } from 'vitest';
import { toolDecision } from '../tools';

describe('toolDecision', () => {
  it('runs a suite whose tool is there, CI or not', () => {
    expect(toolDecision(true, {})).toBe('run');
    expect(toolDecision(true, { CI: 'true' })).toBe('run');
  });

  it('skips without the tool on a developer machine and fails under CI=true', () => {
    expect(toolDecision(false, {})).toBe('skip');
    expect(toolDecision(false, { CI: 'false' })).toBe('skip');
    expect(toolDecision(false, { CI: 'true' })).toBe('fail');
  });
});
