//! iamctl's end-to-end tests, in one binary: each module below is one area of the command
//! line, run against the real `iamctl` binary and an in-process emulator; `fixtures` holds
//! what they share (the test environment, the emulator's admin API, logins, pseudo-terminals).
//!
//! One binary instead of one per file: the test dependencies (the emulator, axum, tokio,
//! reqwest) are linked once. Module names are the old file names, so a filter still selects
//! an area: `cargo test --test e2e login_apikey::`.

mod fixtures;

mod access_account;
mod access_enforce;
mod access_groups;
mod access_guide;
mod access_policies;
mod assume;
mod bounded_input;
// Reads /proc for every process's arguments.
#[cfg(target_os = "linux")]
mod canary;
mod compat;
mod completions;
// Runs the iam-emulator image under podman, and iamctl in a private mount namespace.
#[cfg(target_os = "linux")]
mod container_image;
mod credential_docker;
mod credential_kubectl;
mod exec;
mod fail_fast;
mod guide_transcripts;
mod help_examples;
mod hostile;
mod hot_path;
mod ibm_flags;
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
mod tls_trust;
mod token_output;
mod trace;
mod workload;

/// A test file this binary does not declare would never run, silently (jj's guard).
#[test]
fn test_no_forgotten_test_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap_or_else(|e| panic!("{e}"));
    let declared: Vec<&str> = main
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut forgotten: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let module = match e.file_type().ok()?.is_dir() {
                true => e.path().join("mod.rs").is_file().then(|| name.clone())?,
                false => name.strip_suffix(".rs")?.to_string(),
            };
            (module != "main" && !declared.contains(&module.as_str())).then_some(name)
        })
        .collect();
    forgotten.sort();
    assert!(
        forgotten.is_empty(),
        "tests/e2e has files main.rs does not declare (add a `mod` line for each): {forgotten:?}"
    );
    assert!(
        declared.len() > 20,
        "read no `mod` lines from main.rs: {declared:?}"
    );
}
