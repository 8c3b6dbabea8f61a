//! Building the world a seed describes: every reference checked, ids not given derived from
//! names (so the same seed always gives the same ids), and everything created at the seed
//! epoch.

use crate::model::seed::{Seed, SeedProblem, SeedProfile};
use crate::model::trust::{self, LinkTarget, ProfileIdentity, ProfileLink};
use crate::model::world::{
    Account, ApiKey, ResourceGroup, ServiceId, TrustedProfile, User, World,
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
            if a.id.trim().is_empty() {
                return Err(Empty {
                    kind: "account",
                    field: "id",
                });
            }
            if w.account(&a.id).is_some() {
                return Err(Twice {
                    kind: "account",
                    id: a.id.clone(),
                });
            }
            w.accounts.push(Account {
                id: a.id.clone(),
                name: a.name.clone(),
                ims: a.ims_account.clone().filter(|s| !s.is_empty()),
                owner_iam_id: String::new(),
                owner_email: String::new(),
                created_at: SEED_EPOCH,
            });
        }
        for (i, u) in seed.users.iter().enumerate() {
            if u.username.trim().is_empty() {
                return Err(Empty {
                    kind: "user",
                    field: "username",
                });
            }
            if w.user_by_login(&u.username).is_some() {
                return Err(Twice {
                    kind: "user",
                    id: u.username.clone(),
                });
            }
            for acc in &u.accounts {
                if w.account(acc).is_none() {
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
            w.users.push(User {
                iam_id,
                username: u.username.clone(),
                email: u.email.clone().unwrap_or_else(|| u.username.clone()),
                given_name: u.given_name.clone().unwrap_or_default(),
                family_name: u.family_name.clone().unwrap_or_default(),
                password: u.password.clone(),
                federated: u.federated,
                accounts: u.accounts.clone(),
                ims_user_id: u.ims_user_id.unwrap_or(7_000_000 + i as u64 + 1),
            });
        }
        for (i, a) in seed.accounts.iter().enumerate() {
            let owner = match &a.owner {
                Some(login) => w.user_by_login(login).ok_or_else(|| UnknownAccountOwner {
                    account: a.id.clone(),
                    owner: login.clone(),
                })?,
                None => match w.users.iter().find(|u| u.accounts.contains(&a.id)) {
                    Some(u) => u,
                    None => continue,
                },
            };
            let (iam_id, email) = (owner.iam_id.clone(), owner.email.clone());
            w.accounts[i].owner_iam_id = iam_id;
            w.accounts[i].owner_email = email;
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
            w.service_ids.insert(
                id.clone(),
                ServiceId {
                    iam_id: format!("iam-{id}"),
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
                    history: vec![],
                },
            );
        }
        for k in &seed.api_keys {
            if k.apikey.is_empty() {
                return Err(EmptyApiKey(k.name.clone()));
            }
            if w.value_taken(&k.apikey) {
                return Err(RepeatedApiKey(k.name.clone()));
            }
            let (owner_iam_id, home) = if let Some(u) = w.user_by_login(&k.owner) {
                (
                    u.iam_id.clone(),
                    u.accounts.first().cloned().unwrap_or_default(),
                )
            } else if let Some(s) = w.service_id_by_ref(&k.owner) {
                (s.iam_id.clone(), s.account_id.clone())
            } else {
                return Err(UnknownApiKeyOwner {
                    key: k.name.clone(),
                    owner: k.owner.clone(),
                });
            };
            let account_id = k.account_id.clone().unwrap_or(home);
            let allowed = w
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
            if w.api_keys.contains_key(&id) {
                return Err(Twice {
                    kind: "API key",
                    id,
                });
            }
            let seq = w.take_seq();
            let created_by = owner_iam_id.clone();
            w.insert_api_key(ApiKey {
                id,
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
                created_at: SEED_EPOCH,
                modified_at: SEED_EPOCH,
                created_by,
                version: 1,
                seq,
                history: vec![],
            });
        }
        for g in &seed.resource_groups {
            if w.account(&g.account_id).is_none() {
                return Err(InUnknownAccount {
                    kind: "resource group",
                    name: g.name.clone(),
                    account: g.account_id.clone(),
                });
            }
            let id = g.id.clone().unwrap_or_else(|| {
                stable_uuid(&["rg", &g.account_id, &g.name])
                    .simple()
                    .to_string()
            });
            w.resource_groups.push(ResourceGroup {
                id,
                account_id: g.account_id.clone(),
                name: g.name.clone(),
                default: g.default,
                created_at: SEED_EPOCH,
            });
        }
        // Every IBM account has a default resource group; seeds need not spell it out.
        let missing: Vec<String> = w
            .accounts
            .iter()
            .filter(|a| {
                !w.resource_groups
                    .iter()
                    .any(|g| g.account_id == a.id && g.default)
            })
            .map(|a| a.id.clone())
            .collect();
        for account_id in missing {
            w.resource_groups.push(ResourceGroup {
                id: stable_uuid(&["rg", &account_id, "Default"])
                    .simple()
                    .to_string(),
                account_id,
                name: "Default".into(),
                default: true,
                created_at: SEED_EPOCH,
            });
        }
        for p in &seed.profiles {
            w.seed_profile(p)?;
        }
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
        self.profiles.insert(
            id.clone(),
            TrustedProfile {
                iam_id: format!("iam-{id}"),
                id,
                account_id: p.account_id.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
                email: p.email.clone(),
                created_at: SEED_EPOCH,
                modified_at: SEED_EPOCH,
                version: 1,
                seq,
                history: vec![],
                links,
                identities,
                identities_version: 1,
            },
        );
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
}
