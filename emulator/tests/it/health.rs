//! `GET /health`: unauthenticated, cheap, neither counted, faulted nor journaled; and the
//! binary is ready (ready line printed, `/health` answering) well under a second after start.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[test]
fn health_answers_ok_and_leaves_no_trace() {
    let emu = start();
    // A fault on every path: health is not what the emulator emulates, so it is not faulted.
    let got = admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/*", "status": 503, "count": 5})),
    );
    assert_eq!(got.0, 200, "{}", got.1);
    for method in [Method::GET, Method::HEAD] {
        let resp = client()
            .request(method.clone(), format!("{}/health", emu.url()))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{method}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        if method == Method::GET {
            assert_eq!(
                resp.json::<serde_json::Value>().unwrap(),
                json!({"status": "ok"})
            );
        }
    }
    let (_, stats) = admin(&emu, Method::GET, "/emulator/stats", None);
    assert!(stats["requests"].get("/health").is_none(), "{stats}");
    let (_, faults) = admin(&emu, Method::GET, "/emulator/faults", None);
    assert_eq!(faults["faults"][0]["remaining"], 5, "{faults}");
}

/// From spawning the binary to its ready line, and to `/health` answering: the best of three
/// starts (the RSA key generation varies) must be well under a second.
#[test]
fn the_binary_is_ready_well_under_a_second_after_start() {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_iam-emulator"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info: serde_json::Value = serde_json::from_str(&line).expect("the ready line");
        let url = info["url"].as_str().unwrap();
        let resp = client().get(format!("{url}/health")).send().unwrap();
        let took = started.elapsed();
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(resp.status().as_u16(), 200);
        best = best.min(took);
    }
    assert!(best < Duration::from_millis(700), "ready after {best:?}");
}
