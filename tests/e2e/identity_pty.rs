//! Confirmation prompts of deletes, locks and unlocks through a real pseudo-terminal: "n"
//! changes nothing (exit 1), "y" goes ahead.
#![cfg(unix)]

use crate::fixtures::*;

/// Answers the `[y/N] > ` question that follows `question`, then returns the rest of the
/// terminal output and the exit code.
fn answer(env: &TestEnv, args: &[&str], question: &str, reply: &str) -> (String, i32) {
    let mut p = env.iamctl_pty(args, &[]);
    p.expect(&format!("{question} [y/N] > "));
    p.send_line(reply);
    let rest = p.finish();
    // Once answered, the question is redrawn with the answer; it must still say the default
    // is No (while typing, dialoguer capitalises the pending choice instead).
    assert!(
        rest.contains(&format!("{question} [y/N] > {reply}")),
        "the answered prompt changed its default: {rest:?}"
    );
    (rest, p.exit_code())
}

fn locked(env: &TestEnv, name: &str) -> bool {
    env.iamctl(["service-id", name, "--output", "json"])
        .run()
        .success()
        .json()[0]["locked"]
        == true
}

#[test]
fn service_id_delete_lock_unlock_ask_first() {
    let env = TestEnv::new();
    env.login();
    let sid = env
        .iamctl(["service-id-create", "asked", "--output", "json"])
        .run()
        .success()
        .json()["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let q = format!("Really delete service ID asked ({sid}) and all its API keys?");
    let (rest, code) = answer(&env, &["service-id-delete", "asked"], &q, "n");
    assert_eq!(code, 1, "{rest}");
    assert!(rest.contains("Cancelled: nothing was changed"), "{rest}");
    env.iamctl(["service-id", &sid]).run().success();

    let (rest, code) = answer(
        &env,
        &["service-id-lock", "asked"],
        &format!("Really lock service ID asked ({sid})?"),
        "y",
    );
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("Service ID asked is locked"), "{rest}");
    assert!(locked(&env, "asked"));

    let (rest, code) = answer(
        &env,
        &["iam", "service-id-unlock", &sid],
        &format!("Really unlock service ID asked ({sid})?"),
        "y",
    );
    assert_eq!(code, 0, "{rest}");
    assert!(!locked(&env, "asked"));

    let (rest, code) = answer(&env, &["service-id-delete", "asked"], &q, "y");
    assert_eq!(code, 0, "{rest}");
    assert!(
        rest.contains("Service ID asked is deleted successfully"),
        "{rest}"
    );
    env.iamctl(["service-id", &sid]).run().code(1);
}

#[test]
fn key_deletes_and_stored_key_removal_ask_first() {
    let env = TestEnv::new();
    env.login();
    let key = env
        .iamctl(["api-key-create", "temp", "--output", "json"])
        .run()
        .success()
        .json()["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (rest, code) = answer(
        &env,
        &["api-key-delete", "temp"],
        &format!("Really delete API key temp ({key}) of yours?"),
        "n",
    );
    assert_eq!(code, 1, "{rest}");
    env.iamctl(["api-key", &key]).run().success();
    let (rest, code) = answer(
        &env,
        &["api-key-lock", &key],
        &format!("Really lock API key temp ({key}) of yours?"),
        "y",
    );
    assert_eq!(code, 0, "{rest}");

    let skey = env
        .iamctl([
            "service-api-key-create",
            "skey",
            "demo-service",
            "--keyring",
            "pty",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json()["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (rest, code) = answer(
        &env,
        &["stored-key-delete", "pty"],
        &format!(
            "Really remove stored key pty ({skey}) from this machine? The API key stays valid in IAM."
        ),
        "y",
    );
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("Stored key pty is removed."), "{rest}");
    let (rest, code) = answer(
        &env,
        &["service-api-key-delete", "skey", "demo-service"],
        &format!("Really delete API key skey ({skey}) of service ID demo-service?"),
        "y",
    );
    assert_eq!(code, 0, "{rest}");
    assert!(
        rest.contains("Service ID API key skey is deleted successfully"),
        "{rest}"
    );
}
