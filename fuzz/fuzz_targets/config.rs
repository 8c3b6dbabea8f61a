//! `config.json`: the secret store, the registries, and a change keeping the rest. See `iamctl::fuzz::config_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::config_file(data);
});
