//! A session file (`sessions/<name>.json`) as `SessionStore::load` reads it, and what
//! `sessions`, `target` and the token hot path compute from it. See `iamctl::fuzz::session_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::session_file(data);
});
