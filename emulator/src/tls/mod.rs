//! HTTPS: the server's certificate and key, read from PEM files (`--tls-cert`, `--tls-key`) or
//! made at start (`--tls`): a CA of its own, whose certificate is written to a file clients are
//! told to trust, and a server certificate it signs for the names clients reach the emulator by.
//! The generated CA's key is dropped as soon as it has signed: it is never written anywhere,
//! and the CA vouches for that one certificate only.

mod files;
mod generate;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub use files::TempDir;

/// How the emulator serves HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// This certificate chain (leaf first) and its private key, PEM files.
    Files { cert: PathBuf, key: PathBuf },
    /// A CA generated at start, and a certificate it signs for the configured host names plus
    /// `localhost`, `127.0.0.1` and `::1`. The CA's certificate is written to `ca_out`, or, when
    /// `None`, to `ca.pem` in a new private temporary directory removed when the server stops.
    Generate { ca_out: Option<PathBuf> },
}

/// Why HTTPS cannot be set up; every variant names the file or name at fault.
#[derive(Debug)]
pub enum TlsError {
    /// A certificate, key or CA file cannot be read or written.
    File {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The certificate file holds no PEM certificate.
    NoCertificate(PathBuf),
    /// The key file holds no PEM private key (PKCS#8, PKCS#1 or SEC1).
    NoKey(PathBuf),
    /// rustls refused the certificate and key (they do not match, an unsupported key type).
    Refused(rustls::Error),
    /// A `--hostname` that is neither a DNS name nor an IP address.
    BadHostname(String),
    /// The CA or the server certificate could not be made.
    Generate(rcgen::Error),
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsError::File {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            TlsError::NoCertificate(p) => {
                write!(
                    f,
                    "{} holds no PEM certificate (BEGIN CERTIFICATE)",
                    p.display()
                )
            }
            TlsError::NoKey(p) => write!(
                f,
                "{} holds no PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)",
                p.display()
            ),
            TlsError::Refused(e) => write!(f, "the certificate and key cannot be used: {e}"),
            TlsError::BadHostname(n) => write!(
                f,
                "host name {n:?} is neither a DNS name (letters, digits, '-' and '.') nor an IP address"
            ),
            TlsError::Generate(e) => write!(f, "cannot make the certificate: {e}"),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsError::File { source, .. } => Some(source),
            TlsError::Refused(e) => Some(e),
            TlsError::Generate(e) => Some(e),
            _ => None,
        }
    }
}

/// A name clients reach the emulator by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Dns(String),
    Ip(IpAddr),
}

impl Host {
    /// A DNS name (ASCII letters, digits, `-`, labels joined by `.`, at most 253 characters)
    /// or an IP address; anything else could not be put in a certificate or a URL.
    pub fn parse(name: &str) -> Result<Host, TlsError> {
        let bare = name.strip_prefix('[').and_then(|n| n.strip_suffix(']'));
        if let Ok(ip) = bare.unwrap_or(name).parse::<IpAddr>() {
            return Ok(Host::Ip(ip));
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if name.len() <= 253 && name.split('.').all(label_ok) {
            Ok(Host::Dns(name.to_ascii_lowercase()))
        } else {
            Err(TlsError::BadHostname(name.to_string()))
        }
    }

    /// As it appears in a URL: an IPv6 address in brackets.
    pub fn in_url(&self) -> String {
        match self {
            Host::Dns(n) => n.clone(),
            Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
            Host::Ip(ip) => ip.to_string(),
        }
    }
}

/// HTTPS ready to serve: rustls' configuration, and the CA file clients must trust when the
/// CA was generated.
pub struct ServerTls {
    pub config: Arc<rustls::ServerConfig>,
    pub ca_file: Option<PathBuf>,
    /// The private directory holding `ca_file` when no place was given; removed on drop.
    _temp: Option<TempDir>,
}

impl ServerTls {
    /// Reads or generates the certificate; a generated CA's certificate is written out before
    /// this returns, so a client told its path can read it.
    pub fn prepare(tls: &Tls, hosts: &[Host]) -> Result<ServerTls, TlsError> {
        match tls {
            Tls::Files { cert, key } => {
                let (chain, key) = files::read_pair(cert, key)?;
                Ok(ServerTls {
                    config: server_config(chain, key)?,
                    ca_file: None,
                    _temp: None,
                })
            }
            Tls::Generate { ca_out } => {
                let made = generate::ca_and_server(&names_with_loopback(hosts))?;
                let (ca_file, temp) = match ca_out {
                    Some(path) => {
                        files::write_public(path, made.ca_pem.as_bytes())?;
                        (absolute(path), None)
                    }
                    None => {
                        let dir = TempDir::new()?;
                        let path = dir.path().join("ca.pem");
                        files::write_public(&path, made.ca_pem.as_bytes())?;
                        (path, Some(dir))
                    }
                };
                Ok(ServerTls {
                    config: server_config(made.chain, made.key)?,
                    ca_file: Some(ca_file),
                    _temp: temp,
                })
            }
        }
    }
}

/// The names a generated certificate is for: those given, then the loopback names, once each.
fn names_with_loopback(hosts: &[Host]) -> Vec<Host> {
    let mut names: Vec<Host> = Vec::new();
    let loopback = [
        Host::Dns("localhost".into()),
        Host::Ip(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        Host::Ip(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
    ];
    for h in hosts.iter().chain(loopback.iter()) {
        if !names.contains(h) {
            names.push(h.clone());
        }
    }
    names
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// HTTP/1.1 only (what the emulator speaks), TLS 1.2 and 1.3, aws-lc-rs for the crypto (the
/// provider that signs the tokens).
fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Refused)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(TlsError::Refused)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_dns_names_or_addresses() {
        assert_eq!(
            Host::parse("IAM-Emulator").ok(),
            Some(Host::Dns("iam-emulator".into()))
        );
        assert_eq!(
            Host::parse("::1").ok().map(|h| h.in_url()),
            Some("[::1]".into())
        );
        assert_eq!(
            Host::parse("[::1]").ok().map(|h| h.in_url()),
            Some("[::1]".into())
        );
        assert_eq!(
            Host::parse("10.0.0.1").ok().map(|h| h.in_url()),
            Some("10.0.0.1".into())
        );
        for bad in [
            "",
            "a..b",
            "-a",
            "a b",
            "é.example",
            "a/b",
            "x:80",
            &"a".repeat(64),
        ] {
            assert!(Host::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn generated_certificates_name_loopback_once() {
        let names = names_with_loopback(&[
            Host::Dns("iam-emulator".into()),
            Host::Dns("localhost".into()),
        ]);
        assert_eq!(names.len(), 4, "{names:?}");
        assert_eq!(names[0], Host::Dns("iam-emulator".into()));
    }
}
