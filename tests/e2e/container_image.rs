//! The iam-emulator container image (emulator/Containerfile, built by scripts/image) under
//! podman, as a CI service container is used: reached over HTTPS by a host name that is not
//! localhost (a hosts entry in a private mount namespace), its CA handed out through a volume,
//! iamctl logging in verifying it; then its admin API refused without its token and answered
//! with it, a reset, and the request journal, which holds no secret. All traffic stays on
//! loopback: `--network=host`, the emulator listening on 127.0.0.1. Fails (never skips)
//! without podman: scripts/test installs it.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixtures::*;

const HOST: &str = "iam-emulator.test";

/// Podman as scripts/lib.sh runs it: runc, a private containers.conf (no default ulimits,
/// cgroupfs), nothing in /etc changed.
struct Podman {
    conf: tempfile::TempDir,
}

impl Podman {
    fn new() -> Podman {
        let found = Command::new("podman").arg("--version").output();
        assert!(
            found.as_ref().is_ok_and(|o| o.status.success()),
            "podman is not installed ({found:?}): this test runs the container image under it. \
             scripts/test installs it (ensure_podman in scripts/lib.sh: apt-get install podman runc)"
        );
        let conf = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            conf.path().join("containers.conf"),
            "[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = \"cgroupfs\"\nruntime = \"runc\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Podman { conf }
    }

    fn conf(&self) -> PathBuf {
        self.conf.path().join("containers.conf")
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("podman");
        cmd.env("CONTAINERS_CONF", self.conf());
        cmd
    }

    /// `podman ARGS`, checked to succeed within `limit`.
    fn run(&self, args: &[&str], limit: Duration) -> String {
        let mut cmd = self.command();
        cmd.args(args);
        let (out, _) = run_bounded(cmd, limit);
        assert_eq!(out.code, Some(0), "podman {args:?}: {}", out.stderr);
        out.stdout
    }
}

/// What a bounded command printed and how it ended.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` to its end within `limit`; past it the command is killed and the test fails.
fn run_bounded(mut cmd: Command, limit: Duration) -> (Ran, Duration) {
    use std::io::Read as _;
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let read = |s: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut s) = s {
                let _ = s.read_to_string(&mut text);
            }
            text
        })
    };
    let out = read(child.stdout.take().map(|s| Box::new(s) as _));
    let err = read(child.stderr.take().map(|s| Box::new(s) as _));
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let ran = Ran {
        code: status.and_then(|s| s.code()),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    };
    assert!(
        status.is_some(),
        "{cmd:?} still ran after {limit:?}, killed:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
    (ran, started.elapsed())
}

