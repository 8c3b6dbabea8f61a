//! The shell examples of docs/emulator.md, run as written.

use std::process::Command;

/// The body of the first `sh` code block of docs/emulator.md that contains `needle`.
fn sh_example(needle: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/emulator.md");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    doc.split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split("\n```").next())
        .find(|block| block.contains(needle))
        .unwrap_or_else(|| panic!("no sh example with {needle:?} in {path}"))
        .to_string()
}

/// A fresh private directory under the system's temporary directory.
fn tempfile_dir() -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir =
        std::env::temp_dir().join(format!("iam-emulator-docs-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Runs a bash script in a process group of its own and returns what it printed; whatever
/// the script leaves behind (an emulator it did not stop) is killed with the group. Output
/// goes to files, not pipes: an emulator left behind would keep a pipe open, and reading to
/// its end would wait for that emulator forever.
#[cfg(unix)]
fn run_in_own_group(script: &str, env: &[(&str, &str)]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let dir = tempfile_dir();
    let (out_path, err_path) = (dir.join("stdout"), dir.join("stderr"));
    let file = |p: &std::path::Path| std::fs::File::create(p).unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new("bash")
        .args(["-c", script])
        .envs(env.iter().copied())
        .process_group(0)
        .stdout(file(&out_path))
        .stderr(file(&err_path))
        .spawn()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    let group = child.id() as i32;
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    // SAFETY: kill(2) with a negative pid signals that process group only, and it is the
    // group this function created for the script.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
    let read = |p: &std::path::Path| std::fs::read(p).unwrap_or_default();
    let out = std::process::Output {
        status,
        stdout: read(&out_path),
        stderr: read(&err_path),
    };
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// "A shell script can start it like this": the script must stop the emulator it started
/// (with `coproc NAME { CMD; }`, `$NAME_PID` is a subshell's unless CMD is `exec`ed).
#[cfg(unix)]
#[test]
fn the_coproc_example_stops_the_emulator_it_started() {
    let example = sh_example("coproc").replace(
        "target/release/iam-emulator",
        env!("CARGO_BIN_EXE_iam-emulator"),
    );
    // After the example: is anything still answering at the URL it read?
    let script = format!(
        "{example}\nsleep 0.5\n\
         if curl -s -m 2 -o /dev/null \"$URL/identity/.well-known/openid-configuration\"; \
         then echo STILL-RUNNING; else echo STOPPED; fi\n"
    );
    let out = run_in_own_group(&script, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("\"access_token\""),
        "the example did not run: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.trim_end().ends_with("STOPPED"),
        "the example left the emulator running:\n{example}"
    );
}

/// "HTTPS": the example gets a token over HTTPS, trusting the CA the ready line names, and
/// stops the emulator, which removes the CA's temporary directory.
#[cfg(unix)]
#[test]
fn the_https_example_trusts_the_ca_of_the_ready_line() {
    let example = sh_example("--cacert \"$CA\"").replace(
        "target/release/iam-emulator",
        env!("CARGO_BIN_EXE_iam-emulator"),
    );
    let script = format!(
        "{example}\necho \"URL=$URL\"\n\
         for i in $(seq 50); do [ -e \"$CA\" ] || break; sleep 0.1; done\n\
         if [ -e \"$CA\" ]; then echo CA-LEFT; else echo CA-GONE; fi\n"
    );
    let out = run_in_own_group(&script, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("\"access_token\""),
        "the example did not run: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("URL=https://localhost:"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("CA-GONE"),
        "the example left the emulator running:\n{stdout}"
    );
}

/// "A group, a member and a policy for the group": the example creates all three, as written,
/// with the owner's token in `$TOKEN`.
#[test]
fn the_access_group_example_runs_as_written() {
    let example = sh_example("/v2/groups?account_id=");
    let emu = crate::common::start();
    let token = crate::common::access_token(&emu);
    let out = Command::new("bash")
        .args(["-c", &format!("set -e\n{example}")])
        .env("URL", emu.url())
        .env("TOKEN", &token)
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the example failed: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // Two answers, back to back: the member's results, then the policy.
    let answers: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    let [added, policy] = answers.as_slice() else {
        panic!("two answers expected: {stdout}");
    };
    assert_eq!(added["members"][0]["status_code"], 200, "{added}");
    assert_eq!(policy["type"], "access", "{policy}");
    assert_eq!(
        policy["roles"][0]["role_id"],
        "crn:v1:bluemix:public:iam::::role:Operator"
    );
    assert_eq!(
        policy["subjects"][0]["attributes"][0]["name"],
        "access_group_id"
    );
}

/// "Admin token": beyond loopback the admin API refuses a request without the token (401) and
/// answers one that bears it, sent as the example sends it; the example stops its emulator.
#[cfg(unix)]
#[test]
fn the_admin_token_example_runs_as_written() {
    let example = sh_example("IAM_EMULATOR_ADMIN_TOKEN=$(").replace(
        "target/release/iam-emulator",
        env!("CARGO_BIN_EXE_iam-emulator"),
    );
    let script = format!(
        "set -e\n{example}\necho\nsleep 0.5\n\
         if curl -s -m 2 -o /dev/null \"$URL/health\"; then echo STILL-RUNNING; else echo STOPPED; fi\n"
    );
    let out = run_in_own_group(&script, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        out.status.success() && lines.len() == 3,
        "the example did not run: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines[0], "401");
    let clock: serde_json::Value =
        serde_json::from_str(lines[1]).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(clock["offset_seconds"], 0, "{clock}");
    assert_eq!(lines[2], "STOPPED");
}

/// Runs an example against an emulator at `$URL` (bash, `set -e`) and returns its stdout.
fn run_against(emu: &iam_emulator::Running, example: &str) -> String {
    let out = Command::new("bash")
        .args(["-c", &format!("set -e\n{example}")])
        .env("URL", emu.url())
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the example failed: {:?}\n{example}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The JSON answers an example printed, back to back.
fn answers(stdout: &str) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_str(stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// "Health", "The world at runtime", "Request journal" and "Reset and snapshots": each runs
/// as written, in the order a test would use them.
#[test]
fn the_admin_examples_run_as_written() {
    let emu = crate::common::start();
    // Health: the wait loop ends at once.
    assert_eq!(run_against(&emu, &sh_example("until curl -sf")), "");
    // A snapshot of the start, then the world built at runtime: four additions and a login
    // with the added key.
    let reset = sh_example("/emulator/snapshots\" -d");
    let (snapshot, rest) = reset.split_once('\n').expect("the snapshot line");
    let taken = answers(&run_against(&emu, snapshot));
    assert_eq!(taken[0]["name"], "after-setup");
    let world = answers(&run_against(&emu, &sh_example("/emulator/resource-groups")));
    let [account, user, fed, group, login] = world.as_slice() else {
        panic!("five answers expected: {world:?}");
    };
    assert_eq!(account["resource_groups"][0]["name"], "Default");
    assert!(user["iam_id"].as_str().unwrap().starts_with("IBMid-"));
    assert_eq!(fed["federated"], true);
    assert_eq!(group["name"], "ci");
    assert_eq!(
        crate::common::claims(login["access_token"].as_str().unwrap())["account"]["bss"],
        "acc-ci"
    );
    // A refused login, then the journal example names it.
    let (status, _) = crate::common::token(
        &emu,
        &[
            ("grant_type", crate::common::APIKEY_GRANT),
            ("apikey", "not-a-key-of-this-emulator-0000000000"),
        ],
        false,
    );
    assert_eq!(status, 400);
    let journal = run_against(&emu, &sh_example("/emulator/requests?path="));
    assert_eq!(journal, "400 POST /identity/token\n");
    // Reset to the snapshot (the added world goes), then to the start.
    let restored = answers(&run_against(&emu, rest));
    assert_eq!(restored.len(), 2, "{restored:?}");
    assert_eq!(restored[0]["restored"], "after-setup");
    assert_eq!(restored[1]["restored"], "start");
    let (status, _) = crate::common::token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "ci@example.com"),
            ("password", "ci-pass"),
        ],
        true,
    );
    assert_eq!(status, 400, "the added user is gone");
}
