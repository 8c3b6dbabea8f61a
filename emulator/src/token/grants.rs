//! The grants of users and service IDs: an API key, a password, a one-time passcode, or a
//! refresh token of a session one of them started. Each decides who the token is for and in
//! which account; `issue` signs it.

use std::collections::HashMap;

use crate::app::{App, lock};
use crate::http::errors::{self as codes, TokenError};
use crate::model::world::{User, World};
use crate::token::delegated;
use crate::token::form::{field, optional};
use crate::token::issue::Grant;

pub const GRANT_APIKEY: &str = "urn:ibm:params:oauth:grant-type:apikey";
pub const GRANT_PASSCODE: &str = "urn:ibm:params:oauth:grant-type:passcode";
pub const GRANT_REFRESH: &str = "refresh_token";
pub const GRANT_PASSWORD: &str = "password";

pub(super) fn apikey_grant(
    world: &World,
    form: &HashMap<String, String>,
) -> Result<Grant, TokenError> {
    let value = field(form, "apikey")?;
    let Some(key) = world.api_key_by_value(value) else {
        return Err(TokenError::new(
            codes::APIKEY_NOT_FOUND,
            "Provided API key could not be found.",
            "Provided API key could not be found.",
        ));
    };
    if key.disabled {
        return Err(TokenError::new(
            codes::APIKEY_DISABLED,
            "Provided API key is disabled.",
            "The API key was disabled; enable it to log in with it again.",
        ));
    }
    Ok(Grant {
        iam_id: key.iam_id.clone(),
        account_id: key.account_id.clone(),
        grant_type: GRANT_APIKEY.into(),
        amr: vec!["pwd".into()],
        session_id: None,
        apikey_id: Some(key.id.clone()),
        authn: None,
    })
}

pub(super) fn password_grant(
    world: &World,
    form: &HashMap<String, String>,
) -> Result<Grant, TokenError> {
    let username = field(form, "username")?;
    let password = form
        .get("password")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| TokenError::missing("password"))?;
    let wrong = || {
        TokenError::new(
            codes::WRONG_PASSWORD,
            "Provided user not found or active or password not valid.",
            "The username or password is not correct.",
        )
    };
    let user = world.user_by_login(username).ok_or_else(wrong)?;
    if user.federated {
        return Err(TokenError::new(
            codes::FEDERATED_USER,
            "You are using a federated user ID; log in with a one-time passcode or an API key.",
            format!(
                "Federated users cannot log in with a password. Get a one-time passcode at the \
                 passcode_endpoint of /identity/.well-known/openid-configuration and use the \
                 grant type {GRANT_PASSCODE} (ibmcloud login --sso), or use an API key."
            ),
        ));
    }
    if user.password.as_deref() != Some(password.as_str()) {
        return Err(wrong());
    }
    Ok(Grant {
        iam_id: user.iam_id.clone(),
        account_id: home_account(user)?,
        grant_type: GRANT_PASSWORD.into(),
        amr: vec!["pwd".into()],
        session_id: None,
        apikey_id: None,
        authn: None,
    })
}

/// Password and passcode logins land in the user's first account.
fn home_account(user: &User) -> Result<String, TokenError> {
    user.accounts.first().cloned().ok_or_else(|| {
        TokenError::new(
            codes::SESSION_INACTIVE,
            "The user belongs to no account.",
            "The user is not a member of any account.",
        )
    })
}

pub(super) fn passcode_grant(
    app: &App,
    world: &World,
    form: &HashMap<String, String>,
) -> Result<Grant, TokenError> {
    let code = field(form, "passcode")?;
    let invalid = |details: &str| {
        TokenError::new(
            codes::PASSCODE_INVALID,
            "Provided passcode is invalid or expired.",
            details,
        )
    };
    let iam_id = {
        let mut codes = lock(&app.passcodes);
        let p = codes
            .get_mut(code)
            .ok_or_else(|| invalid("The passcode is not known."))?;
        if p.used {
            return Err(invalid(
                "The passcode was already used; passcodes are single use.",
            ));
        }
        if p.expires_at <= app.now() {
            return Err(invalid(
                "The passcode expired; passcodes are valid for 5 minutes.",
            ));
        }
        p.used = true;
        p.iam_id.clone()
    };
    let user = world
        .user(&iam_id)
        .ok_or_else(|| invalid("The user of this passcode no longer exists."))?;
    Ok(Grant {
        iam_id: user.iam_id.clone(),
        account_id: home_account(user)?,
        grant_type: GRANT_PASSCODE.into(),
        amr: vec!["sso".into()],
        session_id: None,
        apikey_id: None,
        authn: None,
    })
}

pub(super) fn refresh_grant(
    app: &App,
    world: &World,
    form: &HashMap<String, String>,
    client_id: &str,
) -> Result<Grant, TokenError> {
    let token = field(form, "refresh_token")?;
    let invalid = |details: &str| {
        TokenError::new(
            codes::REFRESH_INVALID,
            "Provided refresh token is invalid.",
            details,
        )
    };
    let session = lock(&app.sessions).get(token).cloned().ok_or_else(|| {
        delegated::misused_as_refresh_token(app, token)
            .unwrap_or_else(|| invalid("The refresh token is not known."))
    })?;
    if session.revoked {
        return Err(invalid("The refresh token was revoked."));
    }
    if session.client_id != client_id {
        return Err(invalid(
            "The refresh token was issued to a different client; use the same client credentials as the grant that created it.",
        ));
    }
    if session.expires_at <= app.now() {
        return Err(TokenError::new(
            codes::REFRESH_EXPIRED,
            "Provided refresh token is expired.",
            "The refresh token expired; log in again.",
        ));
    }
    let inactive =
        |details: &str| TokenError::new(codes::SESSION_INACTIVE, "Session is not active.", details);
    let principal = world
        .principal(&session.iam_id)
        .ok_or_else(|| inactive("The identity of this session no longer exists."))?;
    if let Some(key_id) = &session.apikey_id {
        match world.api_keys.get(key_id) {
            Some(k) if !k.disabled => {}
            Some(_) => return Err(inactive("The API key of this session was disabled.")),
            None => return Err(inactive("The API key of this session was deleted.")),
        }
    }
    let mut account_id = session.account_id.clone();
    let requested = optional(form, "account");
    let requested_ims = optional(form, "ims_account");
    if requested.is_some() || requested_ims.is_some() {
        let target = match (requested, requested_ims) {
            (Some(bss), ims) => world
                .account(bss)
                .filter(|a| ims.is_none() || a.ims.as_deref() == ims),
            (None, Some(ims)) => world.account_by_ims(ims),
            (None, None) => None,
        };
        let target = target
            .filter(|a| principal.belongs_to(&a.id))
            .ok_or_else(|| {
                let asked = requested.or(requested_ims).unwrap_or_default();
                TokenError::new(
                    codes::ACCOUNT_NOT_ALLOWED,
                    "The identity does not belong to the requested account.",
                    format!("Account '{asked}' is not an account this identity belongs to."),
                )
            })?;
        account_id = target.id.clone();
    }
    if !principal.belongs_to(&account_id) {
        return Err(inactive(
            "The identity no longer belongs to the session's account.",
        ));
    }
    Ok(Grant {
        iam_id: session.iam_id.clone(),
        account_id,
        grant_type: session.origin_grant.clone(),
        amr: session.amr.clone(),
        session_id: Some(session.session_id.clone()),
        apikey_id: session.apikey_id.clone(),
        authn: None,
    })
}
