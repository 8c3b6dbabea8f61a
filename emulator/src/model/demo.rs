//! The built-in demo world (what the emulator serves without `--seed`) and its fixed ids and
//! secrets, which scripts and users' CI rely on.

use std::collections::BTreeMap;

use crate::model::seed::{
    Seed, SeedAccessGroup, SeedAccount, SeedApiKey, SeedLinkTarget, SeedPolicy, SeedProfile,
    SeedProfileIdentity, SeedProfileLink, SeedResourceGroup, SeedServiceId, SeedUser,
};

impl Seed {
    /// The built-in world: three accounts (one linked to IMS), a password user in two of them
    /// with an API key, a federated user in two, a single-account user, a service ID with a
    /// key, `Default` plus more resource groups everywhere, a trusted profile, and in the Demo
    /// Account an `Administrators` access group and three policies. Everything is fixed so
    /// users' CI can rely on it.
    pub fn demo() -> Seed {
        let s = |v: &str| v.to_owned();
        Seed {
            accounts: vec![
                SeedAccount {
                    id: s(DEMO_ACCOUNT),
                    name: s("Demo Account"),
                    ims_account: Some(s("1234567")),
                    owner: Some(s(DEMO_USER)),
                },
                SeedAccount {
                    id: s(STAGING_ACCOUNT),
                    name: s("Staging Account"),
                    ims_account: None,
                    owner: Some(s(DEMO_USER)),
                },
                SeedAccount {
                    id: s(PARTNER_ACCOUNT),
                    name: s("Partner Account"),
                    ims_account: None,
                    owner: Some(s(OTHER_USER)),
                },
            ],
            users: vec![
                SeedUser {
                    username: s(DEMO_USER),
                    email: None,
                    iam_id: Some(s(DEMO_USER_IAM_ID)),
                    given_name: Some(s("Demo")),
                    family_name: Some(s("User")),
                    password: Some(s(DEMO_PASSWORD)),
                    federated: false,
                    accounts: vec![s(DEMO_ACCOUNT), s(STAGING_ACCOUNT)],
                    ims_user_id: Some(7_100_001),
                },
                SeedUser {
                    username: s(SSO_USER),
                    email: None,
                    iam_id: Some(s("IBMid-6650002SSO")),
                    given_name: Some(s("Sam")),
                    family_name: Some(s("Federated")),
                    password: Some(s(SSO_PASSWORD)),
                    federated: true,
                    accounts: vec![s(DEMO_ACCOUNT), s(PARTNER_ACCOUNT)],
                    ims_user_id: Some(7_100_002),
                },
                SeedUser {
                    username: s(OTHER_USER),
                    email: None,
                    iam_id: Some(s("IBMid-6650003OTH")),
                    given_name: Some(s("Olive")),
                    family_name: Some(s("Other")),
                    password: Some(s(OTHER_PASSWORD)),
                    federated: false,
                    accounts: vec![s(PARTNER_ACCOUNT)],
                    ims_user_id: Some(7_100_003),
                },
            ],
            service_ids: vec![SeedServiceId {
                id: Some(s(DEMO_SERVICE_ID)),
                account_id: s(DEMO_ACCOUNT),
                name: s("demo-service"),
                description: Some(s("Service ID of the demo world")),
                locked: false,
                unique_instance_crns: vec![],
            }],
            api_keys: vec![
                SeedApiKey {
                    id: Some(s("ApiKey-0d3f6a52-1c9b-4e7d-8a1f-2b4c6d8e0f11")),
                    name: s("demo-key"),
                    description: Some(s("API key of the demo user")),
                    owner: s(DEMO_USER),
                    account_id: Some(s(DEMO_ACCOUNT)),
                    apikey: s(DEMO_APIKEY),
                    locked: false,
                    disabled: false,
                    store_value: false,
                },
                SeedApiKey {
                    id: Some(s("ApiKey-7a2e9c14-5b3d-4f60-9e8a-1c2d3e4f5a62")),
                    name: s("demo-service-key"),
                    description: Some(s("API key of the demo service ID")),
                    owner: s("demo-service"),
                    account_id: None,
                    apikey: s(DEMO_SERVICE_APIKEY),
                    locked: false,
                    disabled: false,
                    store_value: false,
                },
                SeedApiKey {
                    id: Some(s("ApiKey-3b8d1f07-6e2a-4c95-b7d4-0a9e8f7c6b53")),
                    name: s("other-key"),
                    description: Some(s("API key of the partner account's user")),
                    owner: s(OTHER_USER),
                    account_id: Some(s(PARTNER_ACCOUNT)),
                    apikey: s(OTHER_APIKEY),
                    locked: false,
                    disabled: false,
                    store_value: false,
                },
            ],
            resource_groups: vec![
                rg(
                    "8a6d1b2c3e4f40a1b2c3d4e5f6a7b8c9",
                    DEMO_ACCOUNT,
                    "Default",
                    true,
                ),
                rg(
                    "9b7e2c3d4f5a41b2c3d4e5f6a7b8c9d0",
                    DEMO_ACCOUNT,
                    "dev",
                    false,
                ),
                rg(
                    "ac8f3d4e5a6b42c3d4e5f6a7b8c9d0e1",
                    DEMO_ACCOUNT,
                    "prod",
                    false,
                ),
                rg(
                    "bd9a4e5f6b7c43d4e5f6a7b8c9d0e1f2",
                    STAGING_ACCOUNT,
                    "Default",
                    true,
                ),
                rg(
                    "ceab5f6a7c8d44e5f6a7b8c9d0e1f2a3",
                    STAGING_ACCOUNT,
                    "dev",
                    false,
                ),
                rg(
                    "dfbc6a7b8d9e45f6a7b8c9d0e1f2a3b4",
                    PARTNER_ACCOUNT,
                    "Default",
                    true,
                ),
                rg(
                    "e0cd7b8c9eaf46a7b8c9d0e1f2a3b4c5",
                    PARTNER_ACCOUNT,
                    "shared",
                    false,
                ),
            ],
            profiles: vec![SeedProfile {
                id: Some(s(DEMO_PROFILE_ID)),
                account_id: s(DEMO_ACCOUNT),
                name: s(DEMO_PROFILE_NAME),
                description: Some(s("Trusted profile of the demo world's workloads")),
                email: None,
                links: vec![
                    SeedProfileLink {
                        id: Some(s("ProfileLink-2a9c4e61-7b3d-4f18-a5c2-6d8e0f1a3b54")),
                        name: Some(s("demo-cluster-sa")),
                        cr_type: s("IKS_SA"),
                        link: SeedLinkTarget {
                            crn: s(DEMO_IKS_CLUSTER_CRN),
                            namespace: Some(s(DEMO_IKS_NAMESPACE)),
                            name: Some(s(DEMO_IKS_SERVICE_ACCOUNT)),
                            component_type: None,
                            component_name: None,
                        },
                        is_cross_account: false,
                    },
                    SeedProfileLink {
                        id: Some(s("ProfileLink-6f1e3d5c-8a7b-4c29-b0d1-e2f3a4b5c697")),
                        name: Some(s("demo-vsi")),
                        cr_type: s("VSI"),
                        link: SeedLinkTarget {
                            crn: s(DEMO_VPC_INSTANCE_CRN),
                            namespace: None,
                            name: None,
                            component_type: None,
                            component_name: None,
                        },
                        is_cross_account: false,
                    },
                ],
                identities: vec![
                    SeedProfileIdentity {
                        kind: s("serviceid"),
                        identifier: s(DEMO_SERVICE_ID),
                        accounts: vec![],
                        description: Some(s("The demo service ID may assume the profile")),
                    },
                    SeedProfileIdentity {
                        kind: s("user"),
                        identifier: s(DEMO_USER_IAM_ID),
                        accounts: vec![s(DEMO_ACCOUNT)],
                        description: Some(s(
                            "The demo user may assume the profile from the Demo Account",
                        )),
                    },
                ],
            }],
            vpc_instance_crn: Some(s(DEMO_VPC_INSTANCE_CRN)),
            // Users only (by IAM ID): iamctl's tests drop the demo world's service IDs.
            access_groups: vec![SeedAccessGroup {
                id: Some(s(DEMO_ADMINS_GROUP_ID)),
                account_id: s(DEMO_ACCOUNT),
                name: s("Administrators"),
                description: Some(s("Administrators of the Demo Account")),
                members: vec![s(DEMO_USER_IAM_ID)],
            }],
            custom_roles: vec![],
            policies: vec![
                SeedPolicy {
                    id: Some(s(DEMO_ADMINS_POLICY_ID)),
                    account_id: s(DEMO_ACCOUNT),
                    kind: s("access"),
                    description: Some(s("Administrators manage all account management services")),
                    subject: attrs(&[("access_group_id", DEMO_ADMINS_GROUP_ID)]),
                    roles: vec![s("Administrator")],
                    resource: attrs(&[("serviceType", "platform_service")]),
                },
                SeedPolicy {
                    id: Some(s(DEMO_VIEWER_POLICY_ID)),
                    account_id: s(DEMO_ACCOUNT),
                    kind: s("access"),
                    description: Some(s("The federated user views the account's IAM identities")),
                    subject: attrs(&[("iam_id", "IBMid-6650002SSO")]),
                    roles: vec![s("Viewer")],
                    resource: attrs(&[("serviceName", "iam-identity")]),
                },
                SeedPolicy {
                    id: Some(s(DEMO_AUTHORIZATION_POLICY_ID)),
                    account_id: s(DEMO_ACCOUNT),
                    kind: s("authorization"),
                    description: Some(s("Cloud Object Storage reads Key Protect keys")),
                    subject: attrs(&[("serviceName", "cloud-object-storage")]),
                    roles: vec![s("Reader")],
                    resource: attrs(&[("serviceName", "kms")]),
                },
            ],
            enforce_access: false,
        }
    }
}

fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn rg(id: &str, account: &str, name: &str, default: bool) -> SeedResourceGroup {
    SeedResourceGroup {
        id: Some(id.to_owned()),
        account_id: account.to_owned(),
        name: name.to_owned(),
        default,
    }
}

pub const DEMO_ACCOUNT: &str = "b028e1c4a7d94f3e8c6f2a1d5e7b9793";
pub const STAGING_ACCOUNT: &str = "e4432bd6f0a84c21a9e7d3c5b1f08e89";
pub const PARTNER_ACCOUNT: &str = "2bb2c3d4e5f64a7b8c9d0e1f2a3bb222";
pub const DEMO_USER: &str = "demo@example.com";
pub const DEMO_PASSWORD: &str = "demo-password";
pub const SSO_USER: &str = "sso@example.com";
pub const SSO_PASSWORD: &str = "sso-password";
pub const OTHER_USER: &str = "other@example.com";
pub const OTHER_PASSWORD: &str = "other-password";
/// 44 characters like IBM's keys; fixed so scripts and CI can hard-code it.
pub const DEMO_APIKEY: &str = "DemoUserApiKey-iamctl-emulator-0000000000001";
pub const DEMO_SERVICE_APIKEY: &str = "DemoServiceApiKey-iamctl-emulator-0000000002";
pub const OTHER_APIKEY: &str = "OtherUserApiKey-iamctl-emulator-000000000003";
pub const DEMO_USER_IAM_ID: &str = "IBMid-6650001DMO";
/// The demo service ID (`demo-service`, Demo Account).
pub const DEMO_SERVICE_ID: &str = "ServiceId-5e0b3c0a-7d1e-4d5f-9a62-3f0c8e1b2a41";
/// The demo world's trusted profile (Demo Account): linked to the IKS service account below
/// and to the virtual server, and assumable by the demo service ID and the demo user.
pub const DEMO_PROFILE_ID: &str = "Profile-9b1c2d3e-4f50-4a61-8b72-c3d4e5f60718";
pub const DEMO_PROFILE_NAME: &str = "demo-workload";
/// The IKS cluster of the demo profile's IKS_SA link, and that link's namespace and account.
pub const DEMO_IKS_CLUSTER_CRN: &str = "crn:v1:bluemix:public:containers-kubernetes:us-south:a/b028e1c4a7d94f3e8c6f2a1d5e7b9793:cdemo0iks0cluster0001::";
pub const DEMO_IKS_NAMESPACE: &str = "default";
pub const DEMO_IKS_SERVICE_ACCOUNT: &str = "demo-sa";
/// The demo world's access group `Administrators` (Demo Account): the demo user, with
/// Administrator on all account management services.
pub const DEMO_ADMINS_GROUP_ID: &str = "AccessGroupId-3c1d5e7f-9a2b-4c6d-8e0f-1a2b3c4d5e6f";
/// Its policy.
pub const DEMO_ADMINS_POLICY_ID: &str = "7d4a1f2e-3b5c-4e6d-9f80-a1b2c3d4e5f6";
/// The federated user's Viewer policy on IAM Identity (Demo Account).
pub const DEMO_VIEWER_POLICY_ID: &str = "8e5b2a3f-4c6d-4f7e-a091-b2c3d4e5f607";
/// Cloud Object Storage's authorization to read Key Protect (Demo Account).
pub const DEMO_AUTHORIZATION_POLICY_ID: &str = "9f6c3b4a-5d7e-4a8f-b1a2-c3d4e5f60718";
/// The virtual server the VPC metadata service plays in the demo world (Demo Account).
pub const DEMO_VPC_INSTANCE_CRN: &str = "crn:v1:bluemix:public:is:us-south-1:a/b028e1c4a7d94f3e8c6f2a1d5e7b9793::instance:0717_5d2f8c1a-3b4e-4f6a-9c8d-7e6f5a4b3c21";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_keys_look_like_ibm_keys() {
        assert_eq!(DEMO_APIKEY.len(), 44);
        assert_eq!(DEMO_SERVICE_APIKEY.len(), 44);
        assert_eq!(OTHER_APIKEY.len(), 44);
    }

    #[test]
    fn demo_crns_are_in_the_demo_account() {
        for crn in [DEMO_IKS_CLUSTER_CRN, DEMO_VPC_INSTANCE_CRN] {
            assert_eq!(
                crate::model::trust::crn_account(crn),
                Some(DEMO_ACCOUNT),
                "{crn}"
            );
        }
    }
}
