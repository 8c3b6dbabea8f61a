//! The trusted-profile grants of `POST /identity/token`: `cr-token` (a compute resource's
//! token traded for the token of a profile linked to it) and `assume` (a caller's access token
//! traded for the token of a profile that trusts the caller). They decide which profile and
//! who authenticated; `issue::issue` signs the profile's token.

use std::collections::HashMap;

use crate::app::App;
use crate::crypto::claims::{Authn, CrClaims, NotAccess, access_claims};
use crate::crypto::jwt::Kind;
use crate::http::errors::{self as codes, TokenError};
use crate::model::trust::crn_account;
use crate::model::world::{Principal, TrustedProfile, World};
use crate::token::form::{field, optional};

pub const GRANT_CR_TOKEN: &str = "urn:ibm:params:oauth:grant-type:cr-token";
pub const GRANT_ASSUME: &str = "urn:ibm:params:oauth:grant-type:assume";

/// A trusted profile's token to issue.
pub struct ProfileGrant {
    pub iam_id: String,
    pub account_id: String,
    pub authn: Authn,
}

impl ProfileGrant {
    fn new(p: &TrustedProfile, authn: Authn) -> ProfileGrant {
        ProfileGrant {
            iam_id: p.iam_id.clone(),
            account_id: p.account_id.clone(),
            authn,
        }
    }
}

/// How a request names the profile: any of `profile_id`, `profile_crn`, `profile_name`.
/// IBM's ContainerAuthenticator sends both an ID and a name when given both, so several may
/// come; they must then name the same profile.
struct ProfileNames<'a> {
    id: Option<&'a str>,
    crn: Option<&'a str>,
    name: Option<&'a str>,
}

impl<'a> ProfileNames<'a> {
    fn from_form(form: &'a HashMap<String, String>) -> Result<ProfileNames<'a>, TokenError> {
        let names = ProfileNames {
            id: optional(form, "profile_id"),
            crn: optional(form, "profile_crn"),
            name: optional(form, "profile_name"),
        };
        if names.id.is_none() && names.crn.is_none() && names.name.is_none() {
            return Err(TokenError::new(
                codes::MISSING_PROPERTY,
                "Property 'profile_id', 'profile_crn' or 'profile_name' either missing or empty.",
                "Name the trusted profile by one of profile_id, profile_crn or profile_name.",
            ));
        }
        Ok(names)
    }

    /// The one profile the names point at; a name is looked up in `name_account`, else in the
    /// account of the profile the ID or CRN named.
    fn resolve<'w>(
        &self,
        world: &'w World,
        name_account: Option<&str>,
    ) -> Result<&'w TrustedProfile, TokenError> {
        let not_found = |what: &str, value: &str| {
            TokenError::new(
                codes::PROFILE_NOT_FOUND,
                "Provided trusted profile could not be found.",
                format!("There is no trusted profile with {what} '{value}'."),
            )
        };
        let mut found: Vec<&TrustedProfile> = Vec::new();
        if let Some(id) = self.id {
            found.push(world.profile(id).ok_or_else(|| not_found("id", id))?);
        }
        if let Some(crn) = self.crn {
            found.push(
                world
                    .profile_by_crn(crn)
                    .ok_or_else(|| not_found("CRN", crn))?,
            );
        }
        if let Some(name) = self.name {
            let account = name_account
                .or(found.first().map(|p| p.account_id.as_str()))
                .unwrap_or_default();
            let p = world.profile_by_name(account, name).ok_or_else(|| {
                TokenError::new(
                    codes::PROFILE_NOT_FOUND,
                    "Provided trusted profile could not be found.",
                    format!("There is no trusted profile named '{name}' in account '{account}'."),
                )
            })?;
            found.push(p);
        }
        let first = found[0];
        if found.iter().any(|p| p.id != first.id) {
            return Err(TokenError::new(
                codes::INVALID_PROPERTY,
                "The profile_id, profile_crn and profile_name name different trusted profiles.",
                "Name one trusted profile (one of profile_id, profile_crn, profile_name is enough).",
            ));
        }
        Ok(first)
    }
}

