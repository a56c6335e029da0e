//! Tock Binary Format version 2 headers: parsing and validation.
//!
//! An app in flash starts with a 16-byte base header (version, header size, total size,
//! flags, checksum) followed by TLVs. This module checks everything the loader relies on and
//! names the first problem it finds; it never panics on hostile bytes.
//!
//! ```
//! use kernel::tbf::{parse, TbfError};
//! assert_eq!(parse(&[2u8, 0, 0, 0]).unwrap_err(), TbfError::Truncated { need: 16, have: 4 });
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
    /// Main's fields plus binary_end_offset and app version.
    pub const PROGRAM: u16 = 9;
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
    /// Offset of the entry point from the start of the header; `None` for a padding app.
    pub init_fn_offset: Option<u32>,
    /// Bytes after the header that the app may not write.
    pub protected_trailer_size: u32,
    /// Bytes of RAM the app asks for.
    pub minimum_ram_size: u32,
    /// End of the binary (Program TLV only).
    pub binary_end_offset: Option<u32>,
    /// App version (Program TLV only).
    pub app_version: u32,
    /// Package name, if present and valid UTF-8.
    pub package_name: Option<&'a str>,
    /// Fixed RAM address the app was linked for.
    pub fixed_ram: Option<u32>,
    /// Fixed flash address the app was linked for.
    pub fixed_flash: Option<u32>,
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
}

/// The first problem found in a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TbfError {
    /// Fewer bytes than needed.
    Truncated { need: usize, have: usize },
    /// Flash is erased or zero here: no more apps (not an error to report).
    End,
    /// The version is not 2.
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
    /// The entry point lies outside the app's binary.
    BadEntry { init_fn_offset: u32 },
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
            TbfError::BadEntry { init_fn_offset } => {
                write!(
                    f,
                    "entry point offset {:#x} lies outside the app",
                    init_fn_offset
                )
            }
        }
    }
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// XOR of the header's 32-bit words, skipping the checksum word; a partial last word is
/// zero-padded.
pub fn checksum(header: &[u8]) -> u32 {
    let mut sum = 0u32;
    for (i, chunk) in header.chunks(4).enumerate() {
        if i == 3 {
            continue;
        }
        let mut w = [0u8; 4];
        w[..chunk.len()].copy_from_slice(chunk);
        sum ^= u32::from_le_bytes(w);
    }
    sum
}

