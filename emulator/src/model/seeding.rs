//! Building the world a seed describes: every reference checked, ids not given derived from
//! names (so the same seed always gives the same ids), and everything created at the seed
//! epoch. Access groups, custom roles and policies come last, since they name the rest.

use crate::model::access::{
    self, AccessGroup, Attr, CustomRole, Member, MemberKind, Origin, PolicyKind, PolicyProblem,
    PolicyState,
};
use crate::model::catalog;
use crate::model::seed::{
    Seed, SeedAccessGroup, SeedAccount, SeedApiKey, SeedCustomRole, SeedPolicy, SeedProblem,
    SeedProfile, SeedResourceGroup, SeedUser,
};
use crate::model::trust::{self, LinkTarget, ProfileIdentity, ProfileLink};
use crate::model::world::{
    Account, ApiKey, History, ResourceGroup, ServiceId, TrustedProfile, User, World,
    default_vpc_instance_crn, stable_uuid,
};

/// Fixed creation time of everything in a seed (2024-01-15T10:00:00Z), so seeded worlds are
/// byte-for-byte reproducible and users' CI can assert on them.
pub const SEED_EPOCH: i64 = 1_705_312_800;

impl World {
    pub fn from_seed(seed: &Seed) -> Result<World, SeedProblem> {
        use SeedProblem::*;
        let mut w = World::default();
        for a in &seed.accounts {
            w.seed_account(a, SEED_EPOCH)?;
        }
        for u in &seed.users {
            w.seed_user(u)?;
        }
        // Named owners win over the first member, which `seed_user` made the owner.
        for a in &seed.accounts {
            if let Some(login) = &a.owner {
                w.set_owner(&a.id, login)?;
            }
        }
        for s in &seed.service_ids {
            if w.account(&s.account_id).is_none() {
                return Err(InUnknownAccount {
                    kind: "service ID",
                    name: s.name.clone(),
                    account: s.account_id.clone(),
                });
            }
            let id = s.id.clone().unwrap_or_else(|| {
                format!(
                    "ServiceId-{}",
                    stable_uuid(&["serviceid", &s.account_id, &s.name])
                )
            });
            if w.service_ids.contains_key(&id) {
                return Err(Twice {
                    kind: "service ID",
                    id,
                });
            }
            let seq = w.take_seq();
            let iam_id = format!("iam-{id}");
            let by = w.creator_in(&s.account_id, &iam_id);
            w.service_ids.insert(
                id.clone(),
                ServiceId {
                    history: vec![History::created(
                        SEED_EPOCH,
                        &by,
                        &s.account_id,
                        "Service ID created",
                    )],
                    iam_id,
                    id,
                    account_id: s.account_id.clone(),
                    name: s.name.clone(),
                    description: s.description.clone(),
                    unique_instance_crns: s.unique_instance_crns.clone(),
                    locked: s.locked,
                    created_at: SEED_EPOCH,
                    modified_at: SEED_EPOCH,
                    version: 1,
                    seq,
                },
            );
        }
        for k in &seed.api_keys {
            w.seed_api_key(k, SEED_EPOCH)?;
        }
        for g in &seed.resource_groups {
            w.seed_resource_group(g, SEED_EPOCH)?;
        }
        w.add_default_groups(SEED_EPOCH);
        for p in &seed.profiles {
            w.seed_profile(p)?;
        }
        for g in &seed.access_groups {
            w.seed_group(g)?;
        }
        for r in &seed.custom_roles {
            w.seed_custom_role(r)?;
        }
        for p in &seed.policies {
            w.seed_policy(p)?;
        }
        w.enforce_access = seed.enforce_access;
        if let Some(crn) = &seed.vpc_instance_crn {
            if trust::crn_account(crn).is_none() {
                return Err(VpcInstanceCrn(crn.clone()));
            }
            w.vpc_instance_crn = crn.clone();
        } else if let Some(a) = w.accounts.first() {
            w.vpc_instance_crn = default_vpc_instance_crn(&a.id);
        }
        Ok(w)
    }

    /// An account as a seed (or the admin API) lists it, created at `at`. Its owner is the
    /// first user added to it, unless `set_owner` names another.
    pub fn seed_account(&mut self, a: &SeedAccount, at: i64) -> Result<(), SeedProblem> {
        use SeedProblem::*;
        if a.id.trim().is_empty() {
            return Err(Empty {
                kind: "account",
                field: "id",
            });
        }
        if self.account(&a.id).is_some() {
            return Err(Twice {
                kind: "account",
                id: a.id.clone(),
            });
        }
        self.accounts.push(Account {
            id: a.id.clone(),
            name: a.name.clone(),
            ims: a.ims_account.clone().filter(|s| !s.is_empty()),
            owner_iam_id: String::new(),
            owner_email: String::new(),
            created_at: at,
        });
        Ok(())
    }

