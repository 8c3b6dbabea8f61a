//! Saving a new login (in an order that a failure or a kill at any step cannot turn into
//! lost or orphaned secrets, see `Credentials::start`), and re-scoping a token to an account.

use super::kinds::{Authenticated, Credential, REFRESH_TOKEN};
use super::record::{Kept, Login, PendingDelete, Session};
use super::vault::Vault;
use super::{AuthError, Credentials, Edit, Result, Warning, apply_tokens};
use crate::endpoints::Endpoints;
use crate::iam::{Account, Client, Grant, IamError, ResourceGroup, TokenResponse, jwt};
use crate::secrets::{Slot, StoreKind};
use crate::session::{SessionLock, now};

/// The tokens scoped to `account` (a refresh grant naming it), unless they already are.
pub fn rescope(client: &Client, tokens: TokenResponse, account: &Account) -> Result<TokenResponse> {
    let claims = jwt::decode(&tokens.access_token).unwrap_or_default();
    if claims.account_bss() == Some(account.guid.as_str()) {
        return Ok(tokens);
    }
    let rt = tokens
        .usable_refresh_token()
        .ok_or(AuthError::NoRefreshToken)?;
    rescope_with(client, rt, account)
}

/// A refresh grant that moves the session to `account` (and its linked IMS account).
fn rescope_with(client: &Client, refresh_token: &str, account: &Account) -> Result<TokenResponse> {
    client
        .token(Grant::Refresh {
            refresh_token,
            account: Some(&account.guid),
            ims_account: account.ims.as_deref(),
        })
        .map_err(|e| match e {
            IamError::Rejected(api) if api.is_client_error() => AuthError::AccountRefused {
                account: account.guid.clone(),
                source: api,
            },
            other => AuthError::Iam {
                doing: "Could not switch to the account",
                source: other,
            },
        })
}

/// Everything a new login is made of, once IAM has accepted the credential.
pub(super) struct NewLogin<'a> {
    pub endpoints: Endpoints,
    pub trust: crate::iam::trust::Trust,
    pub region: Option<String>,
    pub credential: &'a Credential,
    pub claims: &'a jwt::Claims,
    pub tokens: &'a Authenticated,
    pub account: Option<Account>,
    pub resource_group: Option<ResourceGroup>,
}

impl Credentials {
    /// Saves a new login in place of `previous`: the previous login's stale secrets go, the
    /// new secrets are stored, and the session file is written last.
    pub(super) fn start(
        &self,
        previous: Option<&Session>,
        new: NewLogin<'_>,
        vault: Option<&Vault>,
    ) -> Result<Session> {
        // One login at a time per session, from forgetting the previous login's secrets to
        // writing the file, judged against the file as it is now: two logins racing into
        // one session would otherwise delete each other's secrets and leave a file naming
        // secrets that are gone (found by bench/concurrency.sh).
        let lock = self.store.lock()?;
        let current = match self.store.load_lenient() {
            Ok((on_disk, _corrupt)) => on_disk,
            Err(_) => previous.cloned(),
        };
        let previous = current.as_ref();
        let mut session = Session {
            version: super::record::FORMAT_VERSION,
            api_endpoint: new.endpoints.api.clone(),
            iam_endpoint: new.endpoints.iam.clone(),
            accounts_endpoint: new.endpoints.accounts.clone(),
            resource_controller_endpoint: new.endpoints.resource_controller.clone(),
            skip_ssl_validation: new.trust.skip_validation,
            ca_cert: new.trust.ca_cert,
            region: new.region,
            login: None,
            // Secrets an earlier logout could not delete stay listed for the next logout.
            pending_deletes: previous
                .map(|s| s.pending_deletes.clone())
                .unwrap_or_default(),
        };
        let kind = new.credential.kind(new.claims);
        let store = match vault {
            Some(v) => v.kind(),
            None => crate::config::secret_store(self.home()).unwrap_or(StoreKind::Keyring),
        };
        let mut login = Login {
            kind,
            user: new.claims.display_user(),
            iam_id: new.claims.iam_id.clone(),
            sub_type: new.claims.sub_type.clone(),
            account: new.account,
            resource_group: new.resource_group,
            access_token: String::new(),
            token_issued_at: 0,
            token_expires_at: 0,
            refresh_token_expires_at: None,
            login_at: now(),
            secrets: Kept::none(store),
            delegated: Default::default(),
        };
        apply_tokens(&mut login, &new.tokens.tokens);
        let keep: Vec<(Slot, &str)> = new
            .tokens
            .refresh_token()
            .map(|rt| (REFRESH_TOKEN, rt))
            .into_iter()
            .chain(new.credential.kept())
            .collect();
        for (slot, _) in &keep {
            login.secrets.mark(slot.clone());
        }
        let stale = stale_secrets(previous, &session, &login);
        // The previous login's own secrets that the new one overwrites.
        let overwritten: Vec<Slot> = previous
            .and_then(|p| p.login.as_ref())
            .filter(|old| same_slots(previous, old, &session, &login))
            .map(|old| old.secrets.slots().cloned().collect())
            .unwrap_or_default();
        let (iam_endpoint, iam_id) = (session.iam_endpoint.clone(), login.iam_id.clone());
        session.login = Some(login);
        // The new file is written, not yet in place, before any secret is touched: a home
        // that cannot take it (full, read-only, over quota) fails the login here, with the
        // previous login's file and secrets as they were.
        let prepared = self.store.prepare(&lock, &session)?;
        if !keep.is_empty() {
            let vault = vault.ok_or(AuthError::Internal(
                "a login with secrets to keep has no secret store",
            ))?;
            // Secrets in places the session file does not name yet are named first, as
            // pending deletes of the session as it is: killed after storing them and before
            // the new file is in place, this login leaves them for the next logout to delete,
            // not orphaned (found by bench/crash-safety.sh).
            let unnamed: Vec<PendingDelete> = keep
                .iter()
                .map(|(slot, _)| slot)
                .filter(|slot| !overwritten.contains(slot))
                .map(|slot| PendingDelete {
                    store: vault.kind(),
                    iam_endpoint: iam_endpoint.clone(),
                    iam_id: iam_id.clone(),
                    kind: slot.clone(),
                })
                .collect();
            let original = match unnamed.is_empty() {
                true => None,
                false => Some(self.name_ahead(&lock, previous, &session, unnamed)?),
            };
            let slots = vault.of(&iam_endpoint, self.name(), &iam_id);
            let mut stored = Vec::new();
            for (slot, value) in keep {
                if let Err(e) = slots.set(&slot, value) {
                    // The previous session stays as it was: what was stored for the new one
                    // goes (except what overwrote the previous login's own secrets), and so
                    // does the file's note of it.
                    for slot in stored.iter().filter(|s| !overwritten.contains(s)) {
                        let _ = slots.delete(slot);
                    }
                    if let Some(raw) = original {
                        let _ = self.store.restore(&lock, raw.as_deref());
                    }
                    return Err(e);
                }
                stored.push(slot);
            }
        }
        // The previous login's other secrets go last; one that cannot be deleted now stays
        // listed for the next logout instead of being forgotten.
        let left = self.forget(stale, vault);
        if left.is_empty() {
            prepared
                .commit()
                .map_err(|e| AuthError::Session(e.into()))?;
        } else {
            drop(prepared);
            session.pending_deletes.extend(left);
            self.store.save(&lock, &session)?;
        }
        Ok(session)
    }

