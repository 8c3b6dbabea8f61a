//! IAM's, the platform APIs' and the VPC metadata service's success bodies (which one: the
//! first byte). See `iamctl::fuzz::iam_body`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::iam_body(data);
});
