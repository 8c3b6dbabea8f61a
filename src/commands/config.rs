//! `iamctl config secret-store [keyring|file]`: the persistent form of
//! `IAMCTL_SECRET_STORE`, kept in `config.json` in the iamctl home (which the variable
//! overrides). Choosing `file` is the explicit opt-in to unencrypted secrets.

use crate::auth::StoreKind;
use crate::cli::{ConfigCommand, RegistriesArgs, RegistryChange, SecretStoreChoice};
use crate::config;
use crate::error::Result;
use crate::home::Home;
use crate::output::Out;

pub fn run(cmd: &ConfigCommand, out: &Out) -> Result<()> {
    let args = match cmd {
        ConfigCommand::SecretStore(args) => args,
        ConfigCommand::Registries(args) => return registries(args, out),
    };
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

/// `config registries [add|remove HOST]`.
fn registries(args: &RegistriesArgs, out: &Out) -> Result<()> {
    let home = Home::locate()?;
    let (Some(change), Some(host)) = (args.change, args.host.as_deref()) else {
        for host in config::registries(&home)? {
            out.data(&format!("{host}\n"));
        }
        return Ok(());
    };
    let host = super::credential::docker::registry_host(host).ok_or_else(|| {
        crate::error::CliError::usage(format!("'{host}' is not a registry host."))
            .hint("give the host as clients name it, with its port if it has one: registry.example.com:5000")
    })?;
    let add = change == RegistryChange::Add;
    let changed = config::set_registry(&home, &host, add)?;
    out.ok();
    out.say(&match (add, changed) {
        (true, true) => format!("The Docker credential helper now answers for {host}."),
        (true, false) => format!("The Docker credential helper already answers for {host}."),
        (false, true) => format!("The Docker credential helper no longer answers for {host}."),
        (false, false) => format!("{host} was not among the registries."),
    });
    Ok(())
}
