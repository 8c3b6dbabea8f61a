//! `iamctl logout`: deletes the session's secrets and forgets the login; the API endpoint
//! and region stay, like IBM's CLI. Also the way out of a corrupt session file.

use super::secret_id;
use crate::cli::LogoutArgs;
use crate::error::{Result, io_error};
use crate::output::Out;
use crate::secrets::{self, SecretKind};
use crate::session::SessionStore;

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
    let mut failure = None;
    if let Some(login) = session.login.take() {
        let kinds: Vec<SecretKind> = [
            (login.secrets.refresh_token, SecretKind::RefreshToken),
            (login.secrets.apikey, SecretKind::ApiKey),
        ]
        .into_iter()
        .filter(|(present, _)| *present)
        .map(|(_, k)| k)
        .collect();
        if !kinds.is_empty() {
            let deleted = secrets::open(login.secrets.store, &store.home).and_then(|s| {
                kinds
                    .iter()
                    .try_for_each(|k| s.delete(&secret_id(&session, &store, &login.iam_id, *k)))
            });
            if let Err(e) = deleted {
                failure = Some(e);
            }
        }
        // The token leaves the disk even if the keyring could not be reached.
        store.save(&lock, &session)?;
    }
    drop(lock);
    match failure {
        Some(e) => Err(e.hint("the session itself was cleared; run 'iamctl logout' again once the keyring is reachable")),
        None => {
            out.ok();
            Ok(())
        }
    }
}
