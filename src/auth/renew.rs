//! A fresh token for every command: the cached one while it is outside the refresh window,
//! else a renewal by the login kind's rule, single-flight across processes.

use super::start::assume;
use super::vault::{Slots, Vault};
use super::{AuthError, Credentials, Result, apply_tokens, client};
use crate::iam::{Client, Grant, IamError, TokenResponse};
use crate::secrets::SecretKind;
use crate::session::{Account, Login, LoginKind, ProfileRef, Session, SessionLock, now};
use std::path::Path;

/// Why a renewal stopped.
enum Stop {
    /// The stored credential no longer works (refused, gone): log in again, or do `fix`.
    Dead {
        why: String,
        fix: Option<String>,
    },
    /// IAM answered with a server error or not at all: the cached token may still do.
    Unavailable(IamError),
    Failed(AuthError),
}

impl Stop {
    fn dead(why: impl Into<String>) -> Stop {
        Stop::Dead {
            why: why.into(),
            fix: None,
        }
    }
}

impl From<AuthError> for Stop {
    fn from(e: AuthError) -> Self {
        Stop::Failed(e)
    }
}

/// A new token, and the refresh token to keep from now on (if the rule got a new one).
struct Renewed {
    tokens: TokenResponse,
    refresh_token: Option<String>,
}

impl Renewed {
    fn own(tokens: TokenResponse) -> Renewed {
        let refresh_token = tokens.usable_refresh_token().map(str::to_string);
        Renewed {
            tokens,
            refresh_token,
        }
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
        self.renew_unless_done(None)
    }

    /// A new token in place of `rejected`, which IAM refused (401) although it looked valid
    /// here: IAM's clock is ahead of this machine's, or the token was revoked. When another
    /// process has renewed it meanwhile, that token is the answer.
    pub fn renewed_after_rejection(&self, rejected: &str) -> Result<(Session, Login)> {
        self.renew_unless_done(Some(rejected))
    }

    fn renew_unless_done(&self, rejected: Option<&str>) -> Result<(Session, Login)> {
        let lock = self.store.lock()?;
        self.renew_locked(&lock, rejected)
    }

