//! The state file (`--state FILE`), as the emulator reads it at start; a world that loads is
//! served a few requests. See `iam_emulator::fuzz::state`.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::block_on(iam_emulator::fuzz::state(data));
});
