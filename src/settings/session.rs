//! The settings of the commands that change or show sessions and iamctl's configuration:
//! `logout`, `target`, `sessions`, `session-switch`, `session-delete`, `config`,
//! `trusted-profile-assume`.

use crate::auth::StoreKind;
use crate::cli::{
    ConfigCommand, RegistryChange, SecretStoreChoice, TargetArgs, TrustedProfileAssumeArgs,
};
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::iam::ProfileRef;
use crate::session::validate_name;

pub struct Target {
    /// Switch to this account.
    pub account: Option<String>,
    /// A validated region.
    pub region: Option<String>,
    pub resource_group: Option<String>,
    pub unset_region: bool,
    pub unset_resource_group: bool,
}

impl Target {
    pub fn changes_anything(&self) -> bool {
        self.account.is_some()
            || self.region.is_some()
            || self.resource_group.is_some()
            || self.unset_region
            || self.unset_resource_group
    }
}

pub fn target(args: TargetArgs, ctx: &Context) -> Result<Target> {
    let region = match &args.region {
        Some(r) => Some(super::region(r, ctx)?),
        None => None,
    };
    Ok(Target {
        account: args.account,
        region,
        resource_group: args.resource_group,
        unset_region: args.unset_region,
        unset_resource_group: args.unset_resource_group,
    })
}

/// `trusted-profile-assume`: the profile the session is to act as, or `None` to show the
/// one it has assumed.
pub struct Assume {
    pub profile: Option<ProfileRef>,
}

pub fn assume(args: TrustedProfileAssumeArgs) -> Result<Assume> {
    let profile = match args.profile {
        Some(p) if p.trim().is_empty() => {
            return Err(CliError::usage("The trusted profile to assume is empty.")
                .hint("give its name or ID: 'iamctl trusted-profile-assume NAME|ID' (without one, the command shows the assumed profile)"));
        }
        p => p.as_deref().map(ProfileRef::parse),
    };
    Ok(Assume { profile })
}

/// A session named on the command line (`session-switch`, `session-delete`), validated.
pub fn session_name(given: &str) -> Result<String> {
    Ok(validate_name(given, "the session name")?)
}

pub enum Config {
    /// Show the secret store, or choose one.
    SecretStore(Option<StoreKind>),
    /// List the registries, or add (`true`) or remove one.
    Registries(Option<(bool, String)>),
}

pub fn config(cmd: ConfigCommand) -> Result<Config> {
    Ok(match cmd {
        ConfigCommand::SecretStore(a) => Config::SecretStore(a.store.map(|s| match s {
            SecretStoreChoice::Keyring => StoreKind::Keyring,
            SecretStoreChoice::File => StoreKind::File,
        })),
        ConfigCommand::Registries(a) => Config::Registries(match (a.change, a.host) {
            (Some(change), Some(host)) => {
                let host = registry_host(&host).ok_or_else(|| {
                    CliError::usage(format!("'{host}' is not a registry host.")).hint(
                        "give the host as clients name it, with its port if it has one: registry.example.com:5000",
                    )
                })?;
                Some((change == RegistryChange::Add, host))
            }
            _ => None,
        }),
    })
}

/// The host (with its port, if any) of a registry as clients name it: `us.icr.io`,
/// `https://us.icr.io/v2/`, `registry.example.com:5000`. `None` for what is no host.
pub fn registry_host(server: &str) -> Option<String> {
    let s = server.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = s.split('/').next()?.to_ascii_lowercase();
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_hosts_are_read_as_clients_write_them() {
        assert_eq!(registry_host("us.icr.io").as_deref(), Some("us.icr.io"));
        assert_eq!(
            registry_host("https://US.icr.io/v2/").as_deref(),
            Some("us.icr.io")
        );
        assert_eq!(
            registry_host("127.0.0.1:5000").as_deref(),
            Some("127.0.0.1:5000")
        );
        assert_eq!(registry_host(""), None);
        assert_eq!(registry_host("a b"), None);
    }
}
