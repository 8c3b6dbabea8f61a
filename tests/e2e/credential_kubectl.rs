//! kubectl's exec credential plugin, with the real kubectl against a TLS API server on
//! loopback that accepts only a token the emulator signed for the `kube` audience.

use crate::fixtures::tls::{Request, Response, TlsServer};
use crate::fixtures::*;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

const DELEGATED_GRANT: &str = "urn:ibm:params:oauth:grant-type:delegated-refresh-token";

/// Whether `token` is an RS256 JWT signed by the emulator's key (its JWKS), not expired by
/// the emulator's clock, for the `kube` audience.
fn valid_kube_token(emulator: &str, token: &str) -> bool {
    let http = reqwest::blocking::Client::new();
    let get = |path: &str| -> Option<Value> {
        http.get(format!("{emulator}{path}"))
            .send()
            .ok()?
            .json()
            .ok()
    };
    let parts: Vec<&str> = token.split('.').collect();
    let [head, body, sig] = parts[..] else {
        return false;
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).ok();
    let (Some(header), Some(claims), Some(sig)) = (
        decode(head).and_then(|b| serde_json::from_slice::<Value>(&b).ok()),
        decode(body).and_then(|b| serde_json::from_slice::<Value>(&b).ok()),
        decode(sig),
    ) else {
        return false;
    };
    let Some(keys) = get("/identity/keys") else {
        return false;
    };
    let Some(key) = keys["keys"]
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["kid"] == header["kid"]))
    else {
        return false;
    };
    let (Some(n), Some(e)) = (
        key["n"].as_str().and_then(decode),
        key["e"].as_str().and_then(decode),
    ) else {
        return false;
    };
    let signed = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            format!("{head}.{body}").as_bytes(),
            &sig,
        )
        .is_ok();
    let now = get("/emulator/clock")
        .and_then(|c| c["now"].as_i64())
        .unwrap_or(i64::MAX);
    let audience = match &claims["aud"] {
        Value::String(a) => a == "kube",
        Value::Array(a) => a.iter().any(|x| x == "kube"),
        _ => false,
    };
    signed && audience && claims["exp"].as_i64().is_some_and(|exp| exp > now)
}

/// A Kubernetes API server that wants a bearer token of the `kube` audience.
fn api_server(emulator: String) -> impl Fn(&Request) -> Response {
    move |req| {
        let ok = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|t| valid_kube_token(&emulator, t));
        if !ok {
            return Response::json(
                401,
                r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#,
            );
        }
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/api/v1/namespaces") => Response::json(
                200,
                r#"{"kind":"NamespaceList","apiVersion":"v1","items":[{"metadata":{"name":"default"}}]}"#,
            ),
            _ => Response::json(404, r#"{"kind":"Status","code":404}"#),
        }
    }
}

/// A kubeconfig with the cluster `test` at `server` and a user that has no valid token yet.
fn kubeconfig(dir: &std::path::Path, server: &TlsServer) -> std::path::PathBuf {
    let path = dir.join("config");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: https://{}\n    certificate-authority-data: {}\n\
         contexts:\n- name: test\n  context:\n    cluster: test\n    user: nobody\n\
         - name: other\n  context:\n    cluster: elsewhere\n    user: nobody\ncurrent-context: test\n\
         users:\n- name: nobody\n  user:\n    token: not-a-token\n",
        server.host(),
        STANDARD.encode(server.ca_pem())
    );
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn kubectl(env: &TestEnv, config: &std::path::Path) -> std::process::Output {
    let probe = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "kubectl is missing: it comes with the machine image (see scripts/test)"
    );
    env.command("kubectl")
        .arg("--kubeconfig")
        .arg(config)
        .args(["get", "--raw", "/api/v1/namespaces"])
        .output()
        .unwrap_or_else(|e| panic!("kubectl: {e}"))
}

