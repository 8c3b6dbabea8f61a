//! The JWTs the emulator signs: IAM access tokens (`Claims`), the compute-resource tokens the
//! admin API hands to tests (`CrClaims`), and the VPC instance identity tokens of the virtual
//! server the metadata service plays (`InstanceClaims`). Each kind is signed under its own
//! key id (`jwt::Kind`), so one is never accepted as another.

use serde::{Deserialize, Serialize};

use crate::model::trust::ComputeResource;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountClaim {
    pub boundary: String,
    pub valid: bool,
    pub bss: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ims: Option<String>,
    pub frozen: bool,
}

/// Who authenticated to get a trusted profile's token: the compute resource (cr-token grant,
/// VPC metadata service) or the identity that assumed the profile.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Authn {
    #[serde(default)]
    pub sub: String,
    #[serde(default)]
    pub iam_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub sub_type: String,
    /// Compute resources: their type (IKS_SA, VSI, ...) and CRN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cr_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crn: Option<String>,
}

/// IBM's access-token claim set (facts §2), plus `authn` on trusted profiles' tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iam_id: String,
    pub id: String,
    pub realmid: String,
    pub session_id: String,
    pub jti: String,
    pub identifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub sub: String,
    pub sub_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authn: Option<Authn>,
    pub account: AccountClaim,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub grant_type: String,
    pub scope: String,
    pub client_id: String,
    pub acr: u8,
    pub amr: Vec<String>,
}

/// A compute resource's token, as a Kubernetes cluster (IKS_SA, ROKS_SA), Code Engine (CE) or
/// another compute platform would project it into the workload; here minted by
/// `POST /emulator/cr-tokens`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CrClaims {
    pub iss: String,
    /// `system:serviceaccount:<namespace>:<name>` for service accounts, else the CRN.
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(flatten)]
    pub resource: ComputeResource,
}

/// The instance identity token of the VPC metadata service's virtual server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceClaims {
    pub iss: String,
    /// The instance's CRN.
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub account_id: String,
    pub instance_id: String,
    pub crn: String,
}
