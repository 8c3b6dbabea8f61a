//! `IAMCTL_TRACE` / `IBMCLOUD_TRACE`: IBM's trace format, to stderr or appended to a 0600
//! file, and proof that no API key, password, passcode, access token or refresh token ever
//! reaches it, across every login method, token renewal, account switching and the
//! identity commands (whose answers contain new API keys).

use crate::fixtures::*;

const HIDDEN: &str = "[PRIVATE DATA HIDDEN]";

/// Runs commands with tracing, alternating between a trace file (`IBMCLOUD_TRACE=PATH`)
/// and stderr (`IAMCTL_TRACE=true`), and remembers every secret it comes across.
struct Traced<'a> {
    env: &'a TestEnv,
    file: std::path::PathBuf,
    stderr: String,
    secrets: Vec<String>,
    runs: usize,
}

impl Traced<'_> {
    fn run(&mut self, args: &[&str], stdin: &str, code: i32) -> Out {
        self.runs += 1;
        let cmd = self.env.iamctl(args).stdin(stdin);
        let cmd = if self.runs.is_multiple_of(2) {
            cmd.env("IAMCTL_TRACE", "true")
        } else {
            cmd.env("IBMCLOUD_TRACE", &self.file)
        };
        let out = cmd.run().code(code);
        if self.runs.is_multiple_of(2) {
            assert!(
                out.stderr.contains("REQUEST: ["),
                "no trace on stderr for {args:?}:\n{}{}",
                out.stderr,
                out.stdout
            );
            self.stderr.push_str(&out.stderr);
        } else {
            assert!(!out.stderr.contains("REQUEST: ["), "{}", out.stderr);
        }
        self.collect();
        out
    }

    /// The session's access token (read from the file: running `oauth-tokens` here would
    /// renew it outside the trace) and every refresh token / API key in the keyring now.
    fn collect(&mut self) {
        let in_keyring = self.env.keyring_secrets();
        if let Ok(bytes) = std::fs::read(self.env.session_file())
            && let Ok(v) = serde_json::from_slice::<Value>(&bytes)
            && let Some(t) = v["login"]["access_token"].as_str()
        {
            self.secrets.push(t.to_string());
            // A logged-in session always holds its refresh token there: finding none means
            // the keyring was not read, and the trace would be checked against too little.
            assert!(
                !in_keyring.is_empty(),
                "no secret read back from the keyring"
            );
        }
        self.secrets.extend(in_keyring);
    }
}

