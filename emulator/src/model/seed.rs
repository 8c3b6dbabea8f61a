//! The seed file format (`--seed FILE`) and reading it. The built-in demo world (`demo.rs`) is
//! a seed too, so that both go through the same validation and id derivation (`seeding.rs`).

use std::path::Path;

use serde::{Deserialize, Serialize};

/// A world to start from. Every list may be omitted. Ids that are not given are derived from
/// names, so the same seed always produces the same ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub accounts: Vec<SeedAccount>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    #[serde(default)]
    pub service_ids: Vec<SeedServiceId>,
    #[serde(default)]
    pub api_keys: Vec<SeedApiKey>,
    #[serde(default)]
    pub resource_groups: Vec<SeedResourceGroup>,
    /// Trusted profiles with their compute-resource links and trusted identities.
    #[serde(default)]
    pub profiles: Vec<SeedProfile>,
    /// The CRN of the virtual server the VPC metadata service plays; default: an instance
    /// in the first account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_instance_crn: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedAccount {
    /// BSS account id (32 hex digits at IBM; any non-empty text is accepted).
    pub id: String,
    pub name: String,
    /// Linked classic-infrastructure (IMS) account number, if any.
    #[serde(default)]
    pub ims_account: Option<String>,
    /// Username or email of the owning user; defaults to the first member.
    #[serde(default)]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    /// Login name for the password grant and the passcode page (usually the email).
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    /// `IBMid-...`; derived from the username when omitted.
    #[serde(default)]
    pub iam_id: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    /// For non-federated users the IBMid password; for federated users the password their
    /// identity provider (the emulator's passcode page) accepts.
    #[serde(default)]
    pub password: Option<String>,
    /// Federated (SSO-only) users cannot use the password grant.
    #[serde(default)]
    pub federated: bool,
    /// Account ids the user belongs to; the first is where password/passcode logins land.
    pub accounts: Vec<String>,
    #[serde(default)]
    pub ims_user_id: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedServiceId {
    /// `ServiceId-<uuid>`; derived from account and name when omitted.
    #[serde(default)]
    pub id: Option<String>,
    pub account_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub unique_instance_crns: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedApiKey {
    /// `ApiKey-<uuid>`; derived from owner and name when omitted.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// A user (username, email or iam_id) or a service ID (id, iam_id or name).
    pub owner: String,
    /// Defaults to the owner's first account (a service ID's own account).
    #[serde(default)]
    pub account_id: Option<String>,
    /// The secret value used with the apikey grant.
    pub apikey: String,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub store_value: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedResourceGroup {
    #[serde(default)]
    pub id: Option<String>,
    pub account_id: String,
    pub name: String,
    #[serde(default)]
    pub default: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedProfile {
    /// `Profile-<uuid>`; derived from account and name when omitted.
    #[serde(default)]
    pub id: Option<String>,
    pub account_id: String,
    /// Unique within the account.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub links: Vec<SeedProfileLink>,
    #[serde(default)]
    pub identities: Vec<SeedProfileIdentity>,
}

/// A link to a compute resource, as `POST /v1/profiles/{id}/links` takes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedProfileLink {
    /// `ProfileLink-<uuid>`; derived from the profile and the link's place when omitted.
    #[serde(default)]
    pub id: Option<String>,
    /// The link's own name.
    #[serde(default)]
    pub name: Option<String>,
    /// VSI, PVS, BMS, IKS_SA, ROKS_SA or CE.
    pub cr_type: String,
    pub link: SeedLinkTarget,
    /// Needed when the resource's CRN is in another account than the profile.
    #[serde(default)]
    pub is_cross_account: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedLinkTarget {
    pub crn: String,
    /// Kubernetes namespace (required for IKS_SA and ROKS_SA).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Kubernetes service account (required for IKS_SA and ROKS_SA), or the resource's name.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub component_type: Option<String>,
    #[serde(default)]
    pub component_name: Option<String>,
}

/// An identity that may assume the profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedProfileIdentity {
    /// `user`, `serviceid` or `crn`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A user (IAM ID, username or email), a service ID (ID, IAM ID or name) or a CRN.
    pub identifier: String,
    /// Users only: the accounts whose tokens may assume the profile (empty: any).
    #[serde(default)]
    pub accounts: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

impl Seed {
    pub fn from_file(path: &Path) -> Result<Seed, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read seed file {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("invalid seed file {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_round_trips_through_json() {
        let seed = Seed::demo();
        let text = serde_json::to_string(&seed).unwrap();
        let back: Seed = serde_json::from_str(&text).unwrap();
        assert_eq!(back, seed);
    }
}