    /// Makes the user `login` (username, email or IAM ID) the owner of `account_id`.
    pub fn set_owner(&mut self, account_id: &str, login: &str) -> Result<(), SeedProblem> {
        let owner = self
            .user_by_login(login)
            .map(|u| (u.iam_id.clone(), u.email.clone()))
            .ok_or_else(|| SeedProblem::UnknownAccountOwner {
                account: account_id.to_owned(),
                owner: login.to_owned(),
            })?;
        if let Some(a) = self.accounts.iter_mut().find(|a| a.id == account_id) {
            (a.owner_iam_id, a.owner_email) = owner;
        }
        Ok(())
    }

    /// A user as a seed (or the admin API) lists it; returns its IAM ID. It becomes the owner
    /// of those of its accounts that have none yet.
    pub fn seed_user(&mut self, u: &SeedUser) -> Result<String, SeedProblem> {
        use SeedProblem::*;
        if u.username.trim().is_empty() {
            return Err(Empty {
                kind: "user",
                field: "username",
            });
        }
        if self.user_by_login(&u.username).is_some() {
            return Err(Twice {
                kind: "user",
                id: u.username.clone(),
            });
        }
        for acc in &u.accounts {
            if self.account(acc).is_none() {
                return Err(UserInUnknownAccount {
                    user: u.username.clone(),
                    account: acc.clone(),
                });
            }
        }
        if u.accounts.is_empty() {
            return Err(UserWithoutAccount(u.username.clone()));
        }
        let iam_id = u.iam_id.clone().unwrap_or_else(|| {
            let hex = stable_uuid(&["user", &u.username]).simple().to_string();
            format!("IBMid-{}", hex[..10].to_uppercase())
        });
        if self.user(&iam_id).is_some() {
            return Err(Twice {
                kind: "user",
                id: iam_id,
            });
        }
        let email = u.email.clone().unwrap_or_else(|| u.username.clone());
        let ims_user_id = u
            .ims_user_id
            .unwrap_or(7_000_000 + self.users.len() as u64 + 1);
        for a in self
            .accounts
            .iter_mut()
            .filter(|a| a.owner_iam_id.is_empty() && u.accounts.contains(&a.id))
        {
            a.owner_iam_id = iam_id.clone();
            a.owner_email = email.clone();
        }
        self.users.push(User {
            iam_id: iam_id.clone(),
            username: u.username.clone(),
            email,
            given_name: u.given_name.clone().unwrap_or_default(),
            family_name: u.family_name.clone().unwrap_or_default(),
            password: u.password.clone(),
            federated: u.federated,
            accounts: u.accounts.clone(),
            ims_user_id,
        });
        Ok(iam_id)
    }

    /// An API key as a seed (or the admin API) lists it, created at `at`; returns its id.
    pub fn seed_api_key(&mut self, k: &SeedApiKey, at: i64) -> Result<String, SeedProblem> {
        use SeedProblem::*;
        if k.apikey.is_empty() {
            return Err(EmptyApiKey(k.name.clone()));
        }
        if self.value_taken(&k.apikey) {
            return Err(RepeatedApiKey(k.name.clone()));
        }
        let (owner_iam_id, home) = if let Some(u) = self.user_by_login(&k.owner) {
            (
                u.iam_id.clone(),
                u.accounts.first().cloned().unwrap_or_default(),
            )
        } else if let Some(s) = self.service_id_by_ref(&k.owner) {
            (s.iam_id.clone(), s.account_id.clone())
        } else {
            return Err(UnknownApiKeyOwner {
                key: k.name.clone(),
                owner: k.owner.clone(),
            });
        };
        let account_id = k.account_id.clone().unwrap_or(home);
        let allowed = self
            .principal(&owner_iam_id)
            .is_some_and(|p| p.belongs_to(&account_id));
        if !allowed {
            return Err(ApiKeyOutsideAccount {
                key: k.name.clone(),
                owner: k.owner.clone(),
                account: account_id,
            });
        }
        let id = k.id.clone().unwrap_or_else(|| {
            format!(
                "ApiKey-{}",
                stable_uuid(&["apikey", &owner_iam_id, &account_id, &k.name])
            )
        });
        if self.api_keys.contains_key(&id) {
            return Err(Twice {
                kind: "API key",
                id,
            });
        }
        let seq = self.take_seq();
        let created_by = owner_iam_id.clone();
        let history = vec![History::created(
            at,
            &created_by,
            &account_id,
            "API key created",
        )];
        self.insert_api_key(ApiKey {
            id: id.clone(),
            account_id,
            iam_id: owner_iam_id,
            name: k.name.clone(),
            description: k.description.clone(),
            value: k.apikey.clone(),
            store_value: k.store_value,
            locked: k.locked,
            disabled: k.disabled,
            support_sessions: false,
            action_when_leaked: "none".into(),
            expires_at: None,
            created_at: at,
            modified_at: at,
            created_by,
            version: 1,
            seq,
            history,
        });
        Ok(id)
    }

