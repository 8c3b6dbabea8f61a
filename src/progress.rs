//! A spinner on stderr while iamctl waits for the network, shown only when the wait lasts
//! more than a moment and only to a person: stderr is a terminal, no `-q`, no HTTP trace on
//! stderr, and `TERM` set and not `dumb` (a terminal that cannot erase a line gets none).
//!
//! `Client::execute` holds a `Spinner` for each request. A background thread sleeps
//! `DELAY` first, so quick requests draw nothing at all; dropping the guard stops the thread
//! and waits for it to erase its line, so a spinner can never be left behind in front of a
//! prompt, an error or the command's output (prompts only happen between requests).
//!
//! Hand-written rather than `indicatif`: a frame, a message and an erase are all it takes,
//! and indicatif linked `libm` (one more shared library loaded by every run, the
//! `oauth-tokens` hot path included) and ~100 KB of progress-bar machinery for it.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a request may take before the spinner appears.
const DELAY: Duration = Duration::from_millis(150);
const TICK: Duration = Duration::from_millis(80);
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/// Carriage return, then erase the whole line.
const ERASE: &str = "\r\x1b[2K";

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Decides once whether spinners may be drawn (one `isatty`, no other work). A trace on
/// stderr keeps them off, so the two do not mix.
pub fn init(quiet: bool, trace_on_stderr: bool) {
    let dumb = std::env::var("TERM").map_or(true, |t| t.is_empty() || t == "dumb");
    ENABLED.store(
        !quiet && !dumb && !trace_on_stderr && std::io::stderr().is_terminal(),
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
    if !ENABLED.load(Ordering::Relaxed) {
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
            let mut stderr = std::io::stderr();
            for frame in FRAMES.iter().cycle() {
                // Errors are ignored: a spinner that cannot draw must not fail the command.
                let _ = write!(stderr, "{ERASE}{frame} {message}");
                let _ = stderr.flush();
                if rx.recv_timeout(TICK) != Err(RecvTimeoutError::Timeout) {
                    break;
                }
            }
            let _ = write!(stderr, "{ERASE}");
            let _ = stderr.flush();
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
