//! Passes the board's linker script to the linker (only for the ARM target).
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    if std::env::var("TARGET")
        .map(|t| t.starts_with("thumb"))
        .unwrap_or(false)
    {
        println!("cargo:rustc-link-arg=-T{}/layout.ld", dir);
    }
    println!("cargo:rerun-if-changed=layout.ld");
}
