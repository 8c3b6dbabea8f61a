//! The admin token: on loopback the admin API stays open unless a token is set; beyond
//! loopback it always needs one (generated and named in the ready line when none is given).
//! Only `/emulator/` is guarded: IAM's own APIs and `/health` never ask for it.

use std::io::Read as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use iam_emulator::{Config, Running};
use serde_json::Value;

use crate::common::*;

const TOKEN: &str = "a-test-admin-token-0123456789";

fn admin_as(emu_url: &str, path: &str, bearer: Option<&str>) -> (u16, Value, Option<String>) {
    let mut req = client().get(format!("{emu_url}{path}"));
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let resp = req.send().unwrap();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null), challenge)
}

/// The admin API refuses `emu` without `token` and answers with it; IAM and health do not
/// care.
fn assert_guarded(emu: &Running, token: &str) {
    let url = emu.url();
    for path in [
        "/emulator/stats",
        "/emulator/clock",
        "/emulator/no-such-thing",
    ] {
        let (status, body, challenge) = admin_as(url, path, None);
        assert_eq!(status, 401, "{path}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("Authorization: Bearer"),
            "{body}"
        );
        assert_eq!(
            challenge.as_deref(),
            Some("Bearer realm=\"iam-emulator admin\"")
        );
        let (status, body, _) = admin_as(url, path, Some("not-the-admin-token-at-all"));
        assert_eq!(status, 401, "{path}: {body}");
        // An access token is no admin token either.
        let (status, _, _) = admin_as(url, path, Some(&access_token(emu)));
        assert_eq!(status, 401, "{path}");
    }
    let (status, body, _) = admin_as(url, "/emulator/stats", Some(token));
    assert_eq!(status, 200, "{body}");
    let posted = client()
        .post(format!("{url}/emulator/passcodes"))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(posted.status().as_u16(), 200);
    let unposted = client()
        .post(format!("{url}/emulator/clock"))
        .body(r#"{"advance_seconds": 99}"#)
        .send()
        .unwrap();
    assert_eq!(unposted.status().as_u16(), 401);
    let (_, clock, _) = admin_as(url, "/emulator/clock", Some(token));
    assert_eq!(
        clock["offset_seconds"], 0,
        "a refused request changed nothing"
    );
    assert_eq!(admin_as(url, "/health", None).0, 200);
    let (status, body) = json(
        get(emu, "/coe/v2/accounts", Some(&access_token(emu)))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn on_loopback_the_admin_api_is_open_unless_a_token_is_set() {
    let open = start();
    assert_eq!(open.info().admin_token, "");
    assert_eq!(admin_as(open.url(), "/emulator/stats", None).0, 200);

    let guarded = start_with(Config {
        admin_token: Some(TOKEN.into()),
        ..Config::default()
    });
    assert_eq!(
        guarded.info().admin_token,
        "",
        "a token the operator chose is never echoed"
    );
    assert_guarded(&guarded, TOKEN);
}

#[test]
fn beyond_loopback_a_token_is_generated_and_required() {
    let emu = start_with(Config {
        listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        ..Config::default()
    });
    let token = emu.info().admin_token.clone();
    assert!(token.len() >= 40, "{token:?}");
    assert!(
        emu.url().starts_with("http://127.0.0.1:"),
        "reached on loopback: {}",
        emu.url()
    );
    assert_guarded(&emu, &token);
    let again = start_with(Config {
        listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        ..Config::default()
    });
    assert_ne!(again.info().admin_token, token, "each start its own");
}

/// The binary: `--admin-token` or `IAM_EMULATOR_ADMIN_TOKEN`, the generated one in the ready
/// line beyond loopback, and a refusal at start of a token too weak to be one.
#[test]
fn the_binary_takes_the_token_from_its_flag_or_environment() {
    let bin = env!("CARGO_BIN_EXE_iam-emulator");
    let ready = |cmd: &mut std::process::Command| {
        use std::io::BufRead as _;
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info: Value = serde_json::from_str(&line).expect("a ready line");
        (child, info)
    };
    let cases: [(&[&str], Option<&str>); 3] = [
        (&["--admin-token", TOKEN], None),
        (&[], Some(TOKEN)),
        (&["--listen", "0.0.0.0:0"], None),
    ];
    for (args, env) in cases {
        let mut cmd = std::process::Command::new(bin);
        cmd.args(args).env_remove("IAM_EMULATOR_ADMIN_TOKEN");
        if let Some(t) = env {
            cmd.env("IAM_EMULATOR_ADMIN_TOKEN", t);
        }
        let (mut child, info) = ready(&mut cmd);
        let url = info["url"].as_str().unwrap();
        let shown = info["admin_token"].as_str().unwrap().to_owned();
        let token = if env.is_none() && !args.contains(&"--admin-token") {
            assert!(shown.len() >= 40, "{info}");
            shown
        } else {
            assert_eq!(shown, "", "a chosen token is echoed: {info}");
            TOKEN.to_owned()
        };
        assert_eq!(admin_as(url, "/emulator/stats", None).0, 401, "{args:?}");
        assert_eq!(
            admin_as(url, "/emulator/stats", Some(&token)).0,
            200,
            "{args:?}"
        );
        let _ = child.kill();
        let _ = child.wait();
    }
    // --help must not print the environment's token.
    let help = std::process::Command::new(bin)
        .arg("--help")
        .env("IAM_EMULATOR_ADMIN_TOKEN", TOKEN)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--admin-token") && !help.contains(TOKEN),
        "{help}"
    );
    for weak in ["short", "has a space in it, long enough"] {
        let mut child = std::process::Command::new(bin)
            .args(["--admin-token", weak])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let status = child.wait().unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(status.code(), Some(1), "{weak:?}: {err}");
        assert!(
            out.is_empty() && err.starts_with("iam-emulator: the admin token"),
            "{err}"
        );
    }
}
