//! A spinner on stderr while iamctl waits for the network, shown only when the wait lasts
//! more than a moment and only to a person: stderr is a terminal, no `-q`, no HTTP trace on
//! stderr, and `TERM` set and not `dumb` (indicatif's own rule, checked here first so no
//! thread is started for nothing).
//!
//! `Client::execute` holds a `Spinner` for each request. A background thread sleeps
//! `DELAY` first, so quick requests draw nothing at all; dropping the guard stops the thread
//! and waits for it to erase its line, so a spinner can never be left behind in front of a
//! prompt, an error or the command's output (prompts only happen between requests).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a request may take before the spinner appears.
const DELAY: Duration = Duration::from_millis(150);
const TICK: Duration = Duration::from_millis(80);

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Decides once whether spinners may be drawn (one `isatty`, no other work).
pub fn init(quiet: bool) {
    let dumb = std::env::var("TERM").map_or(true, |t| t.is_empty() || t == "dumb");
    ENABLED.store(
        !quiet && !dumb && std::io::stderr().is_terminal(),
        Ordering::Relaxed,
    );
}

/// While alive, a spinner may be showing; dropping it erases it.
pub struct Spinner {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the delayed spinner with `message` (e.g. `Waiting for iam.cloud.ibm.com`).
pub fn start(message: String) -> Spinner {
    let idle = Spinner {
        stop: None,
        thread: None,
    };
    if !ENABLED.load(Ordering::Relaxed) || crate::iam::trace::to_stderr() {
        return idle;
    }
    let (tx, rx) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("spinner".into())
        .spawn(move || {
            // A message or a hang-up before the delay means the work is done: draw nothing.
            if rx.recv_timeout(DELAY) != Err(RecvTimeoutError::Timeout) {
                return;
            }
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner())
                .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ");
            bar.set_style(style);
            bar.set_message(message);
            loop {
                bar.tick();
                match rx.recv_timeout(TICK) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            }
            bar.finish_and_clear();
        });
    match spawned {
        Ok(thread) => Spinner {
            stop: Some(tx),
            thread: Some(thread),
        },
        // No thread, no spinner: never a reason to fail a command.
        Err(_) => idle,
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
