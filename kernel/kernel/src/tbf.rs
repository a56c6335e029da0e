//! Tock Binary Format version 2 headers: parsing and validation, by the rules Tock's kernels use.
//!
//! An app in flash starts with a 16-byte base header (version, header size, total size,
//! flags, checksum) followed by TLVs. The rules here are those of Tock 2.x's `tock-tbf` parser and
//! process loader (libraries/tock-tbf/src/parse.rs, kernel/src/process_binary.rs,
//! process_loading.rs), so a header Tock loads, we load, and one it passes over, we pass over:
//! - a version other than 2 ends app discovery (erased flash reads 0xFFFF);
//! - a header size below 16 or above the total size, a checksum mismatch (XOR of the header's
//!   whole words but the checksum's; a trailing partial word is not counted) or a malformed TLV
//!   make the app unusable, and discovery continues `total_size` bytes further on;
//! - a total size running past the apps region ends discovery;
//! - Main must be 12 bytes, Program 20, FixedAddresses 8, KernelVersion 4, ShortId 4, writeable
//!   flash regions a multiple of 8; a package name must be UTF-8; the first Main and the first
//!   Program count (later ones are ignored); Program wins over Main;
//! - a header with no TLV is padding.
//!
//! The entry point is `header_size + init_fn_offset` from the start of the TBF, and the app's
//! binary starts at `header_size + protected_trailer_size`. The loader (kernel.rs) adds the
//! per-app checks of the process loader: enabled flag, kernel version, fixed flash address. It
//! never panics on hostile bytes.
//!
//! ```
//! use kernel::tbf::{parse, TbfError};
//! assert_eq!(parse(&[2u8, 0, 0, 0]).unwrap_err(), TbfError::Truncated { need: 8, have: 4 });
//! ```

use core::fmt;

/// TLV types this kernel reads.
pub mod tlv {
    /// init_fn_offset, protected_trailer_size, minimum_ram_size.
    pub const MAIN: u16 = 1;
    /// Writeable flash regions.
    pub const WRITEABLE_FLASH: u16 = 2;
    /// Package name (UTF-8, not terminated).
    pub const PACKAGE_NAME: u16 = 3;
    /// Fixed RAM and flash addresses.
    pub const FIXED_ADDRESSES: u16 = 5;
    /// Driver permissions.
    pub const PERMISSIONS: u16 = 6;
    /// Storage permissions.
    pub const STORAGE_PERMISSIONS: u16 = 7;
    /// Kernel version the app needs (major, minor).
    pub const KERNEL_VERSION: u16 = 8;
    /// Main's fields plus binary_end_offset and app version.
    pub const PROGRAM: u16 = 9;
    /// A short id for the app.
    pub const SHORT_ID: u16 = 10;
}

/// The bit of `flags` that marks an app enabled.
pub const FLAG_ENABLED: u32 = 1;
/// The value a FixedAddresses field holds when the app has no fixed address.
pub const NO_FIXED_ADDRESS: u32 = 0xFFFF_FFFF;
/// The longest package name kept.
pub const MAX_NAME: usize = 32;

/// A validated TBF header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TbfHeader<'a> {
    /// Bytes of header (base + TLVs).
    pub header_size: u32,
    /// Bytes of the whole app (header, binary, footers, padding).
    pub total_size: u32,
    /// Raw flags.
    pub flags: u32,
    /// Offset of the entry point from the end of the header (as Tock measures it); `None` for
    /// padding.
    pub init_fn_offset: Option<u32>,
    /// Bytes after the header that the app may not write.
    pub protected_trailer_size: u32,
    /// Bytes of RAM the app asks for.
    pub minimum_ram_size: u32,
    /// End of the binary (Program TLV only).
    pub binary_end_offset: Option<u32>,
    /// App version (Program TLV only).
    pub app_version: u32,
    /// Package name, if present.
    pub package_name: Option<&'a str>,
    /// Fixed RAM address the app was linked for.
    pub fixed_ram: Option<u32>,
    /// Fixed flash address of the app's binary (not its header).
    pub fixed_flash: Option<u32>,
    /// Kernel version (major, minor) the app needs: compatible with ^major.minor.
    pub kernel_version: Option<(u16, u16)>,
    /// ShortId TLV.
    pub short_id: Option<u32>,
}

