//! Each command's settings, resolved from its flags, the environment, the previous session
//! and stored keys before the command runs (uv's `settings.rs`): commands take the
//! `Context` and their settings, and never see clap. Whatever can be refused is refused
//! here, before anything changes.

pub mod identity;
pub mod login;
pub mod session;
pub mod tokens;

use crate::cli::{Command, IamCommand};
use crate::complete::CompletionShell;
use crate::context::Context;
use crate::error::Result;
use identity::{Change, Create, IdentityCreate, IdentityDelete, KeyCreate, LinkCreate, LinkDelete};
use identity::{List, Owner, Show, Update};

/// What `lib.rs` dispatches: one variant per command.
pub enum Settings {
    Login(Box<login::Login>),
    Logout,
    Target(session::Target),
    Exec(tokens::Exec),
    TokenDecode(tokens::TokenDecode),
    Sessions,
    SessionSwitch(String),
    SessionDelete(String),
    Config(session::Config),
    Credential(tokens::Credential),
    Completion(CompletionShell),
    OauthTokens(tokens::OauthTokens),
    ServiceIdCreate(Create),
    ServiceIds(List),
    ServiceId(Show),
    ServiceIdUpdate(Update),
    ServiceIdDelete(Change),
    ServiceIdLock(Change),
    ServiceIdUnlock(Change),
    ApiKeyCreate(Owner, KeyCreate),
    ApiKeys(Owner, List),
    ApiKey(Owner, Show),
    ApiKeyUpdate(Owner, Update),
    ApiKeyDelete(Owner, Change),
    ApiKeyLock(Owner, Change),
    ApiKeyUnlock(Owner, Change),
    StoredKeys,
    StoredKeyDelete(Change),
    ProfileCreate(Create),
    Profiles(List),
    Profile(Show),
    ProfileUpdate(Update),
    ProfileDelete(Change),
    LinkCreate(LinkCreate),
    Links(String),
    LinkDelete(LinkDelete),
    IdentityCreate(IdentityCreate),
    Identities(String),
    IdentityDelete(IdentityDelete),
    ProfileAssume(session::Assume),
    ProfileLeave,
}

pub fn resolve(command: Command, ctx: &Context) -> Result<Settings> {
    Ok(match command {
        Command::Login(a) => Settings::Login(Box::new(login::resolve(a, ctx)?)),
        Command::Logout(_) => Settings::Logout,
        Command::Target(a) => Settings::Target(session::target(a, ctx)?),
        Command::Exec(a) => Settings::Exec(tokens::exec(a)?),
        Command::Token(t) => Settings::TokenDecode(tokens::token(t)),
        Command::Sessions(_) => Settings::Sessions,
        Command::SessionSwitch(a) => Settings::SessionSwitch(session::session_name(&a.name)?),
        Command::SessionDelete(a) => Settings::SessionDelete(session::session_name(&a.name)?),
        Command::Config(c) => Settings::Config(session::config(c)?),
        Command::Credential(c) => Settings::Credential(tokens::credential(c)?),
        Command::Completion(a) => Settings::Completion(a.shell),
        Command::Iam(c) | Command::IamFlat(c) => iam(c)?,
    })
}

