//! The JWTs the emulator signs: IAM access tokens (`Claims`), the compute-resource tokens the
//! admin API hands to tests (`CrClaims`), and the VPC instance identity tokens of the virtual
//! server the metadata service plays (`InstanceClaims`). Each kind is signed under its own
//! key id (`jwt::Kind`), so one is never accepted as another.

use serde::{Deserialize, Serialize};

use crate::crypto::jwt::Signer;
use crate::model::trust::{ComputeResource, crn_account};
use crate::model::world::{Account, ServiceId, TrustedProfile, User};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountClaim {
    pub boundary: String,
    pub valid: bool,
    pub bss: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ims: Option<String>,
    pub frozen: bool,
}

impl AccountClaim {
    pub fn of(account: &Account) -> AccountClaim {
        AccountClaim {
            boundary: "global".into(),
            valid: true,
            bss: account.id.clone(),
            ims: account.ims.clone(),
            frozen: true,
        }
    }
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

impl Authn {
    /// A compute resource authenticated with its own token: its subject, its CRN as IAM ID,
    /// and the `name` to show for it.
    pub fn compute_resource(resource: &ComputeResource, name: Option<String>) -> Authn {
        Authn {
            sub: resource.subject(),
            iam_id: format!("crn-{}", resource.crn),
            name,
            sub_type: "ComputeResource".into(),
            cr_type: Some(resource.cr_type.clone()),
            crn: Some(resource.crn.clone()),
        }
    }

    /// The identity whose access token assumed the profile.
    pub fn assumed_by(caller: Claims) -> Authn {
        Authn {
            sub: caller.sub,
            iam_id: caller.iam_id,
            name: caller.name,
            sub_type: caller.sub_type,
            cr_type: None,
            crn: None,
        }
    }
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

/// Why a bearer token is not an access token of this emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAccess {
    /// An OpenID Connect ID token (what a client such as `kube` gets beside its access
    /// token, and what `iamctl credential kubectl` hands a cluster).
    IdToken,
    /// Not signed by this emulator as an access token, or not its claim set.
    Invalid,
}

/// The claims of an access token of this emulator. ID tokens are signed under the access
/// tokens' key id, since relying parties verify them with the published JWKS, so the
/// signature cannot tell the two apart; the audience can: an ID token names the client it
/// is for (`aud`), an access token never has one. An ID token proves who logged in to the
/// client that holds it and grants nothing, so it is refused wherever an access token is
/// asked for.
pub fn access_claims(signer: &Signer, token: &str) -> Result<Claims, NotAccess> {
    let value: serde_json::Value = signer.verify(token).ok_or(NotAccess::Invalid)?;
    if value.get("aud").is_some() {
        return Err(NotAccess::IdToken);
    }
    serde_json::from_value(value).map_err(|_| NotAccess::Invalid)
}

/// What an access token says besides whom it is for: its session and account, when it was
/// issued and expires, who issued it, and the grant and client it was issued to.
pub struct Issued {
    pub session_id: String,
    pub account: AccountClaim,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub grant_type: String,
    pub scope: String,
    pub client_id: String,
    pub amr: Vec<String>,
}

impl Claims {
    /// A user's token: IBMid realm, named by email.
    pub fn for_user(u: &User, issued: Issued) -> Claims {
        let mut claims = Claims::common(
            &u.iam_id,
            "IBMid",
            u.identifier(),
            &u.email,
            "User",
            u.name(),
            issued,
        );
        claims.given_name = Some(u.given_name.clone());
        claims.family_name = Some(u.family_name.clone());
        claims.email = Some(u.email.clone());
        claims
    }

    pub fn for_service_id(s: &ServiceId, issued: Issued) -> Claims {
        Claims::common(
            &s.iam_id,
            "iam",
            &s.id,
            &s.id,
            "ServiceId",
            s.name.clone(),
            issued,
        )
    }

    /// A trusted profile's token, with who authenticated to get it.
    pub fn for_profile(p: &TrustedProfile, authn: Option<Authn>, issued: Issued) -> Claims {
        let mut claims = Claims::common(
            &p.iam_id,
            "iam",
            &p.id,
            &p.id,
            "Profile",
            p.name.clone(),
            issued,
        );
        claims.authn = authn;
        claims
    }