impl<'a> TbfHeader<'a> {
    /// True when the enabled flag is set.
    pub fn enabled(&self) -> bool {
        self.flags & FLAG_ENABLED != 0
    }
    /// True when the header carries no program (a padding app).
    pub fn is_padding(&self) -> bool {
        self.init_fn_offset.is_none()
    }
    /// Offset of the entry point from the start of the TBF.
    pub fn entry_offset(&self) -> Option<u32> {
        self.init_fn_offset
            .map(|i| self.header_size.wrapping_add(i))
    }
    /// Offset of the app's binary from the start of the TBF (header plus protected trailer).
    pub fn binary_offset(&self) -> u32 {
        self.header_size.wrapping_add(self.protected_trailer_size)
    }
    /// Where the binary ends (Program's binary_end_offset, else the total size).
    pub fn binary_end(&self) -> u32 {
        self.binary_end_offset.unwrap_or(self.total_size)
    }
}

/// The first problem found in a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TbfError {
    /// Fewer bytes than needed.
    Truncated { need: usize, have: usize },
    /// Flash is erased or zero here: no more apps (not an error to report).
    End,
    /// The version is not 2: not an app, so discovery ends (Tock does the same).
    BadVersion(u16),
    /// header_size is smaller than the base header or larger than total_size.
    BadHeaderSize { header_size: u32, total_size: u32 },
    /// total_size runs past the end of the apps region.
    TooLarge { total_size: u32, available: usize },
    /// The stored checksum differs from the computed one.
    BadChecksum { stored: u32, computed: u32 },
    /// A TLV runs past header_size.
    TlvOverrun { tlv_type: u16, offset: u32 },
    /// A known TLV has the wrong length.
    BadTlvLength { tlv_type: u16, length: u16 },
    /// The package name is not UTF-8.
    BadName,
    /// Program's binary_end_offset lies past the TBF (Tock stops loading there).
    BadBinaryEnd {
        binary_end_offset: u32,
        total_size: u32,
    },
}

impl TbfError {
    /// How far app discovery may skip past this header and go on, as Tock's loader does; `None`
    /// when discovery ends here.
    pub fn skip(&self, total_size: u32) -> Option<u32> {
        match *self {
            TbfError::BadHeaderSize { .. }
            | TbfError::BadChecksum { .. }
            | TbfError::TlvOverrun { .. }
            | TbfError::BadTlvLength { .. }
            | TbfError::BadName
                if total_size > 0 =>
            {
                Some(total_size)
            }
            _ => None,
        }
    }
}

