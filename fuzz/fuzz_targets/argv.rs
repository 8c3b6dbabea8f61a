//! The command lines answered past clap (arguments separated by NUL bytes), against clap. See `iamctl::fuzz::argv`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::argv(data);
});
