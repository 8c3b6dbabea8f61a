//! The files of HTTPS: reading a certificate chain and its key (PEM), writing the generated
//! CA's certificate, and the private temporary directory it goes to when no place is given.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::TlsError;

/// The most a certificate or key file may hold: a chain of a few certificates is a few KiB.
const PEM_FILE_LIMIT: u64 = 1024 * 1024;

fn read_bounded(path: &Path) -> Result<Vec<u8>, TlsError> {
    let fail = |source| TlsError::File {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    if !file.metadata().map_err(fail)?.is_file() {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let mut bytes = Vec::new();
    file.take(PEM_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > PEM_FILE_LIMIT {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {} KiB", PEM_FILE_LIMIT / 1024),
        )));
    }
    Ok(bytes)
}

/// The certificate chain (every `CERTIFICATE` block, leaf first) and the first private key.
pub fn read_pair(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read_bounded(cert)?)
        .filter_map(Result::ok)
        .collect();
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.to_path_buf()));
    }
    let key_der = PrivateKeyDer::from_pem_slice(&read_bounded(key)?)
        .map_err(|_| TlsError::NoKey(key.to_path_buf()))?;
    Ok((chain, key_der))
}

/// Writes a public file (mode 0644) atomically: beside it first, then renamed over it, so a
/// client polling for the file never reads half of it. Creates the missing directories.
pub fn write_public(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    let fail = |action, source| TlsError::File {
        action,
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| fail("create the directory of", e))?;
    let name = path
        .file_name()
        .ok_or_else(|| {
            fail(
                "write",
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
            )
        })?
        .to_string_lossy();
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o644);
        }
        let mut f = opts.open(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(fail("write", e));
    }
    Ok(())
}

/// A new directory only this user may enter, under the system's temporary directory;
/// removed with everything in it when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Result<TempDir, TlsError> {
        let base = std::env::temp_dir();
        let path = base.join(format!(
            "iam-emulator-{}-{}",
            std::process::id(),
            crate::crypto::random::random_code(10)
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(&path).map_err(|source| TlsError::File {
            action: "create the directory",
            path: path.clone(),
            source,
        })?;
        Ok(TempDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
