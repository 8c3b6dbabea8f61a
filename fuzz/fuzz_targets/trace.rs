//! The HTTP trace's redaction of bodies iamctl did not write. See `iamctl::fuzz::trace`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::trace(data);
});
