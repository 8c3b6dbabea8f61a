//! Who is calling a platform API: the bearer token, which must be one of our own access tokens
//! (users', service IDs' and trusted profiles'), checked for signature, expiry and an identity
//! that still exists; and what access decisions need to know of the caller.
//! Compute-resource and instance identity tokens are signed under other key ids and so never
//! pass; ID tokens share the access tokens' key id and are told apart by their audience.

use std::sync::{Arc, OnceLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};

use crate::app::{App, read};
use crate::crypto::claims::{NotAccess, access_claims};
use crate::http::errors::{self as codes, ApiError};

/// The authenticated caller of a platform API. As an extractor it refuses the request with
/// IAM's 401 before the handler runs, so a handler that takes one is authenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    pub iam_id: String,
    /// The account the token is scoped to; entities of other accounts are off limits.
    pub account_id: String,
    pub accounts: Vec<String>,
    /// The owner of the token's account: may do anything in it.
    pub owner: bool,
    /// Access is decided by policies (`--enforce-access`).
    pub enforce: bool,
}

/// Where the request journal learns who called: the router puts an empty one on every
/// request, and the bearer check fills it once it has accepted the token, so the journal
/// names only callers the emulator verified, without checking a signature twice.
#[derive(Debug, Clone, Default)]
pub struct CallerSlot(Arc<OnceLock<String>>);

impl CallerSlot {
    pub fn iam_id(&self) -> Option<String> {
        self.0.get().cloned()
    }
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let caller = authenticate(app, &parts.headers)?;
        if let Some(slot) = parts.extensions.get::<CallerSlot>() {
            let _ = slot.0.set(caller.iam_id.clone());
        }
        Ok(caller)
    }
}

fn unauthorized(message_code: &'static str, message: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        message_code,
        message,
    )
}

fn authenticate(app: &App, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            codes::NO_AUTH_HEADER,
            "No authorization header found",
        ));
    };
    let invalid = || {
        unauthorized(
            codes::TOKEN_INVALID,
            "The provided access token is invalid.",
        )
    };
    let text = value.to_str().map_err(|_| invalid())?;
    let (scheme, token) = text.split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(invalid());
    }
    let claims = access_claims(&app.signer, token.trim()).map_err(|e| match e {
        NotAccess::IdToken => invalid()
            .details("The token is an ID token; only access tokens are accepted as bearer tokens."),
        NotAccess::Invalid => invalid(),
    })?;
    if claims.exp <= app.now() {
        return Err(unauthorized(
            codes::TOKEN_EXPIRED,
            "The provided access token is expired.",
        ));
    }
    let world = read(&app.world);
    let principal = world.principal(&claims.iam_id).ok_or_else(invalid)?;
    // A trusted profile's token acts in the profile's account only.
    let accounts = principal.accounts();
    let owner = world
        .account(&claims.account.bss)
        .is_some_and(|a| a.owner_iam_id == claims.iam_id);
    Ok(Caller {
        iam_id: claims.iam_id,
        account_id: claims.account.bss,
        accounts,
        owner,
        enforce: app.enforce_access,
    })
}
