//! Issuing what a grant decided: the access token (and, for clients that get one, the ID
//! token) signed with the emulator's key, and the refresh-token session a client with
//! credentials continues.

use axum::http::StatusCode;
use serde::Serialize;

use crate::app::App;
use crate::crypto::claims::{AccountClaim, Authn, Claims, Issued};
use crate::crypto::random::random_token;
use crate::http::errors::TokenError;
use crate::model::session::Session;
use crate::model::world::{Principal, World};
use crate::token::clients;
use crate::token::profile_grants::ProfileGrant;

/// The tokens of a grant, as the token endpoint answers them.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// For clients that get one (`kube`): the OpenID Connect ID token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) id_token: Option<String>,
    pub(super) refresh_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) ims_user_id: Option<u64>,
    pub(super) token_type: &'static str,
    pub expires_in: u64,
    pub expiration: i64,
    pub(super) scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) refresh_token_expiration: Option<i64>,
    pub(super) session_id: String,
    /// With `response_type=cloud_iam delegated_refresh_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) delegated_refresh_token: Option<String>,
}

/// Everything a successful grant decided; `issue` turns it into tokens.
pub struct Grant {
    pub(super) iam_id: String,
    pub(super) account_id: String,
    pub(super) grant_type: String,
    pub(super) amr: Vec<String>,
    pub(super) session_id: Option<String>,
    pub(super) apikey_id: Option<String>,
    /// Trusted profiles' tokens: who authenticated to get it.
    pub(super) authn: Option<Authn>,
}

impl Grant {
    /// A trusted profile's token, from a grant of type `grant_type`.
    pub fn profile(p: ProfileGrant, grant_type: &str) -> Grant {
        Grant {
            iam_id: p.iam_id,
            account_id: p.account_id,
            grant_type: grant_type.to_owned(),
            amr: vec![],
            session_id: None,
            apikey_id: None,
            authn: Some(p.authn),
        }
    }
}

/// A delegated refresh token's delegator, redeemed.
impl From<Session> for Grant {
    fn from(s: Session) -> Grant {
        Grant {
            iam_id: s.iam_id,
            account_id: s.account_id,
            grant_type: s.origin_grant,
            amr: s.amr,
            session_id: Some(s.session_id),
            apikey_id: s.apikey_id,
            // Delegated refresh tokens come from user and service-ID sessions only.
            authn: None,
        }
    }
}

/// Signs the access token a grant decided on and, for a client with credentials, starts or
/// continues a refresh session (never for trusted profiles, whose clients grant again).
pub fn issue(
    app: &App,
    world: &World,
    grant: Grant,
    client_id: &str,
) -> Result<TokenResponse, TokenError> {
    let internal = |e: &dyn std::fmt::Display| {
        TokenError::new("BXNIM0500E", "Internal error.", e.to_string())
            .status(StatusCode::INTERNAL_SERVER_ERROR)
    };
    let principal = world
        .principal(&grant.iam_id)
        .ok_or_else(|| internal(&"identity vanished"))?;
    let account = world
        .account(&grant.account_id)
        .ok_or_else(|| internal(&"account vanished"))?;
    let iat = app.now();
    let ttl = app.token_ttl();
    let session_id = grant
        .session_id
        .clone()
        .unwrap_or_else(|| format!("C-{}", uuid::Uuid::new_v4()));
    let issued = Issued {
        session_id: session_id.clone(),
        account: AccountClaim::of(account),
        iat,
        exp: iat + ttl as i64,
        iss: app.issuer.clone(),
        grant_type: grant.grant_type.clone(),
        scope: clients::scope(client_id).into(),
        client_id: client_id.to_owned(),
        amr: grant.amr.clone(),
    };
    let (claims, ims_user_id) = match principal {
        Principal::User(u) => (Claims::for_user(u, issued), Some(u.ims_user_id)),
        Principal::Service(s) => (Claims::for_service_id(s, issued), None),
        Principal::Profile(p) => (Claims::for_profile(p, grant.authn.clone(), issued), None),
    };
    let is_profile = matches!(principal, Principal::Profile(_));
    let access_token = app.signer.sign(&claims).map_err(|e| internal(&e))?;
    let id_token = if clients::issues_id_token(client_id) {
        Some(clients::id_token(app, &claims, client_id).map_err(|e| internal(&e))?)
    } else {
        None
    };

    // Without client credentials IAM hands out no usable refresh token; trusted profiles' tokens
    // never have one (their clients grant again with a fresh cr token or caller token).
    let (refresh_token, refresh_token_expiration) = if client_id == "default" || is_profile {
        ("not_supported".to_owned(), None)
    } else {
        let expires_at = iat + app.refresh_ttl() as i64;
        let rt = random_token(48);
        app.insert_session(
            rt.clone(),
            Session {
                session_id: session_id.clone(),
                iam_id: grant.iam_id,
                account_id: grant.account_id,
                client_id: client_id.to_owned(),
                expires_at,
                origin_grant: grant.grant_type,
                amr: grant.amr,
                apikey_id: grant.apikey_id,
                revoked: false,
            },
        );
        (rt, Some(expires_at))
    };
    Ok(TokenResponse {
        access_token,
        id_token,
        refresh_token,
        ims_user_id,
        token_type: "Bearer",
        expires_in: ttl,
        expiration: iat + ttl as i64,
        scope: clients::scope(client_id),
        refresh_token_expiration,
        session_id,
        delegated_refresh_token: None,
    })
}
