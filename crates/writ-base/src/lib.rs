//! Small helpers every other Writ crate shares, kept here once so that no
//! crate has to depend on a higher one (or copy code) to get them.
//!
//! # Overview
//! - [`hex`] and [`sha256_hex`]: lower-case hex text of bytes and of their
//!   SHA-256 digest (content addresses, key ids, hash chains).
//! - [`counting`]: a reader counting the bytes and newlines read through
//!   it, with an optional watch (progress, cancellation).
//! - [`time`]: [`time::UtcTime`], the UTC timestamp type of stored times,
//!   and the fixed-width UTC timestamp texts Writ writes (RFC 3339
//!   with milliseconds or nanoseconds and a `Z`), so that texts sort in time
//!   order.
//!
//! This crate depends on no other Writ crate.

#![warn(missing_docs)]

pub mod counting;
pub mod lines;
pub mod time;

use sha2::{Digest, Sha256};

/// Lower-case hex of bytes: two characters a byte.
pub fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

/// Lower-case hex of the SHA-256 digest of bytes (64 characters).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_characters_a_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }

    #[test]
    fn sha256_hex_matches_the_published_test_vectors() {
        // FIPS 180-2 examples.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
