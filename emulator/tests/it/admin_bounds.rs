//! What the admin API keeps for a caller it does not authenticate is bounded (issue 23: 800
//! faults with 200 KB paths grew the emulator to 160 MB): every string at most 1 KiB, every
//! list at most 100 items, at most 100 armed faults and 10,000 passcodes. Past a bound the
//! answer is a JSON error (413 for a field, 429 for a full store) and nothing is stored.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

fn error_of(got: &(u16, Value)) -> &str {
    got.1["error"].as_str().unwrap_or_default()
}

#[test]
fn a_field_or_list_over_its_bound_is_413_and_not_kept() {
    let emu = start();
    let long = "/".repeat(200 * 1024);
    for (path, body, field) in [
        (
            "/emulator/faults",
            json!({"path": long, "status": 503}),
            "'path'",
        ),
        (
            "/emulator/faults",
            json!({"path": "/x", "redirect": format!("http://127.0.0.1/{}", "a".repeat(2000))}),
            "'redirect'",
        ),
        (
            "/emulator/cr-tokens",
            json!({"cr_type": "VSI", "crn": format!("crn:v1:bluemix:public:is:us-south-1:a/acc::instance:{}", "i".repeat(1100))}),
            "'crn'",
        ),
        (
            "/emulator/passcodes",
            json!({"user": "u".repeat(1025)}),
            "'user'",
        ),
        (
            "/emulator/faults",
            json!({"path": "/x", "status": 503, "pad": vec![1; 101]}),
            "'pad'",
        ),
    ] {
        let got = admin(&emu, Method::POST, path, Some(body));
        assert_eq!(got.0, 413, "{path}: {}", got.1);
        assert!(error_of(&got).starts_with(field), "{path}: {}", got.1);
    }
    let (status, faults) = admin(&emu, Method::GET, "/emulator/faults", None);
    assert_eq!(status, 200);
    assert_eq!(faults["faults"], json!([]), "nothing refused was armed");
    // At the bound itself a field is taken.
    let path = format!("/{}", "p".repeat(1023));
    let got = admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": path, "status": 503})),
    );
    assert_eq!(got.0, 200, "{}", got.1);
}

#[test]
fn at_most_a_hundred_faults_are_armed_and_clearing_makes_room() {
    let emu = start();
    for i in 0..100 {
        let got = admin(
            &emu,
            Method::POST,
            "/emulator/faults",
            Some(json!({"path": format!("/nowhere/{i}"), "status": 503})),
        );
        assert_eq!(got.0, 200, "fault {i}: {}", got.1);
    }
    let full = admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/one/more", "status": 503})),
    );
    assert_eq!(full.0, 429, "{}", full.1);
    assert!(
        error_of(&full).contains("at most 100 armed faults")
            && error_of(&full).contains("DELETE /emulator/faults"),
        "{}",
        full.1
    );
    let (_, faults) = admin(&emu, Method::GET, "/emulator/faults", None);
    assert_eq!(faults["faults"].as_array().unwrap().len(), 100);
    assert_eq!(admin(&emu, Method::DELETE, "/emulator/faults", None).0, 204);
    let again = admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/one/more", "status": 503})),
    );
    assert_eq!(again.0, 200, "{}", again.1);
    let slow = admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/x", "delay_ms": 3_600_001})),
    );
    assert_eq!(slow.0, 400, "{}", slow.1);
}

/// 10,000 passcodes waiting to be used, from the admin API and the passcode page alike; then
/// both refuse until codes are used or expire (the clock moves them out). A code that was
/// used makes way at once.
#[test]
fn at_most_ten_thousand_passcodes_wait_to_be_used() {
    let emu = start();
    let url = emu.url().to_owned();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let c = client();
                let mut last = String::new();
                for _ in 0..2500 {
                    let r = c
                        .post(format!("{url}/emulator/passcodes"))
                        .body("")
                        .send()
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 200);
                    let v: Value = r.json().unwrap();
                    last = v["passcode"].as_str().unwrap().to_owned();
                }
                last
            })
        })
        .collect();
    let codes: Vec<String> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let full = admin(&emu, Method::POST, "/emulator/passcodes", None);
    assert_eq!(full.0, 429, "{}", full.1);
    assert!(
        error_of(&full).contains("at most 10000 passcodes waiting to be used"),
        "{}",
        full.1
    );
    let (status, used) = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", &codes[0])],
        true,
    );
    assert_eq!(status, 200, "{used}");
    passcode_for(&emu, None);
    let again = admin(&emu, Method::POST, "/emulator/passcodes", None);
    assert_eq!(again.0, 429, "one used code made room for one: {}", again.1);
    let page = client()
        .post(format!("{url}/identity/passcode"))
        .form(&[
            ("username", "sso@example.com"),
            ("password", "sso-password"),
        ])
        .send()
        .unwrap();
    assert_eq!(page.status().as_u16(), 429);
    assert!(page.text().unwrap().contains("Too many one-time passcodes"));
    // Expired codes linger one lifetime (to be told "expired"), then make room.
    advance_clock(&emu, 601);
    passcode_for(&emu, None);
}
