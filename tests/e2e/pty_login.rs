//! Interactive logins through a real pseudo-terminal: the browser question, the hidden
//! one-time code and password prompts, the account and region menus, the summary block.
#![cfg(unix)]

use crate::fixtures::*;
use rexpect::session::{PtySession, spawn_command};

const TIMEOUT_MS: u64 = 30_000;

/// Reads up to `needle`, keeping everything seen so far in `transcript`.
fn expect(p: &mut PtySession, transcript: &mut String, needle: &str) {
    match p.exp_string(needle) {
        Ok(before) => {
            transcript.push_str(&before);
            transcript.push_str(needle);
        }
        Err(e) => panic!("waiting for {needle:?}: {e}\ntranscript so far:\n{transcript}"),
    }
}

fn spawn(env: &TestEnv, args: &[&str], extra_env: &[(&str, &str)]) -> PtySession {
    let mut cmd = env.command(BIN);
    cmd.args(args);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    spawn_command(cmd, Some(TIMEOUT_MS)).unwrap_or_else(|e| panic!("spawn: {e}"))
}

fn finish(p: &mut PtySession, transcript: &mut String) {
    match p.exp_eof() {
        Ok(rest) => transcript.push_str(&rest),
        Err(e) => panic!("waiting for the end: {e}\n{transcript}"),
    }
}

#[test]
fn sso_login_on_a_terminal() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let code = env.passcode(&info.sso_user);
    // A display exists (the browser question is asked); the answer is no.
    let mut p = spawn(
        &env,
        &["login", "--sso", "-a", &env.url()],
        &[("DISPLAY", ":99")],
    );
    let mut t = String::new();
    expect(&mut p, &mut t, &format!("API endpoint: {}", env.url()));
    expect(
        &mut p,
        &mut t,
        &format!(
            "Get a one-time code from {}/identity/passcode to proceed.",
            env.url()
        ),
    );
    expect(
        &mut p,
        &mut t,
        "Open the URL in the default browser? [Y/n] > ",
    );
    p.send_line("n").unwrap_or_else(|e| panic!("{e}"));
    expect(&mut p, &mut t, "One-time code > ");
    p.send_line(&code).unwrap_or_else(|e| panic!("{e}"));
    expect(&mut p, &mut t, "Authenticating...");
    expect(&mut p, &mut t, "OK");
    expect(&mut p, &mut t, "Select an account:");
    expect(&mut p, &mut t, "1. Demo Account (b028...9793) <-> 1234567");
    expect(&mut p, &mut t, "2. Partner Account (2bb2...b222)");
    expect(&mut p, &mut t, "Enter a number> ");
    p.send_line("2").unwrap_or_else(|e| panic!("{e}"));
    expect(
        &mut p,
        &mut t,
        "Targeted account Partner Account (2bb2...b222)",
    );
    expect(&mut p, &mut t, "Select a region (or press enter to skip):");
    expect(&mut p, &mut t, "9. us-south");
    expect(&mut p, &mut t, "Enter a number> ");
    p.send_line("9").unwrap_or_else(|e| panic!("{e}"));
    expect(&mut p, &mut t, "Targeted region us-south");
    expect(&mut p, &mut t, "Targeted resource group Default");
    expect(&mut p, &mut t, "Region:           us-south");
    expect(&mut p, &mut t, "User:             sso@example.com");
    expect(
        &mut p,
        &mut t,
        "Account:          Partner Account (2bb2...b222)",
    );
    expect(&mut p, &mut t, "Resource group:   Default");
    finish(&mut p, &mut t);
    assert!(!t.contains(&code), "the one-time code was echoed:\n{t}");
    let json = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["account"]["name"], "Partner Account");
    assert_eq!(json["region"], "us-south");
}

#[test]
fn no_browser_question_with_no_browser_flag_or_without_display() {
    let env = TestEnv::new();
    let info = env.info().clone();
    for (args, display) in [
        (
            vec![
                "login",
                "--sso",
                "--no-browser",
                "-c",
                PARTNER_ACCOUNT,
                "--no-region",
            ],
            true,
        ),
        (
            vec!["login", "--sso", "-c", PARTNER_ACCOUNT, "--no-region"],
            false,
        ),
    ] {
        let code = env.passcode(&info.sso_user);
        let mut args = args.clone();
        let url = env.url();
        args.extend(["-a", url.as_str()]);
        let extra: Vec<(&str, &str)> = if display {
            vec![("DISPLAY", ":99")]
        } else {
            vec![]
        };
        let mut p = spawn(&env, &args, &extra);
        let mut t = String::new();
        expect(&mut p, &mut t, "to proceed.");
        expect(&mut p, &mut t, "One-time code > ");
        assert!(!t.contains("[Y/n]"), "browser question asked:\n{t}");
        p.send_line(&code).unwrap_or_else(|e| panic!("{e}"));
        expect(&mut p, &mut t, "Resource group:   Default");
        finish(&mut p, &mut t);
    }
}

