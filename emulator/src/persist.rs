//! Keeping the state file (`--state`) up to date while serving: a background task writes it
//! soon after something was marked dirty, and the server writes it once more at shutdown.
//! Requests never wait for the disk.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::app::{App, lock, read};
use crate::model::state::{self, SnapshotOut, StateError};

fn snapshot(app: &App) -> SnapshotOut {
    let sessions = lock(&app.sessions)
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let delegations = lock(&app.delegations)
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    SnapshotOut::new(
        app.signer.stored(),
        read(&app.world).clone(),
        sessions,
        delegations,
        app.clock.offset(),
    )
}

/// Writes the state now if anything changed since the last write (or unconditionally with
/// `force`).
pub fn flush(app: &App, force: bool) -> Result<(), StateError> {
    let Some(path) = &app.state_path else {
        return Ok(());
    };
    let _writer = lock(&app.flush_lock);
    if !app.dirty.swap(false, Ordering::AcqRel) && !force {
        return Ok(());
    }
    let result = state::save(path, &snapshot(app));
    if result.is_err() {
        // Try again on the next change or at shutdown.
        app.dirty.store(true, Ordering::Release);
    }
    result
}

/// Background writer: wakes on `mark_dirty`, lets a burst of changes settle, writes once.
/// The pause after a write grows with the write's cost (10x), so a busy emulator with a big
/// state spends at most about a tenth of one core on persistence.
pub async fn flusher(app: Arc<App>) {
    let mut pause = Duration::from_millis(50);
    loop {
        app.dirty_notify.notified().await;
        tokio::time::sleep(pause).await;
        let app2 = app.clone();
        let started = std::time::Instant::now();
        // Nobody waits on this write, so its failure is said here; the serving goes on.
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || flush(&app2, false)).await {
            eprintln!("iam-emulator: {e}");
        }
        pause = (started.elapsed() * 10).clamp(Duration::from_millis(50), Duration::from_secs(5));
    }
}
