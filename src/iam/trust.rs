//! Which servers' certificates iamctl trusts: the system's CAs (or those of `SSL_CERT_FILE` and
//! `SSL_CERT_DIR`, read as OpenSSL reads them: instead of the system's), plus the CA file a
//! session names (`login --ca-cert`, remembered), unless validation is off altogether.
//!
//! A CA file is read and checked before anything is sent: a missing file, one that is not a
//! regular file, larger than `CA_FILE_LIMIT`, or holding no usable PEM certificate is an error
//! naming the file, never a handshake failure later.

use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

/// How a session's connections are verified.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// `--skip-ssl-validation`: no verification at all (warned on every use).
    pub skip_validation: bool,
    /// A PEM file of CA certificates trusted beside the system's.
    pub ca_cert: Option<PathBuf>,
}

/// The most a CA file may hold: Debian's whole bundle of public CAs is about 220 KiB.
pub const CA_FILE_LIMIT: u64 = 1024 * 1024;

/// The variable OpenSSL (and iamctl) reads CA certificates from instead of the system's.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Where a CA file came from, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaSource {
    /// The session's CA certificate (given to its login, or remembered from it).
    Session,
    /// `SSL_CERT_FILE`.
    SslCertFile,
}

/// What is wrong with a CA file.
#[derive(Debug)]
pub enum CaProblem {
    Read(std::io::Error),
    NotRegular,
    TooLarge,
    /// No `BEGIN CERTIFICATE` block in it.
    NoCertificate,
    /// A certificate block that is no certificate rustls can trust.
    Invalid(String),
}

impl std::fmt::Display for CaProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaProblem::Read(e) => write!(f, "{e}"),
            CaProblem::NotRegular => f.write_str("not a regular file"),
            CaProblem::TooLarge => write!(f, "larger than {} KiB", CA_FILE_LIMIT / 1024),
            CaProblem::NoCertificate => {
                f.write_str("no PEM certificate in it (-----BEGIN CERTIFICATE-----)")
            }
            CaProblem::Invalid(why) => write!(f, "a certificate in it cannot be used: {why}"),
        }
    }
}

/// A CA file that cannot be used.
#[derive(Debug)]
pub struct CaError {
    pub path: PathBuf,
    pub source: CaSource,
    pub problem: CaProblem,
}

impl std::fmt::Display for CaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Could not use the CA certificate file {}: {}",
            self.path.display(),
            self.problem
        )
    }
}

impl std::error::Error for CaError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            CaProblem::Read(e) => Some(e),
            _ => None,
        }
    }
}

/// The certificates of a PEM file of CA certificates, each checked to be one rustls can use as
/// a trust anchor.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, CaProblem> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path).map_err(CaProblem::Read)?;
    if !meta.is_file() {
        return Err(CaProblem::NotRegular);
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(CA_FILE_LIMIT + 1).read_to_end(&mut bytes))
        .map_err(CaProblem::Read)?;
    if bytes.len() as u64 > CA_FILE_LIMIT {
        return Err(CaProblem::TooLarge);
    }
    let mut certs = Vec::new();
    for block in CertificateDer::pem_slice_iter(&bytes) {
        let cert = block.map_err(|e| CaProblem::Invalid(format!("{e:?}")))?;
        let mut probe = rustls::RootCertStore::empty();
        probe
            .add(cert.clone())
            .map_err(|e| CaProblem::Invalid(e.to_string()))?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(CaProblem::NoCertificate);
    }
    Ok(certs)
}

/// `SSL_CERT_FILE`, when set, checked as a CA file is: the TLS library would otherwise find
/// no certificate in a missing or broken file and fail every handshake with a vague error.
pub fn check_ssl_cert_file() -> Result<(), CaError> {
    let Some(path) = std::env::var_os(SSL_CERT_FILE).map(PathBuf::from) else {
        return Ok(());
    };
    read_ca_file(&path).map(|_| ()).map_err(|problem| CaError {
        path,
        source: CaSource::SslCertFile,
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_must_hold_usable_certificates() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
            p
        };
        let empty = write("empty.pem", b"");
        assert!(matches!(
            read_ca_file(&empty),
            Err(CaProblem::NoCertificate)
        ));
        let text = write("text.pem", b"hello\n");
        assert!(matches!(read_ca_file(&text), Err(CaProblem::NoCertificate)));
        let garbage = write(
            "garbage.pem",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        assert!(matches!(read_ca_file(&garbage), Err(CaProblem::Invalid(_))));
        let huge = write("huge.pem", &vec![b'a'; CA_FILE_LIMIT as usize + 1]);
        assert!(matches!(read_ca_file(&huge), Err(CaProblem::TooLarge)));
        assert!(matches!(
            read_ca_file(dir.path()),
            Err(CaProblem::NotRegular)
        ));
        assert!(matches!(
            read_ca_file(&dir.path().join("missing")),
            Err(CaProblem::Read(_))
        ));
        let mut params =
            rcgen::CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let ca = params.self_signed(&key).unwrap_or_else(|e| panic!("{e}"));
        let two = format!("{}\n# a comment between\n{}", ca.pem(), ca.pem());
        let good = write("ca.pem", two.as_bytes());
        assert_eq!(read_ca_file(&good).map(|c| c.len()).ok(), Some(2));
    }
}
