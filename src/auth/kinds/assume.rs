//! A trusted profile assumed by another login, the caller: at login (`login --profile`), or
//! by a logged-in session (`trusted-profile-assume`, `auth/profile.rs`), which records the
//! session it returns to. No refresh token of its own: the caller's token is renewed by the
//! caller's rule, then the profile assumed again; the session keeps the caller's refresh
//! token and secrets.

use super::{Authenticated, Credential, Expired, Kind, LoginKind, Renewal, Renewed, Stop};
use crate::auth::AuthError;
use crate::iam::{Account, Client, Grant, IamError, ProfileRef, ResourceGroup, TokenResponse, jwt};
use serde::{Deserialize, Serialize};

pub struct Given {
    pub caller: Box<Credential>,
    pub profile: ProfileRef,
    /// The profile's account, for a profile named by name.
    pub account: Option<String>,
}

impl Given {
    /// The record of the login. A profile named by name is assumed again in its account,
    /// which the session's token names when the user gave none.
    pub(super) fn kind(&self, claims: &jwt::Claims) -> Assume {
        let account = match &self.profile {
            ProfileRef::Name(_) => self
                .account
                .clone()
                .or_else(|| claims.account_bss().map(str::to_string)),
            _ => self.account.clone(),
        };
        Assume {
            profile: self.profile.clone(),
            account,
            caller: Box::new(self.caller.kind(claims)),
            returns_to: None,
        }
    }

    pub(super) fn authenticate(&self, client: &Client) -> Result<Authenticated, AuthError> {
        let caller = self.caller.authenticate(client)?.tokens;
        // A profile named by name is looked up in an account: by default the caller's.
        let account = self.account.clone().or_else(|| match &self.profile {
            ProfileRef::Name(_) => {
                jwt::decode(&caller.access_token).and_then(|c| c.account_bss().map(str::to_string))
            }
            _ => None,
        });
        let tokens = assume(
            client,
            &caller.access_token,
            &self.profile,
            account.as_deref(),
        )?;
        Ok(Authenticated {
            tokens,
            caller: Some(caller),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Assume {
    pub profile: ProfileRef,
    /// The account of a profile named by name. Not `account`: the kind's fields sit beside
    /// the login's own, and the login has an `account`.
    #[serde(
        rename = "profile_account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub account: Option<String>,
    pub caller: Box<LoginKind>,
    /// The session the profile was assumed from (`trusted-profile-assume`), which leaving
    /// it returns to; `None` for a session that logged in as the profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns_to: Option<Box<Caller>>,
}

/// Who the caller was before it assumed the profile, and what it targeted: what leaving the
/// profile returns to. The identity is read again from the caller's renewed token then; this
/// copy says who the session will return to, and keeps the targets to go back to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Caller {
    pub user: String,
    pub iam_id: String,
    #[serde(default)]
    pub account: Option<Account>,
    #[serde(default)]
    pub resource_group: Option<ResourceGroup>,
}

/// Why the profile can no longer be assumed.
#[derive(Debug)]
pub enum Dead {
    /// IAM no longer lets the caller assume it (no longer trusted, or gone).
    Refused {
        profile: ProfileRef,
        cause: Box<AuthError>,
    },
}

impl std::fmt::Display for Dead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dead::Refused { cause, .. } => cause.fmt(f),
        }
    }
}

impl Kind for Assume {
    fn describe(&self) -> &'static str {
        "assumed profile"
    }

    fn renewal(&self) -> String {
        format!(
            "assuming the profile again with a fresh token of the {} login",
            self.caller.describe()
        )
    }

    fn profile(&self) -> Option<&ProfileRef> {
        Some(&self.profile)
    }

    fn renew(&self, r: &Renewal<'_>) -> Result<Renewed, Stop> {
        // The caller's rule, without the session's account: that is the profile's.
        let caller = self.caller.renew(&Renewal {
            account: None,
            ..*r
        })?;
        let tokens = assume(
            r.client,
            &caller.tokens.access_token,
            &self.profile,
            self.account.as_deref(),
        )
        .map_err(|e| match e {
            AuthError::Unavailable(e) => Stop::Unavailable(e),
            e @ AuthError::ProfileRefused { .. } => Stop::dead(Expired::Assume(Dead::Refused {
                profile: self.profile.clone(),
                cause: Box::new(e),
            })),
            other => Stop::Failed(other),
        })?;
        Ok(Renewed {
            tokens,
            refresh_token: caller.refresh_token,
        })
    }
}

/// The assume grant: the caller's token for the profile's. IAM refusing it (the profile
/// does not trust the caller, or there is no such profile) is `ProfileRefused`.
pub(in crate::auth) fn assume(
    client: &Client,
    access_token: &str,
    profile: &ProfileRef,
    account: Option<&str>,
) -> Result<TokenResponse, AuthError> {
    client
        .token(Grant::Assume {
            access_token,
            profile,
            account,
        })
        .map_err(|e| match e {
            IamError::Rejected(api) if api.is_client_error() => AuthError::ProfileRefused {
                profile: profile.to_string(),
                source: api,
            },
            other => AuthError::Unavailable(other),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credential;
    use crate::auth::tests::{World, ok};

    #[test]
    fn an_assumed_profile_renews_its_caller_then_assumes_it_again() {
        let w = World::new();
        let s = ok(w.log_in(Credential::Assume(Given {
            caller: Box::new(w.api_key()),
            profile: ProfileRef::parse(&w.info().profile_name),
            account: None,
        })));
        let login = s.login.clone().unwrap_or_else(|| panic!("no login"));
        assert_eq!(login.iam_id, format!("iam-{}", w.info().profile_id));
        // The caller's secrets renew the session; the profile's account is remembered for
        // assuming it by name again.
        assert_eq!(w.slots_stored(), ["apikey", "refresh_token"]);
        match &login.kind {
            LoginKind::Assume(a) => assert!(a.account.is_some(), "{a:?}"),
            other => panic!("{other:?}"),
        }
        w.age_token();
        let (_, renewed) = ok(w.creds().fresh());
        assert_ne!(renewed.access_token, login.access_token);
        assert_eq!(renewed.iam_id, login.iam_id);
    }
}
