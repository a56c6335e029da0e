//! Build script of every board crate (each Cargo.toml says `build = "../build.rs"`): passes
//! the board's own linker script, `<board>/layout.ld`, to the linker (only for the ARM target).
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    if std::env::var("TARGET").map_or(false, |t| t.starts_with("thumb")) {
        println!("cargo:rustc-link-arg=-T{}/layout.ld", dir);
    }
    println!("cargo:rerun-if-changed=layout.ld");
}
