//! IAM's and the platform APIs' error bodies (status in the first two bytes). See `iamctl::fuzz::iam_error`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::iam_error(data);
});
