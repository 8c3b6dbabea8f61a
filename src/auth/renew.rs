//! A fresh token for every command: the cached one while it is outside the refresh window,
//! else a renewal by the login kind's rule, single-flight across processes.

use super::kinds::{REFRESH_TOKEN, Renewal, Stop};
use super::record::{Kept, Login, Session};
use super::vault::Slots;
use super::{AuthError, Credentials, Result, Warning, apply_tokens};
use crate::session::{SessionLock, now};

/// How long a renewal may take while the cached token is still valid.
const CACHED_TOKEN_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

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
        // A login that keeps no secret (a workload's) renews without a secret store.
        let vault = match login.secrets.is_empty() {
            true => None,
            false => Some(self.vault(login.secrets.store)?),
        };
        // While the cached token is still good, a renewal may not make the caller wait long
        // for one it does not need yet: an IAM that is down or hangs costs about a second,
        // and the cached token is used (`Stop::Unavailable` below).
        let left = login.token_expires_at - now();
        let client = if rejected.is_none() && left > 0 {
            let limit = std::time::Duration::from_secs(left as u64).min(CACHED_TOKEN_PATIENCE);
            self.client_within(&session, limit)?
        } else {
            self.client(&session)?
        };
        let slots = Slots::in_store(
            vault.as_ref(),
            &session.iam_endpoint,
            self.name(),
            login.secrets_iam_id(),
        );
        let renewal = Renewal {
            client: &client,
            slots: &slots,
            account: login.account.as_ref(),
        };
        let renewed = match login.kind.renew(&renewal) {
            Ok(r) => r,
            Err(Stop::Dead(expired)) => return Err(AuthError::Expired(expired)),
            Err(Stop::Failed(e)) => return Err(e),
            Err(Stop::Unavailable(e)) => {
                let err = AuthError::Unavailable(e);
                // A token IAM refused is no fallback.
                if rejected.is_some() || login.expired(now()) {
                    return Err(err);
                }
                self.warn(Warning::CachedTokenKept {
                    cause: err,
                    valid_for: login.token_expires_at - now(),
                });
                return Ok((session, login));
            }
        };
        apply_tokens(&mut login, &renewed.tokens);
        if let Some(new_rt) = &renewed.refresh_token {
            let owner = login.secrets_iam_id().to_string();
            self.keep_refresh_token(&slots, &session, &owner, &mut login.secrets, new_rt);
        }
        session.login = Some(login.clone());
        self.store.save(lock, &session)?;
        Ok((session, login))
    }
}

impl Credentials {
    /// Stores a refresh token a renewal got, in `slots` (or, for a login that kept no secret
    /// so far, in its store, named after `owner`), and marks it in `kept`. IAM may have
    /// retired the old refresh token already, so the new access token is kept even if the
    /// store refuses this one now: a warning says so. Returns whether `kept` names the slot
    /// now and did not before.
    pub(super) fn keep_refresh_token(
        &self,
        slots: &Slots<'_>,
        session: &Session,
        owner: &str,
        kept: &mut Kept,
        refresh_token: &str,
    ) -> bool {
        let stored = match slots.has_store() {
            true => slots.set(&REFRESH_TOKEN, refresh_token),
            false => self.vault(kept.store).and_then(|v| {
                v.of(&session.iam_endpoint, self.name(), owner)
                    .set(&REFRESH_TOKEN, refresh_token)
            }),
        };
        match stored {
            Ok(()) => {
                let new = !kept.keeps(&REFRESH_TOKEN);
                kept.mark(REFRESH_TOKEN);
                new
            }
            Err(e) => {
                self.warn(Warning::RenewedRefreshTokenLost(e));
                false
            }
        }
    }

    /// The session's refresh token, handed to a program that renews by itself (`exec
    /// --with-refresh-token`); `None` for logins that renew without one.
    pub fn export_refresh_token(&self) -> Result<Option<String>> {
        let (session, login) = self.logged_in()?;
        if !login.secrets.keeps(&REFRESH_TOKEN) {
            return Ok(None);
        }
        let vault = self.vault(login.secrets.store)?;
        vault
            .of(&session.iam_endpoint, self.name(), login.secrets_iam_id())
            .get(&REFRESH_TOKEN)
    }
}
