//! Shell completion in real shells, and the files generated from the clap definition.
//!
//! bash (with bash-completion), zsh (compinit, in a pseudo-terminal), fish and elvish (in a
//! pseudo-terminal) load the committed scripts from completions/ and are asked what TAB
//! offers, with the real binary first on PATH. Values (service IDs, accounts, resource groups, sessions, stored keys) come
//! from the cache that commands fill: proven to need no network (the emulator's request
//! counts do not move, then the emulator is gone) and no keyring (no D-Bus reachable, and no
//! socket at all under strace). The committed completion scripts and man pages must be
//! byte-for-byte what the binary prints: scripts/gen-docs regenerates them.
//!
//! A missing shell, bash-completion or strace fails the test and names scripts/test.
#![cfg(unix)]

use crate::fixtures::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const SHELLS: [(&str, &str); 5] = [
    ("bash", "iamctl.bash"),
    ("zsh", "_iamctl"),
    ("fish", "iamctl.fish"),
    ("powershell", "_iamctl.ps1"),
    ("elvish", "iamctl.elv"),
];
const BASH_COMPLETION: &str = "/usr/share/bash-completion/bash_completion";
const NO_DBUS: &str = "unix:path=/nonexistent/iamctl-test-no-bus";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script(file: &str) -> PathBuf {
    repo().join("completions").join(file)
}

/// Fails (never skips) when a tool the test needs is missing.
fn require(program: &str, args: &[&str], package: &str) {
    let ok = Command::new(program)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{program} is missing: run the tests with scripts/test, which installs it (Debian package {package})"
    );
}

/// A shell with the pinned environment, this build's iamctl first on PATH, and no keyring
/// reachable: TAB must not need one.
fn shell(env: &TestEnv, program: &str) -> Command {
    let mut cmd = env.command(program);
    cmd.env("PATH", path_with_bin())
        .env("TERM", "dumb")
        .env("DBUS_SESSION_BUS_ADDRESS", NO_DBUS);
    cmd
}

