//! JWT claims: `iam::jwt` (a login's identity and times) and `token decode`. See `iamctl::fuzz::jwt`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iamctl::fuzz::jwt(data);
});
