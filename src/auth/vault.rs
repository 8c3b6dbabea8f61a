//! Where a login's secrets are kept: which store (the keyring unless the user opted in to the
//! file store), and each secret's name, `<iam endpoint>|<session>|<iam_id>|<kind>`.

use super::{AuthError, Result};
use crate::home::Home;
use crate::secrets::{self, SecretId, SecretKind, SecretStore, StoreKind};
use std::thread::JoinHandle;

/// An open secret store.
pub struct Vault {
    store: Box<dyn SecretStore + Send>,
}

impl Vault {
    /// The store the user chose (`IAMCTL_SECRET_STORE`, `config.json`, else the keyring).
    pub fn configured(home: &Home) -> Result<Vault> {
        let kind = crate::config::secret_store(home)?;
        Vault::open(kind, home)
    }

    /// A store of a given kind: the one a login was saved in.
    pub fn open(kind: StoreKind, home: &Home) -> Result<Vault> {
        Ok(Vault {
            store: secrets::open(kind, home)?,
        })
    }

    pub fn kind(&self) -> StoreKind {
        self.store.kind()
    }

    /// The secrets of one identity in one session.
    pub(super) fn of(&self, iam_endpoint: &str, session: &str, iam_id: &str) -> Slots<'_> {
        Slots {
            vault: self,
            iam_endpoint: iam_endpoint.to_string(),
            session: session.to_string(),
            iam_id: iam_id.to_string(),
        }
    }

    pub(super) fn store(&self) -> &dyn SecretStore {
        &*self.store
    }
}

/// The named secrets of one login.
pub(super) struct Slots<'a> {
    vault: &'a Vault,
    iam_endpoint: String,
    session: String,
    iam_id: String,
}

impl Slots<'_> {
    fn id(&self, kind: SecretKind) -> SecretId {
        SecretId::new(&self.iam_endpoint, &self.session, &self.iam_id, kind)
    }

    pub fn get(&self, kind: SecretKind) -> Result<Option<String>> {
        Ok(self.vault.store.get(&self.id(kind))?)
    }

    pub fn set(&self, kind: SecretKind, value: &str) -> Result<()> {
        Ok(self.vault.store.set(&self.id(kind), value)?)
    }

    pub fn delete(&self, kind: SecretKind) -> Result<()> {
        Ok(self.vault.store.delete(&self.id(kind))?)
    }
}

/// A store being opened on another thread: connecting to the keyring takes a D-Bus
/// handshake, which `login` overlaps with its first requests to IAM.
pub struct VaultOpening(JoinHandle<Result<Vault>>);

pub fn open_vault_in_background(home: &Home) -> VaultOpening {
    let home = home.clone();
    VaultOpening(std::thread::spawn(move || Vault::configured(&home)))
}

impl VaultOpening {
    pub fn wait(self) -> Result<Vault> {
        self.0
            .join()
            .map_err(|_| AuthError::Internal("the thread opening the secret store panicked"))?
    }
}
