//! A VPC virtual server's identity, from its instance metadata service, optionally as a
//! trusted profile. No refresh token and no secret: the metadata service is asked again.

use super::{Expired, Kind, Renewal, Renewed, Stop};
use crate::auth::AuthError;
use crate::iam::errors::ApiError;
use crate::iam::{Client, IamError, ProfileRef, TokenResponse};
use serde::{Deserialize, Serialize};

/// Both what the user gives and what the session records: nothing secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct VpcCri {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileRef>,
    pub metadata_url: String,
}

/// Why the metadata service gives no more tokens.
#[derive(Debug)]
pub enum Dead {
    /// It refused: the server is no longer linked to the profile, or the profile is gone.
    Refused { metadata_url: String, api: ApiError },
}

impl std::fmt::Display for Dead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dead::Refused { metadata_url, api } => write!(
                f,
                "the metadata service at {metadata_url} refused: {}",
                api.line()
            ),
        }
    }
}

impl VpcCri {
    pub(super) fn authenticate(&self, client: &Client) -> Result<TokenResponse, AuthError> {
        client
            .vpc_iam_token(&self.metadata_url, self.profile.as_ref())
            .map_err(super::refused_at_login)
    }
}

impl Kind for VpcCri {
    fn describe(&self) -> &'static str {
        "VPC instance identity"
    }

    fn renewal(&self) -> String {
        format!("the VPC instance metadata service at {}", self.metadata_url)
    }

    fn profile(&self) -> Option<&ProfileRef> {
        self.profile.as_ref()
    }

    fn renew(&self, r: &Renewal<'_>) -> Result<Renewed, Stop> {
        let tokens = r
            .client
            .vpc_iam_token(&self.metadata_url, self.profile.as_ref())
            .map_err(|e| match e {
                IamError::Rejected(api) if api.is_client_error() => {
                    Stop::dead(Expired::VpcCri(Dead::Refused {
                        metadata_url: self.metadata_url.clone(),
                        api,
                    }))
                }
                other => Stop::Unavailable(other),
            })?;
        Ok(Renewed::own(tokens))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credential;
    use crate::auth::tests::{World, access_token, ok};

    #[test]
    fn a_vpc_session_asks_the_metadata_service_again() {
        let w = World::new();
        let s = ok(w.log_in(Credential::VpcCri(VpcCri {
            profile: Some(ProfileRef::parse(&w.info().profile_id)),
            metadata_url: w.emu.url().to_string(),
        })));
        assert!(w.slots_stored().is_empty());
        w.age_token();
        let (_, login) = ok(w.creds().fresh());
        assert_ne!(login.access_token, access_token(&s));
        assert_eq!(login.kind.name(), "vpc_cri");
    }
}
