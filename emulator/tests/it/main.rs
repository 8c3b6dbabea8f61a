//! The emulator's integration tests, one binary for all of them (like jj's `tests/runner.rs`):
//! one link instead of one per file, and one place where the shared helpers are compiled.
//! Every test starts its own emulator and talks real HTTP to it on loopback.

mod common;

mod accounts_admin;
mod clock;
mod delegated;
mod docs;
mod identity;
mod limits;
mod persistence;
mod profiles;
mod state_file;
mod token;
mod workload;
