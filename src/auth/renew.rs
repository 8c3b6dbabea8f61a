//! A fresh token for every command: the cached one while it is outside the refresh window,
//! else a renewal by the login kind's rule, single-flight across processes.

use super::vault::{Slots, Vault};
use super::{AuthError, Credentials, Result, apply_tokens, client};
use crate::iam::{Client, Grant, IamError, TokenResponse};
use crate::secrets::SecretKind;
use crate::session::{Login, LoginKind, Session, now};

/// Why a renewal stopped.
enum Stop {
    /// The stored credential no longer works (refused, or not stored): log in again.
    Dead(String),
    /// IAM answered with a server error or not at all: the cached token may still do.
    Unavailable(IamError),
    Failed(AuthError),
}

impl From<AuthError> for Stop {
    fn from(e: AuthError) -> Self {
        Stop::Failed(e)
    }
}

impl Credentials {
    /// The logged-in session with a token that is valid and outside the refresh window.
    ///
    /// Fast path: one file read, no keyring, no network. Otherwise take the session lock,
    /// re-read (another process may have renewed meanwhile), renew only if still needed,
    /// write, release.
    pub fn fresh(&self) -> Result<(Session, Login)> {
        let (session, login) = self.logged_in()?;
        if !login.needs_refresh(now()) {
            return Ok((session, login));
        }
        let lock = self.store.lock()?;
        let (mut session, mut login) = self.logged_in()?;
        if !login.needs_refresh(now()) {
            return Ok((session, login));
        }
        let vault = Vault::open(login.secrets.store, self.home())?;
        let client = client(&session)?;
        let slots = vault.of(&session.iam_endpoint, self.name(), &login.iam_id);
        let tokens = match renew(&client, &slots, &login) {
            Ok(t) => t,
            Err(Stop::Dead(why)) => return Err(AuthError::Expired(why)),
            Err(Stop::Failed(e)) => return Err(e),
            Err(Stop::Unavailable(e)) => {
                let err = AuthError::Unavailable(e);
                if login.expired(now()) {
                    return Err(err);
                }
                crate::output::warn(&format!(
                    "could not renew the token ({err}); using the cached one, valid for {} more s",
                    login.token_expires_at - now()
                ));
                return Ok((session, login));
            }
        };
        apply_tokens(&mut login, &tokens);
        if let Some(new_rt) = tokens.usable_refresh_token() {
            // IAM may have retired the old refresh token already: keep the new access token
            // even if the keyring refuses the new refresh token now.
            match slots.set(SecretKind::RefreshToken, new_rt) {
                Ok(()) => login.secrets.mark(SecretKind::RefreshToken),
                Err(e) => crate::output::warn(&format!(
                    "could not store the renewed refresh token ({e}); once this token expires, run 'iamctl login'"
                )),
            }
        }
        session.login = Some(login.clone());
        self.store.save(&lock, &session)?;
        Ok((session, login))
    }
}

/// Each login kind's renewal rule.
fn renew(client: &Client, slots: &Slots<'_>, login: &Login) -> Result<TokenResponse, Stop> {
    match login.kind {
        // An API key outlives its refresh tokens: when IAM refuses the refresh token, log
        // in again with the stored key.
        LoginKind::Apikey => match refresh(client, slots) {
            Err(Stop::Dead(why)) => match relogin_with_apikey(client, slots, login)? {
                Some(tokens) => Ok(tokens),
                None => Err(Stop::Dead(why)),
            },
            other => other,
        },
        LoginKind::Password | LoginKind::Sso => refresh(client, slots),
    }
}

/// A refresh grant with the stored refresh token.
fn refresh(client: &Client, slots: &Slots<'_>) -> Result<TokenResponse, Stop> {
    let Some(rt) = slots.get(SecretKind::RefreshToken)? else {
        return Err(Stop::Dead(
            "No refresh token is stored for this session.".into(),
        ));
    };
    client
        .token(Grant::Refresh {
            refresh_token: &rt,
            account: None,
            ims_account: None,
        })
        .map_err(|e| match e {
            IamError::Rejected(api) if api.is_client_error() => Stop::Dead(api.line()),
            other => Stop::Unavailable(other),
        })
}

/// After the refresh token died: log in again with the stored API key, re-scoped to the
/// session's account. `None` when no API key is stored.
fn relogin_with_apikey(
    client: &Client,
    slots: &Slots<'_>,
    login: &Login,
) -> Result<Option<TokenResponse>, Stop> {
    if !login.secrets.apikey {
        return Ok(None);
    }
    let Some(key) = slots.get(SecretKind::ApiKey)? else {
        return Ok(None);
    };
    let tokens = match client.token(Grant::ApiKey(&key)) {
        Ok(t) => t,
        Err(IamError::Rejected(api)) if api.is_client_error() => {
            return Err(Stop::Dead(format!(
                "the stored API key was refused too: {}",
                api.line()
            )));
        }
        Err(e) => {
            return Err(Stop::Failed(AuthError::Iam {
                doing: "Could not log in again with the stored API key",
                source: e,
            }));
        }
    };
    match &login.account {
        Some(account) if tokens.usable_refresh_token().is_some() => {
            Ok(Some(super::rescope(client, tokens, account)?))
        }
        _ => Ok(Some(tokens)),
    }
}