#[test]
fn password_login_on_a_terminal_with_skipped_region() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let mut p = spawn(&env, &["login", "-a", &env.url()], &[]);
    let mut t = String::new();
    expect(&mut p, &mut t, &format!("API endpoint: {}", env.url()));
    expect(&mut p, &mut t, "Email> ");
    p.send_line(&info.username)
        .unwrap_or_else(|e| panic!("{e}"));
    expect(&mut p, &mut t, "Password> ");
    p.send_line(&info.password)
        .unwrap_or_else(|e| panic!("{e}"));
    expect(&mut p, &mut t, "Authenticating...");
    expect(&mut p, &mut t, "Select an account:");
    expect(&mut p, &mut t, "2. Staging Account (e443...8e89)");
    expect(&mut p, &mut t, "Enter a number> ");
    p.send_line("1").unwrap_or_else(|e| panic!("{e}"));
    expect(
        &mut p,
        &mut t,
        "Targeted account Demo Account (b028...9793) <-> 1234567",
    );
    expect(&mut p, &mut t, "Select a region (or press enter to skip):");
    expect(&mut p, &mut t, "Enter a number> ");
    p.send_line("").unwrap_or_else(|e| panic!("{e}"));
    expect(&mut p, &mut t, "User:             demo@example.com");
    finish(&mut p, &mut t);
    assert!(!t.contains(&info.password), "the password was echoed:\n{t}");
    assert!(!t.contains("Targeted region"), "{t}");
    let json = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["region"], "");
}

#[test]
fn federated_user_on_a_terminal_is_told_to_use_sso() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let mut p = spawn(
        &env,
        &["login", "-a", &env.url(), "-u", &info.sso_user],
        &[],
    );
    let mut t = String::new();
    expect(&mut p, &mut t, "Password> ");
    p.send_line(&info.sso_password)
        .unwrap_or_else(|e| panic!("{e}"));
    expect(&mut p, &mut t, "FAILED");
    expect(&mut p, &mut t, "iamctl login --sso");
    finish(&mut p, &mut t);
}

#[test]
fn answering_yes_opens_the_passcode_page_in_the_browser() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let code = env.passcode(&info.sso_user);
    // $BROWSER is a script that records the URL it was asked to open.
    let dir = env.home().join("..").join(format!(
        "browser-{}",
        env.url().len() + std::process::id() as usize
    ));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let opened = dir.join("opened");
    let script = dir.join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$1\" > '{}'\n", opened.display()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let script_s = script.display().to_string();
    let mut p = spawn(
        &env,
        &[
            "login",
            "--sso",
            "-a",
            &env.url(),
            "-c",
            PARTNER_ACCOUNT,
            "--no-region",
        ],
        &[("DISPLAY", ":99"), ("BROWSER", &script_s)],
    );
    let mut t = String::new();
    expect(
        &mut p,
        &mut t,
        "Open the URL in the default browser? [Y/n] > ",
    );
    p.send_line("").unwrap_or_else(|e| panic!("{e}")); // Enter: the default, yes
    expect(&mut p, &mut t, "One-time code > ");
    p.send_line(&code).unwrap_or_else(|e| panic!("{e}"));
    expect(&mut p, &mut t, "Resource group:   Default");
    finish(&mut p, &mut t);
    let url = std::fs::read_to_string(&opened).unwrap_or_default();
    assert_eq!(url.trim(), format!("{}/identity/passcode", env.url()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_at_the_hidden_prompt_exits_130_and_restores_the_terminal() {
    let env = TestEnv::new();
    // The terminal settings (`stty -g`) before and after iamctl, in the same pty. The shell
    // ignores SIGINT so it survives the Ctrl-C; iamctl installs its own handler.
    let script = format!(
        "stty echo; trap '' INT; echo \"before=$(stty -g)\"; {BIN} login --sso --no-browser -a {} ; \
         echo \"rc=$?\"; echo \"after=$(stty -g)\"",
        env.url()
    );
    let mut cmd = env.command("sh");
    cmd.args(["-c", &script]);
    let mut p = spawn_command(cmd, Some(TIMEOUT_MS)).unwrap_or_else(|e| panic!("{e}"));
    let mut t = String::new();
    expect(&mut p, &mut t, "One-time code > ");
    p.send_control('c').unwrap_or_else(|e| panic!("{e}"));
    expect(&mut p, &mut t, "rc=130");
    finish(&mut p, &mut t);
    let setting = |key: &str| {
        t.lines()
            .find_map(|l| l.trim().strip_prefix(key).map(str::to_string))
            .unwrap_or_else(|| panic!("no {key} in\n{t}"))
    };
    assert_eq!(
        setting("before="),
        setting("after="),
        "terminal not restored:\n{t}"
    );
    assert!(!env.session_file().exists());
}
