//! The `--state` file under abuse: the binary killed with SIGKILL while traffic changes the
//! state (the file must always be the old or the new one, never torn), and corrupt files,
//! which must stop the start with one line naming the file.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::common::*;
use serde_json::{Value, json};

fn sigkill(child: &mut Child) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: signals our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let _ = child.wait();
}

/// Creates service IDs and API keys, as fast as one client can, until told to stop or the
/// server goes away, counting the changes answered in `changes`.
fn churn(url: String, apikey: String, stop: Arc<AtomicBool>, changes: Arc<AtomicU64>) {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let Ok(resp) = http
        .post(format!("{url}/identity/token"))
        .form(&[("grant_type", APIKEY_GRANT), ("apikey", apikey.as_str())])
        .send()
    else {
        return;
    };
    let Ok(tok) = resp.json::<Value>() else {
        return;
    };
    let Some(token) = tok["access_token"].as_str().map(str::to_owned) else {
        return;
    };
    let account = claims(&token)["account"]["bss"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Bounded: a round lasts well under a second, so 10,000 requests are never reached.
    for i in 0..10_000 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let Ok(resp) = http
            .post(format!("{url}/v1/serviceids/"))
            .bearer_auth(&token)
            .json(&json!({"account_id": account, "name": format!("churn-{i}"), "description": "x".repeat(500)}))
            .send()
        else {
            break;
        };
        let Ok(sid) = resp.json::<Value>() else { break };
        let Some(iam_id) = sid["iam_id"].as_str() else {
            break;
        };
        let created = http
            .post(format!("{url}/v1/apikeys"))
            .bearer_auth(&token)
            .json(&json!({"account_id": account, "name": format!("k{i}"), "iam_id": iam_id}))
            .send();
        if created.is_err() {
            break;
        }
        changes.fetch_add(2, Ordering::Relaxed);
    }
}

#[test]
fn the_state_file_survives_sigkill_mid_write() {
    let dir = TempDir::new("sigkill");
    let state = dir.0.join("state.json");
    let (mut child, info) = start_binary(&[], &state);
    let apikey = info["apikey"].as_str().unwrap().to_owned();
    sigkill(&mut child);
    let rounds = 25;
    let changes = Arc::new(AtomicU64::new(0));
    for round in 0..rounds {
        let (mut child, info) = start_binary(&[], &state);
        assert_eq!(
            info["apikey"], apikey,
            "round {round}: the state's world came back"
        );
        let stop = Arc::new(AtomicBool::new(false));
        let url = info["url"].as_str().unwrap().to_owned();
        let before = changes.load(Ordering::Relaxed);
        let worker = {
            let (apikey, stop, changes) = (apikey.clone(), stop.clone(), changes.clone());
            std::thread::spawn(move || churn(url, apikey, stop, changes))
        };
        // Once the traffic is changing the state (bounded wait: a loaded machine may take a
        // while to grant the first token), kill at varying moments: the background writer
        // writes 50 ms after a change and then paces itself, so these land before, during
        // and between writes.
        for _ in 0..1000 {
            if changes.load(Ordering::Relaxed) > before {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(10 + (round * 37) % 250));
        sigkill(&mut child);
        stop.store(true, Ordering::Relaxed);
        worker.join().unwrap();
        // Always a whole file: it parses, and it is owner-only.
        let bytes = std::fs::read(&state).unwrap();
        let parsed: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("round {round}: torn state file: {e}"));
        assert_eq!(parsed["format"], 1);
        let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "round {round}");
    }
    let changes = changes.load(Ordering::Relaxed);
    assert!(changes > 0, "the traffic changed the state");
    eprintln!("{rounds} SIGKILLs while {changes} changes were answered; the file always parsed");
    // The last start removed the temp files of the killed writers; no more than the one of
    // the process that was killed last can be left.
    let (mut child, _) = start_binary(&[], &state);
    let temps: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(temps.is_empty(), "left over: {temps:?}");
    sigkill(&mut child);
}

/// Starts the binary on a state file that must be refused: exit non-zero, one line on stderr
/// that names the file, and the file left as it was.
fn assert_refused(state: &Path, contents: &[u8], says: &str) {
    std::fs::write(state, contents).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_iam-emulator"))
        .arg("--state")
        .arg(state)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started on {says}: {err}");
    assert!(out.stdout.is_empty(), "no ready line for a refused start");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(&state.display().to_string()) && err.contains(says),
        "{says}: {err}"
    );
    assert_eq!(
        std::fs::read(state).unwrap(),
        contents,
        "the file is untouched"
    );
}

