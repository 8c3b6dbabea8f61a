//! Values from the environment and flags: endpoints, the metadata URL, regions, session
//! and stored-key names, the secret store (a second value after a NUL byte). See `iamctl::fuzz::env_values`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::env_values(data);
});
