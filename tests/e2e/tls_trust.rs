//! Trusting a CA of one's own: `login --ca-cert FILE` (or `IAMCTL_CA_CERT`), remembered by the
//! session; `SSL_CERT_FILE` and `SSL_CERT_DIR` as OpenSSL reads them; a certificate that does
//! not verify fails once, with the fix named; a CA file that cannot be used is refused before
//! anything is sent, and the previous session stays as it was. Against the emulator serving
//! HTTPS with a CA it made at start.

use crate::fixtures::*;

const APIKEY_GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";

/// `login -a <https url> --apikey - --no-region` plus `extra`, the demo key on stdin.
fn login<'a>(env: &'a TestEnv, extra: &[&str]) -> Cmd<'a> {
    env.login_with(Creds::ApiKey, &[&["--no-region"], extra].concat())
}

#[test]
fn login_trusts_the_ca_given_with_ca_cert_and_the_session_remembers_it() {
    let env = TestEnv::with_tls();
    assert!(env.url().starts_with("https://127.0.0.1:"), "{}", env.url());
    let ca = env.ca_file();
    // A relative path is remembered as the absolute one, so any directory finds it.
    let dir = ca.parent().unwrap_or_else(|| panic!("{ca:?}"));
    env.login_with(Creds::ApiKey, &["--no-region", "--ca-cert", "ca.pem"])
        .cwd(dir)
        .run()
        .success()
        .stdout_contains("OK")
        .stderr_lacks("SSL certificate validation is disabled");
    assert_eq!(env.session()["ca_cert"], ca.display().to_string());
    // Later commands of the session verify with it.
    env.iamctl(["iam", "service-ids"])
        .run()
        .success()
        .stdout_contains("OK");
    // A login without -a keeps it, as it keeps the endpoint.
    env.iamctl(["login", "--apikey", "-", "--no-region"])
        .stdin(env.apikey())
        .run()
        .success();
    assert_eq!(env.session()["ca_cert"], ca.display().to_string());
    assert_eq!(env.grants(APIKEY_GRANT), 2);
}

#[test]
fn iamctl_ca_cert_is_the_flag_given_by_the_environment() {
    let env = TestEnv::with_tls();
    login(&env, &[])
        .env("IAMCTL_CA_CERT", env.ca_file())
        .run()
        .success();
    assert_eq!(
        env.session()["ca_cert"],
        env.ca_file().display().to_string()
    );
    env.iamctl(["iam", "api-keys"]).run().success();
}

#[test]
fn ssl_cert_file_and_ssl_cert_dir_are_read_as_openssl_reads_them() {
    let env = TestEnv::with_tls();
    login(&env, &[])
        .env("SSL_CERT_FILE", env.ca_file())
        .run()
        .success();
    assert!(
        env.session().get("ca_cert").is_none(),
        "SSL_CERT_FILE is the environment's, not remembered: {}",
        env.session()
    );
    // Without it, the next command of the session does not trust the server.
    env.iamctl(["iam", "service-ids"])
        .run()
        .code(5)
        .stderr_contains("UnknownIssuer");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(env.ca_file(), dir.path().join("emulator.pem")).unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["iam", "service-ids"])
        .env("SSL_CERT_DIR", dir.path())
        .run()
        .success();
}

#[test]
fn a_certificate_that_does_not_verify_fails_once_naming_the_fix_and_keeps_the_session() {
    let env = TestEnv::with_tls();
    login(&env, &["--ca-cert"])
        .arg(env.ca_file())
        .run()
        .success();
    let before = std::fs::read(env.session_file()).unwrap_or_else(|e| panic!("{e}"));
    // -a starts over: the remembered CA goes with the endpoint it was given for.
    let out = login(&env, &[]).run().code(5);
    // The raw stderr: the normalised one hides the URL.
    let lines: Vec<&str> = out.stderr.lines().collect();
    let failed = lines
        .iter()
        .position(|l| *l == "FAILED")
        .unwrap_or_else(|| panic!("{}", out.err()));
    assert!(
        lines[failed + 1].starts_with(&format!("Could not reach {}", env.url()))
            && lines[failed + 1].ends_with("invalid peer certificate: UnknownIssuer"),
        "{}",
        out.err()
    );
    assert!(
        lines[failed + 2].starts_with("Tip: ")
            && lines[failed + 2].contains("--ca-cert FILE")
            && lines[failed + 2].contains("IAMCTL_CA_CERT")
            && lines[failed + 2].contains("--skip-ssl-validation only as a last resort"),
        "{}",
        out.err()
    );
    assert_eq!(lines.len(), failed + 3, "one cause, one tip: {}", out.err());
    let out = out.stderr_lacks("Retrying").stderr_lacks(&env.apikey());
    drop(out);
    assert_eq!(
        std::fs::read(env.session_file()).unwrap_or_default(),
        before,
        "the failed login left the session as it was"
    );
    assert_eq!(env.grants(APIKEY_GRANT), 1, "no request got through");
    // The last resort still works, with its warning.
    login(&env, &["--skip-ssl-validation"])
        .run()
        .success()
        .stderr_contains("SSL certificate validation is disabled");
}

