//! What a trusted profile trusts, as data: its links to compute resources and the identities
//! that may assume it, the rules a new link or identity must follow, and the match between a
//! compute resource and a link. The profile itself lives with the other entities in
//! `world.rs`; the API (`identity/profiles.rs`), the seed and the grants share these rules.

use serde::{Deserialize, Serialize};

/// The compute-resource types IAM links profiles to.
pub const CR_TYPES: &[&str] = &["VSI", "PVS", "BMS", "IKS_SA", "ROKS_SA", "CE"];

/// Kubernetes service accounts: their links must name the namespace and the account.
pub fn is_service_account(cr_type: &str) -> bool {
    matches!(cr_type, "IKS_SA" | "ROKS_SA")
}

/// The compute resource a link names (IBM's `link` object).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LinkTarget {
    pub crn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_name: Option<String>,
}

impl LinkTarget {
    /// Empty optional fields mean "not given": a link without them matches any value.
    pub fn normalized(mut self) -> LinkTarget {
        for f in [
            &mut self.namespace,
            &mut self.name,
            &mut self.component_type,
            &mut self.component_name,
        ] {
            if f.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *f = None;
            }
        }
        self
    }
}

/// A profile's link to one compute resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileLink {
    pub id: String,
    pub name: Option<String>,
    pub cr_type: String,
    pub target: LinkTarget,
    pub is_cross_account: bool,
    pub created_at: i64,
    pub modified_at: i64,
    pub version: u64,
}

/// Who a compute-resource token (or the metadata service's virtual server) says it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ComputeResource {
    pub cr_type: String,
    pub crn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_name: Option<String>,
}

impl ComputeResource {
    /// How the profile token's `authn` names it: a Kubernetes service account as Kubernetes
    /// does, anything else by its CRN.
    pub fn subject(&self) -> String {
        match (&self.namespace, &self.name) {
            (Some(ns), Some(n)) if is_service_account(&self.cr_type) => {
                format!("system:serviceaccount:{ns}:{n}")
            }
            _ => self.crn.clone(),
        }
    }
}

impl ProfileLink {
    /// The link admits the resource when type and CRN are equal and every optional field the
    /// link names (namespace, name, component type and name) is the resource's too.
    pub fn admits(&self, cr: &ComputeResource) -> bool {
        let same = |link: &Option<String>, cr: &Option<String>| {
            link.as_ref().is_none_or(|l| cr.as_ref() == Some(l))
        };
        self.cr_type == cr.cr_type
            && self.target.crn == cr.crn
            && same(&self.target.namespace, &cr.namespace)
            && same(&self.target.name, &cr.name)
            && same(&self.target.component_type, &cr.component_type)
            && same(&self.target.component_name, &cr.component_name)
    }

    /// Two links that admit exactly the same resources.
    pub fn same_resource(&self, other: &ProfileLink) -> bool {
        self.cr_type == other.cr_type && self.target == other.target
    }
}

/// The account a CRN is scoped to: `crn:v1:<cname>:<ctype>:<service>:<location>:a/<account>:...`
/// (ten segments). `None` for anything else.
pub fn crn_account(crn: &str) -> Option<&str> {
    let segs: Vec<&str> = crn.split(':').collect();
    if segs.len() != 10 || segs[0] != "crn" || segs[1] != "v1" {
        return None;
    }
    segs[6].strip_prefix("a/").filter(|a| !a.is_empty())
}

/// Why IAM refuses a link; the Display is the sentence for a 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    UnknownType(String),
    /// The CRN names no account (`a/<account>`).
    NoAccountScope(String),
    /// A Kubernetes service account's link without its namespace or name.
    NeedsServiceAccount(String),
    /// A resource of another account, without `is_cross_account`.
    OtherAccount {
        account: String,
        profile_account: String,
    },
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::UnknownType(cr_type) => write!(
                f,
                "Invalid value '{cr_type}' for 'cr_type'; valid values: {}.",
                CR_TYPES.join(", ")
            ),
            LinkError::NoAccountScope(crn) => write!(
                f,
                "Property 'link.crn' ('{crn}') is not a CRN with an account scope (crn:v1:bluemix:public:<service>:<location>:a/<account>:<instance>:<type>:<resource>)."
            ),
            LinkError::NeedsServiceAccount(cr_type) => write!(
                f,
                "A link with cr_type {cr_type} needs 'link.namespace' and 'link.name' (the Kubernetes namespace and service account)."
            ),
            LinkError::OtherAccount {
                account,
                profile_account,
            } => write!(
                f,
                "The compute resource is in account '{account}', not in the profile's account '{profile_account}'; set 'is_cross_account' to link a resource of another account."
            ),
        }
    }
}

impl std::error::Error for LinkError {}

/// Checks a new link as IAM does.
pub fn check_link(
    cr_type: &str,
    target: &LinkTarget,
    is_cross_account: bool,
    profile_account: &str,
) -> Result<(), LinkError> {
    if !CR_TYPES.contains(&cr_type) {
        return Err(LinkError::UnknownType(cr_type.to_owned()));
    }
    let Some(account) = crn_account(&target.crn) else {
        return Err(LinkError::NoAccountScope(target.crn.clone()));
    };
    if is_service_account(cr_type) && (target.namespace.is_none() || target.name.is_none()) {
        return Err(LinkError::NeedsServiceAccount(cr_type.to_owned()));
    }
    if !is_cross_account && account != profile_account {
        return Err(LinkError::OtherAccount {
            account: account.to_owned(),
            profile_account: profile_account.to_owned(),
        });
    }
    Ok(())
}

/// The identity types that may be trusted to assume a profile.
pub const IDENTITY_TYPES: &[&str] = &["user", "serviceid", "crn"];

