//! `--apikey @FILE`: IBM's key files (JSON with `apikey`, older API objects) and bare keys. See `iamctl::fuzz::key_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::key_file(data);
});