    /// A resource group as a seed (or the admin API) lists it, created at `at`; returns its
    /// id. An account has one default group.
    pub fn seed_resource_group(
        &mut self,
        g: &SeedResourceGroup,
        at: i64,
    ) -> Result<String, SeedProblem> {
        use SeedProblem::*;
        if self.account(&g.account_id).is_none() {
            return Err(InUnknownAccount {
                kind: "resource group",
                name: g.name.clone(),
                account: g.account_id.clone(),
            });
        }
        if g.name.trim().is_empty() {
            return Err(Empty {
                kind: "resource group",
                field: "name",
            });
        }
        let id = g.id.clone().unwrap_or_else(|| {
            stable_uuid(&["rg", &g.account_id, &g.name])
                .simple()
                .to_string()
        });
        if self.resource_groups.iter().any(|o| o.id == id) {
            return Err(Twice {
                kind: "resource group",
                id,
            });
        }
        let has_default = |w: &World| {
            w.resource_groups
                .iter()
                .any(|o| o.account_id == g.account_id && o.default)
        };
        if g.default && has_default(self) {
            return Err(DefaultGroupTwice {
                account: g.account_id.clone(),
            });
        }
        self.resource_groups.push(ResourceGroup {
            id: id.clone(),
            account_id: g.account_id.clone(),
            name: g.name.clone(),
            default: g.default,
            created_at: at,
        });
        Ok(id)
    }

    /// Every IBM account has a default resource group; seeds need not spell it out, and an
    /// account the admin API adds has one at once.
    pub fn add_default_groups(&mut self, at: i64) {
        let missing: Vec<String> = self
            .accounts
            .iter()
            .filter(|a| {
                !self
                    .resource_groups
                    .iter()
                    .any(|g| g.account_id == a.id && g.default)
            })
            .map(|a| a.id.clone())
            .collect();
        for account_id in missing {
            self.resource_groups.push(ResourceGroup {
                id: stable_uuid(&["rg", &account_id, "Default"])
                    .simple()
                    .to_string(),
                account_id,
                name: "Default".into(),
                default: true,
                created_at: at,
            });
        }
    }

    fn seed_profile(&mut self, p: &SeedProfile) -> Result<(), SeedProblem> {
        use SeedProblem::*;
        if self.account(&p.account_id).is_none() {
            return Err(InUnknownAccount {
                kind: "trusted profile",
                name: p.name.clone(),
                account: p.account_id.clone(),
            });
        }
        if p.name.trim().is_empty() {
            return Err(Empty {
                kind: "trusted profile",
                field: "name",
            });
        }
        if self.profile_by_name(&p.account_id, &p.name).is_some() {
            return Err(ProfileNameTwice {
                name: p.name.clone(),
                account: p.account_id.clone(),
            });
        }
        let id = p.id.clone().unwrap_or_else(|| {
            format!(
                "Profile-{}",
                stable_uuid(&["profile", &p.account_id, &p.name])
            )
        });
        if self.profiles.contains_key(&id) {
            return Err(Twice {
                kind: "trusted profile",
                id,
            });
        }
        let mut links: Vec<ProfileLink> = Vec::new();
        for (i, l) in p.links.iter().enumerate() {
            let target = LinkTarget {
                crn: l.link.crn.clone(),
                namespace: l.link.namespace.clone(),
                name: l.link.name.clone(),
                component_type: l.link.component_type.clone(),
                component_name: l.link.component_name.clone(),
            }
            .normalized();
            trust::check_link(&l.cr_type, &target, l.is_cross_account, &p.account_id).map_err(
                |error| Link {
                    profile: p.name.clone(),
                    error,
                },
            )?;
            let link = ProfileLink {
                id: l.id.clone().unwrap_or_else(|| {
                    format!(
                        "ProfileLink-{}",
                        stable_uuid(&["link", &id, &i.to_string()])
                    )
                }),
                name: l.name.clone().filter(|n| !n.is_empty()),
                cr_type: l.cr_type.clone(),
                target,
                is_cross_account: l.is_cross_account,
                created_at: SEED_EPOCH,
                modified_at: SEED_EPOCH,
                version: 1,
            };
            if links
                .iter()
                .any(|o| o.id == link.id || o.same_resource(&link))
            {
                return Err(LinkTwice {
                    profile: p.name.clone(),
                    link: link.id,
                });
            }
            links.push(link);
        }
        let mut identities: Vec<ProfileIdentity> = Vec::new();
        for i in &p.identities {
            let identity = self
                .trusted_identity(
                    &i.kind,
                    &i.identifier,
                    i.accounts.clone(),
                    i.description.clone(),
                    true,
                )
                .map_err(|error| Identity {
                    profile: p.name.clone(),
                    error,
                })?;
            if identities.iter().any(|o| o.iam_id == identity.iam_id) {
                return Err(IdentityTwice {
                    profile: p.name.clone(),
                    identity: i.identifier.clone(),
                });
            }
            identities.push(identity);
        }
        let seq = self.take_seq();
        let iam_id = format!("iam-{id}");
        let by = self.creator_in(&p.account_id, &iam_id);
        self.profiles.insert(
            id.clone(),
            TrustedProfile {
                history: vec![History::created(
                    SEED_EPOCH,
                    &by,
                    &p.account_id,
                    "Trusted profile created",
                )],
                iam_id,
                id,
                account_id: p.account_id.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
                email: p.email.clone(),
                created_at: SEED_EPOCH,
                modified_at: SEED_EPOCH,
                version: 1,
                seq,
                links,
                identities,
                identities_version: 1,
            },
        );
        Ok(())
    }
}

