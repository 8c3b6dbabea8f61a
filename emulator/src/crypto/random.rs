//! Secrets from the operating system's generator (through aws-lc-rs, which signs the tokens):
//! refresh tokens, API key values, one-time passcodes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The system generator failing means the machine cannot make secrets at all.
    if aws_lc_rs::rand::fill(&mut buf).is_err() {
        panic!("the operating system's random number generator failed");
    }
    buf
}

/// Random URL-safe text of `bytes` random bytes: refresh tokens, API key values.
pub fn random_token(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

/// Random text from an unambiguous alphabet, for one-time passcodes people type.
pub fn random_code(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    // Rejection sampling keeps every letter equally likely (256 is no multiple of 56).
    let limit = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes(len * 2) {
            if (b as usize) < limit && out.len() < len {
                out.push(char::from(ALPHABET[b as usize % ALPHABET.len()]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_requested_length() {
        assert_eq!(random_code(10).len(), 10);
        assert!(random_token(33).len() >= 44);
    }
}