#[test]
fn kubectl_gets_a_kube_token_from_the_plugin_and_reuses_it() {
    let env = TestEnv::new();
    env.login();
    let server = TlsServer::start(api_server(env.url()));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = kubeconfig(dir.path(), &server);
    // Without the plugin the API server says no.
    assert!(!kubectl(&env, &config).status.success());
    env.iamctl([
        "credential",
        "kubectl",
        "--install",
        "--cluster",
        "test",
        "--kubeconfig",
    ])
    .arg(&config)
    .run()
    .success()
    .stdout_contains("context(s) test use it");
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    assert!(text.contains("iamctl-default"), "{text}");
    // The other cluster's context is left alone.
    assert!(text.contains("elsewhere"), "{text}");
    let out = kubectl(&env, &config);
    assert!(
        out.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(list["items"][0]["metadata"]["name"], "default");
    // kubectl calls the plugin every time; the cached token answers without IAM.
    let redeemed = env.grants(DELEGATED_GRANT);
    assert!(redeemed >= 1, "{}", env.stats());
    assert!(kubectl(&env, &config).status.success());
    assert_eq!(env.grants(DELEGATED_GRANT), redeemed, "{}", env.stats());
    // The ExecCredential itself.
    let cred = env.iamctl(["credential", "kubectl"]).run().success().json();
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(cred["kind"], "ExecCredential");
    assert!(
        cred["status"]["expirationTimestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert!(valid_kube_token(
        &env.url(),
        cred["status"]["token"].as_str().unwrap_or("")
    ));
}

#[test]
fn without_a_login_the_plugin_fails_with_a_hint_and_kubectl_reports_it() {
    let env = TestEnv::new();
    let server = TlsServer::start(api_server(env.url()));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = kubeconfig(dir.path(), &server);
    env.iamctl([
        "credential",
        "kubectl",
        "--install",
        "--cluster",
        "test",
        "--kubeconfig",
    ])
    .arg(&config)
    .run()
    .success();
    env.iamctl(["credential", "kubectl"])
        .run()
        .code(3)
        .stdout_is("")
        .stderr_contains("iamctl login");
    // The installed plugin pins the default session: before the first login it is not
    // logged in (exit 3, log in), as without the pin, not an unknown name (exit 2).
    let out = kubectl(&env, &config);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Not logged in. Use 'iamctl login' to log in.")
            && stderr.contains("failed with exit code 3"),
        "{stderr}"
    );
    // A kubeconfig without the named cluster is refused, and left as it was.
    let before = std::fs::read(&config).unwrap_or_default();
    env.iamctl([
        "credential",
        "kubectl",
        "--install",
        "--cluster",
        "nope",
        "--kubeconfig",
    ])
    .arg(&config)
    .run()
    .code(2)
    .stderr_contains("its clusters: test");
    assert_eq!(std::fs::read(&config).unwrap_or_default(), before);
}

#[test]
fn a_session_without_a_refresh_token_cannot_delegate_and_says_so() {
    let env = TestEnv::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let token = dir.path().join("token");
    std::fs::write(&token, env.cr_token(600)).unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["login", "-a", &env.url(), "--no-region", "--cr-token"])
        .arg(format!("@{}", token.display()))
        .args(["--profile", &env.info().profile_name])
        .run()
        .success();
    env.iamctl(["credential", "kubectl"])
        .run()
        .code(1)
        .stderr_contains("no refresh token");
    env.iamctl(["oauth-tokens", "--delegate-to", "kube"])
        .run()
        .code(1);
}

#[test]
fn delegate_to_hands_out_a_delegated_refresh_token_and_never_the_sessions_own() {
    let env = TestEnv::new();
    env.login();
    let out = env
        .iamctl(["oauth-tokens", "--delegate-to", "kube", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(out["receiver_client_ids"], json!(["kube"]));
    let delegated = out["delegated_refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(!delegated.is_empty());
    assert!(!env.keyring_secrets().contains(&delegated));
    // Only the receiver can redeem it.
    let redeem = |client: &str| {
        reqwest::blocking::Client::new()
            .post(format!("{}/identity/token", env.url()))
            .basic_auth(client, Some(client))
            .form(&[
                ("grant_type", DELEGATED_GRANT),
                ("refresh_token", &delegated),
            ])
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(redeem("kube"), 200);
    assert_eq!(redeem("bx"), 400);
    env.iamctl(["oauth-tokens", "--delegate-to", "not a client"])
        .run()
        .code(2);
}
