//! A CA made at start, and the server certificate it signs. Both keys are ECDSA P-256 from
//! aws-lc-rs; the CA's key is dropped when this returns, so the CA can never sign again.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::{Host, TlsError};

pub struct Made {
    /// The CA's certificate, for clients to trust.
    pub ca_pem: String,
    /// The server's certificate, then the CA's.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

fn serial() -> SerialNumber {
    let mut bytes = crate::crypto::random::random_token(16).into_bytes();
    bytes.truncate(16);
    // A positive number of 16 bytes: no leading bit set.
    bytes[0] &= 0x7f;
    SerialNumber::from_slice(&bytes)
}

/// A CA named `iam-emulator CA <random>` (each run's distinct, so several in one trust store
/// are never mistaken for each other) and a server certificate for `names`.
pub fn ca_and_server(names: &[Host]) -> Result<Made, TlsError> {
    let run = crate::crypto::random::random_code(8);
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.distinguished_name = rcgen::DistinguishedName::new();
    ca.distinguished_name
        .push(DnType::CommonName, format!("iam-emulator CA {run}"));
    ca.serial_number = Some(serial());
    let ca_key = KeyPair::generate().map_err(TlsError::Generate)?;
    let issuer = CertifiedIssuer::self_signed(ca, ca_key).map_err(TlsError::Generate)?;

    let mut leaf = CertificateParams::default();
    leaf.distinguished_name = rcgen::DistinguishedName::new();
    let first = names.first().map(Host::in_url).unwrap_or_default();
    leaf.distinguished_name.push(DnType::CommonName, first);
    leaf.subject_alt_names = names
        .iter()
        .map(|n| match n {
            Host::Dns(d) => d
                .clone()
                .try_into()
                .map(SanType::DnsName)
                .map_err(TlsError::Generate),
            Host::Ip(ip) => Ok(SanType::IpAddress(*ip)),
        })
        .collect::<Result<_, _>>()?;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    leaf.serial_number = Some(serial());
    let key = KeyPair::generate().map_err(TlsError::Generate)?;
    let cert = leaf.signed_by(&key, &issuer).map_err(TlsError::Generate)?;
    Ok(Made {
        ca_pem: issuer.pem(),
        chain: vec![cert.der().clone(), issuer.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    })
}
