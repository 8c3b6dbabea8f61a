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
