//! Secrets the emulator checks rather than issues: the admin token. Kept as a SHA-256 digest
//! and compared in constant time, so neither the time a comparison takes nor the length of a
//! guess tells a caller how close it came.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};

pub struct SecretDigest([u8; 32]);

impl SecretDigest {
    pub fn of(secret: &str) -> SecretDigest {
        let mut out = [0u8; 32];
        out.copy_from_slice(digest(&SHA256, secret.as_bytes()).as_ref());
        SecretDigest(out)
    }

    /// Whether `given` is the secret. Both sides are digests of the same length, so the
    /// comparison (aws-lc's `CRYPTO_memcmp`) takes the same time whatever was given.
    pub fn matches(&self, given: &str) -> bool {
        verify_slices_are_equal(&self.0, SecretDigest::of(given).0.as_slice()).is_ok()
    }
}

impl std::fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretDigest(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_secret_matches() {
        let d = SecretDigest::of("an-admin-token-of-some-length");
        assert!(d.matches("an-admin-token-of-some-length"));
        for other in [
            "",
            "an-admin-token-of-some-lengtH",
            "an-admin-token-of-some-length ",
        ] {
            assert!(!d.matches(other), "{other:?}");
        }
    }
}