    /// Writes the session as it is (or, without one, a logged-out session of the new
    /// endpoints) with `unnamed` added to its pending deletes; returns the file's bytes from
    /// before, to put back if the login goes no further.
    fn name_ahead(
        &self,
        lock: &SessionLock,
        current: Option<&Session>,
        new: &Session,
        unnamed: Vec<PendingDelete>,
    ) -> Result<Option<Vec<u8>>> {
        let original = self.store.raw(lock)?;
        let mut ahead = match current {
            Some(s) => s.clone(),
            None => Session {
                login: None,
                ..new.clone()
            },
        };
        ahead.pending_deletes.extend(unnamed);
        self.store.save(lock, &ahead)?;
        Ok(original)
    }

    /// Deletes the previous login's secrets, best effort: a failure only warns, and what was
    /// not deleted is returned.
    fn forget(&self, stale: Vec<PendingDelete>, vault: Option<&Vault>) -> Vec<PendingDelete> {
        let (left, failure) = self.delete_secrets(stale, vault);
        if let Some(e) = failure {
            self.warn(Warning::PreviousSecretsLeft(e));
        }
        left
    }
}

/// Whether two logins name the same secrets: one identity at one IAM endpoint in one store.
fn same_slots(prev: Option<&Session>, old: &Login, new_session: &Session, new: &Login) -> bool {
    prev.is_some_and(|p| p.iam_endpoint == new_session.iam_endpoint)
        && old.secrets_iam_id() == new.secrets_iam_id()
        && old.secrets.store == new.secrets.store
}

/// Secrets of the previous login that the new one does not overwrite: another identity or
/// IAM endpoint, or an API key no longer needed.
fn stale_secrets(
    previous: Option<&Session>,
    new_session: &Session,
    new: &Login,
) -> Vec<PendingDelete> {
    let Some(prev) = previous else {
        return Vec::new();
    };
    let Some(old) = prev.login.as_ref() else {
        return Vec::new();
    };
    let same = same_slots(previous, old, new_session, new);
    old.secrets
        .slots()
        // What the new login overwrites (same identity, same kind of secret) stays.
        .filter(|slot| !same || !new.secrets.keeps(slot))
        .map(|slot| PendingDelete {
            store: old.secrets.store,
            iam_endpoint: prev.iam_endpoint.clone(),
            iam_id: old.secrets_iam_id().to_string(),
            kind: slot.clone(),
        })
        .collect()
}

impl Edit {
    /// Re-scopes the session's token to another account with its refresh token (`target -c`).
    /// A trusted profile's session stays in the profile's account: a refresh token it keeps
    /// is its caller's, which would make the session the caller.
    pub fn switch_account(&mut self, client: &Client, account: &Account) -> Result<()> {
        if self.login.kind.profile().is_some() {
            let own = self.login.account.as_ref().map(|a| a.guid.as_str());
            if own == Some(account.guid.as_str()) {
                return Ok(());
            }
            return Err(AuthError::ProfileInOtherAccount {
                own: own.unwrap_or("-").to_string(),
                want: account.guid.clone(),
            });
        }
        let vault = self.creds.vault(self.login.secrets.store)?;
        let slots = vault.of(
            &self.session.iam_endpoint,
            self.creds.name(),
            self.login.secrets_iam_id(),
        );
        let rt = slots
            .get(&REFRESH_TOKEN)?
            .ok_or(AuthError::NoRefreshTokenToSwitch)?;
        let tokens = rescope_with(client, &rt, account)?;
        apply_tokens(&mut self.login, &tokens);
        if let Some(new_rt) = tokens.usable_refresh_token() {
            slots.set(&REFRESH_TOKEN, new_rt)?;
            self.login.secrets.mark(REFRESH_TOKEN);
        }
        Ok(())
    }
}
