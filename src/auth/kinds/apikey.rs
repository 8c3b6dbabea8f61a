//! An API key login (a user's or a service ID's). The key is kept, because it outlives its
//! refresh tokens: when IAM refuses the refresh token, the session logs in again with it.

use super::{Expired, Kind, Renewal, Renewed, Stop, refresh};
use crate::auth::AuthError;
use crate::iam::errors::ApiError;
use crate::iam::{Grant, IamError, TokenResponse};
use crate::secrets::Slot;
use serde::{Deserialize, Serialize};

/// Where the key is kept beside the refresh token.
pub const SLOT: Slot = Slot::new("apikey");

pub struct Given {
    pub key: String,
}

impl Given {
    pub(super) fn grant(&self) -> Grant<'_> {
        Grant::ApiKey(&self.key)
    }

    pub(super) fn kept(&self) -> (Slot, &str) {
        (SLOT, &self.key)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiKey {}

/// Why an API-key session cannot log in again by itself.
#[derive(Debug)]
pub enum Dead {
    /// After the refresh token, the stored key was refused too (deleted, disabled).
    KeyRefused(ApiError),
}

impl std::fmt::Display for Dead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dead::KeyRefused(api) => {
                write!(f, "the stored API key was refused too: {}", api.line())
            }
        }
    }
}

impl Kind for ApiKey {
    fn describe(&self) -> &'static str {
        "API key"
    }

    fn renewal(&self) -> String {
        "refresh token, else the stored API key".into()
    }

    fn own_refresh_token(&self) -> bool {
        true
    }

    fn renew(&self, r: &Renewal<'_>) -> Result<Renewed, Stop> {
        match refresh(r) {
            Err(Stop::Dead(expired)) => match relogin(r)? {
                Some(tokens) => Ok(Renewed::own(tokens)),
                None => Err(Stop::Dead(expired)),
            },
            other => other.map(Renewed::own),
        }
    }
}

/// After the refresh token died: log in again with the stored key, re-scoped to the
/// session's account. `None` when no key is stored.
fn relogin(r: &Renewal<'_>) -> Result<Option<TokenResponse>, Stop> {
    let Some(key) = r.slots.get(&SLOT)? else {
        return Ok(None);
    };
    let tokens = match r.client.token(Grant::ApiKey(&key)) {
        Ok(t) => t,
        Err(IamError::Rejected(api)) if api.is_client_error() => {
            return Err(Stop::dead(Expired::ApiKey(Dead::KeyRefused(api))));
        }
        Err(e) => {
            return Err(Stop::Failed(AuthError::Iam {
                doing: "Could not log in again with the stored API key",
                source: e,
            }));
        }
    };
    match r.account {
        Some(account) if tokens.usable_refresh_token().is_some() => {
            Ok(Some(crate::auth::rescope(r.client, tokens, account)?))
        }
        _ => Ok(Some(tokens)),
    }
}

#[cfg(test)]
mod tests {
    use crate::auth::tests::{World, access_token, locked, ok};
    use crate::session::now;

    #[test]
    fn an_api_key_session_renews_with_its_refresh_token() {
        let w = World::new();
        let s = ok(w.log_in(w.api_key()));
        let old_rt = locked(&w.memory.entries)
            .iter()
            .find(|(k, _)| k.ends_with("|refresh_token"))
            .map(|(_, v)| v.clone());
        w.age_token();
        let (_, login) = ok(w.creds().fresh());
        assert_ne!(login.access_token, access_token(&s));
        assert!(!login.needs_refresh(now()));
        assert_eq!(
            w.on_disk().login.map(|l| l.access_token),
            Some(login.access_token)
        );
        let new_rt = locked(&w.memory.entries)
            .iter()
            .find(|(k, _)| k.ends_with("|refresh_token"))
            .map(|(_, v)| v.clone());
        assert_ne!(new_rt, old_rt, "the renewed refresh token is kept");
    }
    #[test]
    fn an_api_key_session_logs_in_again_with_its_key_once_refresh_tokens_die() {
        let w = World::new();
        let s = ok(w.log_in(w.api_key()));
        w.admin("/emulator/refresh-tokens/revoke", serde_json::json!({}));
        w.age_token();
        let (_, login) = ok(w.creds().fresh());
        assert_ne!(login.access_token, access_token(&s));
        // Back in the account it had.
        assert_eq!(login.account, s.login.and_then(|l| l.account));
    }
}
