//! The VPC instance metadata service, as IBM's CLI (`login --vpc-cri`) speaks it: an instance
//! identity token (`PUT /identity/v1/token`, the only step that needs `Metadata-Flavor`),
//! traded for an IAM token, optionally a trusted profile's (`POST /identity/v1/iam_tokens`),
//! both with API version 2025-08-26.

use super::ProfileRef;
use super::{Client, IamError, Result, TokenResponse};
use serde::Deserialize;
use serde_json::json;

/// Where IBM's CLI finds the metadata service on a VPC virtual server.
pub const DEFAULT_URL: &str = "http://api.metadata.cloud.ibm.com";
pub const VERSION: &str = "2025-08-26";
/// How long the instance identity token lives: it is used once, straight away.
const IDENTITY_TOKEN_TTL: u64 = 300;

/// The metadata service's answer to `PUT /identity/v1/token`.
#[derive(Deserialize)]
pub struct IdentityToken {
    access_token: String,
}

/// The metadata service's answer to `POST /identity/v1/iam_tokens`.
#[derive(Deserialize)]
pub struct IamToken {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
    /// RFC 3339, as IBM's CLI reads it.
    #[serde(default)]
    expires_at: Option<String>,
}

impl Client {
    /// An IAM access token for this virtual server (as `profile` when given, which must be
    /// an ID or a CRN).
    pub fn vpc_iam_token(&self, base: &str, profile: Option<&ProfileRef>) -> Result<TokenResponse> {
        let base = base.trim_end_matches('/');
        let put = self
            .http
            .put(format!("{base}/identity/v1/token?version={VERSION}"))
            .header("Metadata-Flavor", "ibm")
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(json!({ "expires_in": IDENTITY_TOKEN_TTL }).to_string());
        let identity: IdentityToken =
            Self::json(self.execute(put, true)?, "instance identity token")?;
        let mut post = self
            .http
            .post(format!("{base}/identity/v1/iam_tokens?version={VERSION}"))
            .bearer_auth(&identity.access_token)
            .header(reqwest::header::ACCEPT, "application/json");
        let body = match profile {
            Some(ProfileRef::Id(id)) => Some(json!({ "trusted_profile": { "id": id } })),
            Some(ProfileRef::Crn(crn)) => Some(json!({ "trusted_profile": { "crn": crn } })),
            Some(ProfileRef::Name(_)) => {
                return Err(IamError::Setup(
                    "The metadata service takes a trusted profile's ID or CRN, not its name."
                        .into(),
                ));
            }
            None => None,
        };
        if let Some(b) = body {
            post = post
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        let token: IamToken = Self::json(self.execute(post, true)?, "IAM token")?;
        token.into_response(base)
    }
}

impl IamToken {
    /// The answer as a token endpoint's, its RFC 3339 expiry in epoch seconds.
    pub fn into_response(self, base: &str) -> Result<TokenResponse> {
        let expiration = match &self.expires_at {
            Some(at) => Some(
                at.parse::<jiff::Timestamp>()
                    .map_err(|e| IamError::Unexpected {
                        what: format!("{base} (IAM token)"),
                        detail: format!("expires_at '{at}' is not an RFC 3339 time: {e}"),
                    })?
                    .as_second(),
            ),
            None => None,
        };
        Ok(TokenResponse {
            access_token: self.access_token,
            refresh_token: None,
            expires_in: self.expires_in,
            expiration,
            refresh_token_expiration: None,
            delegated_refresh_token: None,
            id_token: None,
        })
    }
}