#[test]
fn a_certificate_for_another_host_is_refused_even_with_its_ca() {
    // The generated certificate names localhost, 127.0.0.1 and ::1: not 127.0.0.2.
    let env = TestEnv::with_emulator(iam_emulator::Config {
        listen: "127.0.0.2:0".parse().unwrap_or_else(|e| panic!("{e}")),
        tls: Some(iam_emulator::Tls::Generate { ca_out: None }),
        ..iam_emulator::Config::default()
    });
    let ca = env.ca_file();
    login(&env, &["--ca-cert"])
        .arg(&ca)
        .run()
        .code(5)
        .stderr_contains("certificate not valid for name \"127.0.0.2\"")
        .stderr_contains("Tip: ");
}

#[test]
fn a_ca_file_that_cannot_be_used_is_refused_before_anything_is_sent() {
    let env = TestEnv::with_tls();
    login(&env, &["--ca-cert"])
        .arg(env.ca_file())
        .run()
        .success();
    let before = std::fs::read(env.session_file()).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
        p
    };
    let cases = [
        (dir.path().join("missing.pem"), "No such file or directory"),
        (
            file("text.pem", b"not a certificate\n"),
            "no PEM certificate in it",
        ),
        (
            file(
                "broken.pem",
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            ),
            "a certificate in it cannot be used",
        ),
        (
            file("huge.pem", &vec![b'a'; 1024 * 1024 + 1]),
            "larger than 1024 KiB",
        ),
        (dir.path().to_path_buf(), "not a regular file"),
    ];
    for (path, why) in &cases {
        let out = login(&env, &["--ca-cert"]).arg(path).run().code(1);
        let expected = format!(
            "Could not use the CA certificate file {} given with --ca-cert: {why}",
            path.display()
        );
        assert!(out.err().contains(&expected), "{expected}\n{}", out.err());
        out.stderr_contains("Tip: give a PEM file of CA certificates");
        // SSL_CERT_FILE is checked the same way, before the handshake could fail vaguely.
        login(&env, &["--ca-cert"])
            .arg(env.ca_file())
            .env("SSL_CERT_FILE", path)
            .run()
            .code(1)
            .stderr_contains(&format!("named by SSL_CERT_FILE: {why}"))
            .stderr_contains("unset it to use the system's");
    }
    assert_eq!(env.grants(APIKEY_GRANT), 1, "nothing was sent");
    assert_eq!(
        std::fs::read(env.session_file()).unwrap_or_default(),
        before,
        "the previous session is intact"
    );
}

#[test]
fn a_remembered_ca_file_that_is_gone_says_to_log_in_again() {
    let env = TestEnv::with_tls();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let copy = dir.path().join("ca.pem");
    std::fs::copy(env.ca_file(), &copy).unwrap_or_else(|e| panic!("{e}"));
    login(&env, &["--ca-cert"]).arg(&copy).run().success();
    std::fs::remove_file(&copy).unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["iam", "service-ids"])
        .run()
        .code(1)
        .stderr_contains(&format!(
            "Could not use the CA certificate file {} remembered from login --ca-cert",
            copy.display()
        ))
        .stderr_contains("Tip: log in again with --ca-cert FILE");
}

/// The emulator asked for a host name that is not localhost, reached through it: a hosts entry
/// in a private mount namespace, the emulator's certificate verified for that name.
#[cfg(target_os = "linux")]
#[test]
fn login_reaches_the_emulator_by_a_host_name_of_its_certificate() {
    let env = TestEnv::with_emulator(iam_emulator::Config {
        tls: Some(iam_emulator::Tls::Generate { ca_out: None }),
        hostnames: vec!["iam-emulator.test".into()],
        ..iam_emulator::Config::default()
    });
    let url = env.url();
    assert!(url.starts_with("https://iam-emulator.test:"), "{url}");
    let hosts = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(hosts.path(), "127.0.0.1 iam-emulator.test\n").unwrap_or_else(|e| panic!("{e}"));
    let script = format!(
        "mount --bind {hosts} /etc/hosts && \
         iamctl login -a {url} --apikey - --no-region --ca-cert {ca} && \
         iamctl oauth-tokens --output raw",
        hosts = hosts.path().display(),
        ca = env.ca_file().display(),
    );
    let out = env
        .in_private_mounts("to point a host name at loopback", &script)
        .stdin(env.apikey())
        .run()
        .success();
    let token = out.stdout.lines().last().unwrap_or_default();
    assert_eq!(
        jwt_claims(token)["iss"],
        format!("{url}/identity"),
        "{}",
        out.out()
    );
}
