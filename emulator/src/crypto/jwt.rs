//! RS256 signing and verification of the emulator's tokens, and the JWKS that publishes the
//! key. The key is parsed once at start; signing is the token endpoint's main cost.
//!
//! One key signs three kinds of token, each under its own key id (`<kid>`, `<kid>-cr`,
//! `<kid>-vpc`). The header is signed too, so a token of one kind never verifies as
//! another: a compute-resource token is no bearer token, an access token no cr_token. Only
//! the access tokens' key id is published in the JWKS, as only they are IAM's tokens.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, KeyPair as _, RSA_PKCS1_SHA256, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use std::sync::{RwLock, RwLockReadGuard};

/// Why the signing key cannot be made, or read back from a state file.
#[derive(Debug)]
pub enum KeyError {
    Generate,
    Encode,
    /// A stored key's `pkcs8` is not base64.
    NotBase64(base64::DecodeError),
    /// A stored key is not a PKCS#8 RSA key.
    NotPkcs8(aws_lc_rs::error::KeyRejected),
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::Generate => f.write_str("cannot generate an RSA key"),
            KeyError::Encode => f.write_str("cannot encode the RSA key"),
            KeyError::NotBase64(e) => write!(f, "signing key is not base64: {e}"),
            KeyError::NotPkcs8(e) => write!(f, "signing key is not a PKCS#8 RSA key: {e}"),
        }
    }
}

impl std::error::Error for KeyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyError::Generate | KeyError::Encode => None,
            KeyError::NotBase64(e) => Some(e),
            KeyError::NotPkcs8(e) => Some(e),
        }
    }
}

/// Why a token could not be signed. None of these happen to claims the emulator built
/// itself; they are answered as internal errors.
#[derive(Debug)]
pub enum SignError {
    /// The claims do not serialise to JSON.
    Claims(serde_json::Error),
    /// An ID token's claims are not a JSON object to which `aud` could be added.
    NotAnObject,
    Rsa,
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignError::Claims(e) => write!(f, "{e}"),
            SignError::NotAnObject => f.write_str("the claims are not a JSON object"),
            SignError::Rsa => f.write_str("RSA signing failed"),
        }
    }
}

impl std::error::Error for SignError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SignError::Claims(e) => Some(e),
            SignError::NotAnObject | SignError::Rsa => None,
        }
    }
}

/// What a token is for; each kind verifies only as itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// IAM access tokens (bearer tokens of the platform APIs).
    Access,
    /// Compute-resource tokens (`POST /emulator/cr-tokens`, the cr-token grant).
    ComputeResource,
    /// The VPC metadata service's instance identity tokens.
    InstanceIdentity,
}

impl Kind {
    pub(crate) const ALL: [Kind; 3] = [Kind::Access, Kind::ComputeResource, Kind::InstanceIdentity];

    fn index(self) -> usize {
        match self {
            Kind::Access => 0,
            Kind::ComputeResource => 1,
            Kind::InstanceIdentity => 2,
        }
    }

    fn kid(self, base: &str) -> String {
        match self {
            Kind::Access => base.to_owned(),
            Kind::ComputeResource => format!("{base}-cr"),
            Kind::InstanceIdentity => format!("{base}-vpc"),
        }
    }
}

pub struct Signer {
    /// The key ids change when the emulator is reset (`rotate_kid`): every token signed
    /// before no longer verifies, while the key, and so the JWKS's `n` and `e`, stay.
    ids: RwLock<KeyIds>,
    pair: KeyPair,
    rng: SystemRandom,
    pkcs8: Vec<u8>,
    /// PKCS#1 RSAPublicKey, what verification wants.
    public: Vec<u8>,
    n: String,
    e: String,
}

/// The key id and what follows from it.
struct KeyIds {
    kid: String,
    /// `base64url(header) + "."` of each kind, the same for every token of that kind.
    header_prefixes: [String; 3],
}

impl KeyIds {
    fn new(kid: String) -> KeyIds {
        let header_prefixes = Kind::ALL.map(|k| {
            let header = match k {
                Kind::Access => serde_json::json!({"kid": kid, "alg": "RS256"}),
                _ => serde_json::json!({"kid": k.kid(&kid), "alg": "RS256", "typ": "JWT"}),
            };
            format!("{}.", URL_SAFE_NO_PAD.encode(header.to_string()))
        });
        KeyIds {
            kid,
            header_prefixes,
        }
    }
}

