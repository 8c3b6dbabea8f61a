//! `iamctl config secret-store [keyring|file]`: the persistent form of
//! `IAMCTL_SECRET_STORE`, kept in `config.json` in the iamctl home (which the variable
//! overrides). Choosing `file` is the explicit opt-in to unencrypted secrets.

use crate::auth::StoreKind;
use crate::config;
use crate::context::Context;
use crate::error::Result;
use crate::settings::session::Config;

pub fn run(ctx: &Context, cmd: Config) -> Result<()> {
    let out = &ctx.out;
    let choice = match cmd {
        Config::SecretStore(choice) => choice,
        Config::Registries(change) => return registries(ctx, change),
    };
    let home = ctx.home()?;
    let Some(choice) = choice else {
        let kind = config::secret_store(&home)?;
        out.data(match kind {
            StoreKind::Keyring => "keyring\n",
            StoreKind::File => "file\n",
        });
        return Ok(());
    };
    let value = match choice {
        StoreKind::Keyring => "keyring",
        StoreKind::File => "file",
    };
    config::set_secret_store(&home, choice)?;
    if choice == StoreKind::File {
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

/// `config registries [add|remove HOST]`: `change` is (add, host).
fn registries(ctx: &Context, change: Option<(bool, String)>) -> Result<()> {
    let out = &ctx.out;
    let home = ctx.home()?;
    let Some((add, host)) = change else {
        for host in config::registries(&home)? {
            out.data(&format!("{host}\n"));
        }
        return Ok(());
    };
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
