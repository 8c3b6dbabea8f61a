//! `iamctl config secret-store [keyring|file]`: the persistent form of
//! `IAMCTL_SECRET_STORE`, kept in `config.json` in the iamctl home (which the variable
//! overrides). Choosing `file` is the explicit opt-in to unencrypted secrets.

use crate::cli::{ConfigCommand, SecretStoreChoice};
use crate::error::{CliError, Result, io_error};
use crate::output::Out;
use crate::secrets::{self, StoreKind};
use crate::session::{Home, create_private_dir, write_atomic};

pub fn run(cmd: &ConfigCommand, out: &Out) -> Result<()> {
    let ConfigCommand::SecretStore(args) = cmd;
    let home = Home::locate()?;
    let Some(choice) = args.store else {
        let kind = secrets::configured_kind(&home)?;
        out.data(match kind {
            StoreKind::Keyring => "keyring\n",
            StoreKind::File => "file\n",
        });
        return Ok(());
    };
    let path = home.dir.join("config.json");
    let mut config = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .filter(|v| v.is_object())
            .ok_or_else(|| {
                CliError::failed(format!("{} is not a JSON object.", path.display()))
                    .hint("fix or delete it, then try again")
            })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::json!({}),
        Err(e) => return Err(io_error("read", &path, &e)),
    };
    let value = match choice {
        SecretStoreChoice::Keyring => "keyring",
        SecretStoreChoice::File => "file",
    };
    config["secret_store"] = serde_json::Value::String(value.to_string());
    let mut bytes = serde_json::to_vec_pretty(&config)
        .map_err(|e| CliError::failed(format!("Could not encode the configuration: {e}")))?;
    bytes.push(b'\n');
    create_private_dir(&home.dir)?;
    write_atomic(&home.dir, &path, &bytes)?;
    if choice == SecretStoreChoice::File {
        out.warn(&format!(
            "new logins keep their secrets unencrypted in {}",
            home.dir.join("secrets.json").display()
        ));
    }
    out.ok();
    out.say(&format!(
        "Secret store set to {value} (existing sessions keep the store they logged in with)."
    ));
    Ok(())
}
