//! A list's query string: `pagetoken`, `pagesize`, `sort`, `order`, ... and the page links of
//! the envelope back to their listing. See `iam_emulator::fuzz::page_token`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iam_emulator::fuzz::page_token(data);
});
