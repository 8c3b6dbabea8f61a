//! `iamctl logout`: deletes the session's secrets and forgets the login; the API endpoint
//! and region stay, like IBM's CLI. Also the way out of a corrupt session file.
//!
//! If the secret store cannot be reached, the token still leaves the disk, the secrets'
//! names are kept as `pending_deletes`, and the next `logout` deletes them.

use crate::cli::LogoutArgs;
use crate::error::{CliError, Result, io_error};
use crate::output::Out;
use crate::secrets::{self, SecretId, SecretKind};
use crate::session::{PendingDelete, SessionStore};

pub fn run(_args: &LogoutArgs, out: &Out) -> Result<()> {
    let store = SessionStore::open()?;
    out.say("Logging out...");
    let lock = store.lock()?;
    let (session, corrupt) = store.load_lenient()?;
    if corrupt {
        let path = store.path();
        std::fs::remove_file(&path).map_err(|e| io_error("remove", &path, &e))?;
        out.warn(&format!(
            "removed the corrupt session file {}; secrets it referred to may remain in the keyring",
            path.display()
        ));
        out.ok();
        return Ok(());
    }
    let Some(mut session) = session else {
        out.ok();
        return Ok(());
    };
    let mut todo = std::mem::take(&mut session.pending_deletes);
    if let Some(login) = session.login.take() {
        for (present, kind) in [
            (login.secrets.refresh_token, SecretKind::RefreshToken),
            (login.secrets.apikey, SecretKind::ApiKey),
        ] {
            if present {
                todo.push(PendingDelete {
                    store: login.secrets.store,
                    iam_endpoint: session.iam_endpoint.clone(),
                    iam_id: login.iam_id.clone(),
                    kind,
                });
            }
        }
    }
    let mut failure: Option<CliError> = None;
    for item in todo {
        let id = SecretId::new(&item.iam_endpoint, &store.name, &item.iam_id, item.kind);
        let deleted = secrets::open(item.store, &store.home).and_then(|s| s.delete(&id));
        if let Err(e) = deleted {
            failure.get_or_insert(e);
            session.pending_deletes.push(item);
        }
    }
    // The token leaves the disk even if the keyring could not be reached.
    store.save(&lock, &session)?;
    drop(lock);
    match failure {
        Some(e) => Err(e.hint(
            "the token was removed from disk; run 'iamctl logout' again once the keyring is reachable to delete the secrets",
        )),
        None => {
            out.ok();
            Ok(())
        }
    }
}
