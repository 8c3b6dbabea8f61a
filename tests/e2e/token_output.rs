//! `oauth-tokens --output raw|env` next to the unchanged text and JSON, all from the one-file
//! hot path; `token decode` of the session's token, an argument and stdin.

use crate::fixtures::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[test]
fn every_format_prints_the_same_token() {
    let env = TestEnv::new();
    env.login();
    let token = env.raw_token();
    assert!(token.starts_with("eyJ") && !token.contains(' '), "{token}");

    let text = env.iamctl(["oauth-tokens"]).run().success();
    assert_eq!(text.stdout, format!("IAM token:  Bearer {token}\n"));
    let raw = env
        .iamctl(["iam", "oauth-tokens", "--output", "RAW"])
        .run()
        .success();
    assert_eq!(raw.stdout, format!("{token}\n"));
    let envs = env
        .iamctl(["oauth-tokens", "--output", "env"])
        .run()
        .success();
    assert_eq!(
        envs.stdout,
        format!(
            "export IBMCLOUD_IAM_TOKEN='Bearer {token}'\nexport IC_IAM_TOKEN='Bearer {token}'\n"
        )
    );
    let json = env
        .iamctl(["oauth-tokens", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["iam_token"], format!("Bearer {token}"));

    // What users do with them.
    let shell = env
        .sh(r#"eval "$(iamctl oauth-tokens --output env)"; printf '%s|%s' "$IC_IAM_TOKEN" "${IBMCLOUD_IAM_TOKEN#Bearer }""#)
        .run()
        .success();
    assert_eq!(shell.stdout, format!("Bearer {token}|{token}"));
    // The bare token equals IBM's documented `cut -d ' ' -f 5` of the text line.
    let cut = env
        .sh("iamctl oauth-tokens | grep IAM | cut -d ' ' -f 5")
        .run()
        .success();
    assert_eq!(cut.stdout.trim_end(), raw.stdout.trim_end());
}

#[test]
fn the_hot_path_needs_neither_keyring_nor_network_in_any_format() {
    let env = TestEnv::new();
    env.login();
    let before = env.stats();
    for format in ["text", "json", "raw", "env"] {
        env.iamctl(["oauth-tokens", "--output", format])
            // No Secret Service at this address: touching the keyring would fail.
            .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
            .env("IAMCTL_TRACE", "true")
            .run()
            .success()
            .stderr_is("");
    }
    assert_eq!(env.stats(), before, "the emulator saw a request");
}

#[test]
fn decode_shows_the_sessions_token_claims_and_expiry_in_local_time() {
    let env = TestEnv::new();
    env.login();
    let token = env.raw_token();
    let claims = jwt_claims(&token);
    let out = env
        .iamctl(["token", "decode"])
        .env("TZ", "Asia/Tokyo")
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .success()
        .stderr_is("");
    let iam_id = claims["iam_id"].as_str().unwrap_or_default();
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("iam_id:") && l.ends_with(iam_id)),
        "{}",
        out.stdout
    );
    let expires = out
        .stdout
        .lines()
        .find(|l| l.starts_with("Expires:"))
        .unwrap_or_else(|| panic!("no Expires line:\n{}", out.stdout));
    // Local time is Tokyo's; about an hour is left.
    assert!(expires.contains(" JST (in "), "{expires}");
    assert!(
        expires.ends_with("(in 1h 0m)") || expires.contains("(in 59m "),
        "{expires}"
    );
    assert!(out.stdout.contains("\nIssued:"), "{}", out.stdout);
    // Never the token itself.
    assert!(!out.stdout.contains(&token));

    let json = env
        .iamctl(["token", "decode", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json, claims);
}

#[test]
fn decode_reads_an_argument_or_stdin_with_or_without_bearer() {
    let env = TestEnv::new();
    env.login();
    let token = env.raw_token();
    let claims = jwt_claims(&token);
    for arg in [token.clone(), format!("Bearer {token}")] {
        let v = env
            .iamctl(["token", "decode", "--output", "json", &arg])
            .run()
            .success()
            .json();
        assert_eq!(v, claims);
    }
    // The whole `oauth-tokens` line, through a pipe.
    let piped = env
        .sh("iamctl oauth-tokens | iamctl token decode - --output json")
        .run()
        .success()
        .json();
    assert_eq!(piped, claims);
    let stdin = env
        .iamctl(["token", "decode", "-", "--output", "json"])
        .stdin(format!("Bearer {token}\n"))
        .run()
        .success()
        .json();
    assert_eq!(stdin, claims);
}

#[test]
fn decode_marks_an_expired_token() {
    let env = TestEnv::new();
    let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"x","iat":1000000000,"exp":1000003600}"#);
    let token = format!("eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln");
    let out = env
        .iamctl(["token", "decode", &token])
        .env("TZ", "UTC")
        .run()
        .success();
    assert!(
        out.stdout.contains("Expired:   2001-09-09 02:46:40 UTC ("),
        "{}",
        out.stdout
    );
    assert!(out.stdout.trim_end().ends_with(" ago)"), "{}", out.stdout);
}

#[test]
fn decode_errors_name_the_problem_not_the_input() {
    let env = TestEnv::new();
    env.iamctl(["token", "decode", "not-a-secret-but-not-a-jwt"])
        .run()
        .code(2)
        .stderr_contains("is not a JWT")
        .stderr_lacks("not-a-secret-but-not-a-jwt");
    env.iamctl(["token", "decode", "-"])
        .stdin("")
        .run()
        .code(2)
        .stderr_contains("The token from stdin is not a JWT: it is empty.");
    // No token given and nobody logged in.
    env.iamctl(["token", "decode"])
        .run()
        .code(3)
        .stderr_contains("Not logged in");
}

#[test]
fn github_actions_masks_the_token_then_exports_it_to_later_steps() {
    let env = TestEnv::new();
    env.login();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let github_env = dir.path().join("github_env");
    std::fs::write(&github_env, "EARLIER=1\n").unwrap_or_else(|e| panic!("{e}"));
    let out = env
        .iamctl(["oauth-tokens", "--output", "github-actions"])
        .env("GITHUB_ENV", &github_env)
        .run()
        .success()
        .stderr_is("");
    let token = env.raw_token();
    // The mask is the only line, and it is printed: the runner hides the value from then on.
    assert_eq!(out.stdout, format!("::add-mask::{token}\n"));
    assert_eq!(
        std::fs::read_to_string(&github_env).unwrap_or_default(),
        format!("EARLIER=1\nIBMCLOUD_IAM_TOKEN=Bearer {token}\nIC_IAM_TOKEN=Bearer {token}\n")
    );
    // Outside a GitHub Actions step there is nowhere to export to: a usage error, no output.
    env.iamctl(["oauth-tokens", "--output", "github-actions"])
        .run()
        .code(2)
        .stderr_contains("GITHUB_ENV")
        .stdout_is("");
}