#[test]
fn no_secret_reaches_the_trace() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut t = Traced {
        env: &env,
        file: dir.path().join("iam.trace"),
        stderr: String::new(),
        secrets: vec![
            info.apikey.clone(),
            info.password.clone(),
            info.sso_password.clone(),
            info.service_apikey.clone(),
        ],
        runs: 0,
    };
    let url = env.url();

    // Every login method, each with its account re-scoping.
    t.run(
        &[
            "login",
            "-a",
            &url,
            "--apikey",
            "-",
            "-c",
            DEMO_ACCOUNT,
            "--no-region",
        ],
        &info.apikey,
        0,
    );
    t.run(&["target", "-c", STAGING_ACCOUNT], "", 0);
    t.run(
        &[
            "login",
            "-a",
            &url,
            "-u",
            &info.username,
            "-c",
            DEMO_ACCOUNT,
            "--no-region",
        ],
        &format!("{}\n", info.password),
        0,
    );
    let code = env.passcode(&info.sso_user);
    t.secrets.push(code.clone());
    t.run(
        &[
            "login",
            "--sso",
            "-a",
            &url,
            "-c",
            PARTNER_ACCOUNT,
            "--no-region",
        ],
        &format!("{code}\n"),
        0,
    );
    let wrong = "WrongApiKey-0123456789abcdef0123456789abcdef";
    t.secrets.push(wrong.to_string());
    t.run(
        &["login", "-a", &url, "--apikey", "-", "--no-region"],
        wrong,
        4,
    );
    let wrong_code = "Wr0ngPasscode42";
    t.secrets.push(wrong_code.to_string());
    t.run(
        &["login", "--sso", "-a", &url, "--no-region"],
        &format!("{wrong_code}\n"),
        4,
    );

    // Renewal with the refresh token, and with the stored API key once that is revoked.
    env.set_ttl(5, 86_400);
    t.run(
        &[
            "login",
            "-a",
            &url,
            "--apikey",
            "-",
            "-c",
            DEMO_ACCOUNT,
            "--no-region",
        ],
        &info.apikey,
        0,
    );
    env.set_ttl(3600, 86_400);
    t.run(&["oauth-tokens"], "", 0);
    env.set_ttl(5, 86_400);
    t.run(
        &["login", "-a", &url, "--apikey", "-", "--no-region"],
        &info.apikey,
        0,
    );
    env.revoke_refresh_tokens();
    env.set_ttl(3600, 86_400);
    t.run(&["oauth-tokens", "--output", "json"], "", 0);
    t.run(&["exec", "--", "true"], "", 0);

    // Identity commands: new API keys come back in their answers.
    t.run(
        &["service-id-create", "traced-sid", "-d", "trace test"],
        "",
        0,
    );
    let key = t.run(
        &[
            "service-api-key-create",
            "k1",
            "traced-sid",
            "--output",
            "json",
        ],
        "",
        0,
    );
    t.secrets.push(
        key.json()["apikey"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    let key = t.run(&["api-key-create", "mine", "--output", "json"], "", 0);
    t.secrets.push(
        key.json()["apikey"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    let key = t.run(&["service-api-key-create", "k2", "traced-sid"], "", 0);
    let text_key = shown_api_key(&key.stdout);
    t.secrets.push(text_key.clone());
    t.run(&["service-ids"], "", 0);
    t.run(&["api-keys", "--output", "json"], "", 0);
    t.run(&["service-api-keys", "traced-sid"], "", 0);
    // And a login as the service ID with one of them.
    t.run(
        &["login", "-a", &url, "--apikey", "-", "--no-region"],
        &text_key,
        0,
    );

    let file_text = std::fs::read_to_string(&t.file).unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    assert_eq!(mode(&t.file), 0o600);
    let all = format!("{file_text}\n{}", t.stderr);

    // IBM's format.
    for text in [&file_text, &t.stderr] {
        assert!(
            text.contains("REQUEST: [")
                && text.contains("RESPONSE: [")
                && text.contains(" Elapsed: ")
        );
        assert!(text.contains("POST /identity/token HTTP/1.1"));
    }
    assert!(
        all.contains("GET /v1/serviceids"),
        "identity calls are traced"
    );
    // Appended, not overwritten: every odd run left its requests.
    assert!(file_text.matches("REQUEST: [").count() >= 15, "{file_text}");

    // The secrets themselves (a sanity floor: logins, renewals and new keys give well over
    // 15 distinct access tokens, refresh tokens, API keys, passwords and passcodes).
    t.secrets.retain(|s| s.len() >= 8);
    t.secrets.sort();
    t.secrets.dedup();
    assert!(
        t.secrets.len() >= 15,
        "too few secrets collected: {}",
        t.secrets.len()
    );
    for secret in &t.secrets {
        assert!(
            !all.contains(secret.as_str()),
            "a secret reached the trace: {}...",
            &secret[..6]
        );
    }
    // No JWT, and every secret-bearing field or header is masked, including values
    // this test never saw (the refresh tokens replaced during a re-scope).
    for (pos, _) in all.match_indices("eyJ") {
        let run: String = all[pos..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        // Page tokens are base64 JSON too, but a JWT has three dot-separated parts.
        assert!(
            run.matches('.').count() < 2,
            "a JWT reached the trace: {}...",
            &run[..run.len().min(20)]
        );
    }
    for needle in [
        "apikey=",
        "password=",
        "passcode=",
        "refresh_token=",
        "access_token=",
        "\"apikey\":",
        "\"access_token\":",
        "\"refresh_token\":",
        "\"password\":",
    ] {
        for (pos, _) in all.match_indices(needle) {
            let rest = &all[pos + needle.len()..];
            assert!(
                rest.starts_with(HIDDEN)
                    || rest.starts_with(&format!("\"{HIDDEN}\""))
                    || rest.starts_with("null"),
                "unmasked {needle} {}",
                &rest[..rest.len().min(12)]
            );
        }
    }
    for line in all
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("authorization:"))
    {
        assert_eq!(line, format!("Authorization: {HIDDEN}"));
    }
}

#[test]
fn iamctl_trace_wins_and_false_turns_it_off() {
    let env = TestEnv::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("t.log");
    let login = |vars: &[(&str, &str)]| {
        let mut cmd = env.login_with(Creds::ApiKey, &["--no-region"]);
        for (k, v) in vars {
            cmd = cmd.env(k, v);
        }
        cmd.run().success()
    };
    login(&[("IAMCTL_TRACE", "false"), ("IBMCLOUD_TRACE", "true")]).stderr_is("");
    let path = file.to_string_lossy().to_string();
    login(&[("IAMCTL_TRACE", &path), ("IBMCLOUD_TRACE", "true")]).stderr_is("");
    let first = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(first.starts_with("\nREQUEST: ["), "{first}");
    login(&[("IBMCLOUD_TRACE", "TRUE")]).stderr_contains("RESPONSE: [");
    // A trace file that cannot be written is a warning, not a failure.
    login(&[("IAMCTL_TRACE", "/nonexistent-dir/t.log")])
        .stderr_contains("WARNING: cannot write the HTTP trace to /nonexistent-dir/t.log");
    // One that opens but takes no writes (a full disk: /dev/full) is said once, however many
    // requests a login makes, and the login goes on.
    #[cfg(target_os = "linux")]
    {
        let out = login(&[("IAMCTL_TRACE", "/dev/full")]);
        let warning = "WARNING: the HTTP trace in /dev/full is incomplete: No space left on device";
        assert_eq!(out.err().matches(warning).count(), 1, "{}", out.err());
        assert_eq!(out.err().lines().count(), 1, "{}", out.err());
    }
}
