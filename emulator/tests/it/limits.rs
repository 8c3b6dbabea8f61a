//! What one client may make the emulator hold (docs/emulator.md, Limits): body and header
//! size, connections at once, idle connections, and the file descriptor limit. Each is sent
//! as raw bytes over a real socket, so the answer is the one a client on the wire sees.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use iam_emulator::{Config, Limits, Running, Server};
use serde_json::Value;

/// Polls `probe` until it gives a value, for at most 10 s; on timeout the panic says what was
/// awaited.
fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "gave up after 10 s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn start_limited(limits: Limits) -> Running {
    let server = Server::bind(Config::default())
        .expect("bind")
        .with_limits(limits);
    iam_emulator::spawn_server(server).expect("emulator starts")
}

fn addr(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .parse()
        .expect("a loopback address")
}

fn connect(url: &str) -> TcpStream {
    let s = TcpStream::connect(addr(url)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads what the server sends until it closes the connection or `within` passes; the text
/// and whether it closed.
fn read_until_close(s: &mut TcpStream, within: Duration) -> (String, bool) {
    s.set_read_timeout(Some(within)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = Instant::now() + within;
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // A reset after the answer is a close too (unread request bytes on the server).
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&out).into_owned(), true);
            }
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
        if Instant::now() >= deadline {
            return (String::from_utf8_lossy(&out).into_owned(), false);
        }
    }
}