impl World {
    /// An identity a seed names as a group member or policy subject: a user (IAM ID, username
    /// or email), a service ID (ID, IAM ID or name) or a trusted profile (ID, IAM ID or name)
    /// of the account. A user's IAM ID the seed does not define is taken as it is, as IBM
    /// takes IBMids it cannot see (and iamctl's tests drop some of the demo world).
    fn identity_ref(&self, account_id: &str, r: &str) -> Option<(String, MemberKind)> {
        if let Some(u) = self.user_by_login(r) {
            return u
                .accounts
                .iter()
                .any(|a| a == account_id)
                .then(|| (u.iam_id.clone(), MemberKind::User));
        }
        if let Some(s) = self
            .service_id_by_ref(r)
            .filter(|s| s.account_id == account_id)
        {
            return Some((s.iam_id.clone(), MemberKind::Service));
        }
        let id = r.strip_prefix("iam-").unwrap_or(r);
        if let Some(p) = self
            .profiles
            .get(id)
            .or_else(|| self.profile_by_name(account_id, r))
            .filter(|p| p.account_id == account_id)
        {
            return Some((p.iam_id.clone(), MemberKind::Profile));
        }
        r.starts_with("IBMid-")
            .then(|| (r.to_owned(), MemberKind::User))
    }

    fn seed_group(&mut self, g: &SeedAccessGroup) -> Result<(), SeedProblem> {
        use SeedProblem::*;
        if self.account(&g.account_id).is_none() {
            return Err(InUnknownAccount {
                kind: "access group",
                name: g.name.clone(),
                account: g.account_id.clone(),
            });
        }
        if g.name.trim().is_empty() {
            return Err(Empty {
                kind: "access group",
                field: "name",
            });
        }
        let taken = g.name.eq_ignore_ascii_case(access::PUBLIC_ACCESS_NAME)
            || self
                .access_groups
                .values()
                .any(|o| o.account_id == g.account_id && o.name.eq_ignore_ascii_case(&g.name));
        if taken {
            return Err(GroupNameTwice {
                name: g.name.clone(),
                account: g.account_id.clone(),
            });
        }
        let id = g.id.clone().unwrap_or_else(|| {
            format!(
                "AccessGroupId-{}",
                stable_uuid(&["access-group", &g.account_id, &g.name])
            )
        });
        if self.access_groups.contains_key(&id) || id == access::PUBLIC_ACCESS_GROUP {
            return Err(Twice {
                kind: "access group",
                id,
            });
        }
        let owner = self
            .account(&g.account_id)
            .map(|a| a.owner_iam_id.clone())
            .unwrap_or_default();
        let mut members: Vec<Member> = Vec::new();
        for m in &g.members {
            let (iam_id, kind) =
                self.identity_ref(&g.account_id, m)
                    .ok_or_else(|| UnknownMember {
                        group: g.name.clone(),
                        member: m.clone(),
                    })?;
            if !members.iter().any(|o| o.iam_id == iam_id) {
                members.push(Member {
                    iam_id,
                    kind,
                    created_at: SEED_EPOCH,
                    created_by_id: owner.clone(),
                });
            }
        }
        let seq = self.take_seq();
        self.access_groups.insert(
            id.clone(),
            AccessGroup {
                id,
                account_id: g.account_id.clone(),
                name: g.name.clone(),
                description: g.description.clone().unwrap_or_default(),
                members,
                created_at: SEED_EPOCH,
                created_by_id: owner.clone(),
                last_modified_at: SEED_EPOCH,
                last_modified_by_id: owner,
                version: 1,
                seq,
            },
        );
        Ok(())
    }

