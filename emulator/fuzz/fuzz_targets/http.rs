//! Sequences of requests through the whole router: IAM Identity v1 bodies, queries and headers,
//! page tokens, accounts and resource groups, the admin API, the VPC metadata service, the
//! passcode page, the body limit and faults. See `iam_emulator::fuzz::Http::run`.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::block_on(common::http().run(data));
});
