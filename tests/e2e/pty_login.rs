//! Interactive logins through a real pseudo-terminal: the browser question, the hidden
//! one-time code and password prompts, the account and region menus, the summary block.
#![cfg(unix)]

use crate::fixtures::*;

#[test]
fn sso_login_on_a_terminal() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let code = env.passcode(&info.sso_user);
    // A display exists (the browser question is asked); the answer is no.
    let mut p = env.iamctl_pty(&["login", "--sso", "-a", &env.url()], &[("DISPLAY", ":99")]);
    p.expect(&format!("API endpoint: {}", env.url()));
    p.expect(&format!(
        "Get a one-time code from {}/identity/passcode to proceed.",
        env.url()
    ));
    p.expect("Open the URL in the default browser? [Y/n] > ");
    p.send_line("n");
    p.expect("One-time code > ");
    p.send_line(&code);
    p.expect("Authenticating...");
    p.expect("OK");
    p.expect("Select an account:");
    p.expect("1. Demo Account (b028e1c4a7d94f3e8c6f2a1d5e7b9793) <-> 1234567");
    p.expect("2. Partner Account (2bb2c3d4e5f64a7b8c9d0e1f2a3bb222)");
    p.expect("Enter a number> ");
    p.send_line("2");
    p.expect("Targeted account Partner Account (2bb2c3d4e5f64a7b8c9d0e1f2a3bb222)");
    p.expect("Select a region (or press enter to skip):");
    p.expect("6. eu-de");
    p.expect("7. eu-es");
    p.expect("9. ca-mon");
    p.expect("11. us-south");
    p.expect("Enter a number> ");
    p.send_line("11");
    p.expect("Targeted region us-south");
    p.expect("Targeted resource group Default");
    p.expect("Region:           us-south");
    p.expect("User:             sso@example.com");
    p.expect("Account:          Partner Account (2bb2c3d4e5f64a7b8c9d0e1f2a3bb222)");
    p.expect("Resource group:   Default");
    p.finish();
    let t = p.transcript();
    assert!(!t.contains(&code), "the one-time code was echoed:\n{t}");
    let json = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["account"]["name"], "Partner Account");
    assert_eq!(json["region"]["name"], "us-south");
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
        let mut p = env.iamctl_pty(&args, &extra);
        p.expect("to proceed.");
        p.expect("One-time code > ");
        let t = p.transcript();
        assert!(!t.contains("[Y/n]"), "browser question asked:\n{t}");
        p.send_line(&code);
        p.expect("Resource group:   Default");
        p.finish();
    }
}

#[test]
fn password_login_on_a_terminal_with_skipped_region() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let mut p = env.iamctl_pty(&["login", "-a", &env.url()], &[]);
    p.expect(&format!("API endpoint: {}", env.url()));
    p.expect("Email> ");
    p.send_line(&info.username);
    p.expect("Password> ");
    p.send_line(&info.password);
    p.expect("Authenticating...");
    p.expect("Select an account:");
    p.expect("2. Staging Account (e4432bd6f0a84c21a9e7d3c5b1f08e89)");
    p.expect("Enter a number> ");
    p.send_line("1");
    p.expect("Targeted account Demo Account (b028e1c4a7d94f3e8c6f2a1d5e7b9793) <-> 1234567");
    p.expect("Select a region (or press enter to skip):");
    p.expect("Enter a number> ");
    p.send_line("");
    p.expect("User:             demo@example.com");
    p.finish();
    let t = p.transcript();
    assert!(!t.contains(&info.password), "the password was echoed:\n{t}");
    assert!(!t.contains("Targeted region"), "{t}");
    let json = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["region"]["name"], "");
}

#[test]
fn federated_user_on_a_terminal_is_told_to_use_sso() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let mut p = env.iamctl_pty(&["login", "-a", &env.url(), "-u", &info.sso_user], &[]);
    p.expect("Password> ");
    p.send_line(&info.sso_password);
    p.expect("FAILED");
    p.expect("iamctl login --sso");
    p.finish();
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
    let mut p = env.iamctl_pty(
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
    p.expect("Open the URL in the default browser? [Y/n] > ");
    p.send_line(""); // Enter: the default, yes
    p.expect("One-time code > ");
    p.send_line(&code);
    p.expect("Resource group:   Default");
    p.finish();
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
    let mut p = Pty::spawn(cmd);
    p.expect("One-time code > ");
    p.send_control('c');
    p.expect("rc=130");
    p.finish();
    let t = p.transcript();
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