    fn common(
        iam_id: &str,
        realmid: &str,
        identifier: &str,
        sub: &str,
        sub_type: &str,
        name: String,
        issued: Issued,
    ) -> Claims {
        Claims {
            iam_id: iam_id.to_owned(),
            id: iam_id.to_owned(),
            realmid: realmid.to_owned(),
            session_id: issued.session_id,
            jti: uuid::Uuid::new_v4().to_string(),
            identifier: identifier.to_owned(),
            given_name: None,
            family_name: None,
            name: Some(name),
            email: None,
            sub: sub.to_owned(),
            sub_type: sub_type.to_owned(),
            authn: None,
            account: issued.account,
            iat: issued.iat,
            exp: issued.exp,
            iss: issued.iss,
            grant_type: issued.grant_type,
            scope: issued.scope,
            client_id: issued.client_id,
            acr: 1,
            amr: issued.amr,
        }
    }
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

impl CrClaims {
    /// A token of `resource` as `POST /emulator/cr-tokens` on the emulator at `base_url`
    /// mints it.
    pub fn new(base_url: &str, resource: ComputeResource, iat: i64, exp: i64) -> CrClaims {
        CrClaims {
            iss: format!("{base_url}/emulator/cr-tokens"),
            sub: resource.subject(),
            aud: "iam".into(),
            iat,
            exp,
            jti: uuid::Uuid::new_v4().to_string(),
            resource,
        }
    }
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

impl InstanceClaims {
    /// The identity token of the virtual server `crn`, as the metadata service of the emulator
    /// at `base_url` hands it out.
    pub fn new(base_url: &str, crn: &str, iat: i64, exp: i64) -> InstanceClaims {
        InstanceClaims {
            iss: format!("{base_url}/instance_identity"),
            sub: crn.to_owned(),
            aud: "vpc".into(),
            iat,
            exp,
            jti: uuid::Uuid::new_v4().to_string(),
            account_id: crn_account(crn).unwrap_or_default().to_owned(),
            instance_id: crn.rsplit(':').next().unwrap_or_default().to_owned(),
            crn: crn.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::demo::{DEMO_PROFILE_ID, DEMO_SERVICE_ID, DEMO_USER_IAM_ID};
    use crate::model::seed::Seed;
    use crate::model::world::World;

    fn issued() -> Issued {
        Issued {
            session_id: "C-1".into(),
            account: AccountClaim {
                boundary: "global".into(),
                valid: true,
                bss: "acc".into(),
                ims: None,
                frozen: true,
            },
            iat: 10,
            exp: 20,
            iss: "http://x/identity".into(),
            grant_type: "password".into(),
            scope: "ibm openid".into(),
            client_id: "bx".into(),
            amr: vec!["pwd".into()],
        }
    }

    /// Each principal's token names it as IAM does; everything else is the issuing's.
    #[test]
    fn each_principal_is_named_as_iam_names_it() {
        let world = World::from_seed(&Seed::demo()).unwrap();
        let user = Claims::for_user(world.user(DEMO_USER_IAM_ID).unwrap(), issued());
        assert_eq!(
            (user.realmid.as_str(), user.sub_type.as_str()),
            ("IBMid", "User")
        );
        assert_eq!(user.sub, "demo@example.com");
        assert_eq!(user.email.as_deref(), Some("demo@example.com"));
        assert_eq!(user.name.as_deref(), Some("Demo User"));
        assert_eq!(user.given_name.as_deref(), Some("Demo"));
        let service = Claims::for_service_id(&world.service_ids[DEMO_SERVICE_ID], issued());
        assert_eq!(
            (service.realmid.as_str(), service.sub_type.as_str()),
            ("iam", "ServiceId")
        );
        assert_eq!(service.sub, DEMO_SERVICE_ID);
        assert!(service.email.is_none() && service.given_name.is_none());
        let authn = Authn {
            sub: "s".into(),
            ..Authn::default()
        };
        let profile = Claims::for_profile(
            world.profile(DEMO_PROFILE_ID).unwrap(),
            Some(authn.clone()),
            issued(),
        );
        assert_eq!(profile.sub_type, "Profile");
        assert_eq!(profile.authn, Some(authn));
        for c in [&user, &service, &profile] {
            assert_eq!(c.id, c.iam_id);
            assert_eq!((c.iat, c.exp, c.acr), (10, 20, 1));
            assert_eq!(c.session_id, "C-1");
            assert_eq!(c.amr, ["pwd"]);
            assert!(!c.jti.is_empty());
        }
        assert_ne!(user.jti, service.jti);
    }
}
