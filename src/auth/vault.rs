//! Where a login's secrets are kept: which store (the keyring unless the user opted in to the
//! file store), and each secret's name, `<iam endpoint>|<session>|<iam_id>|<slot>`.

use super::{AuthError, Result, Services, Warning};
use crate::home::Home;
use crate::secrets::{SecretId, SecretStore, Slot, StoreKind};
use std::thread::JoinHandle;

/// An open secret store.
pub struct Vault {
    store: Box<dyn SecretStore + Send>,
}

impl Vault {
    /// The store the user chose (`IAMCTL_SECRET_STORE`, `config.json`, else the keyring).
    pub(super) fn configured(home: &Home, services: &Services) -> Result<Vault> {
        let kind = crate::config::secret_store(home)?;
        Vault::open(kind, home, services)
    }

    /// A store of a given kind: the one a login was saved in.
    pub(super) fn open(kind: StoreKind, home: &Home, services: &Services) -> Result<Vault> {
        let store = services.stores.open(kind, home)?;
        if kind == StoreKind::File {
            (services.warn)(Warning::PlainFileStore {
                path: home.file("secrets.json"),
            });
        }
        Ok(Vault { store })
    }

    pub fn kind(&self) -> StoreKind {
        self.store.kind()
    }

    /// Proves the store takes a secret: a keyring can answer and still refuse every write
    /// (a locked collection, whose unlock prompt has no screen), which would otherwise show
    /// only after IAM accepted a login or made a key. The file store always does.
    pub(super) fn probe(&self) -> Result<()> {
        if self.kind() == StoreKind::File {
            return Ok(());
        }
        self.store.set(&SecretId::Probe, "")?;
        Ok(self.store.delete(&SecretId::Probe)?)
    }

    /// The secrets of one identity in one session.
    pub(super) fn of(&self, iam_endpoint: &str, session: &str, iam_id: &str) -> Slots<'_> {
        Slots::in_store(Some(self), iam_endpoint, session, iam_id)
    }

    pub(super) fn store(&self) -> &dyn SecretStore {
        &*self.store
    }
}

/// The named secrets of one login. A login that keeps none has no store open: it finds
/// nothing there, and a locked keyring is no bar to it.
pub(super) struct Slots<'a> {
    vault: Option<&'a Vault>,
    iam_endpoint: String,
    session: String,
    iam_id: String,
}

impl<'a> Slots<'a> {
    pub fn in_store(
        vault: Option<&'a Vault>,
        iam_endpoint: &str,
        session: &str,
        iam_id: &str,
    ) -> Slots<'a> {
        Slots {
            vault,
            iam_endpoint: iam_endpoint.to_string(),
            session: session.to_string(),
            iam_id: iam_id.to_string(),
        }
    }

    fn id(&self, slot: &Slot) -> SecretId {
        SecretId::new(
            &self.iam_endpoint,
            &self.session,
            &self.iam_id,
            slot.clone(),
        )
    }

    /// Whether the slots are in an open store (a login that keeps no secret has none).
    pub fn has_store(&self) -> bool {
        self.vault.is_some()
    }

    fn store(&self) -> Result<&'a Vault> {
        self.vault.ok_or(AuthError::Internal(
            "a login that keeps no secret wrote one",
        ))
    }

    pub fn get(&self, slot: &Slot) -> Result<Option<String>> {
        match self.vault {
            Some(v) => Ok(v.store.get(&self.id(slot))?),
            None => Ok(None),
        }
    }

    pub fn set(&self, slot: &Slot, value: &str) -> Result<()> {
        Ok(self.store()?.store.set(&self.id(slot), value)?)
    }

    pub fn delete(&self, slot: &Slot) -> Result<()> {
        Ok(self.store()?.store.delete(&self.id(slot))?)
    }
}

/// A store being opened on another thread.
pub struct VaultOpening(JoinHandle<Result<Vault>>);

impl VaultOpening {
    pub(super) fn start(home: Home, services: Services) -> VaultOpening {
        VaultOpening(std::thread::spawn(move || {
            let vault = Vault::configured(&home, &services)?;
            vault.probe()?;
            Ok(vault)
        }))
    }

    pub fn wait(self) -> Result<Vault> {
        self.0
            .join()
            .map_err(|_| AuthError::Internal("the thread opening the secret store panicked"))?
    }
}
