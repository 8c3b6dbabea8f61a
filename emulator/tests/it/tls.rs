//! HTTPS: a generated CA and the certificate it signs for the names clients use, or a
//! certificate and key given as files; the URLs the emulator hands out carry the scheme and the
//! host asked for; bad certificate input stops the start with a message naming the file.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use iam_emulator::{Config, Tls};
use serde_json::Value;

use crate::common::{APIKEY_GRANT, TempDir, start_with};

const NAME: &str = "iam-emu.test";

/// A client that trusts only `ca_pem` and reaches `NAME` (and nothing else) on loopback.
fn trusting(ca_pem: &[u8], port: u16) -> reqwest::blocking::Client {
    let certs = reqwest::Certificate::from_pem_bundle(ca_pem).expect("CA PEM");
    reqwest::blocking::Client::builder()
        .tls_certs_only(certs)
        .resolve(NAME, SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port")
}

fn grant(client: &reqwest::blocking::Client, url: &str, apikey: &str) -> Value {
    let resp = client
        .post(format!("{url}/identity/token"))
        .form(&[("grant_type", APIKEY_GRANT), ("apikey", apikey)])
        .send()
        .unwrap_or_else(|e| panic!("token over HTTPS at {url}: {e:?}"));
    assert_eq!(resp.status(), 200);
    resp.json().expect("token JSON")
}

#[test]
fn a_generated_ca_vouches_for_every_name_and_the_urls_it_hands_out_are_https() {
    let emu = start_with(Config {
        tls: Some(Tls::Generate { ca_out: None }),
        hostnames: vec![NAME.into()],
        ..Config::default()
    });
    let url = emu.url().to_string();
    let port = port_of(&url);
    assert_eq!(url, format!("https://{NAME}:{port}"));
    let ca_file = std::path::PathBuf::from(&emu.info().ca_file);
    assert!(ca_file.is_absolute(), "{ca_file:?}");
    let ca_pem = std::fs::read(&ca_file).expect("the CA file exists once spawn returns");
    let ca_text = String::from_utf8_lossy(&ca_pem);
    assert!(
        ca_text.starts_with("-----BEGIN CERTIFICATE-----"),
        "{ca_text}"
    );
    assert!(!ca_text.contains("PRIVATE KEY"), "{ca_text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = ca_file.parent().expect("dir");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(dir), 0o700, "the temporary directory is private");
        assert_eq!(mode(&ca_file), 0o644, "the CA certificate is public");
        let names: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(
            names,
            ["ca.pem"],
            "nothing but the CA certificate is written"
        );
    }

    let client = trusting(&ca_pem, port);
    let token = grant(&client, &url, &emu.info().apikey);
    let access = token["access_token"].as_str().expect("access_token");
    assert_eq!(
        crate::common::claims(access)["iss"],
        format!("{url}/identity"),
        "the issuer is the URL clients use"
    );
    let discovery: Value = client
        .get(format!("{url}/identity/.well-known/openid-configuration"))
        .send()
        .and_then(|r| r.json())
        .expect("discovery");
    assert_eq!(discovery["issuer"], format!("{url}/identity"));
    assert_eq!(discovery["jwks_uri"], format!("{url}/identity/keys"));
    // A paged list's links lead back over HTTPS to the same host.
    let page: Value = client
        .get(format!(
            "{url}/v1/apikeys?account_id={}&pagesize=1",
            iam_emulator::seed::DEMO_ACCOUNT
        ))
        .bearer_auth(access)
        .send()
        .and_then(|r| r.json())
        .expect("page");
    let first = page["first"].as_str().unwrap_or_else(|| panic!("{page}"));
    assert!(first.starts_with(&format!("{url}/v1/apikeys?")), "{first}");
    let again = client
        .get(first)
        .bearer_auth(access)
        .send()
        .map(|r| r.status().as_u16());
    assert_eq!(again.ok(), Some(200), "the link is followed as given");

    // The loopback names are in the certificate too.
    let certs = reqwest::Certificate::from_pem_bundle(&ca_pem).expect("CA PEM");
    let plain = reqwest::blocking::Client::builder()
        .tls_certs_only(certs)
        .build()
        .expect("client");
    for base in [
        format!("https://localhost:{port}"),
        format!("https://127.0.0.1:{port}"),
    ] {
        let status = plain
            .get(format!("{base}/identity/keys"))
            .send()
            .unwrap_or_else(|e| panic!("{base}: {e:?}"))
            .status();
        assert_eq!(status, 200, "{base}");
    }

    // A client that does not trust the CA is refused in the handshake, and so is plain HTTP.
    let untrusting = reqwest::blocking::Client::builder()
        .resolve(NAME, SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .build()
        .expect("client");
    let err = untrusting
        .get(format!("{url}/identity/keys"))
        .send()
        .expect_err("an unknown CA is not trusted");
    assert!(format!("{err:?}").contains("UnknownIssuer"), "{err:?}");
    assert!(
        reqwest::blocking::get(format!("http://127.0.0.1:{port}/identity/keys")).is_err(),
        "plain HTTP on the HTTPS port gets no answer"
    );

    drop(emu);
    assert!(
        !ca_file.exists() && !ca_file.parent().is_some_and(Path::exists),
        "the temporary directory goes with the emulator"
    );
}

#[test]
fn a_certificate_given_as_files_is_served_and_the_ca_out_file_is_replaced_each_start() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let dir = TempDir::new("tls-files");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("CA");
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec![NAME.to_string()])
        .expect("params")
        .signed_by(&key, &ca)
        .expect("cert");
    std::fs::write(dir.path("cert.pem"), cert.pem()).expect("write");
    std::fs::write(dir.path("key.pem"), key.serialize_pem()).expect("write");
    let emu = start_with(Config {
        tls: Some(Tls::Files {
            cert: dir.path("cert.pem"),
            key: dir.path("key.pem"),
        }),
        hostnames: vec![NAME.into()],
        ..Config::default()
    });
    assert_eq!(emu.info().ca_file, "", "no CA of its own");
    let url = emu.url().to_string();
    assert!(url.starts_with(&format!("https://{NAME}:")), "{url}");
    let client = trusting(ca.pem().as_bytes(), port_of(&url));
    grant(&client, &url, &emu.info().apikey);
    drop(emu);

    // --tls-ca-out: a directory that does not exist yet is made; a new start, a new CA.
    let out = dir.path("ca/ca.pem");
    let start = || {
        start_with(Config {
            tls: Some(Tls::Generate {
                ca_out: Some(out.clone()),
            }),
            ..Config::default()
        })
    };
    let first = start();
    assert_eq!(first.info().ca_file, out.display().to_string());
    assert!(
        first.url().starts_with("https://127.0.0.1:"),
        "{}",
        first.url()
    );
    let first_pem = std::fs::read(&out).expect("CA written");
    drop(first);
    assert!(
        out.exists(),
        "a CA file asked for stays after the emulator stops"
    );
    let second = start();
    let second_pem = std::fs::read(&out).expect("CA written");
    assert_ne!(first_pem, second_pem, "each start makes a new CA");
    let client = trusting(&second_pem, 0);
    grant(&client, second.url(), &second.info().apikey);
}

