//! The stored-key index, `stored-keys.json`. See `iamctl::fuzz::stored_keys`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::stored_keys(data);
});