    fn seed_custom_role(&mut self, r: &SeedCustomRole) -> Result<(), SeedProblem> {
        use SeedProblem::*;
        if self.account(&r.account_id).is_none() {
            return Err(InUnknownAccount {
                kind: "custom role",
                name: r.name.clone(),
                account: r.account_id.clone(),
            });
        }
        access::check_custom_role(&r.name, &r.service_name, &r.actions).map_err(|problem| {
            CustomRole {
                role: r.name.clone(),
                problem,
            }
        })?;
        if self
            .custom_roles
            .values()
            .any(|o| o.account_id == r.account_id && o.name == r.name)
        {
            return Err(CustomRoleNameTwice {
                name: r.name.clone(),
                account: r.account_id.clone(),
            });
        }
        let id = r
            .id
            .clone()
            .unwrap_or_else(|| stable_uuid(&["custom-role", &r.account_id, &r.name]).to_string());
        if self.custom_roles.contains_key(&id) {
            return Err(Twice {
                kind: "custom role",
                id,
            });
        }
        let owner = self
            .account(&r.account_id)
            .map(|a| a.owner_iam_id.clone())
            .unwrap_or_default();
        let seq = self.take_seq();
        self.custom_roles.insert(
            id.clone(),
            access::CustomRole {
                id,
                account_id: r.account_id.clone(),
                name: r.name.clone(),
                display_name: r.display_name.clone(),
                description: r.description.clone(),
                service_name: r.service_name.clone(),
                actions: r.actions.clone(),
                created_at: SEED_EPOCH,
                created_by_id: owner.clone(),
                last_modified_at: SEED_EPOCH,
                last_modified_by_id: owner,
                version: 1,
                seq,
            },
        );
        Ok(())
    }

    /// A role a seed names on the policy's resource: its CRN, or its name or display name
    /// among the roles the resource's service (or service group, or type) offers, custom
    /// roles of the account included.
    fn role_ref(
        &self,
        account_id: &str,
        kind: PolicyKind,
        resource: &[Attr],
        r: &str,
    ) -> Option<String> {
        if r.starts_with("crn:") {
            return Some(r.to_owned());
        }
        let named = |crn: &str, display: &str| {
            display.eq_ignore_ascii_case(r) || catalog::role_name(crn).eq_ignore_ascii_case(r)
        };
        let service = access::attr(resource, "serviceName").and_then(catalog::service);
        let mut candidates: Vec<&catalog::RoleDef> = Vec::new();
        match (kind, service) {
            (PolicyKind::Authorization, Some(s)) => candidates.extend(s.service_roles),
            (PolicyKind::Authorization, None) => {}
            (PolicyKind::Access, Some(s)) => {
                candidates.extend(s.platform_roles);
                candidates.extend(s.service_roles);
            }
            (PolicyKind::Access, None) => {
                candidates.extend(&catalog::SYSTEM_ROLES);
                candidates.extend(&catalog::GENERIC_SERVICE_ROLES);
                if access::attr(resource, "service_group_id").is_some() {
                    candidates.extend(catalog::iam_group_service_roles());
                }
            }
        }
        if let Some(d) = candidates.iter().find(|d| named(d.crn, d.display_name)) {
            return Some(d.crn.to_owned());
        }
        self.custom_roles
            .values()
            .filter(|c: &&CustomRole| c.account_id == account_id)
            .filter(|c| service.is_none_or(|s| s.name == c.service_name))
            .find(|c| named(&c.crn(), &c.display_name))
            .map(CustomRole::crn)
    }

