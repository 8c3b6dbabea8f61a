//! iamctl's end-to-end tests, in one binary: each module below is one area of the command
//! line, run against the real `iamctl` binary and an in-process emulator; `fixtures` holds
//! what they share (the test environment, the emulator's admin API, logins, pseudo-terminals).
//!
//! One binary instead of one per file: the test dependencies (the emulator, axum, tokio,
//! reqwest) are linked once. Module names are the old file names, so a filter still selects
//! an area: `cargo test --test e2e login_apikey::`.

mod fixtures;

mod bounded_input;
// Reads /proc for every process's arguments.
#[cfg(target_os = "linux")]
mod canary;
mod compat;
mod completions;
mod credential_docker;
mod credential_kubectl;
mod exec;
mod help_examples;
mod hot_path;
mod identity_api_keys;
mod identity_keyring;
mod identity_pty;
mod identity_service_ids;
mod login_apikey;
mod login_noninteractive;
mod pty_login;
mod refresh;
mod resources;
mod secrets;
mod session_files;
mod sessions;
mod spinner;
mod token_output;
mod trace;
mod workload;