/// `grant_type=urn:ibm:params:oauth:grant-type:cr-token`: `cr_token` must be a compute-resource
/// token of this emulator, unexpired by its clock, of a resource that a link of the profile
/// admits. A `profile_name` is looked up in the resource's account (its CRN's `a/<account>`).
pub fn cr_token_grant(
    app: &App,
    world: &World,
    form: &HashMap<String, String>,
) -> Result<ProfileGrant, TokenError> {
    let token = field(form, "cr_token")?;
    let names = ProfileNames::from_form(form)?;
    let invalid = |details: &str| {
        TokenError::new(
            codes::CR_TOKEN_INVALID,
            "Provided compute resource token is invalid.",
            details,
        )
    };
    let Some(cr) = app
        .signer
        .verify_as::<CrClaims>(Kind::ComputeResource, token)
    else {
        return Err(invalid(
            if app.signer.verify::<serde_json::Value>(token).is_some() {
                "The cr_token is an IAM access token, not a compute resource token."
            } else {
                "The cr_token is not a compute resource token issued by this IAM (POST /emulator/cr-tokens mints them)."
            },
        ));
    };
    if cr.exp <= app.now() {
        return Err(TokenError::new(
            codes::CR_TOKEN_EXPIRED,
            "Provided compute resource token is expired.",
            "The compute resource token expired; read the token file again (the platform rotates it).",
        ));
    }
    let resource = cr.resource;
    let account = crn_account(&resource.crn)
        .ok_or_else(|| invalid("The compute resource token names no account in its CRN."))?;
    let profile = names.resolve(world, Some(account))?;
    if !profile.links.iter().any(|l| l.admits(&resource)) {
        let what = match (&resource.namespace, &resource.name) {
            (Some(ns), Some(n)) => format!("{} {} ({ns}/{n})", resource.cr_type, resource.crn),
            _ => format!("{} {}", resource.cr_type, resource.crn),
        };
        return Err(TokenError::new(
            codes::NO_MATCHING_LINK,
            "The compute resource is not linked to the trusted profile.",
            format!(
                "Trusted profile '{}' ({}) has no link that matches the compute resource {what}.",
                profile.name, profile.id
            ),
        ));
    }
    let name = resource
        .name
        .clone()
        .or_else(|| resource.component_name.clone());
    let authn = Authn::compute_resource(&resource, name);
    Ok(ProfileGrant::new(profile, authn))
}

/// `grant_type=urn:ibm:params:oauth:grant-type:assume`: `access_token` must be an access token
/// of this emulator, unexpired, of an identity that still exists and that the profile trusts.
/// A `profile_name` needs `account`, the profile's account.
pub fn assume_grant(
    app: &App,
    world: &World,
    form: &HashMap<String, String>,
) -> Result<ProfileGrant, TokenError> {
    let token = field(form, "access_token")?;
    let names = ProfileNames::from_form(form)?;
    let account = if names.name.is_some() && names.id.is_none() && names.crn.is_none() {
        Some(field(form, "account")?)
    } else {
        optional(form, "account")
    };
    let invalid = |details: &str| {
        TokenError::new(
            codes::ASSUME_TOKEN_INVALID,
            "Provided access token is invalid.",
            details,
        )
    };
    let claims = match access_claims(&app.signer, token) {
        Ok(claims) => claims,
        Err(NotAccess::IdToken) => {
            return Err(invalid(
                "The access_token is an ID token; assume with the access token of the same answer.",
            ));
        }
        Err(NotAccess::Invalid) => {
            return Err(invalid(
                if app
                    .signer
                    .verify_as::<serde_json::Value>(Kind::ComputeResource, token)
                    .is_some()
                {
                    "The access_token is a compute resource token; use the cr-token grant for it."
                } else {
                    "The access_token is not an access token issued by this IAM."
                },
            ));
        }
    };
    if claims.exp <= app.now() {
        return Err(TokenError::new(
            codes::ASSUME_TOKEN_EXPIRED,
            "Provided access token is expired.",
            "The access token expired; get a new one and assume the profile again.",
        ));
    }
    let principal = world
        .principal(&claims.iam_id)
        .ok_or_else(|| invalid("The identity of the access token no longer exists."))?;
    let profile = names.resolve(world, account)?;
    let untrusted = |why: String| {
        TokenError::new(
            codes::NOT_TRUSTED,
            "The identity is not trusted to assume the trusted profile.",
            why,
        )
    };
    let trusted = match principal {
        Principal::Profile(_) => {
            return Err(untrusted(
                "A trusted profile cannot assume a trusted profile; only users, service IDs and service instances (CRNs) can be trusted identities.".into(),
            ));
        }
        Principal::User(u) => profile.identities.iter().any(|i| {
            i.kind == "user"
                && i.iam_id == u.iam_id
                && (i.accounts.is_empty() || i.accounts.contains(&claims.account.bss))
        }),
        Principal::Service(s) => profile
            .identities
            .iter()
            .any(|i| i.kind == "serviceid" && i.iam_id == s.iam_id),
    };
    if !trusted {
        return Err(untrusted(format!(
            "'{}' (token of account '{}') is not among the trusted identities of profile '{}' ({}).",
            claims.iam_id, claims.account.bss, profile.name, profile.id
        )));
    }
    Ok(ProfileGrant::new(profile, Authn::assumed_by(claims)))
}
