//! Tokens the emulator verifies (bearer tokens, cr tokens, instance identity tokens), forged
//! and, signed with the emulator's key, with made-up claims. See `iam_emulator::fuzz::Http::jwt`.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::block_on(common::http().jwt(data));
});
