// Decision logic of the set-up step: which packages are missing, when apt runs, what is printed,
// and how a missing or failing kernel toolchain is reported.
import { describe, expect, it } from 'vitest';
import { REQUIRED_PACKAGES, parseDpkgQuery, planSetup, runSetup } from './setup.mjs';

const all = new Set(REQUIRED_PACKAGES.map((p) => p.name));
const without = (...names) => new Set([...all].filter((n) => !names.includes(n)));
const okToolchain = async () => ({
  ensureKernelToolchain: async () => ({
    ok: true,
    rustcVersion: '1.63.0',
    target: 'thumbv7em-none-eabi',
  }),
});

describe('parseDpkgQuery', () => {
  it('keeps only packages whose status is installed', () => {
    const text = 'rustc\tinstalled\ncargo\tnot-installed\nxvfb\tconfig-files\nopenocd\tinstalled\n';
    expect([...parseDpkgQuery(text)].sort()).toEqual(['openocd', 'rustc']);
  });
});

describe('planSetup', () => {
  it('does nothing when every package is installed', () => {
    expect(
      planSetup({ installed: all, isRoot: true, isDebian: true, aptAvailable: true }).action,
    ).toBe('none');
  });

  it('installs the missing packages with apt, after apt-get update, when root on Debian', () => {
    const plan = planSetup({
      installed: without('qemu-system-arm', 'xvfb'),
      isRoot: true,
      isDebian: true,
      aptAvailable: true,
    });
    expect(plan.action).toBe('apt-install');
    expect(plan.commands[0]).toBe('apt-get update');
    expect(plan.commands[1]).toMatch(/^apt-get install -y .*qemu-system-arm xvfb$/);
  });

  it('prints the exact apt command and the rustup path when not root', () => {
    const plan = planSetup({
      installed: without('rust-src'),
      isRoot: false,
      isDebian: true,
      aptAvailable: true,
    });
    expect(plan.action).toBe('print');
    const text = plan.lines.join('\n');
    expect(text).toContain('sudo apt-get install -y --no-install-recommends rust-src');
    expect(text).toContain('rustup target add thumbv7em-none-eabi');
  });

  it('prints instructions for other systems when not on Debian', () => {
    const plan = planSetup({
      installed: null,
      isRoot: false,
      isDebian: false,
      aptAvailable: false,
    });
    expect(plan.action).toBe('print');
    expect(plan.lines.join('\n')).toContain('rustup target add thumbv7em-none-eabi');
  });
});

describe('runSetup', () => {
  const base = { log: () => {}, isRoot: true, isDebian: true, loadToolchain: okToolchain };

  it('runs no command and succeeds when everything is present', async () => {
    const ran = [];
    const r = await runSetup({
      ...base,
      purpose: 'test',
      queryPackages: () => all,
      run: (c) => (ran.push(c), 0),
    });
    expect(r).toEqual({ ok: true, problems: [] });
    expect(ran).toEqual([]);
  });

  it('runs apt-get update then install for missing packages', async () => {
    const ran = [];
    const r = await runSetup({
      ...base,
      purpose: 'test',
      queryPackages: () => without('openocd'),
      run: (c) => (ran.push(c), 0),
    });
    expect(r.ok).toBe(true);
    expect(ran).toEqual(['apt-get update', expect.stringContaining('openocd')]);
  });

  it('reports a failed apt run and stops the tests', async () => {
    const r = await runSetup({
      ...base,
      purpose: 'test',
      queryPackages: () => without('openocd'),
      run: () => 100,
    });
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toContain('apt-get update');
  });

  it('reports a toolchain problem with its fix; start continues, test stops', async () => {
    const loadToolchain = async () => ({
      ensureKernelToolchain: async () => ({
        ok: false,
        problem: 'no thumbv7em target',
        fix: 'rustup target add thumbv7em-none-eabi',
      }),
    });
    const args = { ...base, loadToolchain, queryPackages: () => all, run: () => 0 };
    const forTest = await runSetup({ ...args, purpose: 'test' });
    expect(forTest.ok).toBe(false);
    expect(forTest.problems[0]).toContain('no thumbv7em target');
    expect(forTest.problems[0]).toContain('fix: rustup target add');
    expect((await runSetup({ ...args, purpose: 'start' })).ok).toBe(true);
  });

  it('says clearly when scripts/toolchain.mjs cannot be loaded', async () => {
    const loadToolchain = async () => {
      throw new Error('Cannot find module');
    };
    const r = await runSetup({
      ...base,
      purpose: 'test',
      loadToolchain,
      queryPackages: () => all,
      run: () => 0,
    });
    expect(r.problems[0]).toMatch(/toolchain\.mjs could not be loaded.*Cannot find module/);
  });

  it('passes install: false to the toolchain in check-only mode and installs nothing', async () => {
    let seen;
    const loadToolchain = async () => ({
      ensureKernelToolchain: async (o) => (
        (seen = o),
        { ok: true, rustcVersion: 'x', target: 't' }
      ),
    });
    const ran = [];
    await runSetup({
      ...base,
      checkOnly: true,
      loadToolchain,
      queryPackages: () => without('xvfb'),
      run: (c) => (ran.push(c), 0),
    });
    expect(seen.install).toBe(false);
    expect(ran).toEqual([]);
  });
});