#[test]
fn bad_certificate_input_stops_the_start_and_names_the_file() {
    let dir = TempDir::new("tls-bad");
    std::fs::write(dir.path("not-pem"), "hello\n").expect("write");
    std::fs::write(dir.path("huge"), vec![b'a'; 2 * 1024 * 1024]).expect("write");
    let key = rcgen::KeyPair::generate().expect("key");
    let other_key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    std::fs::write(dir.path("cert.pem"), cert.pem()).expect("write");
    std::fs::write(dir.path("other-key.pem"), other_key.serialize_pem()).expect("write");
    let files = |cert: &str, key: &str| Config {
        tls: Some(Tls::Files {
            cert: dir.path(cert),
            key: dir.path(key),
        }),
        ..Config::default()
    };
    let cases = [
        (files("missing.pem", "other-key.pem"), "missing.pem"),
        (
            files("not-pem", "other-key.pem"),
            "holds no PEM certificate",
        ),
        (files("huge", "other-key.pem"), "larger than 1024 KiB"),
        (files("cert.pem", "not-pem"), "holds no PEM private key"),
        (files("cert.pem", "other-key.pem"), "cannot be used"),
        (
            Config {
                tls: Some(Tls::Generate { ca_out: None }),
                hostnames: vec!["not a name".into()],
                ..Config::default()
            },
            "\"not a name\" is neither a DNS name",
        ),
    ];
    for (config, expected) in cases {
        let err = match iam_emulator::spawn(config) {
            Ok(_) => panic!("started despite {expected:?}"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.starts_with("TLS: ") && err.contains(expected),
            "{err:?} should say {expected:?}"
        );
    }
}

#[test]
fn a_silent_client_is_dropped_before_its_handshake() {
    let server = iam_emulator::Server::bind(Config {
        tls: Some(Tls::Generate { ca_out: None }),
        ..Config::default()
    })
    .expect("bind")
    .with_limits(iam_emulator::Limits {
        idle_timeout: Duration::from_millis(300),
        ..iam_emulator::Limits::default()
    });
    let emu = iam_emulator::spawn_server(server).expect("spawn");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port_of(emu.url())));
    let mut silent = std::net::TcpStream::connect(addr).expect("connect");
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let started = Instant::now();
    let mut buf = [0u8; 16];
    let n = silent.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "closed without a byte");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Bytes that are no TLS handshake end the connection too, without an HTTP answer.
    let mut plain = std::net::TcpStream::connect(addr).expect("connect");
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    plain
        .write_all(b"GET /identity/keys HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(
        !String::from_utf8_lossy(&answer).contains("HTTP/1.1 200"),
        "{answer:?}"
    );
}

