//! Each command's settings, resolved from its flags, the environment, the previous session
//! and stored keys before the command runs (uv's `settings.rs`): commands take the
//! `Context` and their settings, and never see clap. Whatever can be refused is refused
//! here, before anything changes.

pub mod access;
pub mod identity;
pub mod login;
pub mod session;
pub mod tokens;

use crate::cli::{Command, IamCommand};
use crate::complete::CompletionShell;
use crate::context::Context;
use crate::error::Result;
use crate::output::TokenFormat;
use identity::{Change, Create, IdentityCreate, IdentityDelete, KeyCreate, LinkCreate, LinkDelete};
use identity::{Identities, IdentityShow, Links, List, Owner, Show, Update};

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
    ApiKeyDisable(Owner, Change),
    ApiKeyEnable(Owner, Change),
    StoredKeys,
    StoredKeyDelete(Change),
    ProfileCreate(Create),
    Profiles(List),
    Profile(Show),
    ProfileUpdate(Update),
    ProfileDelete(Change),
    LinkCreate(LinkCreate),
    Links(Links),
    LinkDelete(LinkDelete),
    IdentityCreate(IdentityCreate),
    Identities(Identities),
    Identity(IdentityShow),
    IdentityDelete(IdentityDelete),
    // Access: policies, roles, access groups, authorizations.
    PolicyCreate(access::PolicyCreate),
    PolicyUpdate(access::PolicyUpdate),
    PolicyDelete(access::PolicyRef),
    Policies(access::Policies),
    Policy(access::PolicyRef),
    Roles(access::Roles),
    RoleCreate(access::RoleCreate),
    AccountPolicies(access::AccountPolicies),
    AccessGroups(access::GroupList),
    AccessGroup(access::GroupShow),
    AccessGroupCreate(access::GroupCreate),
    AccessGroupUpdate(access::GroupUpdate),
    AccessGroupDelete(access::GroupDelete),
    MembersAdd(access::MembersAdd),
    MemberRemove(access::MemberRemove),
    Members(access::Members),
    MemberPurge(access::MemberPurge),
    AuthorizationCreate(access::AuthorizationCreate),
    AuthorizationDelete(access::AuthorizationRef),
    Authorization(access::AuthorizationRef),
    Authorizations(access::ApiVersion),
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
        C::BearerToken(_) => {
            Settings::OauthTokens(tokens::OauthTokens::new(TokenFormat::Raw, None)?)
        }
        C::ServiceIdCreate(a) => Settings::ServiceIdCreate(a.into()),
        C::ServiceIds(a) => Settings::ServiceIds(a.into()),
        C::ServiceId(a) => Settings::ServiceId(Show {
            target: a.service_id,
            ids_only: a.uuid,
        }),
        C::ServiceIdUpdate(a) => {
            Settings::ServiceIdUpdate(Update::new(a.service_id, a.new_name, a.description))
        }
        C::ServiceIdDelete(a) => Settings::ServiceIdDelete(change(a.service_id, a.force.force)),
        C::ServiceIdLock(a) => Settings::ServiceIdLock(change(a.service_id, a.force.force)),
        C::ServiceIdUnlock(a) => Settings::ServiceIdUnlock(change(a.service_id, a.force.force)),
        C::ServiceApiKeyCreate(a) => Settings::ApiKeyCreate(service(a.service_id), a.key.into()),
        C::ServiceApiKeys(a) => Settings::ApiKeys(
            match a.service_id {
                Some(sid) if !a.all => service(sid),
                _ => Owner::AllServiceIds,
            },
            List {
                ids_only: false,
                filter: a.filter.into(),
                can_assume: false,
            },
        ),
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
                action_if_leaked: a.action_if_leaked.map(|l| l.as_str()),
                ..Update::new(a.key, a.new_name, a.description)
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
        C::ServiceApiKeyDisable(a) => {
            Settings::ApiKeyDisable(service(a.service_id), change(a.key, a.force.force))
        }
        C::ServiceApiKeyEnable(a) => {
            Settings::ApiKeyEnable(service(a.service_id), change(a.key, a.force.force))
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
                action_if_leaked: a.action_if_leaked.map(|l| l.as_str()),
                ..Update::new(a.key, a.new_name, a.description)
            },
        ),
        C::ApiKeyDelete(a) => Settings::ApiKeyDelete(Owner::User, change(a.key, a.force.force)),
        C::ApiKeyLock(a) => Settings::ApiKeyLock(Owner::User, change(a.key, a.force.force)),
        C::ApiKeyUnlock(a) => Settings::ApiKeyUnlock(Owner::User, change(a.key, a.force.force)),
        C::ApiKeyDisable(a) => Settings::ApiKeyDisable(Owner::User, change(a.key, a.force.force)),
        C::ApiKeyEnable(a) => Settings::ApiKeyEnable(Owner::User, change(a.key, a.force.force)),
        C::StoredKeys(_) => Settings::StoredKeys,
        C::StoredKeyDelete(a) => Settings::StoredKeyDelete(change(a.name, a.force.force)),
        C::TrustedProfileCreate(a) => Settings::ProfileCreate(a.into()),
        C::TrustedProfiles(a) => Settings::Profiles(a.into()),
        C::TrustedProfile(a) => Settings::Profile(Show {
            target: a.profile,
            ids_only: a.id,
        }),
        C::TrustedProfileUpdate(a) => Settings::ProfileUpdate(Update {
            email: a.email,
            ..Update::new(a.profile, a.new_name, a.description)
        }),
        C::TrustedProfileDelete(a) => Settings::ProfileDelete(change(a.profile, a.force.force)),
        C::TrustedProfileLinkCreate(a) => Settings::LinkCreate(a.into()),
        C::TrustedProfileLinks(a) => Settings::Links(a.into()),
        C::TrustedProfileLinkDelete(a) => Settings::LinkDelete(a.into()),
        C::TrustedProfileIdentityCreate(a) => Settings::IdentityCreate(a.into()),
        C::TrustedProfileIdentities(a) => Settings::Identities(a.into()),
        C::TrustedProfileIdentity(a) => Settings::Identity(a.into()),
        C::TrustedProfileIdentityDelete(a) => Settings::IdentityDelete(a.into()),
        // Access: policies, roles, access groups, authorizations.
        C::UserPolicyCreate(a) => Settings::PolicyCreate(access::create(a)?),
        C::ServicePolicyCreate(a) => Settings::PolicyCreate(access::create(a)?),
        C::TrustedProfilePolicyCreate(a) => Settings::PolicyCreate(access::create(a)?),
        C::AccessGroupPolicyCreate(a) => Settings::PolicyCreate(access::group_create(a)?),
        C::UserPolicyUpdate(a) => Settings::PolicyUpdate(access::update(a)?),
        C::ServicePolicyUpdate(a) => Settings::PolicyUpdate(access::update(a)?),
        C::TrustedProfilePolicyUpdate(a) => Settings::PolicyUpdate(access::update(a)?),
        C::AccessGroupPolicyUpdate(a) => Settings::PolicyUpdate(access::group_update(a)?),
        C::UserPolicyDelete(a) => {
            Settings::PolicyDelete(policy_ref(a.subject, a.policy_id, a.force.force, &a.api))
        }
        C::ServicePolicyDelete(a) => {
            Settings::PolicyDelete(policy_ref(a.subject, a.policy_id, a.force.force, &a.api))
        }
        C::TrustedProfilePolicyDelete(a) => {
            Settings::PolicyDelete(policy_ref(a.subject, a.policy_id, a.force.force, &a.api))
        }
        C::AccessGroupPolicyDelete(a) => {
            Settings::PolicyDelete(policy_ref(a.subject, a.policy_id, a.force.force, &a.api))
        }
        C::UserPolicies(a) => Settings::Policies(policies(a.subject, &a.api)),
        C::ServicePolicies(a) => Settings::Policies(policies(a.subject, &a.api)),
        C::TrustedProfilePolicies(a) => Settings::Policies(policies(a.subject, &a.api)),
        C::AccessGroupPolicies(a) => Settings::Policies(policies(a.subject, &a.api)),
        C::UserPolicy(a) => Settings::Policy(policy_ref(a.subject, a.policy_id, a.force, &a.api)),
        C::ServicePolicy(a) => {
            Settings::Policy(policy_ref(a.subject, a.policy_id, a.force, &a.api))
        }
        C::TrustedProfilePolicy(a) => {
            Settings::Policy(policy_ref(a.subject, a.policy_id, a.force, &a.api))
        }
        C::AccessGroupPolicy(a) => {
            Settings::Policy(policy_ref(a.subject, a.policy_id, a.force, &a.api))
        }
        C::Roles(a) => Settings::Roles(access::roles(a)?),
        C::RoleCreate(a) => Settings::RoleCreate(access::role_create(a)?),
        C::AccessPolicies(a) => Settings::AccountPolicies(access::access_policies(a)?),
        C::AccountPolicies(a) => Settings::AccountPolicies(access::account_policies(a)?),
        C::AccessGroups(a) => Settings::AccessGroups(a.into()),
        C::AccessGroup(a) => Settings::AccessGroup(access::GroupShow {
            group: a.group.group,
            id_only: a.id,
        }),
        C::AccessGroupCreate(a) => Settings::AccessGroupCreate(access::GroupCreate {
            name: a.name,
            description: a.description,
        }),
        C::AccessGroupUpdate(a) => Settings::AccessGroupUpdate(access::GroupUpdate {
            group: a.group.group,
            new_name: a.new_name,
            description: a.description,
        }),
        C::AccessGroupDelete(a) => Settings::AccessGroupDelete(access::GroupDelete {
            group: a.group.group,
            force: a.force.force,
            recursive: a.recursive,
            all: a.all,
        }),
        C::AccessGroupUserAdd(a) => Settings::MembersAdd(access::MembersAdd {
            group: a.group.group,
            kind: access::MemberKind::User,
            members: a.users,
            iam_ids: a.iam_ids,
        }),
        C::AccessGroupServiceIdAdd(a) => Settings::MembersAdd(access::MembersAdd {
            group: a.group.group,
            kind: access::MemberKind::ServiceId,
            members: a.service_ids,
            iam_ids: Vec::new(),
        }),
        C::AccessGroupTrustedProfileAdd(a) => Settings::MembersAdd(access::MembersAdd {
            group: a.group.group,
            kind: access::MemberKind::Profile,
            members: a.profiles,
            iam_ids: Vec::new(),
        }),
        C::AccessGroupUserRemove(a) => {
            Settings::MemberRemove(member_remove(a.group, access::MemberKind::User, a.user))
        }
        C::AccessGroupServiceIdRemove(a) => Settings::MemberRemove(member_remove(
            a.group,
            access::MemberKind::ServiceId,
            a.service_id,
        )),
        C::AccessGroupTrustedProfileRemove(a) => Settings::MemberRemove(member_remove(
            a.group,
            access::MemberKind::Profile,
            a.profile,
        )),
        C::AccessGroupUsers(a) => Settings::Members(members(a.group, access::MemberKind::User)),
        C::AccessGroupServiceIds(a) => {
            Settings::Members(members(a.group, access::MemberKind::ServiceId))
        }
        C::AccessGroupTrustedProfiles(a) => {
            Settings::Members(members(a.group, access::MemberKind::Profile))
        }
        C::AccessGroupUserPurge(a) => Settings::MemberPurge(access::MemberPurge {
            kind: access::MemberKind::User,
            member: a.user,
            force: a.force.force,
        }),
        C::AccessGroupServiceIdPurge(a) => Settings::MemberPurge(access::MemberPurge {
            kind: access::MemberKind::ServiceId,
            member: a.service_id,
            force: a.force.force,
        }),
        C::AccessGroupTrustedProfilePurge(a) => Settings::MemberPurge(access::MemberPurge {
            kind: access::MemberKind::Profile,
            member: a.profile,
            force: a.force.force,
        }),
        C::AuthorizationPolicyCreate(a) => {
            Settings::AuthorizationCreate(access::authorization_create(a)?)
        }
        C::AuthorizationPolicyDelete(a) => {
            Settings::AuthorizationDelete(access::AuthorizationRef {
                id: a.policy_id,
                force: a.force.force,
                version: access::ApiVersion::V1,
            })
        }
        C::AuthorizationPolicy(a) => Settings::Authorization(access::AuthorizationRef {
            id: a.policy_id,
            force: false,
            version: access::version(&a.api),
        }),
        C::AuthorizationPolicies(a) => Settings::Authorizations(access::version(&a.api)),
        C::TrustedProfileAssume(a) => Settings::ProfileAssume(session::assume(a)?),
        C::TrustedProfileLeave(_) => Settings::ProfileLeave,
    })
}

fn change(target: String, force: bool) -> Change {
    Change { target, force }
}

// ---- access -------------------------------------------------------------------------------

fn policy_ref(
    subject: impl access::SubjectArg,
    id: String,
    force: bool,
    api: &crate::cli::PolicyApiArgs,
) -> access::PolicyRef {
    access::PolicyRef {
        subject: subject.subject(),
        id,
        force,
        version: access::version(api),
    }
}

fn policies(subject: impl access::SubjectArg, api: &crate::cli::PolicyApiArgs) -> access::Policies {
    access::Policies {
        subject: subject.subject(),
        version: access::version(api),
    }
}

fn member_remove(
    group: crate::cli::GroupSubject,
    kind: access::MemberKind,
    member: String,
) -> access::MemberRemove {
    access::MemberRemove {
        group: group.group,
        kind,
        member,
    }
}

fn members(group: crate::cli::GroupSubject, kind: access::MemberKind) -> access::Members {
    access::Members {
        group: group.group,
        kind,
    }
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