/// Parses the header at the start of `flash` (the rest of the apps region).
pub fn parse(flash: &[u8]) -> Result<TbfHeader<'_>, TbfError> {
    if flash.len() < 4 {
        return Err(TbfError::Truncated {
            need: 16,
            have: flash.len(),
        });
    }
    let version = u16_at(flash, 0);
    if version == 0xFFFF || (version == 0 && u16_at(flash, 2) == 0) {
        return Err(TbfError::End);
    }
    if flash.len() < 16 {
        return Err(TbfError::Truncated {
            need: 16,
            have: flash.len(),
        });
    }
    if version != 2 {
        return Err(TbfError::BadVersion(version));
    }
    let header_size = u16_at(flash, 2) as u32;
    let total_size = u32_at(flash, 4);
    let flags = u32_at(flash, 8);
    let stored = u32_at(flash, 12);
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
    };
    let mut off = 16usize;
    while off + 4 <= header.len() {
        let tlv_type = u16_at(header, off);
        let length = u16_at(header, off + 2);
        let value_start = off + 4;
        let value_end = value_start + length as usize;
        if value_end > header.len() {
            return Err(TbfError::TlvOverrun {
                tlv_type,
                offset: off as u32,
            });
        }
        let v = &header[value_start..value_end];
        match tlv_type {
            tlv::MAIN => {
                if length != 12 {
                    return Err(TbfError::BadTlvLength { tlv_type, length });
                }
                // Program, when present, wins over Main.
                if h.binary_end_offset.is_none() {
                    h.init_fn_offset = Some(u32_at(v, 0));
                    h.protected_trailer_size = u32_at(v, 4);
                    h.minimum_ram_size = u32_at(v, 8);
                }
            }
            tlv::PROGRAM => {
                if length != 20 {
                    return Err(TbfError::BadTlvLength { tlv_type, length });
                }
                h.init_fn_offset = Some(u32_at(v, 0));
                h.protected_trailer_size = u32_at(v, 4);
                h.minimum_ram_size = u32_at(v, 8);
                h.binary_end_offset = Some(u32_at(v, 12));
                h.app_version = u32_at(v, 16);
            }
            tlv::PACKAGE_NAME => {
                let n = &v[..v.len().min(MAX_NAME)];
                h.package_name = core::str::from_utf8(n).ok();
            }
            tlv::FIXED_ADDRESSES => {
                if length != 8 {
                    return Err(TbfError::BadTlvLength { tlv_type, length });
                }
                let ram = u32_at(v, 0);
                let fl = u32_at(v, 4);
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
            _ => {}
        }
        // TLV values are padded to a multiple of 4 bytes.
        off = value_start + ((length as usize + 3) & !3);
    }
    if let Some(init) = h.init_fn_offset {
        let end = h.binary_end_offset.unwrap_or(total_size);
        if init < header_size || init >= end.min(total_size) {
            return Err(TbfError::BadEntry {
                init_fn_offset: init,
            });
        }
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
        let header_size = 16 + t.len() as u32;
        let mut h = Vec::new();
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&(header_size as u16).to_le_bytes());
        h.extend_from_slice(&total.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&t);
        let c = checksum(&h);
        h[12..16].copy_from_slice(&c.to_le_bytes());
        h.resize(total as usize, 0);
        h
    }

    #[test]
    fn parses_main_and_name() {
        let img = build("hello", false, None, 512);
        let h = parse(&img).unwrap();
        assert_eq!(h.package_name, Some("hello"));
        assert_eq!(h.init_fn_offset, Some(0x40));
        assert_eq!(h.minimum_ram_size, 4096);
        assert_eq!(h.total_size, 512);
        assert!(h.enabled());
        assert_eq!(h.fixed_ram, None);
    }

    #[test]
    fn parses_program_and_fixed_addresses() {
        let img = build("rng", true, Some((0x2000_8000, 0xFFFF_FFFF)), 1024);
        let h = parse(&img).unwrap();
        assert_eq!(h.binary_end_offset, Some(1024));
        assert_eq!(h.app_version, 3);
        assert_eq!(h.fixed_ram, Some(0x2000_8000));
        assert_eq!(h.fixed_flash, None);
    }

    #[test]
    fn rejects_corruption() {
        let mut img = build("hello", false, None, 512);
        img[20] ^= 1;
        assert!(matches!(parse(&img), Err(TbfError::BadChecksum { .. })));
        let img = build("hello", false, None, 512);
        assert!(matches!(
            parse(&img[..256]),
            Err(TbfError::TooLarge {
                total_size: 512,
                ..
            })
        ));
        let mut bad = img.clone();
        bad[0] = 3;
        assert_eq!(parse(&bad), Err(TbfError::BadVersion(3)));
        assert_eq!(parse(&[0xFF; 64]), Err(TbfError::End));
        assert_eq!(parse(&[0; 64]), Err(TbfError::End));
        let mut small = img.clone();
        small[2] = 8;
        small[3] = 0;
        assert!(matches!(parse(&small), Err(TbfError::BadHeaderSize { .. })));
    }

    #[test]
    fn rejects_overrunning_tlv_and_bad_entry() {
        // A TLV whose length runs past header_size, with a valid checksum.
        let mut h = words(&[0, 0, 0, 0]);
        h[0..2].copy_from_slice(&2u16.to_le_bytes());
        h[2..4].copy_from_slice(&24u16.to_le_bytes());
        h[4..8].copy_from_slice(&64u32.to_le_bytes());
        h.extend_from_slice(&3u16.to_le_bytes());
        h.extend_from_slice(&40u16.to_le_bytes());
        h.extend_from_slice(&[0; 4]);
        let c = checksum(&h);
        h[12..16].copy_from_slice(&c.to_le_bytes());
        h.resize(64, 0);
        assert_eq!(
            parse(&h),
            Err(TbfError::TlvOverrun {
                tlv_type: 3,
                offset: 16
            })
        );

        let mut t = Vec::new();
        tlv(&mut t, tlv::MAIN, &words(&[0x1000, 0, 0]));
        let mut img = words(&[0, 0, 0, 0]);
        img[0..2].copy_from_slice(&2u16.to_le_bytes());
        img[2..4].copy_from_slice(&((16 + t.len()) as u16).to_le_bytes());
        img[4..8].copy_from_slice(&256u32.to_le_bytes());
        img.extend_from_slice(&t);
        let c = checksum(&img);
        img[12..16].copy_from_slice(&c.to_le_bytes());
        img.resize(256, 0);
        assert_eq!(
            parse(&img),
            Err(TbfError::BadEntry {
                init_fn_offset: 0x1000
            })
        );
    }

    #[test]
    fn padding_app_has_no_entry() {
        let mut img = words(&[0, 0, 0, 0]);
        img[0..2].copy_from_slice(&2u16.to_le_bytes());
        img[2..4].copy_from_slice(&16u16.to_le_bytes());
        img[4..8].copy_from_slice(&128u32.to_le_bytes());
        let c = checksum(&img);
        img[12..16].copy_from_slice(&c.to_le_bytes());
        img.resize(128, 0);
        let h = parse(&img).unwrap();
        assert!(h.is_padding());
    }
}
