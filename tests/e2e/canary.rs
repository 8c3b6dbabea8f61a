//! Canary sweep: one broad run of iamctl's flows with long-lived secrets whose values only
//! this test knows (API keys, passwords, one-time codes, refresh tokens, compute-resource
//! tokens, a Docker helper secret), traced to a file, then a sweep of everything iamctl left
//! behind or said for any of them: every stdout and stderr, the trace, every file under the
//! home and the user's home, the kubeconfig it edited, the environment it gave `exec`'s
//! command, and the argument list of every process seen on the machine while it ran.
//!
//! Access tokens are not canaries: `oauth-tokens`, `exec`, `credential` exist to hand them
//! out. What iamctl must never show is what outlives them. The test only passes if it
//! demonstrably looked: it counts the canaries by kind, the traced requests and the
//! processes it saw, and fails when any of them is implausibly low.

use crate::fixtures::tls::{Response, TlsServer};
use crate::fixtures::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const CR_GRANT: &str = "urn:ibm:params:oauth:grant-type:cr-token";

/// A random suffix, so a canary can only come from this run (never from another test, a
/// stale file or the demo world).
fn random_hex(bytes: usize) -> String {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .unwrap_or_else(|e| panic!("random: {e:?}"));
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Polls every process's argument list (`/proc/*/cmdline`) until stopped, keeping each
/// distinct one, so the sweep can look for canaries in the arguments of every helper that
/// iamctl, kubectl or the shell spawned. Processes live for milliseconds, so this is a
/// sample; the probe process below proves the sampling sees processes of this run.
struct ArgvWatch {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<BTreeSet<String>>>,
    rounds: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ArgvWatch {
    fn start() -> ArgvWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(BTreeSet::new()));
        let rounds = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, seen, rounds) = (stop.clone(), seen.clone(), rounds.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(procs) = std::fs::read_dir("/proc") else {
                        return;
                    };
                    let mut batch = Vec::new();
                    for p in procs.flatten() {
                        let name = p.file_name();
                        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
                            continue;
                        }
                        if let Ok(bytes) = std::fs::read(p.path().join("cmdline"))
                            && !bytes.is_empty()
                        {
                            batch.push(String::from_utf8_lossy(&bytes).replace('\0', " "));
                        }
                    }
                    if let Ok(mut s) = seen.lock() {
                        s.extend(batch);
                    }
                    rounds.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        ArgvWatch {
            stop,
            seen,
            rounds,
            thread: Some(thread),
        }
    }

    /// Stops polling; every distinct argument list seen, and how many polls ran.
    fn finish(mut self) -> (BTreeSet<String>, u64) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        (seen, self.rounds.load(Ordering::Relaxed))
    }
}

impl Drop for ArgvWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The run: canaries by kind, every captured text by label.
struct Sweep<'a> {
    env: &'a TestEnv,
    trace: PathBuf,
    canaries: Vec<(&'static str, String)>,
    texts: Vec<(String, String)>,
}