/// An identity that may assume a profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProfileIdentity {
    /// `IBMid-...` for a user, `iam-ServiceId-...` for a service ID, `crn-<crn>` for a CRN.
    pub iam_id: String,
    /// The IAM ID for a user, `ServiceId-...` for a service ID, the CRN for a CRN.
    pub identifier: String,
    /// `user`, `serviceid` or `crn`.
    pub kind: String,
    /// Users only: the accounts whose tokens may assume the profile (empty: any).
    pub accounts: Vec<String>,
    pub description: Option<String>,
}

/// Why an identity cannot be trusted: it is not valid, or it names nothing the emulator holds
/// (`is_unknown`). The Display is the sentence for a 400 or 404.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityError {
    UnknownType(String),
    MissingIdentifier,
    /// `accounts` on an identity that is not a user.
    AccountsNotAllowed(String),
    UnknownUser(String),
    UnknownServiceId(String),
    /// A `crn` identity whose identifier names no account.
    NotACrn(String),
}

impl IdentityError {
    /// The identity names no user or service ID the emulator holds.
    pub fn is_unknown(&self) -> bool {
        matches!(
            self,
            IdentityError::UnknownUser(_) | IdentityError::UnknownServiceId(_)
        )
    }
}

impl std::fmt::Display for IdentityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentityError::UnknownType(kind) => write!(
                f,
                "Invalid identity type '{kind}'; valid values: {}.",
                IDENTITY_TYPES.join(", ")
            ),
            IdentityError::MissingIdentifier => {
                f.write_str("Property 'identifier' either missing or empty.")
            }
            IdentityError::AccountsNotAllowed(kind) => write!(
                f,
                "Property 'accounts' is only valid for identities of type user, not {kind}."
            ),
            IdentityError::UnknownUser(id) => write!(f, "User '{id}' not found."),
            IdentityError::UnknownServiceId(id) => write!(f, "Service ID '{id}' not found."),
            IdentityError::NotACrn(id) => write!(
                f,
                "Identifier '{id}' of type crn is not a CRN with an account scope."
            ),
        }
    }
}

impl std::error::Error for IdentityError {}

pub fn check_identity_type(kind: &str) -> Result<(), IdentityError> {
    if IDENTITY_TYPES.contains(&kind) {
        Ok(())
    } else {
        Err(IdentityError::UnknownType(kind.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACC: &str = "b028e1c4a7d94f3e8c6f2a1d5e7b9793";

    fn target(crn: &str, ns: Option<&str>, name: Option<&str>) -> LinkTarget {
        LinkTarget {
            crn: crn.into(),
            namespace: ns.map(Into::into),
            name: name.map(Into::into),
            ..LinkTarget::default()
        }
    }

    #[test]
    fn crns_name_their_account() {
        let crn = format!("crn:v1:bluemix:public:containers-kubernetes:us-south:a/{ACC}:c1::");
        assert_eq!(crn_account(&crn), Some(ACC));
        assert_eq!(
            crn_account("crn:v1:bluemix:public:is:us-south-1:a/x::instance:1"),
            Some("x")
        );
        assert_eq!(
            crn_account("crn:v1:bluemix:public:is:us-south-1:o/x::instance:1"),
            None
        );
        assert_eq!(
            crn_account("crn:v1:bluemix:public:is:us-south-1:a/::instance:1"),
            None
        );
        assert_eq!(crn_account("not-a-crn"), None);
    }

    #[test]
    fn links_are_checked_like_iam() {
        let crn = format!("crn:v1:bluemix:public:containers-kubernetes:us-south:a/{ACC}:c1::");
        let ok = target(&crn, Some("default"), Some("sa"));
        assert!(check_link("IKS_SA", &ok, false, ACC).is_ok());
        assert!(
            check_link("K8S", &ok, false, ACC)
                .unwrap_err()
                .to_string()
                .contains("cr_type")
        );
        let no_ns = target(&crn, None, Some("sa"));
        assert!(check_link("ROKS_SA", &no_ns, false, ACC).is_err());
        assert!(check_link("VSI", &no_ns, false, ACC).is_ok());
        assert!(
            check_link("IKS_SA", &ok, false, "other")
                .unwrap_err()
                .to_string()
                .contains("is_cross_account")
        );
        assert!(check_link("IKS_SA", &ok, true, "other").is_ok());
        assert!(check_link("VSI", &target("crn:x", None, None), false, ACC).is_err());
    }

    #[test]
    fn links_admit_resources_with_every_field_they_name() {
        let crn = "crn:v1:bluemix:public:containers-kubernetes:us-south:a/a:c1::";
        let link = ProfileLink {
            id: "l".into(),
            name: None,
            cr_type: "IKS_SA".into(),
            target: target(crn, Some("default"), Some("sa")),
            is_cross_account: false,
            created_at: 0,
            modified_at: 0,
            version: 1,
        };
        let mut cr = ComputeResource {
            cr_type: "IKS_SA".into(),
            crn: crn.into(),
            namespace: Some("default".into()),
            name: Some("sa".into()),
            ..ComputeResource::default()
        };
        assert!(link.admits(&cr));
        assert_eq!(cr.subject(), "system:serviceaccount:default:sa");
        cr.name = Some("other".into());
        assert!(!link.admits(&cr));
        cr.name = None;
        assert!(!link.admits(&cr));
        let mut broad = link.clone();
        broad.target.namespace = None;
        broad.target.name = None;
        cr.name = Some("anything".into());
        assert!(broad.admits(&cr));
        cr.cr_type = "ROKS_SA".into();
        assert!(!broad.admits(&cr));
    }
}