fn iam(command: IamCommand) -> Result<Settings> {
    use IamCommand as C;
    let service = Owner::ServiceId;
    Ok(match command {
        C::OauthTokens(a) => Settings::OauthTokens(tokens::oauth_tokens(a)?),
        C::ServiceIdCreate(a) => Settings::ServiceIdCreate(a.into()),
        C::ServiceIds(a) => Settings::ServiceIds(a.into()),
        C::ServiceId(a) => Settings::ServiceId(Show {
            target: a.service_id,
            ids_only: a.uuid,
        }),
        C::ServiceIdUpdate(a) => Settings::ServiceIdUpdate(Update {
            target: a.service_id,
            new_name: a.new_name,
            description: a.description,
        }),
        C::ServiceIdDelete(a) => Settings::ServiceIdDelete(change(a.service_id, a.force.force)),
        C::ServiceIdLock(a) => Settings::ServiceIdLock(change(a.service_id, a.force.force)),
        C::ServiceIdUnlock(a) => Settings::ServiceIdUnlock(change(a.service_id, a.force.force)),
        C::ServiceApiKeyCreate(a) => Settings::ApiKeyCreate(service(a.service_id), a.key.into()),
        C::ServiceApiKeys(a) => Settings::ApiKeys(service(a.service_id), List { ids_only: false }),
        C::ServiceApiKey(a) => Settings::ApiKey(
            service(a.service_id),
            Show {
                target: a.key,
                ids_only: a.uuid,
            },
        ),
        C::ServiceApiKeyUpdate(a) => Settings::ApiKeyUpdate(
            service(a.service_id),
            Update {
                target: a.key,
                new_name: a.new_name,
                description: a.description,
            },
        ),
        C::ServiceApiKeyDelete(a) => {
            Settings::ApiKeyDelete(service(a.service_id), change(a.key, a.force.force))
        }
        C::ServiceApiKeyLock(a) => {
            Settings::ApiKeyLock(service(a.service_id), change(a.key, a.force.force))
        }
        C::ServiceApiKeyUnlock(a) => {
            Settings::ApiKeyUnlock(service(a.service_id), change(a.key, a.force.force))
        }
        C::ApiKeyCreate(a) => Settings::ApiKeyCreate(Owner::User, a.key.into()),
        C::ApiKeys(a) => Settings::ApiKeys(Owner::User, a.into()),
        C::ApiKey(a) => Settings::ApiKey(
            Owner::User,
            Show {
                target: a.key,
                ids_only: false,
            },
        ),
        C::ApiKeyUpdate(a) => Settings::ApiKeyUpdate(
            Owner::User,
            Update {
                target: a.key,
                new_name: a.new_name,
                description: a.description,
            },
        ),
        C::ApiKeyDelete(a) => Settings::ApiKeyDelete(Owner::User, change(a.key, a.force.force)),
        C::ApiKeyLock(a) => Settings::ApiKeyLock(Owner::User, change(a.key, a.force.force)),
        C::ApiKeyUnlock(a) => Settings::ApiKeyUnlock(Owner::User, change(a.key, a.force.force)),
        C::StoredKeys(_) => Settings::StoredKeys,
        C::StoredKeyDelete(a) => Settings::StoredKeyDelete(change(a.name, a.force.force)),
        C::TrustedProfileCreate(a) => Settings::ProfileCreate(a.into()),
        C::TrustedProfiles(a) => Settings::Profiles(a.into()),
        C::TrustedProfile(a) => Settings::Profile(Show {
            target: a.profile,
            ids_only: a.id,
        }),
        C::TrustedProfileUpdate(a) => Settings::ProfileUpdate(Update {
            target: a.profile,
            new_name: a.new_name,
            description: a.description,
        }),
        C::TrustedProfileDelete(a) => Settings::ProfileDelete(change(a.profile, a.force.force)),
        C::TrustedProfileLinkCreate(a) => Settings::LinkCreate(a.into()),
        C::TrustedProfileLinks(a) => Settings::Links(a.profile),
        C::TrustedProfileLinkDelete(a) => Settings::LinkDelete(a.into()),
        C::TrustedProfileIdentityCreate(a) => Settings::IdentityCreate(a.into()),
        C::TrustedProfileIdentities(a) => Settings::Identities(a.profile),
        C::TrustedProfileIdentityDelete(a) => Settings::IdentityDelete(a.into()),
        C::TrustedProfileAssume(a) => Settings::ProfileAssume(session::assume(a)?),
        C::TrustedProfileLeave(_) => Settings::ProfileLeave,
    })
}

fn change(target: String, force: bool) -> Change {
    Change { target, force }
}

/// The region of `-r`: a known one, or a well-formed name iamctl does not know yet, which
/// is used as given after a one-line warning (IBM opens regions faster than a compiled-in
/// table learns them).
pub fn region(given: &str, ctx: &Context) -> Result<String> {
    let region = crate::regions::validate(given)?;
    if !region.known {
        let guess = crate::regions::nearest(&region.name)
            .map(|r| format!(" (did you mean {r}?)"))
            .unwrap_or_default();
        ctx.out.warn(&format!(
            "region '{}' is not one iamctl knows{guess}; using it as given",
            region.name
        ));
    }
    Ok(region.name)
}