#[test]
fn a_corrupt_state_file_stops_the_start_with_one_line_naming_it() {
    let dir = TempDir::new("corrupt-bin");
    let state = dir.0.join("state.json");
    let (mut child, _) = start_binary(&[], &state);
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: signals our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert!(child.wait().unwrap().success());
    let good = std::fs::read(&state).unwrap();
    let world: Value = serde_json::from_slice(&good).unwrap();

    assert_refused(&state, &good[..good.len() / 2], "is not valid");
    assert_refused(&state, b"", "is not valid");
    assert_refused(&state, b"\0\0\0\0", "is not valid");

    let mut other = world.clone();
    other["format"] = json!(99);
    assert_refused(
        &state,
        other.to_string().as_bytes(),
        "has format 99, this emulator reads format 1",
    );

    // Inconsistent worlds: each well-formed JSON, none what the emulator could have written.
    let mut twice = world.clone();
    let first = twice["world"]["accounts"][0].clone();
    twice["world"]["accounts"]
        .as_array_mut()
        .unwrap()
        .push(first);
    assert_refused(&state, twice.to_string().as_bytes(), "listed twice");

    let mut misfiled = world.clone();
    let ids = misfiled["world"]["service_ids"].as_object_mut().unwrap();
    let (id, sid) = ids
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    ids.remove(&id);
    ids.insert("ServiceId-elsewhere".into(), sid);
    assert_refused(&state, misfiled.to_string().as_bytes(), "is filed under");

    let mut same_value = world.clone();
    let keys = same_value["world"]["api_keys"].as_object_mut().unwrap();
    let value = keys.values().next().unwrap()["value"].clone();
    for k in keys.values_mut() {
        k["value"] = value.clone();
    }
    assert_refused(
        &state,
        same_value.to_string().as_bytes(),
        "repeats another key's value",
    );

    // Found by the `state` fuzz target: such a key made every grant with it a 500.
    let mut dangling = world.clone();
    let keys = dangling["world"]["api_keys"].as_object_mut().unwrap();
    keys.values_mut().next().unwrap()["account_id"] = json!("no-such-account");
    assert_refused(
        &state,
        dangling.to_string().as_bytes(),
        "belongs to unknown account no-such-account",
    );

    let mut orphan = world.clone();
    let keys = orphan["world"]["api_keys"].as_object_mut().unwrap();
    keys.values_mut().next().unwrap()["iam_id"] = json!("iam-ServiceId-gone");
    assert_refused(
        &state,
        orphan.to_string().as_bytes(),
        "belongs to unknown iam-ServiceId-gone",
    );

    let mut bad_key = world.clone();
    bad_key["signing_key"]["pkcs8"] = json!("bm90IGEga2V5");
    assert_refused(&state, bad_key.to_string().as_bytes(), "is not valid");

    let mut far_clock = world;
    far_clock["clock_offset"] = json!(i64::MAX);
    assert_refused(&state, far_clock.to_string().as_bytes(), "is not valid");
}

/// A state file may hold any counter, and at `u64::MAX` the next change overflowed (a panic in debug builds, a wrapped entity tag in release). Now
/// the counters stop at their end and the changes are answered.
#[test]
fn counters_at_their_end_in_a_state_file_do_not_overflow() {
    let dir = TempDir::new("counters");
    let state = dir.0.join("state.json");
    let (mut child, _) = start_binary(&[], &state);
    sigkill(&mut child);
    let mut world: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    world["world"]["next_seq"] = json!(u64::MAX);
    for s in world["world"]["service_ids"]
        .as_object_mut()
        .unwrap()
        .values_mut()
    {
        s["version"] = json!(u64::MAX);
    }
    for p in world["world"]["profiles"]
        .as_object_mut()
        .unwrap()
        .values_mut()
    {
        p["identities_version"] = json!(u64::MAX);
    }
    std::fs::write(&state, world.to_string()).unwrap();
    let (mut child, info) = start_binary(&[], &state);
    let url = info["url"].as_str().unwrap().to_owned();
    let http = client();
    let (status, tok) = ready_line_grant(&info, false);
    assert_eq!(status, 200, "{tok}");
    let token = tok["access_token"].as_str().unwrap();
    let account = claims(token)["account"]["bss"].as_str().unwrap().to_owned();
    let (status, created) = json(
        http.post(format!("{url}/v1/serviceids/"))
            .bearer_auth(token)
            .json(&json!({"account_id": account, "name": "at-the-end"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{created}");
    let sid = world["world"]["service_ids"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let (status, renamed) = json(
        http.put(format!("{url}/v1/serviceids/{sid}"))
            .bearer_auth(token)
            .header("If-Match", "*")
            .json(&json!({"name": "renamed"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{renamed}");
    let profile = world["world"]["profiles"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let resp = http
        .put(format!("{url}/v1/profiles/{profile}/identities"))
        .bearer_auth(token)
        .header("If-Match", "*")
        .json(&json!({"identities": []}))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{}", resp.text().unwrap());
    sigkill(&mut child);
}