impl fmt::Display for TbfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TbfError::Truncated { need, have } => {
                write!(f, "header truncated (needs {} bytes, {} left)", need, have)
            }
            TbfError::End => write!(f, "no more apps"),
            TbfError::BadVersion(v) => write!(f, "unsupported TBF version {} (expected 2)", v),
            TbfError::BadHeaderSize {
                header_size,
                total_size,
            } => {
                write!(
                    f,
                    "bad header size {} (total size {})",
                    header_size, total_size
                )
            }
            TbfError::TooLarge {
                total_size,
                available,
            } => {
                write!(
                    f,
                    "total size {} runs past the apps region ({} bytes left)",
                    total_size, available
                )
            }
            TbfError::BadChecksum { stored, computed } => {
                write!(
                    f,
                    "checksum mismatch (stored {:#010x}, computed {:#010x})",
                    stored, computed
                )
            }
            TbfError::TlvOverrun { tlv_type, offset } => {
                write!(
                    f,
                    "TLV type {} at offset {} runs past the header",
                    tlv_type, offset
                )
            }
            TbfError::BadTlvLength { tlv_type, length } => {
                write!(f, "TLV type {} has bad length {}", tlv_type, length)
            }
            TbfError::BadName => write!(f, "package name is not UTF-8"),
            TbfError::BadBinaryEnd {
                binary_end_offset,
                total_size,
            } => write!(
                f,
                "binary end {:#x} lies past the total size {:#x}",
                binary_end_offset, total_size
            ),
        }
    }
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// XOR of the header's whole 32-bit words, skipping the checksum word (a trailing partial word
/// does not count, as in Tock's parser).
pub fn checksum(header: &[u8]) -> u32 {
    let mut sum = 0u32;
    for (i, chunk) in header.chunks_exact(4).enumerate() {
        if i != 3 {
            sum ^= u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
    }
    sum
}

/// The total size a header claims (for skipping past it), if its first 8 bytes are there.
pub fn claimed_total_size(flash: &[u8]) -> u32 {
    if flash.len() < 8 {
        0
    } else {
        u32_at(flash, 4)
    }
}

/// Parses the header at the start of `flash` (the rest of the apps region).
pub fn parse(flash: &[u8]) -> Result<TbfHeader<'_>, TbfError> {
    if flash.len() >= 2 && u16_at(flash, 0) == 0xFFFF {
        return Err(TbfError::End);
    }
    if flash.len() < 8 {
        return Err(TbfError::Truncated {
            need: 8,
            have: flash.len(),
        });
    }
    let version = u16_at(flash, 0);
    if version != 2 {
        return Err(if version == 0 && u16_at(flash, 2) == 0 {
            TbfError::End
        } else {
            TbfError::BadVersion(version)
        });
    }
    let header_size = u16_at(flash, 2) as u32;
    let total_size = u32_at(flash, 4);
    if header_size < 16 || header_size > total_size {
        return Err(TbfError::BadHeaderSize {
            header_size,
            total_size,
        });
    }
    if total_size as usize > flash.len() {
        return Err(TbfError::TooLarge {
            total_size,
            available: flash.len(),
        });
    }
    let header = &flash[..header_size as usize];
    let flags = u32_at(flash, 8);
    let stored = u32_at(flash, 12);
    let computed = checksum(header);
    if computed != stored {
        return Err(TbfError::BadChecksum { stored, computed });
    }
    let mut h = TbfHeader {
        header_size,
        total_size,
        flags,
        init_fn_offset: None,
        protected_trailer_size: 0,
        minimum_ram_size: 0,
        binary_end_offset: None,
        app_version: 0,
        package_name: None,
        fixed_ram: None,
        fixed_flash: None,
        kernel_version: None,
        short_id: None,
    };
    let mut main: Option<(u32, u32, u32)> = None;
    let mut program: Option<(u32, u32, u32, u32, u32)> = None;
    let mut off = 16usize;
    while off < header.len() {
        let overrun = |tlv_type| TbfError::TlvOverrun {
            tlv_type,
            offset: off as u32,
        };
        if off + 4 > header.len() {
            return Err(overrun(0));
        }
        let tlv_type = u16_at(header, off);
        let length = u16_at(header, off + 2);
        let value_start = off + 4;
        let value_end = value_start + length as usize;
        let bad_length = TbfError::BadTlvLength { tlv_type, length };
        let value = header.get(value_start..value_end);
        match tlv_type {
            tlv::MAIN if main.is_none() => {
                if length != 12 {
                    return Err(bad_length);
                }
                let v = value.ok_or(overrun(tlv_type))?;
                main = Some((u32_at(v, 0), u32_at(v, 4), u32_at(v, 8)));
            }
            tlv::PROGRAM if program.is_none() => {
                if length != 20 {
                    return Err(bad_length);
                }
                let v = value.ok_or(overrun(tlv_type))?;
                program = Some((
                    u32_at(v, 0),
                    u32_at(v, 4),
                    u32_at(v, 8),
                    u32_at(v, 12),
                    u32_at(v, 16),
                ));
            }
            tlv::WRITEABLE_FLASH => {
                if length % 8 != 0 {
                    return Err(bad_length);
                }
                value.ok_or(overrun(tlv_type))?;
            }
            tlv::PACKAGE_NAME => {
                let v = value.ok_or(overrun(tlv_type))?;
                let name = core::str::from_utf8(v).map_err(|_| TbfError::BadName)?;
                // Keep a prefix that ends on a character boundary.
                let mut cut = name.len().min(MAX_NAME);
                while !name.is_char_boundary(cut) {
                    cut -= 1;
                }
                h.package_name = Some(&name[..cut]);
            }
            tlv::FIXED_ADDRESSES => {
                if length != 8 {
                    return Err(bad_length);
                }
                let v = value.ok_or(overrun(tlv_type))?;
                let (ram, fl) = (u32_at(v, 0), u32_at(v, 4));
                h.fixed_ram = if ram == NO_FIXED_ADDRESS {
                    None
                } else {
                    Some(ram)
                };
                h.fixed_flash = if fl == NO_FIXED_ADDRESS {
                    None
                } else {
                    Some(fl)
                };
            }
            tlv::KERNEL_VERSION => {
                if length != 4 {
                    return Err(bad_length);
                }
                let v = value.ok_or(overrun(tlv_type))?;
                h.kernel_version = Some((u16_at(v, 0), u16_at(v, 2)));
            }
            tlv::SHORT_ID => {
                if length != 4 {
                    return Err(bad_length);
                }
                h.short_id = Some(u32_at(value.ok_or(overrun(tlv_type))?, 0));
            }
            tlv::PERMISSIONS | tlv::STORAGE_PERMISSIONS => {
                value.ok_or(overrun(tlv_type))?;
            }
            // A second Main or Program, and types this kernel does not use.
            _ => {}
        }
        // TLV values are padded to a multiple of 4 bytes; the padding must be in the header.
        let next = value_start + ((length as usize + 3) & !3);
        if next > header.len() {
            return Err(overrun(tlv_type));
        }
        off = next;
    }
    if let Some((init, protected, ram, end, version)) = program {
        h.init_fn_offset = Some(init);
        h.protected_trailer_size = protected;
        h.minimum_ram_size = ram;
        h.binary_end_offset = Some(end);
        h.app_version = version;
        if end > total_size {
            return Err(TbfError::BadBinaryEnd {
                binary_end_offset: end,
                total_size,
            });
        }
    } else if let Some((init, protected, ram)) = main {
        h.init_fn_offset = Some(init);
        h.protected_trailer_size = protected;
        h.minimum_ram_size = ram;
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn tlv(out: &mut Vec<u8>, ty: u16, value: &[u8]) {
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        out.extend_from_slice(value);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }

    fn words(ws: &[u32]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// A TBF with the given TLV bytes, a valid checksum and `total` bytes in all.
    fn with_tlvs(t: &[u8], total: u32) -> Vec<u8> {
        let header_size = 16 + t.len() as u32;
        let mut h = Vec::new();
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&(header_size as u16).to_le_bytes());
        h.extend_from_slice(&total.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(t);
        let c = checksum(&h);
        h[12..16].copy_from_slice(&c.to_le_bytes());
        h.resize(total as usize, 0);
        h
    }

    fn build(name: &str, program: bool, fixed: Option<(u32, u32)>, total: u32) -> Vec<u8> {
        let mut t = Vec::new();
        if program {
            tlv(&mut t, tlv::PROGRAM, &words(&[0x40, 0, 4096, total, 3]));
        } else {
            tlv(&mut t, tlv::MAIN, &words(&[0x40, 0, 4096]));
        }
        tlv(&mut t, tlv::PACKAGE_NAME, name.as_bytes());
        if let Some((r, f)) = fixed {
            tlv(&mut t, tlv::FIXED_ADDRESSES, &words(&[r, f]));
        }
        with_tlvs(&t, total)
    }

    #[test]
    fn parses_main_and_name() {
        let img = build("hello", false, None, 512);
        let h = parse(&img).unwrap();
        assert_eq!(h.package_name, Some("hello"));
        assert_eq!(h.init_fn_offset, Some(0x40));
        // The entry is measured from the end of the header, as Tock does.
        assert_eq!(h.entry_offset(), Some(h.header_size + 0x40));
        assert_eq!(h.minimum_ram_size, 4096);
        assert_eq!(h.total_size, 512);
        assert!(h.enabled());
        assert_eq!(h.fixed_ram, None);
    }

    #[test]
    fn parses_program_fixed_addresses_kernel_version_short_id() {
        let mut t = Vec::new();
        tlv(&mut t, tlv::MAIN, &words(&[0x10, 0, 1024]));
        tlv(&mut t, tlv::PROGRAM, &words(&[0x20, 0x40, 2048, 700, 3]));
        tlv(
            &mut t,
            tlv::FIXED_ADDRESSES,
            &words(&[0x2000_8000, NO_FIXED_ADDRESS]),
        );
        tlv(&mut t, tlv::KERNEL_VERSION, &[2, 0, 1, 0]);
        tlv(&mut t, tlv::SHORT_ID, &words(&[0x101]));
        let img = with_tlvs(&t, 1024);
        let h = parse(&img).unwrap();
        // Program wins over Main, whichever comes first.
        assert_eq!(h.init_fn_offset, Some(0x20));
        assert_eq!(h.binary_offset(), h.header_size + 0x40);
        assert_eq!(h.binary_end_offset, Some(700));
        assert_eq!(h.app_version, 3);
        assert_eq!(h.fixed_ram, Some(0x2000_8000));
        assert_eq!(h.fixed_flash, None);
        assert_eq!(h.kernel_version, Some((2, 1)));
        assert_eq!(h.short_id, Some(0x101));
    }

    #[test]
    fn first_main_counts_and_a_later_malformed_one_is_ignored() {
        let mut t = Vec::new();
        tlv(&mut t, tlv::MAIN, &words(&[0x10, 0, 1024]));
        tlv(&mut t, tlv::MAIN, &words(&[0x99, 0]));
        let img = with_tlvs(&t, 256);
        let h = parse(&img).unwrap();
        assert_eq!(h.init_fn_offset, Some(0x10));
        // But a malformed first Main, Program, FixedAddresses or KernelVersion is an error.
        for (ty, len) in [
            (tlv::MAIN, 8),
            (tlv::PROGRAM, 12),
            (tlv::FIXED_ADDRESSES, 4),
            (tlv::KERNEL_VERSION, 8),
            (tlv::SHORT_ID, 8),
            (tlv::WRITEABLE_FLASH, 12),
        ] {
            let mut t = Vec::new();
            tlv(&mut t, ty, &std::vec![0u8; len]);
            let img = with_tlvs(&t, 256);
            let e = parse(&img).unwrap_err();
            assert_eq!(
                e,
                TbfError::BadTlvLength {
                    tlv_type: ty,
                    length: len as u16
                }
            );
            // Discovery goes on after such an app, as Tock's loader does.
            assert_eq!(e.skip(256), Some(256));
        }
    }

    #[test]
    fn rejects_corruption() {
        let mut img = build("hello", false, None, 512);
        img[20] ^= 1;
        let e = parse(&img).unwrap_err();
        assert!(matches!(e, TbfError::BadChecksum { .. }));
        assert_eq!(e.skip(512), Some(512));
        let img = build("hello", false, None, 512);
        let e = parse(&img[..256]).unwrap_err();
        assert!(matches!(
            e,
            TbfError::TooLarge {
                total_size: 512,
                ..
            }
        ));
        assert_eq!(e.skip(512), None);
        let mut bad = img.clone();
        bad[0] = 3;
        assert_eq!(parse(&bad), Err(TbfError::BadVersion(3)));
        assert_eq!(parse(&[0xFF; 64]), Err(TbfError::End));
        assert_eq!(parse(&[0; 64]), Err(TbfError::End));
        let mut small = img.clone();
        small[2] = 8;
        small[3] = 0;
        let e = parse(&small).unwrap_err();
        assert!(matches!(e, TbfError::BadHeaderSize { .. }));
        assert_eq!(e.skip(512), Some(512));
        assert_eq!(e.skip(0), None, "a zero total size cannot be skipped");
        let mut name = Vec::new();
        tlv(&mut name, tlv::PACKAGE_NAME, &[0xff, 0xfe]);
        assert_eq!(parse(&with_tlvs(&name, 128)), Err(TbfError::BadName));
    }

    #[test]
    fn rejects_an_overrunning_tlv_and_a_binary_end_past_the_tbf() {
        // A TLV whose length runs past header_size, with a valid checksum.
        let mut t = Vec::new();
        t.extend_from_slice(&3u16.to_le_bytes());
        t.extend_from_slice(&40u16.to_le_bytes());
        t.extend_from_slice(&[0; 4]);
        assert_eq!(
            parse(&with_tlvs(&t, 64)),
            Err(TbfError::TlvOverrun {
                tlv_type: 3,
                offset: 16
            })
        );
        let mut t = Vec::new();
        tlv(&mut t, tlv::PROGRAM, &words(&[0, 0, 0, 0x1000, 0]));
        assert_eq!(
            parse(&with_tlvs(&t, 256)),
            Err(TbfError::BadBinaryEnd {
                binary_end_offset: 0x1000,
                total_size: 256
            })
        );
    }

    #[test]
    fn checksum_counts_whole_words_only() {
        let mut t = Vec::new();
        tlv(&mut t, tlv::MAIN, &words(&[0, 0, 0]));
        let mut img = with_tlvs(&t, 64);
        // Header size 34: the two extra bytes are not a whole word and do not count.
        img[2] = 34;
        img[32] = 0xaa;
        img[33] = 0x55;
        let c = checksum(&img[..34]);
        assert_eq!(c, checksum(&img[..32]));
        img[12..16].copy_from_slice(&c.to_le_bytes());
        assert!(
            matches!(parse(&img), Err(TbfError::TlvOverrun { offset: 32, .. })),
            "the 2 stray bytes are a truncated TLV"
        );
    }

    #[test]
    fn padding_app_has_no_entry() {
        let img = with_tlvs(&[], 128);
        let h = parse(&img).unwrap();
        assert!(h.is_padding());
        assert_eq!(h.entry_offset(), None);
    }
}
