// grants.ts's pure parts: a generic type's argument, a capsule's driver by module name. The walk
// itself runs on the booted kernel (tests/kernel/tock-processes-view.test.ts).
import { describe, expect, it } from 'vitest';
import { capsuleDriver, typeArgument } from './grants';

describe('grants helpers', () => {
  it("takes a generic type's outermost argument", () => {
    expect(typeArgument('kernel::grant::Grant<capsules::console::App>')).toBe(
      'capsules::console::App',
    );
    expect(typeArgument('kernel::grant::Grant<a::B<c::D>>')).toBe('a::B<c::D>');
    expect(typeArgument('kernel::grant::Grant')).toBeNull();
  });

  it("names a capsule's driver from the ABI table by its module", () => {
    expect(capsuleDriver('capsules::console::Console')).toBe(1);
    expect(capsuleDriver('capsules::rng::SimpleRng<nrf52::rng::Rng>')).toBe(0x40001);
    expect(capsuleDriver('capsules::low_level_debug::LowLevelDebug')).toBe(8);
    expect(capsuleDriver('capsules::process_console::ProcessConsole')).toBeNull();
  });
});
