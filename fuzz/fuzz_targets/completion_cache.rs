//! `completion-cache.json`, which TAB reads. See `iamctl::fuzz::completion_cache`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::completion_cache(data);
});