/// Reads one answer with a `Content-Length` body; its status line and body.
fn read_answer(s: &mut TcpStream) -> (String, String) {
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut status = String::new();
    r.read_line(&mut status).expect("status line");
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).expect("header line");
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().expect("a length");
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).expect("body");
    (
        status.trim().to_owned(),
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn small_body() -> Limits {
    Limits {
        max_body_bytes: 1024,
        ..Limits::default()
    }
}

#[test]
fn a_body_over_the_limit_by_content_length_is_413_in_the_endpoints_shape() {
    let emu = start_limited(small_body());
    let big = "a".repeat(1025);
    // The token service: its own error shape.
    let resp = client()
        .post(format!("{}/identity/token", emu.url()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("grant_type={APIKEY_GRANT}&apikey={big}"))
        .send()
        .unwrap();
    let got = json(resp);
    assert_token_error(&got, 413, "BXNIM0413E");
    // A platform API: the v1 error shape, refused before the bearer token is even looked at.
    let resp = client()
        .post(format!("{}/v1/serviceids/", emu.url()))
        .bearer_auth(access_token(&emu))
        .header("Content-Type", "application/json")
        .body(format!(r#"{{"account_id":"x","name":"{big}"}}"#))
        .send()
        .unwrap();
    assert_api_error(&json(resp), 413, "BXNIM0413E");
    // The admin API: its own `{"error"}`.
    let resp = client()
        .post(format!("{}/emulator/passcodes", emu.url()))
        .header("Content-Type", "application/json")
        .body(format!(r#"{{"user":"{big}"}}"#))
        .send()
        .unwrap();
    let (status, body) = json(resp);
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("1024")),
        "{body}"
    );
    // Just under the limit is read and judged on its content.
    let fine = "a".repeat(1024 - "grant_type=&apikey=".len() - APIKEY_GRANT.len());
    let got = token_raw(
        &emu,
        &format!("grant_type={APIKEY_GRANT}&apikey={fine}"),
        false,
    );
    assert_eq!(got.0, 400, "{}", got.1);
}

#[test]
fn a_declared_length_over_the_limit_is_refused_before_the_body_is_sent() {
    let emu = start_limited(small_body());
    let mut s = connect(emu.url());
    // A client that announces a gigabyte and sends nothing gets its answer at once.
    write!(
        s,
        "POST /identity/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000000\r\n\r\n"
    )
    .unwrap();
    let (status, body) = read_answer(&mut s);
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["errorCode"], "BXNIM0413E", "{body}");
}

#[test]
fn a_chunked_body_over_the_limit_is_413_as_it_arrives() {
    let emu = start_limited(small_body());
    let chunked = |method: &str, path: &str, content_type: &str, token: Option<&str>| {
        let mut s = connect(emu.url());
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n"));
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n{}Transfer-Encoding: chunked\r\n\r\n",
            auth.unwrap_or_default()
        )
        .unwrap();
        // 2 KiB in 256-byte chunks, never a length up front; the server may answer and
        // close before the last ones, so write errors are expected.
        for _ in 0..8 {
            let chunk = "b".repeat(256);
            if write!(s, "100\r\n{chunk}\r\n").is_err() {
                break;
            }
        }
        let _ = write!(s, "0\r\n\r\n");
        read_answer(&mut s)
    };
    let (status, body) = chunked(
        "POST",
        "/identity/token",
        "application/x-www-form-urlencoded",
        None,
    );
    assert!(status.starts_with("HTTP/1.1 413"), "{status} {body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_token_error(&(413, body), 413, "BXNIM0413E");

    let token = access_token(&emu);
    let (status, body) = chunked("POST", "/v1/serviceids/", "application/json", Some(&token));
    assert!(status.starts_with("HTTP/1.1 413"), "{status} {body}");
    assert_api_error(
        &(413, serde_json::from_str(&body).unwrap()),
        413,
        "BXNIM0413E",
    );

    // The VPC metadata service: its own shape (`errors` with a code, no `context`).
    let (status, body) = chunked(
        "PUT",
        "/instance_identity/v1/token?version=2022-03-01",
        "application/json",
        None,
    );
    assert!(status.starts_with("HTTP/1.1 413"), "{status} {body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["errors"][0]["code"], "request_too_large", "{body}");
}

#[test]
fn a_request_head_over_the_limit_is_431() {
    let emu = start_limited(Limits {
        max_header_bytes: 4096,
        max_headers: 20,
        ..Limits::default()
    });
    // One header too long.
    let mut s = connect(emu.url());
    let long = "c".repeat(8192);
    write!(
        s,
        "GET /identity/keys HTTP/1.1\r\nHost: x\r\nX-Long: {long}\r\n\r\n"
    )
    .unwrap();
    let (text, _) = read_until_close(&mut s, Duration::from_secs(10));
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
    // Too many headers, each short.
    let mut s = connect(emu.url());
    let many: String = (0..40).map(|i| format!("X-H{i}: v\r\n")).collect();
    write!(s, "GET /identity/keys HTTP/1.1\r\nHost: x\r\n{many}\r\n").unwrap();
    let (text, _) = read_until_close(&mut s, Duration::from_secs(10));
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
    // A head under the limit is served.
    let mut s = connect(emu.url());
    let fine = "c".repeat(2048);
    write!(
        s,
        "GET /identity/keys HTTP/1.1\r\nHost: x\r\nX-Long: {fine}\r\n\r\n"
    )
    .unwrap();
    let (status, _) = read_answer(&mut s);
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
}

#[test]
fn connections_over_the_limit_wait_until_one_closes() {
    let emu = start_limited(Limits {
        max_connections: 2,
        ..Limits::default()
    });
    let keys = "GET /identity/keys HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut first = connect(emu.url());
    let mut second = connect(emu.url());
    for s in [&mut first, &mut second] {
        s.write_all(keys.as_bytes()).unwrap();
        assert!(read_answer(s).0.starts_with("HTTP/1.1 200"));
    }
    // The third is accepted by the kernel's listen queue but not served.
    let mut third = connect(emu.url());
    third.write_all(keys.as_bytes()).unwrap();
    let (text, closed) = read_until_close(&mut third, Duration::from_millis(500));
    assert!(
        text.is_empty() && !closed,
        "served beyond the limit: {text}"
    );
    // One closes: the third is served, without resending anything.
    drop(first);
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert!(read_answer(&mut third).0.starts_with("HTTP/1.1 200"));
}

/// The sockets a process holds (the listener included), from /proc.
fn sockets_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc")
        .flatten()
        .filter(|e| {
            std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:"))
        })
        .count()
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` under a shell that first runs `pre` (e.g. `ulimit -n 64`);
/// the child and its ready line.
fn start_binary(pre: &str, args: &[&str]) -> (Child, Value) {
    let script = format!("{pre}\nexec \"$0\" \"$@\"");
    let mut child = Child(
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(env!("CARGO_BIN_EXE_iam-emulator"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let info = serde_json::from_str(&line).unwrap_or_else(|_| panic!("ready line: {line}"));
    (child, info)
}

fn stop(child: &mut Child) -> String {
    let pid = libc::pid_t::try_from(child.0.id()).unwrap();
    // SAFETY: signals our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let mut err = String::new();
    child
        .0
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .unwrap();
    assert!(child.0.wait().unwrap().success(), "{err}");
    err
}

#[test]
fn the_binary_never_holds_more_sockets_than_max_connections() {
    let (mut child, info) = start_binary("", &["--max-connections", "3"]);
    let url = info["url"].as_str().unwrap().to_owned();
    let pid = child.0.id();
    // The listener and the runtime's own (signal handling uses a socket pair).
    let idle = sockets_of(pid);
    // Twelve clients, each sending a request and keeping its connection.
    let clients: Vec<TcpStream> = (0..12)
        .map(|_| {
            let mut s = connect(&url);
            s.write_all(b"GET /identity/keys HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            s
        })
        .collect();
    // The first three are served (the listen queue hands connections over in order): by then
    // the server has accepted all it may, and had its chance to accept more.
    let mut clients = clients.into_iter();
    let served: Vec<TcpStream> = clients
        .by_ref()
        .take(3)
        .map(|mut s| {
            assert!(read_answer(&mut s).0.starts_with("HTTP/1.1 200"));
            s
        })
        .collect();
    let held = wait_for("the server to hold the connections it serves", || {
        let n = sockets_of(pid);
        (n >= idle + 3).then_some(n)
    });
    assert_eq!(
        held,
        idle + 3,
        "{held} sockets with {idle} before any client"
    );
    // All twelve are served in turn as the earlier ones close.
    drop(served);
    for mut s in clients {
        assert!(read_answer(&mut s).0.starts_with("HTTP/1.1 200"));
        drop(s);
    }
    stop(&mut child);
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let idle = Duration::from_millis(200);
    let emu = start_limited(Limits {
        idle_timeout: idle,
        ..Limits::default()
    });
    // A keep-alive connection, silent after its answer.
    let mut s = connect(emu.url());
    s.write_all(b"GET /identity/keys HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_answer(&mut s).0.starts_with("HTTP/1.1 200"));
    let quiet = Instant::now();
    let (text, closed) = read_until_close(&mut s, Duration::from_secs(5));
    let waited = quiet.elapsed();
    assert!(closed && text.is_empty(), "{text}");
    assert!(
        waited >= idle.mul_f32(0.8) && waited < Duration::from_secs(3),
        "closed after {waited:?}"
    );
    // A connection that never sends a byte, and one that stalls mid-head.
    for sent in ["", "GET /identity/keys HTTP/1.1\r\nHo"] {
        let mut s = connect(emu.url());
        s.write_all(sent.as_bytes()).unwrap();
        let opened = Instant::now();
        let (_, closed) = read_until_close(&mut s, Duration::from_secs(5));
        assert!(closed, "{sent:?} kept open");
        assert!(opened.elapsed() < Duration::from_secs(3), "{sent:?}");
    }
    // Activity keeps a connection open past the timeout: three requests 100 ms apart. The
    // pauses are what is tested (each shorter than the timeout, together longer), not a wait
    // for something to happen.
    let mut s = connect(emu.url());
    for _ in 0..3 {
        s.write_all(b"GET /identity/keys HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert!(read_answer(&mut s).0.starts_with("HTTP/1.1 200"));
        std::thread::sleep(idle / 2);
    }
}

#[test]
fn a_delay_fault_longer_than_the_idle_timeout_is_still_answered() {
    let emu = start_limited(Limits {
        idle_timeout: Duration::from_millis(200),
        ..Limits::default()
    });
    let (status, _) = admin(
        &emu,
        reqwest::Method::POST,
        "/emulator/faults",
        Some(serde_json::json!({"path": "/identity/keys", "delay_ms": 600})),
    );
    assert_eq!(status, 200);
    let mut s = connect(emu.url());
    s.write_all(b"GET /identity/keys HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_answer(&mut s).0.starts_with("HTTP/1.1 200"));
}

#[test]
fn a_low_file_descriptor_limit_lowers_max_connections_and_says_so() {
    let (mut child, info) = start_binary("ulimit -n 64", &["--max-connections", "512"]);
    let url = info["url"].as_str().unwrap().to_owned();
    // Still serving.
    let mut s = connect(&url);
    s.write_all(b"GET /identity/keys HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_answer(&mut s).0.starts_with("HTTP/1.1 200"));
    drop(s);
    let err = stop(&mut child);
    assert!(
        err.lines().any(
            |l| l.contains("serving at most 32 connections at once (not 512)")
                && l.contains("file descriptor limit")
        ),
        "{err}"
    );
}

#[test]
fn the_limits_flags_are_checked() {
    let out = Command::new(env!("CARGO_BIN_EXE_iam-emulator"))
        .args(["--max-connections", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_iam-emulator"))
        .args(["--max-header-bytes", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
