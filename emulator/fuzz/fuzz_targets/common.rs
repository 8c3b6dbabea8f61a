//! What the targets share: one runtime per thread with paused time (a delay fault or a dropped
//! connection is skipped over, not waited for) and one demo world behind the router.

use std::future::Future;
use std::sync::OnceLock;

use iam_emulator::fuzz::Http;

#[allow(dead_code)]
pub fn block_on<F: Future>(f: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a Tokio runtime");
    }
    RUNTIME.with(|rt| rt.block_on(f))
}

#[allow(dead_code)]
pub fn http() -> &'static Http {
    static HTTP: OnceLock<Http> = OnceLock::new();
    HTTP.get_or_init(Http::new)
}