fn run(mut cmd: Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---- the shells ----------------------------------------------------------------------------

/// Calls the function `complete -p iamctl` registered, the way readline does: COMP_WORDS,
/// COMP_CWORD, COMP_LINE, COMP_POINT set, then the function with command, word, previous word.
const BASH_DRIVER: &str = r#"
source "$BASH_COMPLETION" || exit 90
source "$SCRIPT" || exit 91
line=$1
read -ra COMP_WORDS <<<"$line"
[[ $line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
spec=$(complete -p iamctl) || exit 92
fn=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
"$fn" iamctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;

/// What TAB offers in bash after `line`.
fn bash_tab(env: &TestEnv, line: &str) -> Vec<String> {
    require("bash", &["--version"], "bash");
    assert!(
        Path::new(BASH_COMPLETION).is_file(),
        "bash-completion is missing: run the tests with scripts/test, which installs it (Debian package bash-completion)"
    );
    let mut cmd = shell(env, "bash");
    cmd.args(["--norc", "--noprofile", "-c", BASH_DRIVER, "bash", line])
        .env("BASH_COMPLETION", BASH_COMPLETION)
        .env("SCRIPT", script("iamctl.bash"));
    run(cmd)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// What TAB offers in fish after `line`: (value, description) pairs.
fn fish_tab(env: &TestEnv, line: &str) -> Vec<(String, String)> {
    require("fish", &["--version"], "fish");
    let mut cmd = shell(env, "fish");
    cmd.args(["--no-config", "-c", "source $argv[1]; complete -C $argv[2]"])
        .arg(script("iamctl.fish"))
        .arg(line);
    run(cmd)
        .lines()
        .map(|l| match l.split_once('\t') {
            Some((v, d)) => (v.to_string(), d.to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

fn fish_values(env: &TestEnv, line: &str) -> Vec<String> {
    fish_tab(env, line).into_iter().map(|(v, _)| v).collect()
}

/// The values fish offers after `line`, without the flags that are offered alongside.
fn fish_args(env: &TestEnv, line: &str) -> Vec<String> {
    fish_values(env, line)
        .into_iter()
        .filter(|v| !v.starts_with('-'))
        .collect()
}

/// Types `line` and TAB into an interactive `zsh -f` with compinit and the committed
/// script, in a pseudo-terminal; returns the listing zsh draws (the candidates' lines).
/// Every caller expects several candidates, so zsh lists them and redraws the line.
fn zsh_tab(env: &TestEnv, line: &str) -> String {
    require("zsh", &["--version"], "zsh");
    let mut cmd = shell(env, "zsh");
    cmd.args(["-f", "-i"]);
    let mut p = Pty::spawn(cmd);
    let setup = format!(
        "stty cols 250 rows 200; COLUMNS=250; LINES=200; LISTMAX=10000; PS1='> '; \
         autoload -Uz compinit && compinit -u && source '{}' && echo READY$((40+2))",
        script("_iamctl").display()
    );
    p.send_line(&setup);
    p.expect("READY42");
    p.expect("> ");
    p.send(&format!("{line}\t"));
    // After the listing zsh redraws the prompt and the line (the first "> " is consumed).
    let listing = p.expect(&format!("> {line}"));
    // An interactive zsh ignores SIGTERM (what rexpect would send on drop).
    p.kill();
    listing
}

/// What elvish's completer offers for `line`: an interactive `elvish -norc` in a
/// pseudo-terminal (the `edit:` module exists only there) evaluates the committed script, then
/// calls the arg-completer it registered with the line's words, as elvish's TAB does. The
/// candidates go to a file, away from the line editor's redraws.
fn elvish_tab(env: &TestEnv, line: &str) -> Vec<String> {
    require("elvish", &["-version"], "elvish");
    let mut words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    if line.ends_with(' ') {
        words.push(String::new());
    }
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', "''")))
        .collect();
    let out = env.home().join("..").join(format!(
        "elvish-tab-{}-{}.txt",
        std::process::id(),
        env.url().len() + line.len()
    ));
    let mut cmd = shell(env, "elvish");
    cmd.arg("-norc");
    let mut p = Pty::spawn(cmd);
    p.send_line(&format!(
        "eval (slurp < '{}'); echo READY(+ 40 2)",
        script("iamctl.elv").display()
    ));
    p.expect("READY42");
    let err = out.with_extension("err");
    p.send_line(&format!(
        "try {{ $edit:completion:arg-completer[iamctl] {} > '{}' }} catch e {{ echo (to-string $e[reason]) > '{}' }}; echo DONE(+ 40 2)",
        quoted.join(" "),
        out.display(),
        err.display()
    ));
    p.expect("DONE42");
    p.kill();
    if let Ok(reason) = std::fs::read_to_string(&err) {
        let _ = std::fs::remove_file(&err);
        panic!(
            "elvish's completer failed after {line:?}: {}",
            reason.trim()
        );
    }
    let offered = std::fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("elvish wrote no candidates after {line:?}: {e}"));
    let _ = std::fs::remove_file(&out);
    offered
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The candidates in a zsh listing: the first word of each `value -- description` line,
/// every word of lines without descriptions.
fn zsh_values(listing: &str) -> Vec<String> {
    let mut values = Vec::new();
    for line in listing.lines() {
        let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\x07');
        if let Some((value, _)) = line.split_once(" -- ") {
            values.push(value.trim().to_string());
        } else {
            values.extend(line.split_whitespace().map(str::to_string));
        }
    }
    values
}

#[track_caller]
fn assert_offers(shell: &str, line: &str, offered: &[String], wanted: &[&str]) {
    for w in wanted {
        assert!(
            offered.iter().any(|o| o == w),
            "{shell}: TAB after {line:?} does not offer {w:?}; it offers {offered:?}"
        );
    }
}

#[track_caller]
fn assert_lacks(shell: &str, line: &str, offered: &[String], unwanted: &[&str]) {
    for u in unwanted {
        assert!(
            !offered.iter().any(|o| o == u),
            "{shell}: TAB after {line:?} offers {u:?}: {offered:?}"
        );
    }
}

const SERVICE_FAMILY: &[&str] = &[
    "service-id",
    "service-ids",
    "service-id-create",
    "service-id-update",
    "service-id-delete",
    "service-id-lock",
    "service-id-unlock",
    "service-api-key",
    "service-api-keys",
    "service-api-key-create",
    "service-api-key-update",
    "service-api-key-delete",
    "service-api-key-lock",
    "service-api-key-unlock",
];
const LOGIN_FLAGS: &[&str] = &[
    "--apikey",
    "--sso",
    "--api-endpoint",
    "--no-region",
    "--no-browser",
    "--no-account",
    "--keyring",
    "--skip-ssl-validation",
    "--output",
    "--session",
];

// ---- structure -------------------------------------------------------------------------------

#[test]
fn bash_offers_the_commands_and_flags() {
    let env = TestEnv::without_keyring_check();
    for line in ["iamctl iam service-", "iamctl service-"] {
        let offered = bash_tab(&env, line);
        assert_offers("bash", line, &offered, SERVICE_FAMILY);
        assert_lacks("bash", line, &offered, &["login", "api-key"]);
    }
    let offered = bash_tab(&env, "iamctl login --");
    assert_offers("bash", "iamctl login --", &offered, LOGIN_FLAGS);
    let offered = bash_tab(&env, "iamctl ");
    assert_offers(
        "bash",
        "iamctl ",
        &offered,
        &[
            "login",
            "target",
            "oauth-tokens",
            "iam",
            "completion",
            "sessions",
        ],
    );
    // The maintainers' man page generator is not part of the tree.
    assert_lacks("bash", "iamctl ", &offered, &["generate-man"]);
    assert!(bash_tab(&env, "iamctl generate-").is_empty());
    let offered = bash_tab(&env, "iamctl completion ");
    assert_offers(
        "bash",
        "iamctl completion ",
        &offered,
        &["bash", "zsh", "fish", "powershell", "elvish"],
    );
}

#[test]
fn fish_offers_the_commands_and_flags_with_descriptions() {
    let env = TestEnv::without_keyring_check();
    let offered = fish_tab(&env, "iamctl iam service-");
    let values: Vec<String> = offered.iter().map(|(v, _)| v.clone()).collect();
    assert_offers("fish", "iamctl iam service-", &values, SERVICE_FAMILY);
    assert!(
        offered
            .iter()
            .any(|(v, d)| v == "service-id-create"
                && d == "Create a service ID in the current account"),
        "{offered:?}"
    );
    let values = fish_values(&env, "iamctl login --");
    assert_offers("fish", "iamctl login --", &values, LOGIN_FLAGS);
    let values = fish_values(&env, "iamctl oauth-tokens --output ");
    assert_offers(
        "fish",
        "iamctl oauth-tokens --output ",
        &values,
        &["text", "json", "raw", "env"],
    );
}

#[test]
fn zsh_offers_the_commands_and_flags_with_descriptions() {
    let env = TestEnv::without_keyring_check();
    let listing = zsh_tab(&env, "iamctl iam service-");
    assert_offers(
        "zsh",
        "iamctl iam service-",
        &zsh_values(&listing),
        SERVICE_FAMILY,
    );
    assert!(
        listing.contains("-- Create a service ID in the current account"),
        "{listing}"
    );
    let listing = zsh_tab(&env, "iamctl login --");
    assert_offers("zsh", "iamctl login --", &zsh_values(&listing), LOGIN_FLAGS);
}

#[test]
fn elvish_offers_the_commands_and_flags() {
    let env = TestEnv::without_keyring_check();
    for line in ["iamctl iam service-", "iamctl service-"] {
        let offered = elvish_tab(&env, line);
        assert_offers("elvish", line, &offered, SERVICE_FAMILY);
        assert_lacks("elvish", line, &offered, &["login", "api-key"]);
    }
    let offered = elvish_tab(&env, "iamctl login --");
    assert_offers("elvish", "iamctl login --", &offered, LOGIN_FLAGS);
}

// ---- values ----------------------------------------------------------------------------------

fn demo_account(env: &TestEnv, name: &str) -> String {
    env.info()
        .accounts
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.id.clone())
        .unwrap_or_else(|| panic!("no account {name} in the demo world"))
}

#[test]
fn values_come_from_the_cache_with_no_network_and_no_keyring() {
    let mut env = TestEnv::new();
    env.login();
    for name in ["tab-alpha", "tab-beta"] {
        env.iamctl(["service-id-create", name]).run().success();
    }
    env.iamctl(["service-ids"]).run().success();
    env.iamctl(["api-key-create", "tab-key", "--keyring", "tabkey"])
        .run()
        .success();
    let demo = demo_account(&env, "Demo Account");
    let staging = demo_account(&env, "Staging Account");
    let sids = ["demo-service", "tab-alpha", "tab-beta"];
    let groups = ["Default", "dev", "prod"];

    let check = |env: &TestEnv| {
        // fish: service IDs by name with their ID as description, everywhere one is taken.
        for line in [
            "iamctl service-id ",
            "iamctl iam service-id-delete ",
            "iamctl service-api-keys ",
            "iamctl service-api-key-create keyname ",
        ] {
            assert_offers("fish", line, &fish_values(env, line), &sids);
        }
        let described = fish_tab(env, "iamctl service-id demo");
        assert_eq!(
            described,
            [(
                "demo-service".to_string(),
                "ServiceId-5e0b3c0a-7d1e-4d5f-9a62-3f0c8e1b2a41".to_string()
            )]
        );
        let accounts = fish_tab(env, "iamctl target -c ");
        assert!(
            accounts.contains(&(demo.clone(), "Demo Account".to_string()))
                && accounts.contains(&(staging.clone(), "Staging Account".to_string())),
            "{accounts:?}"
        );
        assert_offers(
            "fish",
            "iamctl login -r ",
            &fish_values(env, "iamctl login -r "),
            &["us-south", "eu-de", "jp-tok"],
        );
        assert_offers(
            "fish",
            "iamctl --session ",
            &fish_values(env, "iamctl --session "),
            &["default"],
        );
        assert_offers(
            "fish",
            "iamctl session-switch ",
            &fish_values(env, "iamctl session-switch "),
            &["default"],
        );
        for line in ["iamctl login --keyring ", "iamctl stored-key-delete "] {
            assert_offers("fish", line, &fish_values(env, line), &["tabkey"]);
        }
        // The user's own API keys, by name.
        for line in ["iamctl api-key ", "iamctl iam api-key-lock "] {
            assert_offers("fish", line, &fish_values(env, line), &["tab-key"]);
        }

        // bash
        for line in ["iamctl service-id ", "iamctl iam service-id-update "] {
            assert_offers("bash", line, &bash_tab(env, line), &sids);
        }
        for line in ["iamctl target -c ", "iamctl login -c "] {
            assert_offers("bash", line, &bash_tab(env, line), &[&demo, &staging]);
        }
        assert_offers(
            "bash",
            "iamctl api-key-delete ",
            &bash_tab(env, "iamctl api-key-delete "),
            &["tab-key"],
        );
        assert_offers(
            "bash",
            "iamctl target -g ",
            &bash_tab(env, "iamctl target -g "),
            &groups,
        );

        // zsh
        let listing = zsh_tab(env, "iamctl service-id ");
        assert_offers("zsh", "iamctl service-id ", &zsh_values(&listing), &sids);
        assert!(
            listing.contains("-- ServiceId-5e0b3c0a-7d1e-4d5f-9a62-3f0c8e1b2a41"),
            "{listing}"
        );
        let listing = zsh_tab(env, "iamctl target -c ");
        assert_offers(
            "zsh",
            "iamctl target -c ",
            &zsh_values(&listing),
            &[&demo, &staging],
        );
        assert!(listing.contains("-- Staging Account"), "{listing}");
        let listing = zsh_tab(env, "iamctl login -g ");
        assert_offers("zsh", "iamctl login -g ", &zsh_values(&listing), &groups);

        // elvish
        let line = "iamctl service-api-keys ";
        assert_offers("elvish", line, &elvish_tab(env, line), &sids);
        let line = "iamctl target -c ";
        assert_offers("elvish", line, &elvish_tab(env, line), &[&demo, &staging]);
    };

    // No request reaches IAM while TAB is pressed ...
    let before = env.requests();
    check(&env);
    assert_eq!(env.requests(), before, "TAB sent requests to IAM");

    // ... and no socket is opened at all (no network, no D-Bus for a keyring).
    let mut cmd = shell(&env, "strace");
    cmd.env("IAMCTL_COMPLETE", "fish");
    let (offered, trace) =
        strace_iamctl(cmd, "socket,connect", &["--", "iamctl", "service-id", ""]);
    assert!(offered.contains("tab-alpha\t"), "{offered}");
    assert!(!trace.contains("socket("), "TAB opened a socket:\n{trace}");
    assert!(!trace.contains("connect("), "TAB connected:\n{trace}");

    // With the emulator gone, TAB still offers everything.
    let gone = std::mem::replace(
        &mut env.emu,
        iam_emulator::spawn(iam_emulator::Config::default())
            .unwrap_or_else(|e| panic!("emulator: {e}")),
    );
    drop(gone);
    check(&env);
}

#[test]
fn only_the_targeted_accounts_names_are_offered() {
    let env = TestEnv::new();
    env.login();
    env.iamctl(["service-ids"]).run().success();
    assert_offers(
        "fish",
        "iamctl service-id ",
        &fish_values(&env, "iamctl service-id "),
        &["demo-service"],
    );
    let staging = demo_account(&env, "Staging Account");
    env.iamctl(["target", "-c", &staging]).run().success();
    // Staging's service IDs were never listed: nothing is offered, least of all Demo's.
    assert_eq!(fish_args(&env, "iamctl service-id "), Vec::<String>::new());
    // target -c fetched Staging's resource groups.
    let groups = fish_values(&env, "iamctl target -g ");
    assert_offers("fish", "iamctl target -g ", &groups, &["Default", "dev"]);
    assert_lacks("fish", "iamctl target -g ", &groups, &["prod"]);
    // A session named on the line is the one whose values are offered.
    assert_eq!(
        fish_args(&env, "iamctl --session nosuch service-id "),
        Vec::<String>::new()
    );
    let demo = demo_account(&env, "Demo Account");
    env.iamctl(["target", "-c", &demo]).run().success();
    assert_offers(
        "fish",
        "iamctl service-id ",
        &fish_values(&env, "iamctl service-id "),
        &["demo-service"],
    );
}

/// Runs `create` (which makes `old`), renames `old` to `new` with `FAMILY-update` and deletes
/// it with `FAMILY-delete -f`, checking after each step what fish offers after `lines[step]`.
fn assert_tab_follows(
    env: &TestEnv,
    create: Cmd<'_>,
    family: &str,
    (old, new): (&str, &str),
    lines: [&str; 3],
) {
    create.run().success();
    let values = fish_values(env, lines[0]);
    assert_offers("fish", lines[0], &values, &[old]);
    env.iamctl([&format!("{family}-update"), old, "-n", new])
        .run()
        .success();
    let values = fish_values(env, lines[1]);
    assert_offers("fish", lines[1], &values, &[new]);
    assert_lacks("fish", lines[1], &values, &[old]);
    env.iamctl([&format!("{family}-delete"), new, "-f"])
        .run()
        .success();
    let values = fish_values(env, lines[2]);
    assert_lacks("fish", lines[2], &values, &[new]);
}

#[test]
fn the_cache_follows_creates_renames_and_deletes() {
    let env = TestEnv::new();
    env.login();
    assert_tab_follows(
        &env,
        env.iamctl(["service-id-create", "tab-new"]),
        "service-id",
        ("tab-new", "tab-renamed"),
        ["iamctl service-id "; 3],
    );
    // The user's own API keys follow the same way; a listing replaces what was cached.
    assert_tab_follows(
        &env,
        env.iamctl(["api-key-create", "tab-own", "--file"])
            .arg(env.home().join("tab-own.json")),
        "api-key",
        ("tab-own", "tab-own2"),
        [
            "iamctl api-key ",
            "iamctl api-key-update ",
            "iamctl api-key-delete ",
        ],
    );
    // Trusted profiles too.
    assert_tab_follows(
        &env,
        env.iamctl(["trusted-profile-create", "tab-profile"]),
        "trusted-profile",
        ("tab-profile", "tab-profile2"),
        [
            "iamctl trusted-profile ",
            "iamctl trusted-profile-links ",
            "iamctl trusted-profile-delete ",
        ],
    );
    env.iamctl(["api-keys"]).run().success();
    let listed = env
        .iamctl(["api-keys", "--output", "json"])
        .run()
        .success()
        .json_names();
    assert!(!listed.is_empty(), "the demo user has no API key to offer");
    let mut offered = fish_args(&env, "iamctl api-key ");
    offered.sort();
    let mut listed = listed;
    listed.sort();
    assert_eq!(offered, listed);
    // A service ID's keys are not the user's: never offered for `api-key`.
    env.iamctl([
        "service-api-key-create",
        "tab-sid-key",
        "demo-service",
        "--file",
    ])
    .arg(env.home().join("tab-sid-key.json"))
    .run()
    .success();
    let values = fish_values(&env, "iamctl api-key ");
    assert_lacks("fish", "iamctl api-key ", &values, &["tab-sid-key"]);

    // Two service IDs sharing a name are offered by ID (the name alone would be ambiguous).
    let a = env
        .iamctl(["service-id-create", "twin", "--output", "json"])
        .run()
        .success()
        .json();
    let b = env
        .iamctl(["service-id-create", "twin", "--output", "json"])
        .run()
        .success()
        .json();
    let offered = fish_tab(&env, "iamctl service-id ");
    assert_eq!(
        fish_args(&env, "iamctl service-id ").len(),
        2,
        "{offered:?}"
    );
    for v in [&a, &b] {
        let id = v["id"].as_str().unwrap_or_default().to_string();
        assert!(offered.contains(&(id, "twin".to_string())), "{offered:?}");
    }
    assert!(!offered.iter().any(|(v, _)| v == "twin"), "{offered:?}");
}

#[test]
fn a_broken_cache_gives_no_candidates_and_never_fails_a_command() {
    let env = TestEnv::new();
    env.login();
    let cache = env.home().join("completion-cache.json");
    std::fs::write(&cache, "{not json").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fish_args(&env, "iamctl service-id "), Vec::<String>::new());
    assert_offers(
        "fish",
        "iamctl target -r ",
        &fish_values(&env, "iamctl target -r "),
        &["us-south"],
    );
    // Listing repairs it.
    env.iamctl(["service-ids"]).run().success();
    assert_offers(
        "fish",
        "iamctl service-id ",
        &fish_values(&env, "iamctl service-id "),
        &["demo-service"],
    );
    #[cfg(unix)]
    assert_eq!(mode(&cache), 0o600);
    // A cache that cannot be written: same output, same exit code.
    let expected = env.iamctl(["service-ids"]).run().success();
    std::fs::remove_file(&cache).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(&cache).unwrap_or_else(|e| panic!("{e}"));
    let out = env.iamctl(["service-ids"]).run().success().stderr_is("");
    assert_eq!(out.stdout, expected.stdout);
    env.iamctl(["service-id-create", "still-works"])
        .run()
        .success()
        .stderr_is("");
    // The cache holds ids and names only: never a token.
    std::fs::remove_dir(&cache).unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["service-ids"]).run().success();
    let text = std::fs::read_to_string(&cache).unwrap_or_default();
    let token = env.session()["login"]["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(token.len() > 20);
    assert!(!text.contains(&token) && !text.contains("eyJ"), "{text}");
}

// ---- generated files ---------------------------------------------------------------------------

#[test]
fn the_committed_completion_scripts_are_what_the_binary_prints() {
    for (shell, file) in SHELLS {
        let printed = Command::new(BIN)
            .args(["completion", shell])
            .env_remove("IAMCTL_COMPLETE")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(printed.status.success(), "iamctl completion {shell}");
        let committed = std::fs::read(script(file)).unwrap_or_default();
        assert!(
            committed == printed.stdout,
            "completions/{file} differs from 'iamctl completion {shell}': run scripts/gen-docs and commit the result"
        );
        // The same script the completion engine itself registers.
        let registered = Command::new(BIN)
            .env("IAMCTL_COMPLETE", shell)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(registered.stdout, printed.stdout, "{shell}");
    }
}

#[test]
fn the_committed_man_pages_are_what_the_binary_generates() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("man");
    let out = Command::new(BIN)
        .arg("generate-man")
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = |d: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(d)
            .map(|it| {
                it.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let committed_dir = repo().join("docs").join("man");
    let generated = list(&dir);
    let committed = list(&committed_dir);
    let hint = "run scripts/gen-docs and commit the result";
    assert_eq!(
        committed, generated,
        "docs/man/ has other pages than 'iamctl generate-man' writes: {hint}"
    );
    for name in &generated {
        let want = std::fs::read(dir.join(name)).unwrap_or_default();
        let have = std::fs::read(committed_dir.join(name)).unwrap_or_default();
        assert!(want == have, "docs/man/{name} is out of date: {hint}");
    }
    for name in [
        "iamctl.1",
        "iamctl-login.1",
        "iamctl-completion.1",
        "iamctl-iam-service-id-create.1",
    ] {
        assert!(
            generated.contains(&name.to_string()),
            "{name}: {generated:?}"
        );
    }
    assert!(!generated.iter().any(|n| n == "iamctl-service-id-create.1"));
}

#[test]
fn completion_takes_only_known_shells() {
    let env = TestEnv::without_keyring_check();
    env.iamctl(["completion", "tcsh"])
        .run()
        .code(2)
        .stderr_contains("invalid value 'tcsh'");
    env.iamctl(["completion"]).run().code(2);
    let help = env.iamctl(["--help"]).run().success();
    assert!(help.stdout.contains("completion"));
    assert!(!help.stdout.contains("generate-man"));
    env.iamctl(["generate-man"]).run().code(2);
}

/// Types `line` and TAB into an interactive `shell` with the committed script loaded, then
/// Enter, so the line TAB completed runs; returns what the terminal showed afterwards.
fn tab_then_enter(env: &TestEnv, shell_name: &str, line: &str) -> String {
    let (program, args, setup): (&str, &[&str], String) = match shell_name {
        "bash" => (
            "bash",
            &["--norc", "--noprofile", "-i"],
            format!(
                "bind 'set show-all-if-ambiguous on'; PS1='> '; source '{}'; echo READY$((40+2))",
                script("iamctl.bash").display()
            ),
        ),
        "zsh" => (
            "zsh",
            &["-f", "-i"],
            format!(
                "PS1='> '; autoload -Uz compinit && compinit -u && source '{}' && echo READY$((40+2))",
                script("_iamctl").display()
            ),
        ),
        "fish" => (
            "fish",
            &["--no-config", "-i"],
            format!(
                "function fish_prompt; echo -n '> '; end; source '{}'; echo READY(math 40+2)",
                script("iamctl.fish").display()
            ),
        ),
        "elvish" => (
            "elvish",
            &["-norc"],
            format!(
                "set edit:prompt = {{ put '> ' }}; eval (slurp < '{}'); echo READY(+ 40 2)",
                script("iamctl.elv").display()
            ),
        ),
        other => panic!("no driver for {other}"),
    };
    let mut cmd = shell(env, program);
    cmd.args(args);
    let mut p = Pty::spawn(cmd);
    p.send_line(&setup);
    p.expect("READY42");
    p.expect("> ");
    p.send(&format!("{line}\t"));
    // Elvish opens a completion menu even for one candidate; Enter takes it.
    if shell_name == "elvish" {
        std::thread::sleep(std::time::Duration::from_millis(500));
        p.send("\r");
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    p.send("\r");
    p.send_line(match shell_name {
        "fish" => "echo DONE(math 40+2)",
        "elvish" => "echo DONE(+ 40 2)",
        _ => "echo DONE$((40+2))",
    });
    let shown = p.expect("DONE42");
    p.kill();
    shown
}

#[test]
fn a_hostile_name_is_completed_as_one_literal_word_in_every_shell() {
    let env = TestEnv::new();
    env.login();
    let canary = env.home().join("pwned");
    // What someone else in the account may call a service ID: run by the shell of whoever
    // completes it, if TAB inserted it unquoted.
    let name = format!("hostile$(touch {}) ;x", canary.display());
    env.iamctl(["service-id-create", &name]).run().success();
    env.iamctl(["service-ids"]).run().success();
    for shell_name in ["bash", "zsh", "fish", "elvish"] {
        let shown = tab_then_enter(&env, shell_name, "iamctl service-id hostile");
        assert!(
            !canary.exists(),
            "{shell_name}: completing the name ran it as code:\n{shown}"
        );
        // The command got the whole name as one argument and found the service ID.
        assert!(
            shown
                .lines()
                .any(|l| l.starts_with("Name ") && l.trim_end().ends_with(&name)),
            "{shell_name}: the completed command did not show the service ID:\n{shown}"
        );
    }
}
