//! The emulator's integration tests, one binary for all of them (like jj's `tests/runner.rs`):
//! one link instead of one per file, and one place where the shared helpers are compiled.
//! Every test starts its own emulator and talks real HTTP to it on loopback.

mod common;

mod access;
mod accounts_admin;
mod admin_bounds;
mod admin_token;
mod clock;
mod delegated;
mod docs;
mod health;
mod identity;
mod journal;
mod limits;
mod persistence;
mod profiles;
mod reset;
mod state_file;
mod tls;
mod token;
mod workload;
mod world;

/// Every file here must be a module of this binary: a file without its `mod` line is never
/// compiled, and its tests would silently not run (jj's guard, from its `tests/runner.rs`).
#[test]
fn test_no_forgotten_test_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let main = std::fs::read_to_string(dir.join("main.rs"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join("main.rs").display()));
    let declared: std::collections::HashSet<&str> = main
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))?
                .strip_suffix(';')
        })
        .collect();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut forgotten: Vec<String> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .filter(|stem| stem != "main" && !declared.contains(stem.as_str()))
        .map(|stem| format!("tests/it/{stem}.rs"))
        .collect();
    forgotten.sort();
    assert!(
        forgotten.is_empty(),
        "not declared as `mod` in tests/it/main.rs, so never compiled or run: {}",
        forgotten.join(", ")
    );
}
