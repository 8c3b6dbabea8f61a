//! `iamctl config secret-store [keyring|file]`: the persistent form of
//! `IAMCTL_SECRET_STORE`, kept in `config.json` in the iamctl home (which the variable
//! overrides). Choosing `file` is the explicit opt-in to unencrypted secrets.

use crate::auth::StoreKind;
use crate::cli::{ConfigCommand, SecretStoreChoice};
use crate::config;
use crate::error::Result;
use crate::home::Home;
use crate::output::Out;

pub fn run(cmd: &ConfigCommand, out: &Out) -> Result<()> {
    let ConfigCommand::SecretStore(args) = cmd;
    let home = Home::locate()?;
    let Some(choice) = args.store else {
        let kind = config::secret_store(&home)?;
        out.data(match kind {
            StoreKind::Keyring => "keyring\n",
            StoreKind::File => "file\n",
        });
        return Ok(());
    };
    let (kind, value) = match choice {
        SecretStoreChoice::Keyring => (StoreKind::Keyring, "keyring"),
        SecretStoreChoice::File => (StoreKind::File, "file"),
    };
    config::set_secret_store(&home, kind)?;
    if choice == SecretStoreChoice::File {
        out.warn(&format!(
            "new logins keep their secrets unencrypted in {}",
            home.file("secrets.json").display()
        ));
    }
    out.ok();
    out.say(&format!(
        "Secret store set to {value} (existing sessions keep the store they logged in with)."
    ));
    Ok(())
}