    fn seed_policy(&mut self, p: &SeedPolicy) -> Result<(), SeedProblem> {
        use SeedProblem::*;
        let label = p.id.clone().unwrap_or_else(|| {
            let roles = p.roles.join(",");
            format!("({} {roles})", p.kind)
        });
        let problem = |problem: PolicyProblem| Policy {
            policy: label.clone(),
            problem,
        };
        if self.account(&p.account_id).is_none() {
            return Err(InUnknownAccount {
                kind: "policy",
                name: label.clone(),
                account: p.account_id.clone(),
            });
        }
        let kind = PolicyKind::parse(&p.kind).ok_or_else(|| PolicyType {
            policy: label.clone(),
            kind: p.kind.clone(),
        })?;
        // accountId first, as IBM's own policies list it.
        let attrs = |given: &std::collections::BTreeMap<String, String>| {
            let mut out = vec![Attr::equals(
                "accountId",
                given.get("accountId").unwrap_or(&p.account_id),
            )];
            out.extend(
                given
                    .iter()
                    .filter(|(k, _)| k.as_str() != "accountId")
                    .map(|(k, v)| Attr::equals(k, v)),
            );
            out
        };
        let resource = attrs(&p.resource);
        let subject = match kind {
            PolicyKind::Authorization => attrs(&p.subject),
            PolicyKind::Access => {
                let mut pairs = p.subject.iter();
                let (key, value) = match (pairs.next(), pairs.next()) {
                    (Some(pair), None) => pair,
                    _ => return Err(problem(PolicyProblem::AccessSubject)),
                };
                let unknown = || UnknownSubject {
                    policy: label.clone(),
                    subject: value.clone(),
                };
                let resolved = match key.as_str() {
                    "iam_id" => {
                        self.identity_ref(&p.account_id, value)
                            .ok_or_else(unknown)?
                            .0
                    }
                    "access_group_id" => {
                        self.group_ref(&p.account_id, value).ok_or_else(unknown)?
                    }
                    other => {
                        return Err(problem(PolicyProblem::UnknownSubjectAttribute(
                            other.to_owned(),
                        )));
                    }
                };
                vec![Attr::equals(key, &resolved)]
            }
        };
        let roles = p
            .roles
            .iter()
            .map(|r| {
                self.role_ref(&p.account_id, kind, &resource, r)
                    .ok_or_else(|| UnknownRole {
                        policy: label.clone(),
                        role: r.clone(),
                    })
            })
            .collect::<Result<Vec<String>, SeedProblem>>()?;
        let id = p.id.clone().unwrap_or_else(|| {
            let spec = format!("{subject:?}{resource:?}{roles:?}");
            stable_uuid(&["policy", &p.account_id, &spec]).to_string()
        });
        if self.policies.contains_key(&id) {
            return Err(Twice { kind: "policy", id });
        }
        let owner = self
            .account(&p.account_id)
            .map(|a| a.owner_iam_id.clone())
            .unwrap_or_default();
        let seq = self.take_seq();
        let policy = access::Policy {
            id: id.clone(),
            account_id: p.account_id.clone(),
            kind,
            description: p.description.clone(),
            subject,
            resource,
            tags: vec![],
            roles,
            rule: None,
            pattern: None,
            state: PolicyState::Active,
            origin: Origin::V1,
            created_at: SEED_EPOCH,
            created_by_id: owner.clone(),
            last_modified_at: SEED_EPOCH,
            last_modified_by_id: owner,
            version: 1,
            seq,
        };
        self.check_policy(&policy).map_err(|problem| Policy {
            policy: label.clone(),
            problem,
        })?;
        self.policies.insert(id, policy);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::demo::{DEMO_ACCOUNT, DEMO_APIKEY, DEMO_SERVICE_APIKEY};
    use crate::model::world::Principal;

    #[test]
    fn demo_world_is_consistent() {
        let w = World::from_seed(&Seed::demo()).unwrap();
        assert_eq!(w.accounts.len(), 3);
        let key = w.api_key_by_value(DEMO_APIKEY).unwrap();
        assert_eq!(key.account_id, DEMO_ACCOUNT);
        let skey = w.api_key_by_value(DEMO_SERVICE_APIKEY).unwrap();
        assert!(matches!(
            w.principal(&skey.iam_id),
            Some(Principal::Service(_))
        ));
        for a in &w.accounts {
            let groups: Vec<_> = w
                .resource_groups
                .iter()
                .filter(|g| g.account_id == a.id)
                .collect();
            assert!(groups.len() >= 2);
            assert_eq!(groups.iter().filter(|g| g.default).count(), 1);
            assert!(!a.owner_iam_id.is_empty());
        }
    }

    #[test]
    fn seeds_without_ids_are_deterministic() {
        let text = r#"{"accounts":[{"id":"acc1","name":"One"}],
            "users":[{"username":"a@b.c","password":"pw","accounts":["acc1"]}],
            "service_ids":[{"account_id":"acc1","name":"svc"}],
            "api_keys":[{"name":"k","owner":"svc","apikey":"0123456789abcdef0123456789abcdef"}]}"#;
        let seed: Seed = serde_json::from_str(text).unwrap();
        let a = World::from_seed(&seed).unwrap();
        let b = World::from_seed(&seed).unwrap();
        assert_eq!(a.users[0].iam_id, b.users[0].iam_id);
        assert!(a.users[0].iam_id.starts_with("IBMid-"));
        assert_eq!(
            a.api_keys.keys().collect::<Vec<_>>(),
            b.api_keys.keys().collect::<Vec<_>>()
        );
        assert_eq!(a.resource_groups.len(), 1);
        assert!(a.resource_groups[0].default);
    }

    #[test]
    fn demo_world_has_a_workload_profile() {
        use crate::model::demo::{DEMO_PROFILE_ID, DEMO_SERVICE_ID, DEMO_VPC_INSTANCE_CRN};
        let w = World::from_seed(&Seed::demo()).unwrap();
        let p = w.profile(DEMO_PROFILE_ID).unwrap();
        assert_eq!(p.iam_id, format!("iam-{DEMO_PROFILE_ID}"));
        assert_eq!(p.links.len(), 2);
        assert_eq!(p.identities.len(), 2);
        assert_eq!(p.identities[0].iam_id, format!("iam-{DEMO_SERVICE_ID}"));
        assert_eq!(p.identities[1].accounts, [DEMO_ACCOUNT]);
        assert!(matches!(
            w.principal(&p.iam_id),
            Some(Principal::Profile(_))
        ));
        assert_eq!(w.vpc_instance_crn, DEMO_VPC_INSTANCE_CRN);
        assert_eq!(w.profile_by_crn(&p.crn()).unwrap().id, DEMO_PROFILE_ID);
        assert!(
            w.profile_by_crn(&p.crn().replace("::profile:", ":x:profile:"))
                .is_none()
        );
        assert_eq!(
            w.profile_by_name(DEMO_ACCOUNT, "demo-workload").unwrap().id,
            p.id
        );
    }

