//! The kernel's one error type, numbered as Tock's TRD104 numbers it for userspace.
//!
//! Defined once, in the ABI crate shared with the apps runtime (`abi::ErrorCode`); the kernel
//! returns only 1-13 (`BADRVAL`, 1024, is what a runtime makes of an answer that does not
//! decode).
//!
//! ```
//! use kernel::ErrorCode;
//! assert_eq!(ErrorCode::NoSupport.as_u32(), 10);
//! assert_eq!(ErrorCode::from_u32(6), Some(ErrorCode::Invalid));
//! ```

pub use abi::ErrorCode;
