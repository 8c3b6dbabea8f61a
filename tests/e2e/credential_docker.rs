//! The Docker credential helper: the protocol through `iamctl credential docker` and through
//! the `docker-credential-iamctl` link, and a real client (skopeo) reading `credHelpers` and
//! getting into a TLS registry on loopback that accepts only a token the emulator accepts.

use crate::fixtures::tls::{Request, Response, TlsServer};
use crate::fixtures::*;
use base64::Engine;

const NOT_FOUND: &str = "credentials not found in native keychain\n";

#[test]
fn get_answers_ibm_registries_with_the_sessions_token_and_nothing_else() {
    let env = TestEnv::new();
    env.login();
    let token = env.raw_token();
    for server in ["icr.io", "us.icr.io", "https://de.icr.io/v2/"] {
        let out = env
            .iamctl(["credential", "docker", "get"])
            .stdin(server)
            .run()
            .success()
            .stderr_is("");
        assert_eq!(
            out.json(),
            json!({"ServerURL": server.trim(), "Username": "iambearer", "Secret": token})
        );
        // In docker's own order, as the guide shows it.
        assert_eq!(
            out.stdout,
            format!(
                "{{\"ServerURL\":\"{server}\",\"Username\":\"iambearer\",\"Secret\":\"{token}\"}}\n"
            )
        );
    }
    // Other registries get the protocol's "not found" on stdout, so clients go on without.
    for server in ["docker.io", "evilicr.io", "icr.io.example.com"] {
        env.iamctl(["credential", "docker", "get"])
            .stdin(server)
            .run()
            .code(1)
            .stdout_is(NOT_FOUND);
    }
    // store and erase keep nothing; list has nothing to list.
    env.iamctl(["credential", "docker", "store"])
        .stdin(r#"{"ServerURL":"us.icr.io","Username":"x","Secret":"y"}"#)
        .run()
        .success()
        .stdout_is("");
    env.iamctl(["credential", "docker", "erase"])
        .stdin("us.icr.io")
        .run()
        .success();
    env.iamctl(["credential", "docker", "list"])
        .run()
        .success()
        .stdout_is("{}\n");
}

#[test]
fn without_a_login_the_helper_answers_not_found_and_says_why_on_stderr() {
    let env = TestEnv::new();
    env.iamctl(["credential", "docker", "get"])
        .stdin("us.icr.io")
        .run()
        .code(1)
        .stdout_is(NOT_FOUND)
        .stderr_contains("iamctl login");
}

#[test]
fn the_installed_link_speaks_the_protocol_under_its_own_name() {
    let env = TestEnv::new();
    env.login();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["credential", "docker", "--install"])
        .arg(dir.path())
        .run()
        .success()
        .stdout_contains("credHelpers");
    let helper = dir.path().join("docker-credential-iamctl");
    let mut cmd = env.command(&helper);
    cmd.arg("get").stdin(std::process::Stdio::piped());
    let out = run_with_stdin(cmd, "us.icr.io");
    assert!(out.status.success(), "{out:?}");
    let got: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got["Username"], "iambearer");
    assert_eq!(got["Secret"].as_str(), Some(env.raw_token().as_str()));
    // A second install refuses to replace the link without -f.
    env.iamctl(["credential", "docker", "--install"])
        .arg(dir.path())
        .run()
        .code(1)
        .stderr_contains("pass -f");
}

fn run_with_stdin(mut cmd: std::process::Command, input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut s) = child.stdin.take() {
        let _ = s.write_all(input.as_bytes());
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

/// A registry that wants Basic credentials: user `iambearer`, and a password the emulator
/// accepts as an access token.
fn registry(emulator: String) -> impl Fn(&Request) -> Response {
    move |req| {
        let valid = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|pair| {
                let (user, token) = pair.split_once(':')?;
                (user == "iambearer").then(|| token.to_string())
            })
            .is_some_and(|token| {
                reqwest::blocking::Client::new()
                    .get(format!("{emulator}/coe/v2/accounts"))
                    .bearer_auth(token)
                    .send()
                    .is_ok_and(|r| r.status().is_success())
            });
        if !valid {
            return Response::json(401, r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#)
                .with_header("WWW-Authenticate", r#"Basic realm="test registry""#);
        }
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/v2/") => Response::json(200, "{}"),
            ("GET", "/v2/demo/app/tags/list") => {
                Response::json(200, r#"{"name":"demo/app","tags":["1.0","1.1"]}"#)
            }
            _ => Response::json(404, r#"{"errors":[{"code":"NAME_UNKNOWN"}]}"#),
        }
    }
}

#[test]
fn skopeo_gets_into_a_registry_through_the_helper() {
    let env = TestEnv::new();
    env.login();
    let registry = TlsServer::start(registry(env.url()));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bin = dir.path().join("bin");
    let certs = dir.path().join("certs");
    for d in [&bin, &certs] {
        std::fs::create_dir(d).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(certs.join("ca.crt"), registry.ca_pem()).unwrap_or_else(|e| panic!("{e}"));
    let authfile = dir.path().join("auth.json");
    std::fs::write(
        &authfile,
        json!({ "credHelpers": { registry.host(): "iamctl" } }).to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["credential", "docker", "--install"])
        .arg(&bin)
        .run()
        .success();
    // A loopback registry is not IBM's: the helper answers for it once it is added.
    env.iamctl(["config", "registries", "add", &registry.host()])
        .run()
        .success();
    env.iamctl(["config", "registries"])
        .run()
        .success()
        .stdout_is(&format!("{}\n", registry.host()));
    let probe = std::process::Command::new("skopeo")
        .arg("--version")
        .output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "skopeo is missing: run the tests with scripts/test (Debian package skopeo)"
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = env
        .command("skopeo")
        .env("PATH", path)
        .args(["list-tags", "--authfile"])
        .arg(&authfile)
        .arg("--cert-dir")
        .arg(&certs)
        .arg(format!("docker://{}/demo/app", registry.host()))
        .output()
        .unwrap_or_else(|e| panic!("skopeo: {e}"));
    assert!(
        out.status.success(),
        "skopeo failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let tags: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tags["Tags"], json!(["1.0", "1.1"]));
    // It asked without credentials first, then came back with the helper's.
    let seen = registry.requests();
    assert!(seen.iter().any(|r| r.header("authorization").is_none()));
    assert!(
        seen.iter()
            .any(|r| r.path == "/v2/demo/app/tags/list" && r.header("authorization").is_some())
    );
}