/// The container, stopped and removed when dropped, whatever the test did.
struct Container<'a> {
    podman: &'a Podman,
    name: String,
    child: Child,
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = self
            .podman
            .command()
            .args(["rm", "--force", "--time", "2", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The image, removed when dropped.
struct Image<'a> {
    podman: &'a Podman,
    tag: String,
}

impl Drop for Image<'_> {
    fn drop(&mut self) {
        let _ = self
            .podman
            .command()
            .args(["rmi", "--force", &self.tag])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The first line of `child`'s stdout within `limit`, or the test fails with what it said.
fn ready_line(child: &mut Child, limit: Duration) -> Value {
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(limit).unwrap_or_default();
    serde_json::from_str(&line).unwrap_or_else(|_| {
        let _ = child.kill();
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        panic!("no ready line from the container within {limit:?} ({line:?}): {err}")
    })
}

/// `n` random bytes from the system, as hex.
fn random_hex(n: usize) -> String {
    use std::io::Read as _;
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .unwrap_or_else(|e| panic!("/dev/urandom: {e}"));
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

#[test]
fn the_image_over_https_by_host_name_logs_in_guards_its_admin_api_resets_and_journals() {
    let podman = Podman::new();
    let env = TestEnv::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));

    // scripts/image: the static binary (already built by scripts/test's image phase, else
    // built now) and a build context of two files.
    let image = Image {
        podman: &podman,
        tag: format!("localhost/{}:test", unique("iam-emulator-e2e")),
    };
    let mut build = Command::new(root.join("scripts/image"));
    build
        .arg(&image.tag)
        .env("CONTAINERS_CONF", podman.conf())
        .current_dir(root);
    let (out, took) = run_bounded(build, Duration::from_secs(40 * 60));
    assert_eq!(out.code, Some(0), "scripts/image failed:\n{}", out.stderr);
    eprintln!("scripts/image took {took:?}");
    let inspected = podman.run(
        &[
            "image",
            "inspect",
            "--format",
            "{{.Config.Entrypoint}} {{len .RootFS.Layers}}",
            &image.tag,
        ],
        Duration::from_secs(60),
    );
    assert_eq!(
        inspected.trim(),
        "[/iam-emulator] 1",
        "one layer: the binary, nothing else"
    );

    // Run as a CI service would be, but on loopback: host network, 127.0.0.1, a free port.
    let ca_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let name = unique("iam-emulator-e2e");
    // The admin token travels as podman's own environment (`--env NAME` without a value), so
    // it is in no process's arguments.
    let admin_token = random_hex(24);
    let child = podman
        .command()
        .env("IAM_EMULATOR_ADMIN_TOKEN", &admin_token)
        .args([
            "run",
            "--rm",
            "--runtime",
            "runc",
            "--network=host",
            "--name",
            &name,
        ])
        .args(["--env", "IAM_EMULATOR_ADMIN_TOKEN"])
        .arg("--volume")
        .arg(format!("{}:/ca", ca_dir.path().display()))
        .args([&image.tag, "--listen", "127.0.0.1:0", "--hostname", HOST])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("podman run: {e}"));
    let mut container = Container {
        podman: &podman,
        name,
        child,
    };
    let ready = ready_line(&mut container.child, Duration::from_secs(60));
    let url = ready["url"].as_str().unwrap_or_default().to_string();
    assert!(url.starts_with(&format!("https://{HOST}:")), "{ready}");
    assert_eq!(ready["ca_file"], "/ca/ca.pem", "{ready}");
    let ca = ca_dir.path().join("ca.pem");
    assert!(ca.is_file(), "the CA certificate is in the volume");
    let apikey = ready["apikey"].as_str().unwrap_or_default().to_string();

    let secrets = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key_file = secrets.path().join("apikey");
    std::fs::write(&key_file, &apikey).unwrap_or_else(|e| panic!("{e}"));
    // A hosts entry only this test's mount namespace sees.
    let hosts = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(hosts.path(), format!("127.0.0.1 {HOST}\n")).unwrap_or_else(|e| panic!("{e}"));
    let script = format!(
        "mount --bind {hosts} /etc/hosts || exit 99\n\
         # Without the CA the certificate does not verify: exit 5.\n\
         iamctl login -a {url} --apikey @{key} --no-region; echo \"without-ca=$?\"\n\
         iamctl login -a {url} --apikey @{key} --no-region --ca-cert {ca} >/dev/null || exit 98\n\
         iamctl oauth-tokens --output raw\n",
        hosts = hosts.path().display(),
        key = key_file.display(),
        ca = ca.display(),
    );
    let (out, _) = env
        .in_private_mounts("to give the container a host name", &script)
        .run_within(Duration::from_secs(120));
    let out = out.success();
    assert!(
        out.stdout.contains("without-ca=5") && out.stderr.contains("UnknownIssuer"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let token = out.stdout.lines().last().unwrap_or_default().to_string();
    assert_eq!(jwt_claims(&token)["iss"], format!("{url}/identity"));

    // The admin API over the same HTTPS, from this process (its own resolver entry for HOST).
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let pem = std::fs::read(&ca).unwrap_or_else(|e| panic!("{e}"));
    let roots = reqwest::Certificate::from_pem_bundle(&pem).unwrap_or_else(|e| panic!("{e}"));
    let http = reqwest::blocking::Client::builder()
        .tls_certs_only(roots)
        .resolve(HOST, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let admin = |method: reqwest::Method, path: &str, bearer: Option<&str>| {
        let mut req = http.request(method.clone(), format!("{url}{path}"));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .unwrap_or_else(|e| panic!("{method} {path}: {e:?}"));
        let status = resp.status().as_u16();
        (status, resp.text().unwrap_or_default())
    };
    let health = admin(reqwest::Method::GET, "/health", None);
    assert_eq!(health.0, 200, "{health:?}");
    // Without the admin token, with another one, with an IAM access token: refused.
    for bearer in [
        None,
        Some("not-the-admin-token-at-all"),
        Some(token.as_str()),
    ] {
        let (status, body) = admin(reqwest::Method::GET, "/emulator/stats", bearer);
        assert_eq!(status, 401, "the admin API without its token: {body}");
    }
    let (status, body) = admin(reqwest::Method::GET, "/emulator/stats", Some(&admin_token));
    assert_eq!(status, 200, "{body}");
    let (status, journal) = admin(
        reqwest::Method::GET,
        "/emulator/requests",
        Some(&admin_token),
    );
    assert_eq!(status, 200, "{journal}");
    let entries: Value =
        serde_json::from_str(&journal).unwrap_or_else(|e| panic!("{e}: {journal}"));
    let seen = |method: &str, path: &str, status: u64| {
        entries["requests"].as_array().is_some_and(|all| {
            all.iter()
                .any(|r| r["method"] == method && r["path"] == path && r["status"] == status)
        })
    };
    assert!(
        seen("POST", "/identity/token", 200),
        "iamctl's login: {journal}"
    );
    assert!(
        seen("GET", "/emulator/stats", 401),
        "the refused admin calls: {journal}"
    );
    for secret in [
        apikey.as_str(),
        admin_token.as_str(),
        token.as_str(),
        "not-the-admin-token-at-all",
    ] {
        assert!(
            !journal.contains(secret),
            "a secret in the journal: {journal}"
        );
    }
    let (status, reset) = admin(reqwest::Method::POST, "/emulator/reset", Some(&admin_token));
    assert_eq!(status, 200, "{reset}");
    assert!(reset.contains("\"restored\":\"start\""), "{reset}");
    let (_, journal) = admin(
        reqwest::Method::GET,
        "/emulator/requests",
        Some(&admin_token),
    );
    let entries: Value =
        serde_json::from_str(&journal).unwrap_or_else(|e| panic!("{e}: {journal}"));
    let paths: Vec<&str> = entries["requests"]
        .as_array()
        .map(|all| all.iter().filter_map(|r| r["path"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        paths,
        ["/emulator/reset"],
        "the reset emptied the journal: {journal}"
    );
    // A token from before the reset is refused: the emulator went back to its start.
    let (status, body) = admin(reqwest::Method::GET, "/v1/serviceids", Some(&token));
    assert_eq!(status, 401, "{body}");

    // SIGTERM (podman stop) reaches the emulator as PID 1: it stops cleanly, exit 0.
    podman.run(
        &["stop", "--time", "10", &container.name],
        Duration::from_secs(30),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        match container.child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => break None,
        }
    };
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{status:?}");
    drop(container);
    drop(image);
}
