//! The explicit file store, `secrets.json`. See `iamctl::fuzz::secrets_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::secrets_file(data);
});
