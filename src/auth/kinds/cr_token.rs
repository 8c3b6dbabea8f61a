//! A workload's compute-resource token (a Kubernetes service account's, a Code Engine
//! app's), traded for a trusted profile's token. No refresh token: the token is traded
//! again, read anew from its file because platforms rotate it, or from the secret store
//! when it was given inline.

use super::{Expired, Kind, Renewal, Renewed, Stop};
use crate::iam::errors::ApiError;
use crate::iam::{Grant, IamError, ProfileRef};
use crate::secrets::Slot;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where a token given inline is kept (one read from a file stays in the file).
pub const SLOT: Slot = Slot::new("cr_token");

pub struct Given {
    pub token: String,
    pub profile: ProfileRef,
    /// Where the token was read, and is read again on renewal; `None`: given inline.
    pub file: Option<PathBuf>,
}

impl Given {
    pub(super) fn grant(&self) -> Grant<'_> {
        Grant::CrToken {
            cr_token: &self.token,
            profile: &self.profile,
        }
    }

    pub(super) fn kept(&self) -> Option<(Slot, &str)> {
        match self.file {
            None => Some((SLOT, &self.token)),
            Some(_) => None,
        }
    }

    pub(super) fn kind(&self) -> CrToken {
        CrToken {
            profile: self.profile.clone(),
            token_file: self.file.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CrToken {
    pub profile: ProfileRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
}

/// Why a compute-resource token gives no more tokens.
#[derive(Debug)]
pub enum Dead {
    /// The token was given inline and is no longer in the secret store.
    NotStored,
    /// The token file the platform keeps cannot be read.
    Unreadable {
        path: PathBuf,
        source: crate::home::FileError,
    },
    /// The token file is empty.
    Empty { path: PathBuf },
    /// IAM refused the token: expired, unknown, or no longer linked to the profile.
    Refused {
        api: ApiError,
        profile: ProfileRef,
        /// Where the token was read; `None`: given inline, so never renewed by the platform.
        file: Option<PathBuf>,
    },
}

impl std::fmt::Display for Dead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dead::NotStored => f.write_str("no compute-resource token is stored for this session"),
            Dead::Unreadable { source, .. } => {
                write!(f, "the compute-resource token cannot be read: {source}")
            }
            Dead::Empty { path } => write!(
                f,
                "the compute-resource token file {} is empty",
                path.display()
            ),
            Dead::Refused { api, .. } => {
                write!(f, "IAM refused the compute-resource token: {}", api.line())
            }
        }
    }
}

impl Kind for CrToken {
    fn describe(&self) -> &'static str {
        "compute-resource token"
    }

    fn renewal(&self) -> String {
        match &self.token_file {
            Some(f) => format!("re-reading the compute-resource token in {}", f.display()),
            None => "the compute-resource token in the secret store, until it expires".into(),
        }
    }

    fn profile(&self) -> Option<&ProfileRef> {
        Some(&self.profile)
    }

    fn renew(&self, r: &Renewal<'_>) -> Result<Renewed, Stop> {
        let token = match &self.token_file {
            Some(path) => read_token_file(path)?,
            None => r.slots.get(&SLOT)?.ok_or_else(|| dead(Dead::NotStored))?,
        };
        let tokens = r
            .client
            .token(Grant::CrToken {
                cr_token: &token,
                profile: &self.profile,
            })
            .map_err(|e| match e {
                IamError::Rejected(api) if api.is_client_error() => dead(Dead::Refused {
                    api,
                    profile: self.profile.clone(),
                    file: self.token_file.clone(),
                }),
                other => Stop::Unavailable(other),
            })?;
        Ok(Renewed::own(tokens))
    }
}

fn dead(d: Dead) -> Stop {
    Stop::dead(Expired::CrToken(d))
}

/// The token in a file the platform keeps fresh.
fn read_token_file(path: &Path) -> Result<String, Stop> {
    match crate::home::read_secret_file(path) {
        Ok(token) if !token.is_empty() => Ok(token),
        Ok(_) => Err(dead(Dead::Empty {
            path: path.to_path_buf(),
        })),
        Err(source) => Err(dead(Dead::Unreadable {
            path: path.to_path_buf(),
            source,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tests::{World, access_token, ok};
    use crate::auth::{AuthError, Credential, Expired};
    use std::sync::atomic::Ordering;

    /// A compute-resource token of the demo cluster's service account.
    fn cr_token(w: &World) -> String {
        let info = w.info();
        let v = w.admin(
            "/emulator/cr-tokens",
            serde_json::json!({
                "cr_type": "IKS_SA",
                "crn": info.iks_cluster_crn,
                "namespace": info.iks_namespace,
                "name": info.iks_service_account,
                "ttl": 3600,
            }),
        );
        v["cr_token"].as_str().unwrap_or_default().to_string()
    }

    #[test]
    fn a_workload_session_reads_its_token_file_again_to_renew_and_keeps_no_secret() {
        let w = World::new();
        let file = w.home.path().join("sa-token");
        ok(std::fs::write(&file, cr_token(&w)));
        let s = ok(w.log_in(Credential::CrToken(Given {
            token: cr_token(&w),
            profile: ProfileRef::parse(&w.info().profile_name),
            file: Some(file.clone()),
        })));
        assert!(w.slots_stored().is_empty(), "{:?}", w.slots_stored());
        w.age_token();
        let opens = w.memory.opens.load(Ordering::SeqCst);
        let (_, login) = ok(w.creds().fresh());
        assert_ne!(login.access_token, access_token(&s));
        // It keeps no secret, so it renews without a secret store (a locked keyring is no bar).
        assert_eq!(w.memory.opens.load(Ordering::SeqCst), opens);
        // The platform took the token away: the session cannot renew, and says where it looked.
        ok(std::fs::remove_file(&file));
        w.age_token();
        match w.creds().fresh() {
            Err(AuthError::Expired(e)) => assert!(
                matches!(&*e, Expired::CrToken(Dead::Unreadable { path, .. }) if *path == file),
                "{e:?}"
            ),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
    #[test]
    fn a_workload_token_given_inline_is_kept_in_the_store_to_renew_with() {
        let w = World::new();
        let s = ok(w.log_in(Credential::CrToken(Given {
            token: cr_token(&w),
            profile: ProfileRef::parse(&w.info().profile_id),
            file: None,
        })));
        assert_eq!(w.slots_stored(), ["cr_token"]);
        w.age_token();
        let (_, login) = ok(w.creds().fresh());
        assert_ne!(login.access_token, access_token(&s));
    }
}
