//! Build script of every board crate (each Cargo.toml says `build = "../build.rs"`): passes
//! the board's own linker script, `<board>/layout.ld`, to the linker (only for the ARM target).
//! With the `tock-bootloader` feature a board links with `layout-bootloader.ld` instead (the
//! kernel after Tock's serial bootloader).
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = if std::env::var_os("CARGO_FEATURE_TOCK_BOOTLOADER").is_some() {
        "layout-bootloader.ld"
    } else {
        "layout.ld"
    };
    if std::env::var("TARGET").map_or(false, |t| t.starts_with("thumb")) {
        println!("cargo:rustc-link-arg=-T{}/{}", dir, script);
    }
    println!("cargo:rerun-if-changed=layout.ld");
    println!("cargo:rerun-if-changed=layout-bootloader.ld");
}