    /// Under the session lock: renews the token unless another process did already, judged
    /// by expiry or, for a `rejected` token, by the token having changed.
    pub(super) fn renew_locked(
        &self,
        lock: &SessionLock,
        rejected: Option<&str>,
    ) -> Result<(Session, Login)> {
        let (mut session, mut login) = self.logged_in()?;
        let needed = match rejected {
            Some(token) => login.access_token == token,
            None => login.needs_refresh(now()),
        };
        if !needed {
            return Ok((session, login));
        }
        let vault = Vault::open(login.secrets.store, self.home())?;
        let client = client(&session)?;
        let slots = vault.of(&session.iam_endpoint, self.name(), &login.iam_id);
        let renewed = match renew(&client, &slots, &login.kind, login.account.as_ref()) {
            Ok(r) => r,
            Err(Stop::Dead { why, fix }) => return Err(AuthError::Expired { why, fix }),
            Err(Stop::Failed(e)) => return Err(e),
            Err(Stop::Unavailable(e)) => {
                let err = AuthError::Unavailable(e);
                // A token IAM refused is no fallback.
                if rejected.is_some() || login.expired(now()) {
                    return Err(err);
                }
                crate::output::warn(&format!(
                    "could not renew the token ({err}); using the cached one, valid for {} more s",
                    login.token_expires_at - now()
                ));
                return Ok((session, login));
            }
        };
        apply_tokens(&mut login, &renewed.tokens);
        if let Some(new_rt) = &renewed.refresh_token {
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
        self.store.save(lock, &session)?;
        Ok((session, login))
    }
}

impl Credentials {
    /// The session's refresh token, handed to a program that renews by itself (`exec
    /// --with-refresh-token`); `None` for logins that renew without one.
    pub fn export_refresh_token(&self) -> Result<Option<String>> {
        let (session, login) = self.logged_in()?;
        if !login.secrets.refresh_token {
            return Ok(None);
        }
        let vault = Vault::open(login.secrets.store, self.home())?;
        vault
            .of(&session.iam_endpoint, self.name(), &login.iam_id)
            .get(SecretKind::RefreshToken)
    }
}

/// Each login kind's renewal rule. `account` is the session's, which a re-login returns to.
fn renew(
    client: &Client,
    slots: &Slots<'_>,
    kind: &LoginKind,
    account: Option<&Account>,
) -> Result<Renewed, Stop> {
    match kind {
        // An API key outlives its refresh tokens: when IAM refuses the refresh token, log
        // in again with the stored key.
        LoginKind::Apikey => match refresh(client, slots) {
            Err(Stop::Dead { why, fix }) => match relogin_with_apikey(client, slots, account)? {
                Some(tokens) => Ok(Renewed::own(tokens)),
                None => Err(Stop::Dead { why, fix }),
            },
            other => other.map(Renewed::own),
        },
        LoginKind::Password | LoginKind::Sso => refresh(client, slots).map(Renewed::own),
        // No refresh token: the compute-resource token is traded again, re-read from its
        // file because platforms rotate it.
        LoginKind::CrToken {
            profile,
            token_file,
        } => {
            let token = match token_file {
                Some(path) => read_token_file(path)?,
                None => slots.get(SecretKind::CrToken)?.ok_or_else(|| {
                    Stop::dead("no compute-resource token is stored for this session")
                })?,
            };
            let tokens = client
                .token(Grant::CrToken {
                    cr_token: &token,
                    profile,
                })
                .map_err(|e| cr_token_refused(e, profile, token_file.as_deref()))?;
            Ok(Renewed::own(tokens))
        }
        LoginKind::VpcCri {
            profile,
            metadata_url,
        } => {
            let tokens = client
                .vpc_iam_token(metadata_url, profile.as_ref())
                .map_err(|e| match e {
                    IamError::Rejected(api) if api.is_client_error() => Stop::Dead {
                        why: format!(
                            "the metadata service at {metadata_url} refused: {}",
                            api.line()
                        ),
                        fix: Some(
                            "check that this virtual server is still linked to the trusted profile, then 'iamctl login --vpc-cri'".into(),
                        ),
                    },
                    other => Stop::Unavailable(other),
                })?;
            Ok(Renewed::own(tokens))
        }
        // No refresh token either: renew the caller's token by its own rule, then assume
        // the profile again. The caller's new refresh token is what the session keeps.
        LoginKind::Assume {
            profile,
            account: profile_account,
            caller,
        } => {
            let caller = renew(client, slots, caller, None)?;
            let tokens = assume(
                client,
                &caller.tokens.access_token,
                profile,
                profile_account.as_deref(),
            )
            .map_err(|e| match e {
                AuthError::Unavailable(e) => Stop::Unavailable(e),
                e @ AuthError::ProfileRefused { .. } => Stop::Dead {
                    why: e.to_string(),
                    fix: Some(format!(
                        "check that the profile still trusts this identity: 'iamctl trusted-profile-identities {profile}'"
                    )),
                },
                other => Stop::Failed(other),
            })?;
            Ok(Renewed {
                tokens,
                refresh_token: caller.refresh_token,
            })
        }
    }
}

/// A refresh grant with the stored refresh token.
fn refresh(client: &Client, slots: &Slots<'_>) -> Result<TokenResponse, Stop> {
    let Some(rt) = slots.get(SecretKind::RefreshToken)? else {
        return Err(Stop::dead("No refresh token is stored for this session."));
    };
    client
        .token(Grant::Refresh {
            refresh_token: &rt,
            account: None,
            ims_account: None,
        })
        .map_err(|e| match e {
            IamError::Rejected(api) if api.is_client_error() => Stop::dead(api.line()),
            other => Stop::Unavailable(other),
        })
}

/// After the refresh token died: log in again with the stored API key, re-scoped to
/// `account`. `None` when no API key is stored.
fn relogin_with_apikey(
    client: &Client,
    slots: &Slots<'_>,
    account: Option<&Account>,
) -> Result<Option<TokenResponse>, Stop> {
    let Some(key) = slots.get(SecretKind::ApiKey)? else {
        return Ok(None);
    };
    let tokens = match client.token(Grant::ApiKey(&key)) {
        Ok(t) => t,
        Err(IamError::Rejected(api)) if api.is_client_error() => {
            return Err(Stop::dead(format!(
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
    match account {
        Some(account) if tokens.usable_refresh_token().is_some() => {
            Ok(Some(super::rescope(client, tokens, account)?))
        }
        _ => Ok(Some(tokens)),
    }
}

/// The compute-resource token in a file the platform keeps fresh.
fn read_token_file(path: &Path) -> Result<String, Stop> {
    let fix = || {
        Some(format!(
            "the platform keeps the token in {}: check that the workload still mounts it, or log in again with 'iamctl login --cr-token @FILE --profile PROFILE'",
            path.display()
        ))
    };
    match crate::home::read_secret_file(path) {
        Ok(token) if !token.is_empty() => Ok(token),
        Ok(_) => Err(Stop::Dead {
            why: format!(
                "the compute-resource token file {} is empty",
                path.display()
            ),
            fix: fix(),
        }),
        Err(e) => Err(Stop::Dead {
            why: format!("the compute-resource token cannot be read: {e}"),
            fix: fix(),
        }),
    }
}

/// IAM's refusal of a compute-resource token: expired, unknown, or no longer linked.
fn cr_token_refused(e: IamError, profile: &ProfileRef, file: Option<&Path>) -> Stop {
    match e {
        IamError::Rejected(api) if api.is_client_error() => Stop::Dead {
            why: format!("IAM refused the compute-resource token: {}", api.line()),
            fix: Some(match file {
                Some(_) => format!(
                    "check that the compute resource is still linked to the profile ('iamctl trusted-profile-links {profile}') and that its token is rotated"
                ),
                None => "a token given inline cannot be renewed once it expires: log in with --cr-token @FILE so iamctl re-reads the token the platform rotates".into(),
            }),
        },
        other => Stop::Unavailable(other),
    }
}