/// IBM's key ids are the minute the key was made (`202110180819`).
const KID_FORMAT: &str = "%Y%m%d%H%M";

/// The key id after `previous`: the current minute, or, when that is not later (two resets in
/// a minute), the minute after `previous`, so that no key id comes back.
fn next_kid(previous: &str, now: jiff::Timestamp) -> String {
    let current = now.strftime(KID_FORMAT).to_string();
    if current.len() == previous.len() && current.as_str() > previous {
        return current;
    }
    match jiff::civil::DateTime::strptime(KID_FORMAT, previous) {
        Ok(t) => t
            .checked_add(jiff::SignedDuration::from_mins(1))
            .map(|t| t.strftime(KID_FORMAT).to_string())
            .unwrap_or_else(|_| format!("{previous}1")),
        // Not a minute (a hand-written state file): anything else will do.
        Err(_) if current != previous => current,
        Err(_) => format!("{previous}1"),
    }
}

/// The persisted form of the signing key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKey {
    pub kid: String,
    pub pkcs8: String,
}

impl Signer {
    /// A fresh RSA-2048 key whose `kid` is its creation minute, like IBM's (`202110180819`).
    pub fn generate() -> Result<Signer, KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        let der = pair.as_der().map_err(|_| KeyError::Encode)?;
        let kid = jiff::Timestamp::now().strftime(KID_FORMAT).to_string();
        Ok(Signer::from_parts(kid, pair, der.as_ref().to_vec()))
    }

    pub fn from_stored(stored: &StoredKey) -> Result<Signer, KeyError> {
        let pkcs8 = STANDARD
            .decode(&stored.pkcs8)
            .map_err(KeyError::NotBase64)?;
        let pair = KeyPair::from_pkcs8(&pkcs8).map_err(KeyError::NotPkcs8)?;
        Ok(Signer::from_parts(stored.kid.clone(), pair, pkcs8))
    }

    fn from_parts(kid: String, pair: KeyPair, pkcs8: Vec<u8>) -> Signer {
        let public = pair.public_key().as_ref().to_vec();
        let comps = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        Signer {
            ids: RwLock::new(KeyIds::new(kid)),
            n: URL_SAFE_NO_PAD.encode(&comps.n),
            e: URL_SAFE_NO_PAD.encode(&comps.e),
            pair,
            rng: SystemRandom::new(),
            pkcs8,
            public,
        }
    }

    // The key ids are replaced whole under the write lock, so a panic elsewhere cannot leave
    // them half-changed: poisoning is ignored.
    fn ids(&self) -> RwLockReadGuard<'_, KeyIds> {
        self.ids.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The access tokens' key id, as the JWKS publishes it.
    pub fn kid(&self) -> String {
        self.ids().kid.clone()
    }

    /// Moves to a new key id (a reset): tokens of every kind signed before no longer verify.
    /// Returns the new key id.
    pub fn rotate_kid(&self) -> String {
        let mut ids = self.ids.write().unwrap_or_else(|e| e.into_inner());
        let kid = next_kid(&ids.kid, jiff::Timestamp::now());
        *ids = KeyIds::new(kid.clone());
        kid
    }

    /// Puts a key id back (the http fuzz target, whose minted tokens must outlive an input's
    /// reset).
    #[cfg(fuzzing)]
    pub(crate) fn set_kid(&self, kid: &str) {
        *self.ids.write().unwrap_or_else(|e| e.into_inner()) = KeyIds::new(kid.to_owned());
    }

    pub fn stored(&self) -> StoredKey {
        StoredKey {
            kid: self.kid(),
            pkcs8: STANDARD.encode(&self.pkcs8),
        }
    }

    /// An access token.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, SignError> {
        self.sign_as(Kind::Access, claims)
    }

    pub fn sign_as<T: Serialize>(&self, kind: Kind, claims: &T) -> Result<String, SignError> {
        let payload = serde_json::to_vec(claims).map_err(SignError::Claims)?;
        self.sign_payload(kind, &payload)
    }

    /// Signs any payload bytes as a token of `kind` (the fuzz targets sign what they make up, to
    /// reach the code behind the signature check).
    pub(crate) fn sign_payload(&self, kind: Kind, payload: &[u8]) -> Result<String, SignError> {
        let prefix = self.ids().header_prefixes[kind.index()].clone();
        let mut token = String::with_capacity(prefix.len() + payload.len() * 2 + 400);
        token.push_str(&prefix);
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, token.as_bytes(), &mut sig)
            .map_err(|_| SignError::Rsa)?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&sig, &mut token);
        Ok(token)
    }

    /// Checks an access token's signature and decodes its claims; `None` for anything not
    /// signed by us as an access token.
    pub fn verify<T: for<'de> Deserialize<'de>>(&self, token: &str) -> Option<T> {
        self.verify_as(Kind::Access, token)
    }

    /// Checks the signature and the key id of `kind`, and decodes the claims.
    pub fn verify_as<T: for<'de> Deserialize<'de>>(&self, kind: Kind, token: &str) -> Option<T> {
        let mut parts = token.split('.');
        let (header, payload, sig) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        if header.get("alg")?.as_str()? != "RS256"
            || header.get("kid")?.as_str()? != kind.kid(&self.ids().kid)
        {
            return None;
        }
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        let signed = &token[..token.rfind('.')?];
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.public)
            .verify(signed.as_bytes(), &sig)
            .ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }

    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "n": self.n,
                "e": self.e,
                "alg": "RS256",
                "kid": self.kid(),
                "use": "sig",
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_survives_storage() {
        let s = Signer::generate().unwrap();
        let token = s.sign(&serde_json::json!({"sub": "x", "exp": 1})).unwrap();
        let claims: serde_json::Value = s.verify(&token).unwrap();
        assert_eq!(claims["sub"], "x");
        let again = Signer::from_stored(&s.stored()).unwrap();
        assert!(again.verify::<serde_json::Value>(&token).is_some());
        let mut tampered = token.clone();
        tampered.insert(tampered.len() - 5, 'A');
        assert!(s.verify::<serde_json::Value>(&tampered).is_none());
        let other = Signer::generate().unwrap();
        let forged = other.sign(&serde_json::json!({"sub": "x"})).unwrap();
        // Same kid within one minute: the signature check must still refuse it.
        assert!(s.verify::<serde_json::Value>(&forged).is_none());
    }

    #[test]
    fn a_new_kid_retires_every_token_signed_before_and_never_comes_back() {
        let s = Signer::generate().unwrap();
        let claims = serde_json::json!({"sub": "x"});
        let old: Vec<String> = Kind::ALL.map(|k| s.sign_as(k, &claims).unwrap()).into();
        let before = s.kid();
        let after = s.rotate_kid();
        assert_ne!(after, before);
        assert_eq!(s.jwks()["keys"][0]["kid"], after.as_str());
        for (kind, token) in Kind::ALL.iter().zip(&old) {
            assert!(s.verify_as::<serde_json::Value>(*kind, token).is_none());
            let fresh = s.sign_as(*kind, &claims).unwrap();
            assert!(s.verify_as::<serde_json::Value>(*kind, &fresh).is_some());
        }
        let third = s.rotate_kid();
        assert!(third != after && third != before);
        let t = jiff::Timestamp::from_second(1_705_312_800).unwrap();
        assert_eq!(next_kid("202401150959", t), "202401151000");
        assert_eq!(next_kid("202401151000", t), "202401151001");
        assert_eq!(next_kid("202401151007", t), "202401151008");
        assert_eq!(next_kid("hand-written", t), "202401151000");
    }

    #[test]
    fn each_kind_verifies_only_as_itself() {
        let s = Signer::generate().unwrap();
        let claims = serde_json::json!({"sub": "x"});
        for kind in Kind::ALL {
            let token = s.sign_as(kind, &claims).unwrap();
            for other in Kind::ALL {
                let ok = s.verify_as::<serde_json::Value>(other, &token).is_some();
                assert_eq!(ok, kind == other, "{kind:?} token as {other:?}");
            }
        }
        assert_eq!(
            s.sign(&claims).unwrap(),
            s.sign_as(Kind::Access, &claims).unwrap()
        );
    }
}
