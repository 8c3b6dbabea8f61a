//! Small helpers shared by every endpoint: IBM's timestamp formats, ids, lock access. The time
//! itself comes from the emulator's clock (clock.rs).

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;

/// Fixed creation time of everything in a seed (2024-01-15T10:00:00Z), so seeded worlds are
/// byte-for-byte reproducible and users' CI can assert on them.
pub const SEED_EPOCH: i64 = 1_705_312_800;

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// IAM Identity v1 timestamps: minute precision, offset without a colon (`2026-02-19T18:59+0000`).
pub fn ibm_minute(secs: i64) -> String {
    ts(secs).strftime("%Y-%m-%dT%H:%M+0000").to_string()
}

/// Resource controller and account service timestamps (`2024-01-15T10:00:00.000Z`).
pub fn iso_millis(secs: i64) -> String {
    ts(secs).strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The token service's error `context` times (`23.11.2025 09:05:12:123 GMT`).
pub fn context_time(t: Timestamp) -> String {
    t.strftime("%d.%m.%Y %H:%M:%S:%3f GMT").to_string()
}

/// Bytes from the operating system's generator (through aws-lc-rs, which signs the tokens).
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

/// A name-based UUID, so seeded entities without explicit ids still get the same id every run.
pub fn stable_uuid(parts: &[&str]) -> uuid::Uuid {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, parts.join("\u{1f}").as_bytes())
}

pub fn random_hex32() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

// A panic while a lock is held cannot leave our maps half-updated in a way later requests
// would trip over (every mutation is a single insert/remove), so poisoning is ignored rather
// than turning one bug into a dead server.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

pub fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_ibm() {
        assert_eq!(ibm_minute(SEED_EPOCH), "2024-01-15T10:00+0000");
        assert_eq!(iso_millis(SEED_EPOCH), "2024-01-15T10:00:00.000Z");
        let t = Timestamp::from_millisecond(SEED_EPOCH * 1000 + 42).unwrap();
        assert_eq!(context_time(t), "15.01.2024 10:00:00:042 GMT");
    }

    #[test]
    fn codes_have_requested_length() {
        assert_eq!(random_code(10).len(), 10);
        assert!(random_token(33).len() >= 44);
    }
}