    #[test]
    fn the_demo_profile_survives_a_seed_without_service_ids() {
        // iamctl's tests start from the demo world without its service IDs and keys.
        let seed = Seed {
            service_ids: vec![],
            api_keys: vec![],
            ..Seed::demo()
        };
        let w = World::from_seed(&seed).unwrap();
        assert_eq!(w.profiles.len(), 1);
    }

    #[test]
    fn seeded_profiles_are_checked() {
        let base = r#"{"accounts":[{"id":"acc1","name":"One"}],
            "service_ids":[{"account_id":"acc1","name":"svc"}],
            "profiles":[PROFILES]}"#;
        let world = |profiles: &str| {
            let seed: Seed = serde_json::from_str(&base.replace("PROFILES", profiles)).unwrap();
            World::from_seed(&seed)
        };
        let ok = world(
            r#"{"account_id":"acc1","name":"p","links":[{"cr_type":"CE",
                "link":{"crn":"crn:v1:bluemix:public:codeengine:us-south:a/acc1:p1::"}}],
                "identities":[{"type":"serviceid","identifier":"svc"}]}"#,
        )
        .unwrap();
        let p = ok.profiles.values().next().unwrap();
        assert!(p.id.starts_with("Profile-") && p.links[0].id.starts_with("ProfileLink-"));
        assert!(p.identities[0].identifier.starts_with("ServiceId-"));
        let vpc = &ok.vpc_instance_crn;
        assert!(vpc.starts_with("crn:v1:bluemix:public:is:us-south-1:a/acc1::instance:0717_"));
        for (bad, why) in [
            (r#"{"account_id":"nope","name":"p"}"#, "unknown account"),
            (
                r#"{"account_id":"acc1","name":"p"},{"account_id":"acc1","name":"p"}"#,
                "listed twice",
            ),
            (
                r#"{"account_id":"acc1","name":"p","links":[{"cr_type":"IKS_SA",
                    "link":{"crn":"crn:v1:bluemix:public:containers-kubernetes:us-south:a/acc1:c::"}}]}"#,
                "namespace",
            ),
            (
                r#"{"account_id":"acc1","name":"p","links":[{"cr_type":"VSI",
                    "link":{"crn":"crn:v1:bluemix:public:is:us-south-1:a/other::instance:1"}}]}"#,
                "is_cross_account",
            ),
            (
                r#"{"account_id":"acc1","name":"p","identities":[{"type":"user","identifier":"who@example.com"}]}"#,
                "not found",
            ),
            (
                r#"{"account_id":"acc1","name":"p","identities":[{"type":"serviceid","identifier":"svc","accounts":["acc1"]}]}"#,
                "only valid",
            ),
        ] {
            let err = world(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{why}: {err}");
        }
    }

    #[test]
    fn seeds_with_dangling_references_are_refused() {
        let seed: Seed =
            serde_json::from_str(r#"{"users":[{"username":"a","accounts":["nope"]}]}"#).unwrap();
        assert!(
            World::from_seed(&seed)
                .unwrap_err()
                .to_string()
                .contains("unknown account")
        );
    }

    #[test]
    fn demo_world_has_its_access_data() {
        use crate::model::demo::{
            DEMO_ADMINS_GROUP_ID, DEMO_AUTHORIZATION_POLICY_ID, DEMO_USER_IAM_ID,
        };
        let w = World::from_seed(&Seed::demo()).unwrap();
        let g = w.access_group(DEMO_ADMINS_GROUP_ID).unwrap();
        assert_eq!(g.name, "Administrators");
        assert!(g.has_member(DEMO_USER_IAM_ID));
        assert_eq!(w.policies.len(), 3);
        let auth = &w.policies[DEMO_AUTHORIZATION_POLICY_ID];
        assert_eq!(auth.kind, PolicyKind::Authorization);
        assert_eq!(
            auth.roles,
            ["crn:v1:bluemix:public:iam::::serviceRole:Reader"]
        );
        assert_eq!(auth.subject_value("accountId"), Some(DEMO_ACCOUNT));
        assert!(!w.enforce_access);
    }

    #[test]
    fn seeded_access_data_names_resolve() {
        let text = r#"{"accounts":[{"id":"acc1","name":"One"}],
            "users":[{"username":"a@b.c","accounts":["acc1"]}],
            "service_ids":[{"account_id":"acc1","name":"svc"}],
            "access_groups":[{"account_id":"acc1","name":"ops","members":["a@b.c","svc","IBMid-ELSEWHERE"]}],
            "custom_roles":[{"account_id":"acc1","name":"KeyLister","display_name":"Key lister",
                "service_name":"kms","actions":["kms.secrets.list"]}],
            "policies":[
              {"account_id":"acc1","subject":{"access_group_id":"ops"},"roles":["Editor","Service ID creator"],
               "resource":{"service_group_id":"IAM"}},
              {"account_id":"acc1","subject":{"iam_id":"svc"},"roles":["Key lister","ReaderPlus"],
               "resource":{"serviceName":"kms"}}],
            "enforce_access":true}"#;
        let seed: Seed = serde_json::from_str(text).unwrap();
        let w = World::from_seed(&seed).unwrap();
        assert!(w.enforce_access);
        let g = w.access_groups.values().next().unwrap();
        assert_eq!(g.members.len(), 3);
        assert_eq!(g.members[1].kind, MemberKind::Service);
        let mut roles: Vec<&String> = w.policies.values().flat_map(|p| &p.roles).collect();
        roles.sort();
        assert_eq!(
            roles,
            [
                "crn:v1:bluemix:public:iam-identity::::serviceRole:ServiceIdCreator",
                "crn:v1:bluemix:public:iam::::role:Editor",
                "crn:v1:bluemix:public:iam::a/acc1::customRole:KeyLister",
                "crn:v1:bluemix:public:kms::::serviceRole:ReaderPlus",
            ]
        );
        let again = World::from_seed(&seed).unwrap();
        assert_eq!(
            w.policies.keys().collect::<Vec<_>>(),
            again.policies.keys().collect::<Vec<_>>(),
            "ids derive from the seed"
        );
    }

    #[test]
    fn seeded_access_data_is_checked() {
        let base = r#"{"accounts":[{"id":"acc1","name":"One"}],
            "users":[{"username":"a@b.c","accounts":["acc1"]}], MORE}"#;
        let ops = r#""access_groups":[{"account_id":"acc1","name":"ops"}]"#;
        for (bad, why) in [
            (
                r#""access_groups":[{"account_id":"acc1","name":"ops"},{"account_id":"acc1","name":"OPS"}]"#,
                "listed twice",
            ),
            (
                r#""access_groups":[{"account_id":"acc1","name":"Public Access"}]"#,
                "listed twice",
            ),
            (
                r#""access_groups":[{"account_id":"acc1","name":"ops","members":["who@b.c"]}]"#,
                "member who@b.c",
            ),
            (
                r#""custom_roles":[{"account_id":"acc1","name":"lower","display_name":"x","service_name":"kms","actions":["kms.secrets.list"]}]"#,
                "capital",
            ),
            (
                r#""custom_roles":[{"account_id":"acc1","name":"Mine","display_name":"x","service_name":"nope","actions":["nope.x"]}]"#,
                "service name",
            ),
            (
                r#""custom_roles":[{"account_id":"acc1","name":"Mine","display_name":"x","service_name":"kms","actions":["iam.policy.create"]}]"#,
                "not an action",
            ),
            (
                r#""policies":[{"account_id":"acc1","subject":{"iam_id":"who@b.c"},"roles":["Viewer"],"resource":{"serviceName":"kms"}}]"#,
                "subject who@b.c",
            ),
            (
                r#""policies":[{"account_id":"acc1","subject":{"access_group_id":"devs"},"roles":["Viewer"],"resource":{"serviceName":"kms"}}]"#,
                "subject devs",
            ),
            (
                r#""policies":[{"account_id":"acc1","subject":{"iam_id":"a@b.c"},"roles":["Lord"],"resource":{"serviceName":"kms"}}]"#,
                "role Lord",
            ),
            (
                r#""policies":[{"account_id":"acc1","subject":{"iam_id":"a@b.c"},"roles":["Operator"],"resource":{"serviceName":"iam-groups"}}]"#,
                "role Operator is not a role",
            ),
            (
                r#""policies":[{"account_id":"acc1","subject":{"iam_id":"a@b.c"},"roles":["crn:v1:bluemix:public:iam::::role:Viewer"],"resource":{"serviceName":"nope"}}]"#,
                "Invalid service name",
            ),
            (
                r#""policies":[{"account_id":"acc1","subject":{"iam_id":"a@b.c"},"roles":["Viewer"],"resource":{"region":"us-south"}}]"#,
                "serviceType",
            ),
            (
                r#""policies":[{"account_id":"acc1","type":"deny","subject":{"iam_id":"a@b.c"},"roles":["Viewer"],"resource":{"serviceName":"kms"}}]"#,
                "neither access",
            ),
            (
                r#""policies":[{"account_id":"acc1","type":"authorization","subject":{"serviceName":"cloud-object-storage"},"roles":["crn:v1:bluemix:public:iam::::role:Viewer"],"resource":{"serviceName":"kms"}}]"#,
                "Invalid role(s)",
            ),
            (
                r#""policies":[{"account_id":"nope","subject":{"iam_id":"a@b.c"},"roles":["Viewer"],"resource":{"serviceName":"kms"}}]"#,
                "unknown account",
            ),
        ] {
            let more = if bad.starts_with(r#""access_groups""#) {
                bad.to_owned()
            } else {
                format!("{ops}, {bad}")
            };
            let seed: Seed = serde_json::from_str(&base.replace("MORE", &more)).unwrap();
            let err = World::from_seed(&seed)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(why), "{why}: {err:?}");
        }
    }
}