#[test]
fn the_binary_serves_https_with_the_ca_its_ready_line_names() {
    let dir = TempDir::new("tls-bin");
    let out = dir.path("ca.pem");
    let (mut child, info) = crate::common::start_binary(
        &[
            "--tls",
            "--hostname",
            NAME,
            "--hostname",
            "other.test",
            "--tls-ca-out",
            out.to_str().expect("utf-8"),
        ],
        &dir.path("state.json"),
    );
    let url = info["url"].as_str().expect("url").to_string();
    let stop = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    if !url.starts_with(&format!("https://{NAME}:")) || info["ca_file"] != out.to_str().unwrap() {
        stop(&mut child);
        panic!("ready line: {info}");
    }
    let pem = std::fs::read(&out).expect("CA");
    let port = port_of(&url);
    let client = trusting(&pem, port);
    let body = grant(&client, &url, info["apikey"].as_str().expect("apikey"));
    // The second name is in the certificate as well.
    let other = reqwest::blocking::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).expect("pem"))
        .resolve("other.test", SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .build()
        .expect("client")
        .get(format!("https://other.test:{port}/identity/keys"))
        .send()
        .map(|r| r.status().as_u16());
    stop(&mut child);
    assert!(body["access_token"].is_string(), "{body}");
    assert_eq!(other.ok(), Some(200));
}

#[test]
fn the_binary_refuses_a_bad_key_before_it_listens() {
    let dir = TempDir::new("tls-bin-bad");
    std::fs::write(dir.path("cert.pem"), "nothing").expect("write");
    // The image's IAM_EMULATOR_TLS=true gives way to a certificate of one's own.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iam-emulator"))
        .env("IAM_EMULATOR_TLS", "true")
        .args(["--tls-cert"])
        .arg(dir.path("cert.pem"))
        .arg("--tls-key")
        .arg(dir.path("key.pem"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "no ready line");
    assert!(
        stderr.starts_with("iam-emulator: TLS: ") && stderr.contains("holds no PEM certificate"),
        "{stderr}"
    );
    // Both on the command line contradict each other: a usage error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iam-emulator"))
        .args(["--tls", "--tls-cert"])
        .arg(dir.path("cert.pem"))
        .arg("--tls-key")
        .arg(dir.path("key.pem"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used together"),
        "{out:?}"
    );
}
