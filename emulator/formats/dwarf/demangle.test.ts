import { describe, expect, it } from 'vitest';
import { demangle, isRustMangled } from './demangle';

describe('demangle', () => {
  it('legacy: path segments, escapes, hash dropped', () => {
    expect(demangle('_ZN4core3ptr13drop_in_place17h0123456789abcdefE')).toBe(
      'core::ptr::drop_in_place',
    );
    expect(
      demangle(
        '_ZN102_$LT$core..iter..adapters..map..Map$LT$I$C$F$GT$$u20$as$u20$core..iter..traits..iterator..Iterator$GT$4fold17ha254e06d7998e0d7E',
      ),
    ).toBe('<core::iter::adapters::map::Map<I,F> as core::iter::traits::iterator::Iterator>::fold');
    expect(demangle('_ZN7capsule4main28_$u7b$$u7b$closure$u7d$$u7d$17h685d132ee59d5ab9E')).toBe(
      'capsule::main::{{closure}}',
    );
  });

  it('v0: paths, generics, impls, closures, consts, punycode', () => {
    expect(demangle('_RNvCsaWDS0cXznRJ_6v0more3all')).toBe('v0more::all');
    expect(demangle('_RNvXCsiMHlYZ2SGil_2v0INtB2_3FoohENtB2_2Tr2goB2_')).toBe(
      '<v0::Foo<u8> as v0::Tr>::go',
    );
    expect(demangle('_RINvCsaWDS0cXznRJ_6v0more3negKln5_EB2_')).toBe('v0more::neg::<-5>');
    expect(demangle('_RINvCsaWDS0cXznRJ_6v0more2chKc78_EB2_')).toBe("v0more::ch::<'x'>");
    expect(demangle('_RNCNvCsaWDS0cXznRJ_6v0more3alls_0B3_')).toBe('v0more::all::{closure#1}');
    expect(demangle('_RNvNtCsiMHlYZ2SGil_2v0u10nicode_2yau9gre_6ka8l')).toBe('v0::ünicode::grüße');
  });

  it('returns anything else unchanged', () => {
    for (const s of ['main', '_ZN3foo', '_Rbogus', 'cm_generic_isr', '_RNvC'])
      expect(demangle(s)).toBe(s);
    expect(isRustMangled('_ZN4core3ptr13drop_in_place17h0123456789abcdefE')).toBe(true);
    expect(isRustMangled('memcpy')).toBe(false);
  });
});
