//! What a registry client writes to the Docker credential helper's stdin. See `iamctl::fuzz::docker_stdin`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::docker_stdin(data);
});
