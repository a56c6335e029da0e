//! The ABI as JSON, for tools that are not Rust (the IDE's Tock views read `abi.json`).
//!
//! `Description` prints every table of this crate from the same enums the kernel and the
//! runtime use, so the JSON cannot drift from them: this crate's test compares it with the
//! committed `abi.json` (and rewrites the file when run with `ABI_JSON_WRITE=1`).
//!
//! ```
//! let text = format!("{}", abi::json::Description);
//! assert!(text.contains("\"NOSUPPORT\""));
//! ```

use crate::*;
use core::fmt::{self, Display, Formatter, Write};

/// The whole ABI description (Display writes the JSON, two-space indented).
pub struct Description;

/// The format of the JSON itself (fields added keep it; a removed or renamed field bumps it).
pub const FORMAT: u32 = 1;

fn list<T: Copy>(
    f: &mut Formatter<'_>,
    key: &str,
    items: &[T],
    mut item: impl FnMut(&mut Formatter<'_>, T) -> fmt::Result,
    last: bool,
) -> fmt::Result {
    writeln!(f, "  \"{}\": [", key)?;
    for (i, &x) in items.iter().enumerate() {
        f.write_str("    { ")?;
        item(f, x)?;
        f.write_str(if i + 1 < items.len() { " },\n" } else { " }\n" })?;
    }
    f.write_str(if last { "  ]\n" } else { "  ],\n" })
}

impl Display for Description {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("{\n")?;
        writeln!(f, "  \"format\": {},", FORMAT)?;
        writeln!(
            f,
            "  \"abiVersion\": [{}, {}],",
            ABI_VERSION.0, ABI_VERSION.1
        )?;
        write!(
            f,
            "  \"anchor\": {{\n    \"symbol\": \"{}\",\n    \"version\": {},\n    \"magic\": [",
            Escaped(anchor::SYMBOL),
            anchor::VERSION
        )?;
        for (i, b) in anchor::MAGIC.iter().enumerate() {
            write!(f, "{}{}", if i == 0 { "" } else { ", " }, b)?;
        }
        f.write_str("]\n  },\n")?;
        writeln!(f, "  \"tracePort\": {},", trace::PORT)?;
        list(
            f,
            "errorCodes",
            ErrorCode::ALL,
            |f, e| {
                write!(
                    f,
                    "\"number\": {}, \"name\": \"{}\", \"rust\": \"{:?}\", \"userspaceOnly\": {}",
                    e.number(),
                    e.name(),
                    e,
                    e == ErrorCode::BadRVal
                )
            },
            false,
        )?;
        list(
            f,
            "syscallClasses",
            SyscallClass::ALL,
            |f, c| {
                write!(
                    f,
                    "\"number\": {}, \"name\": \"{}\", \"rust\": \"{:?}\"",
                    c.number(),
                    c.name(),
                    c
                )
            },
            false,
        )?;
        list(
            f,
            "returnVariants",
            ReturnVariant::ALL,
            |f, v| {
                write!(
                    f,
                    "\"number\": {}, \"name\": \"{}\", \"registers\": {}, \"success\": {}",
                    v.number(),
                    v.name(),
                    v.registers_used(),
                    v.is_success()
                )
            },
            false,
        )?;
        let named = |f: &mut Formatter<'_>, n: u32, name: &str| {
            write!(f, "\"number\": {}, \"name\": \"{}\"", n, name)
        };
        list(
            f,
            "yieldKinds",
            YieldKind::ALL,
            |f, k| named(f, k.number(), k.name()),
            false,
        )?;
        list(
            f,
            "exitKinds",
            ExitKind::ALL,
            |f, k| named(f, k.number(), k.name()),
            false,
        )?;
        list(
            f,
            "memops",
            MemopOp::ALL,
            |f, k| named(f, k.number(), k.name()),
            false,
        )?;
        list(
            f,
            "drivers",
            Driver::ALL,
            |f, k| named(f, k.number(), k.name()),
            false,
        )?;
        list(
            f,
            "traceEvents",
            TraceEvent::ALL,
            |f, k| named(f, k.number(), k.name()),
            true,
        )?;
        f.write_str("}\n")
    }
}

/// A string with JSON's special characters escaped.
struct Escaped<'a>(&'a str);

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Description;

    const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/abi.json");

    /// The committed abi.json is this crate's description; `ABI_JSON_WRITE=1 cargo test -p abi`
    /// rewrites it after a change to the tables.
    #[test]
    fn abi_json_is_current() {
        let text = format!("{}", Description);
        if std::env::var("ABI_JSON_WRITE").map_or(false, |v| v == "1") {
            std::fs::write(FILE, &text).expect("write abi.json");
        }
        let committed = std::fs::read_to_string(FILE).unwrap_or_default();
        assert!(
            committed == text,
            "kernel/abi/abi.json is stale: run `ABI_JSON_WRITE=1 cargo test -p abi` in kernel/ (or `node scripts/kernel.mjs abi`) and commit it"
        );
    }
}
