//! `POST /identity/token`: the `Authorization` line and the form body, through the form decoder,
//! the client's Basic credentials and every grant. See `iam_emulator::fuzz::Http::token`.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::http().token(data);
});