impl Sweep<'_> {
    fn canary(&mut self, kind: &'static str, value: impl Into<String>) {
        let value = value.into();
        assert!(value.len() >= 8, "{kind} canary too short to be told apart");
        self.canaries.push((kind, value));
    }

    /// Runs `cmd` traced to the trace file, expects `code`, keeps both streams, then takes
    /// every secret now in the keyring for this home (refresh tokens, API keys, stored keys,
    /// inline cr tokens) as a canary too: they rotate, so they are read after every step.
    fn run(&mut self, label: &str, cmd: Cmd<'_>, code: i32) -> Out {
        let out = cmd.env("IAMCTL_TRACE", &self.trace).run();
        assert_eq!(
            out.code,
            Some(code),
            "{label}: expected exit {code}\n--- stdout\n{}--- stderr\n{}",
            out.stdout,
            out.stderr
        );
        self.keep(label, &out.stdout, &out.stderr);
        self.collect_keyring();
        out
    }

    fn keep(&mut self, label: &str, stdout: &str, stderr: &str) {
        self.texts
            .push((format!("{label}: stdout"), stdout.to_string()));
        self.texts
            .push((format!("{label}: stderr"), stderr.to_string()));
    }

    fn collect_keyring(&mut self) {
        for entry in self.env.keyring_entries() {
            if let Some(secret) = keyring_lookup(&entry) {
                let kind = entry.rsplit('|').next().unwrap_or_default();
                let kind = match kind {
                    "refresh_token" => "refresh token",
                    "cr_token" => "compute-resource token",
                    _ => "API key (keyring)",
                };
                if !self.canaries.iter().any(|(_, v)| *v == secret) {
                    self.canaries.push((kind, secret));
                }
            }
        }
    }

    /// Every file below `dir` (not following links), read as text, as captured texts.
    fn keep_files(&mut self, dir: &Path, skip: &[&Path]) -> usize {
        fn walk(dir: &Path, skip: &[&Path], out: &mut Vec<(PathBuf, Vec<u8>)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if skip.iter().any(|s| p.starts_with(s)) {
                    continue;
                }
                match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&p, skip, out),
                    Ok(t) if t.is_file() => {
                        if let Ok(b) = std::fs::read(&p) {
                            out.push((p, b));
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut files = Vec::new();
        walk(dir, skip, &mut files);
        let n = files.len();
        for (path, bytes) in files {
            self.texts.push((
                format!("file {}", path.display()),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
        n
    }

    /// The (kind, where) of every canary found in a captured text or an argument list.
    fn leaks(&self, argv: &BTreeSet<String>) -> Vec<String> {
        let mut found = Vec::new();
        for (kind, value) in &self.canaries {
            for (label, text) in &self.texts {
                if text.contains(value.as_str()) {
                    found.push(format!("{kind} in {label}"));
                }
            }
            for args in argv.iter().filter(|a| a.contains(value.as_str())) {
                // The value is the secret; show only the program that carried it.
                let program = args.split(' ').next().unwrap_or_default();
                found.push(format!("{kind} in the arguments of {program}"));
            }
        }
        found
    }
}

/// The demo world with every long-lived secret replaced by a canary of this run.
fn canary_seed(
    user_key: &str,
    service_key: &str,
    password: &str,
    sso_password: &str,
) -> iam_emulator::Seed {
    use iam_emulator::seed::{DEMO_APIKEY, DEMO_SERVICE_APIKEY, SSO_USER};
    let mut seed = iam_emulator::Seed::demo();
    for u in &mut seed.users {
        if u.username == DEMO_USER {
            u.password = Some(password.to_string());
        } else if u.username == SSO_USER {
            u.password = Some(sso_password.to_string());
        }
    }
    for k in &mut seed.api_keys {
        if k.apikey == DEMO_APIKEY {
            k.apikey = user_key.to_string();
        } else if k.apikey == DEMO_SERVICE_APIKEY {
            k.apikey = service_key.to_string();
        }
    }
    seed
}

/// A Kubernetes API server on loopback that answers any bearer token: the test is about
/// what the plugin is given and prints, not whether the token is valid.
fn api_server() -> TlsServer {
    TlsServer::start(|req| match req.header("authorization") {
        Some(h) if h.starts_with("Bearer ") => Response::json(
            200,
            r#"{"kind":"NamespaceList","apiVersion":"v1","items":[]}"#,
        ),
        _ => Response::json(401, r#"{"kind":"Status","code":401}"#),
    })
}

#[test]
fn no_canary_secret_leaks_into_output_files_traces_or_process_arguments() {
    use base64::Engine;
    let user_key = format!("CanaryUserApiKey-{}", random_hex(16));
    let service_key = format!("CanaryServiceApiKey-{}", random_hex(16));
    let password = format!("CanaryPassword-{}", random_hex(12));
    let sso_password = format!("CanarySsoPassword-{}", random_hex(12));
    let env = TestEnv::with_seed(canary_seed(
        &user_key,
        &service_key,
        &password,
        &sso_password,
    ));
    let url = env.url();
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // inputs/ holds what the user hands iamctl on purpose (a key file, a pod's token) and
    // keys/ the key file `--file` writes: both hold a canary by design and are not swept.
    let (inputs, keys, out_dir, kube, bin) = (
        work.path().join("inputs"),
        work.path().join("keys"),
        work.path().join("out"),
        work.path().join("kube"),
        work.path().join("bin"),
    );
    for d in [&inputs, &keys, &out_dir, &kube, &bin] {
        std::fs::create_dir(d).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut s = Sweep {
        env: &env,
        trace: work.path().join("iamctl.trace"),
        canaries: Vec::new(),
        texts: Vec::new(),
    };
    s.canary("API key (user)", &user_key);
    s.canary("API key (service ID)", &service_key);
    s.canary("password", &password);
    s.canary("SSO password", &sso_password);
    let watch = ArgvWatch::start();

    // API-key logins: @FILE, stdin, IBMCLOUD_API_KEY; each followed by what uses the session.
    let key_file = inputs.join("apikey.json");
    std::fs::write(
        &key_file,
        json!({"name": "canary", "apikey": user_key}).to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    s.run(
        "login --apikey @FILE",
        env.iamctl(["login", "-a", &url, "-r", "us-south", "--apikey"])
            .arg(format!("@{}", key_file.display())),
        0,
    );
    s.run(
        "target -c",
        env.iamctl(["target", "-c", STAGING_ACCOUNT]),
        0,
    );
    s.run("target -r", env.iamctl(["target", "-r", "eu-de"]), 0);
    s.run("target", env.iamctl(["target"]), 0);
    s.run("oauth-tokens", env.iamctl(["oauth-tokens"]), 0);
    s.run(
        "oauth-tokens json",
        env.iamctl(["oauth-tokens", "--output", "json"]),
        0,
    );
    s.run(
        "login --apikey -",
        env.iamctl(["login", "-a", &url, "--apikey", "-", "--no-region"])
            .stdin(&user_key),
        0,
    );
    // Renewal: a token issued with 5 s to live is in its refresh window at once.
    env.set_ttl(5, 86_400);
    s.run(
        "login IBMCLOUD_API_KEY",
        env.iamctl(["login", "-a", &url, "--no-region", "-c", DEMO_ACCOUNT])
            .env("IBMCLOUD_API_KEY", &user_key),
        0,
    );
    env.set_ttl(3600, 86_400);
    let refreshes = env.grants("refresh_token");
    s.run("oauth-tokens (renewal)", env.iamctl(["oauth-tokens"]), 0);
    s.run(
        "oauth-tokens env",
        env.iamctl(["oauth-tokens", "--output", "env"]),
        0,
    );
    assert!(
        env.grants("refresh_token") > refreshes,
        "the renewal did not use the refresh token: {}",
        env.stats()
    );

    // Password on stdin, then one-time codes: --sso and IBM's `-u passcode`.
    s.run(
        "login -u (password on stdin)",
        env.iamctl([
            "login",
            "-a",
            &url,
            "-u",
            DEMO_USER,
            "-c",
            DEMO_ACCOUNT,
            "--no-region",
        ])
        .stdin(format!("{password}\n")),
        0,
    );
    let code = env.passcode(iam_emulator::seed::SSO_USER);
    s.canary("passcode", &code);
    s.run(
        "login --sso",
        env.iamctl([
            "login",
            "--sso",
            "-a",
            &url,
            "-c",
            PARTNER_ACCOUNT,
            "--no-region",
        ])
        .stdin(format!("{code}\n")),
        0,
    );
    let code = env.passcode(iam_emulator::seed::SSO_USER);
    s.canary("passcode", &code);
    s.run(
        "login -u passcode",
        env.iamctl([
            "login",
            "-a",
            &url,
            "-u",
            "passcode",
            "-c",
            DEMO_ACCOUNT,
            "--no-region",
        ])
        .stdin(format!("{code}\n")),
        0,
    );

    // Wrong secrets are secrets too: the error must not repeat them.
    let wrong_key = format!("CanaryWrongApiKey-{}", random_hex(16));
    s.canary("wrong API key", &wrong_key);
    s.run(
        "login wrong key",
        env.iamctl(["login", "-a", &url, "--apikey", "-", "--no-region"])
            .stdin(&wrong_key),
        4,
    );
    let wrong_password = format!("CanaryWrongPassword-{}", random_hex(12));
    s.canary("wrong password", &wrong_password);
    s.run(
        "login wrong password",
        env.iamctl(["login", "-a", &url, "-u", DEMO_USER, "--no-region"])
            .stdin(format!("{wrong_password}\n")),
        4,
    );

    // Workload identity: a pod's token from a file and inline on stdin (kept in the
    // keyring), renewed from there; the VPC metadata service.
    let cr_token = env.cr_token(86_400);
    s.canary("compute-resource token", &cr_token);
    let token_file = inputs.join("sa-token");
    std::fs::write(&token_file, &cr_token).unwrap_or_else(|e| panic!("{e}"));
    s.run(
        "login --cr-token @FILE",
        env.iamctl([
            "login",
            "-a",
            &url,
            "--profile",
            "demo-workload",
            "--no-region",
        ])
        .arg("--cr-token")
        .arg(format!("@{}", token_file.display())),
        0,
    );
    let cr_inline = env.cr_token(86_400);
    s.canary("compute-resource token", &cr_inline);
    env.set_ttl(5, 86_400);
    s.run(
        "login --cr-token -",
        env.iamctl([
            "login",
            "-a",
            &url,
            "--profile",
            "demo-workload",
            "--cr-token",
            "-",
            "--no-region",
        ])
        .stdin(&cr_inline),
        0,
    );
    env.set_ttl(3600, 86_400);
    let cr_grants = env.grants(CR_GRANT);
    s.run("oauth-tokens (cr renewal)", env.iamctl(["oauth-tokens"]), 0);
    assert!(
        env.grants(CR_GRANT) > cr_grants,
        "the renewal did not read the cr token again: {}",
        env.stats()
    );
    s.run(
        "login --vpc-cri",
        env.iamctl([
            "login",
            "-a",
            &url,
            "--vpc-cri",
            "--profile",
            iam_emulator::seed::DEMO_PROFILE_ID,
            "--no-region",
        ])
        .env("IBMCLOUD_CR_VPC_URL", &url),
        0,
    );

    // Keys: one written with --file (its value a canary everywhere but in that file), one
    // kept in the keyring, and logins with both in their own sessions.
    s.run(
        "login (for identity commands)",
        env.iamctl(["login", "-a", &url, "--apikey", "-", "--no-region"])
            .stdin(&user_key),
        0,
    );
    s.run(
        "service-id-create",
        env.iamctl(["service-id-create", "canary-sid", "-d", "canary sweep"]),
        0,
    );
    let new_key_file = keys.join("key.json");
    s.run(
        "service-api-key-create --file",
        env.iamctl([
            "service-api-key-create",
            "canary-key",
            "canary-sid",
            "--file",
        ])
        .arg(&new_key_file),
        0,
    );
    let written: Value =
        serde_json::from_slice(&std::fs::read(&new_key_file).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    s.canary(
        "API key (--file)",
        written["apikey"].as_str().unwrap_or_default(),
    );
    s.run(
        "api-key-create --keyring",
        env.iamctl([
            "api-key-create",
            "canary-mine",
            "--keyring",
            "canary-stored",
        ]),
        0,
    );
    s.run("stored-keys", env.iamctl(["stored-keys"]), 0);
    s.run(
        "--session svc login --apikey @key file",
        env.iamctl([
            "--session",
            "svc",
            "login",
            "-a",
            &url,
            "--no-region",
            "--apikey",
        ])
        .arg(format!("@{}", new_key_file.display())),
        0,
    );
    s.run(
        "--session stored login --keyring",
        env.iamctl([
            "--session",
            "stored",
            "login",
            "--keyring",
            "canary-stored",
            "--no-region",
        ]),
        0,
    );
    s.run(
        "session-switch svc",
        env.iamctl(["session-switch", "svc"]),
        0,
    );
    s.run(
        "sessions json",
        env.iamctl(["sessions", "--output", "json"]),
        0,
    );
    s.run("sessions", env.iamctl(["sessions"]), 0);
    s.run(
        "session-switch default",
        env.iamctl(["session-switch", "default"]),
        0,
    );
    s.run("token decode", env.iamctl(["token", "decode"]), 0);

    // exec: the command's environment and arguments, and a probe that proves the argument
    // watch sees the processes of this run.
    let marker = format!("canary-probe-{}", random_hex(8));
    let env_dump = out_dir.join("exec.env");
    s.run(
        "exec",
        env.iamctl(["exec", "--", "sh", "-c", "env > \"$1\"; sleep 1", "sh"])
            .arg(&env_dump)
            .arg(&marker),
        0,
    );

    // kubectl runs the installed plugin; Docker clients run the helper link.
    let server = api_server();
    let kubeconfig = kube.join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: https://{}\n    certificate-authority-data: {}\n\
             contexts:\n- name: test\n  context:\n    cluster: test\n    user: nobody\ncurrent-context: test\n\
             users:\n- name: nobody\n  user:\n    token: not-a-token\n",
            server.host(),
            base64::engine::general_purpose::STANDARD.encode(server.ca_pem())
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    s.run(
        "credential kubectl --install",
        env.iamctl([
            "credential",
            "kubectl",
            "--install",
            "--cluster",
            "test",
            "--kubeconfig",
        ])
        .arg(&kubeconfig),
        0,
    );
    let out = env
        .command("kubectl")
        .env("IAMCTL_TRACE", &s.trace)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["get", "--raw", "/api/v1/namespaces"])
        .output()
        .unwrap_or_else(|e| panic!("kubectl (it comes with the machine image): {e}"));
    assert!(
        out.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.keep(
        "kubectl",
        &String::from_utf8_lossy(&out.stdout),
        &String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.header("authorization").is_some()),
        "kubectl never sent the plugin's token"
    );
    s.run(
        "credential kubectl",
        env.iamctl(["credential", "kubectl"]),
        0,
    );
    s.run(
        "credential docker --install",
        env.iamctl(["credential", "docker", "--install"]).arg(&bin),
        0,
    );
    let docker_secret = format!("CanaryDockerSecret-{}", random_hex(12));
    s.canary("Docker helper secret", &docker_secret);
    for (action, input) in [
        ("get", "us.icr.io".to_string()),
        (
            "store",
            json!({"ServerURL": "us.icr.io", "Username": "canary", "Secret": docker_secret})
                .to_string(),
        ),
        ("list", String::new()),
    ] {
        let mut cmd = env.command(bin.join("docker-credential-iamctl"));
        cmd.env("IAMCTL_TRACE", &s.trace)
            .arg(action)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            let _ = stdin.write_all(input.as_bytes());
        }
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success(), "docker helper {action}: {out:?}");
        s.keep(
            &format!("docker-credential-iamctl {action}"),
            &String::from_utf8_lossy(&out.stdout),
            &String::from_utf8_lossy(&out.stderr),
        );
    }

    // Forgetting: logout of every session; session-delete of one.
    s.run("logout", env.iamctl(["logout"]), 0);
    s.run("logout svc", env.iamctl(["--session", "svc", "logout"]), 0);
    s.run(
        "session-delete stored",
        env.iamctl(["session-delete", "stored"]),
        0,
    );
    s.run(
        "stored-key-delete",
        env.iamctl(["stored-key-delete", "canary-stored", "-f"]),
        0,
    );
    s.run("target after logout", env.iamctl(["target"]), 3);

    let (argv, rounds) = watch.finish();

    // The sweep's own floor: it looked at enough, and could see what it looked for.
    let kinds: BTreeSet<&str> = s.canaries.iter().map(|(k, _)| *k).collect();
    for kind in [
        "API key (user)",
        "API key (service ID)",
        "API key (--file)",
        "API key (keyring)",
        "password",
        "passcode",
        "refresh token",
        "compute-resource token",
    ] {
        assert!(
            kinds.contains(kind),
            "no {kind} canary collected: {kinds:?}"
        );
    }
    let refresh_tokens = s
        .canaries
        .iter()
        .filter(|(k, _)| *k == "refresh token")
        .count();
    assert!(
        refresh_tokens >= 5,
        "only {refresh_tokens} refresh tokens seen"
    );
    let trace = std::fs::read_to_string(&s.trace).unwrap_or_else(|e| panic!("trace: {e}"));
    assert!(
        trace.matches("REQUEST: [").count() >= 30,
        "the trace is too short to have covered the run"
    );
    let exec_env = std::fs::read_to_string(&env_dump).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        exec_env.contains("IBMCLOUD_IAM_TOKEN=Bearer "),
        "{exec_env}"
    );
    assert!(
        argv.iter().any(|a| a.contains(&marker)),
        "the argument watch never saw exec's command ({rounds} polls, {} argument lists)",
        argv.len()
    );

    s.texts.push(("the trace file".into(), trace));
    s.texts.push(("exec's environment".into(), exec_env));
    let home_files = s.keep_files(env.home(), &[]);
    assert!(home_files >= 5, "only {home_files} files under the home");
    s.keep_files(env.user_home(), &[]);
    s.keep_files(&kube, &[]);
    s.keep_files(&bin, &[]);
    // Whatever else landed in the work directory (not the deliberate inputs and key file).
    s.keep_files(work.path(), &[&inputs, &keys, &kube, &bin, &out_dir]);

    let leaks = s.leaks(&argv);
    assert!(
        leaks.is_empty(),
        "canary secrets leaked ({} canaries, {} texts, {} argument lists):\n{}",
        s.canaries.len(),
        s.texts.len(),
        argv.len(),
        leaks.join("\n")
    );
    // Logout left none of this run's secrets in the keyring.
    assert_eq!(env.keyring_entries(), Vec::<String>::new());
}
