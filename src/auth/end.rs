//! Ending a login: `logout` (the session stays, logged out, with its API endpoint and
//! region) and `session-delete` (the file goes too) share one path, so both delete the
//! secrets an earlier logout could not reach (`pending_deletes`) as well as the login's own.
//!
//! A session file is the only record of which secrets exist, so it never goes before they
//! do: when the secret store cannot be reached, the token still leaves the disk, the secrets'
//! names stay listed as `pending_deletes`, and the error names the command that finishes.

use super::record::{PendingDelete, Session};
use super::vault::Vault;
use super::{AuthError, Credentials, Result};
use crate::secrets::StoreKind;

/// How a login was ended, so that what could not be finished can be done again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Logged out; the session stays.
    Logout,
    /// Logged out of `session`, and its file removed.
    Delete { session: String },
}

/// What ending a login did.
#[derive(Debug, Default)]
pub struct Ended {
    /// The session file was corrupt and was removed as it was (its secrets, if any, are
    /// unknown and stay).
    pub corrupt_removed: bool,
}

impl Credentials {
    /// Logs out: secrets deleted, login forgotten, endpoint and region kept.
    pub fn logout(&self) -> Result<Ended> {
        self.end(Ending::Logout)
    }

    /// Logs out and removes the session file.
    pub fn delete(&self) -> Result<Ended> {
        self.end(Ending::Delete {
            session: self.name().to_string(),
        })
    }

    fn end(&self, ending: Ending) -> Result<Ended> {
        let remove = matches!(ending, Ending::Delete { .. });
        let lock = self.store.lock()?;
        let (session, corrupt) = self.store.load_lenient::<Session>()?;
        if corrupt {
            if remove {
                self.store.remove(lock)?;
            } else {
                crate::home::remove_if_exists(&self.path())
                    .map_err(|e| AuthError::Session(e.into()))?;
            }
            return Ok(Ended {
                corrupt_removed: true,
            });
        }
        let Some(mut session) = session else {
            if remove {
                self.store.remove(lock)?;
            }
            return Ok(Ended::default());
        };
        let mut todo = std::mem::take(&mut session.pending_deletes);
        if let Some(login) = session.login.take() {
            todo.extend(login.secrets.slots().map(|slot| PendingDelete {
                store: login.secrets.store,
                iam_endpoint: session.iam_endpoint.clone(),
                iam_id: login.secrets_iam_id().to_string(),
                kind: slot.clone(),
            }));
        }
        let (left, failure) = self.delete_secrets(todo, None);
        session.pending_deletes.extend(left);
        match failure {
            None if remove => self.store.remove(lock)?,
            // The token leaves the disk even if the secret store could not be reached.
            _ => self.store.save(&lock, &session)?,
        }
        match failure {
            Some(e) => Err(AuthError::SecretsLeft {
                source: Box::new(e),
                ending,
            }),
            None => Ok(Ended::default()),
        }
    }

    /// Deletes `items` from their stores, each store opened once (`vault`, when given, is used
    /// for its kind); one that cannot be opened is not tried again. Returns what is left and
    /// the first failure.
    pub(super) fn delete_secrets(
        &self,
        items: Vec<PendingDelete>,
        vault: Option<&Vault>,
    ) -> (Vec<PendingDelete>, Option<AuthError>) {
        let mut opened: Vec<(StoreKind, Option<Vault>)> = Vec::new();
        let mut failure: Option<AuthError> = None;
        let mut left = Vec::new();
        for item in items {
            let given = vault.filter(|v| v.kind() == item.store);
            if given.is_none() && !opened.iter().any(|(k, _)| *k == item.store) {
                let v = self
                    .vault(item.store)
                    .map_err(|e| {
                        failure.get_or_insert(e);
                    })
                    .ok();
                opened.push((item.store, v));
            }
            let store = given.or_else(|| {
                opened
                    .iter()
                    .find(|(k, _)| *k == item.store)
                    .and_then(|(_, v)| v.as_ref())
            });
            let deleted = match store {
                Some(v) => v
                    .of(&item.iam_endpoint, self.name(), &item.iam_id)
                    .delete(&item.kind)
                    .map_err(|e| {
                        failure.get_or_insert(e);
                    }),
                None => Err(()),
            };
            if deleted.is_err() {
                left.push(item);
            }
        }
        (left, failure)
    }
}
