//! The VPC instance metadata service of the one virtual server the emulator plays (its CRN is
//! the ready line's `vpc_instance_crn`), on the emulator's own listener:
//!
//! 1. `PUT /instance_identity/v1/token?version=2022-03-01` (or `/identity/v1/token` from
//!    version 2025-08-26), header `Metadata-Flavor: ibm`, body `{"expires_in": 5..3600}`:
//!    an instance identity token.
//! 2. `POST /instance_identity/v1/iam_token` (or `/identity/v1/iam_tokens`) with
//!    `Authorization: Bearer <instance identity token>` and optionally
//!    `{"trusted_profile": {"id" | "crn" | "name": ...}}`: the IAM access token of a trusted
//!    profile linked to the instance (cr_type VSI); without a body, of the one such profile.
//!
//! Both answer `{"access_token", "created_at", "expires_at", "expires_in"}` (RFC 3339 times of
//! the emulator's clock); errors have the VPC API's shape.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::app::{App, read};
use crate::crypto::claims::{Authn, InstanceClaims};
use crate::crypto::jwt::Kind;
use crate::model::clock::timestamp;
use crate::model::trust::{ComputeResource, crn_account};
use crate::model::world::{TrustedProfile, World};
use crate::token::issue::{self, Grant};
use crate::token::profile_grants::{GRANT_CR_TOKEN, ProfileGrant};

/// The first API version with instance identity tokens, and the one that introduced the
/// `/identity/v1/...` paths.
const FIRST_VERSION: &str = "2022-03-01";
const IDENTITY_PATHS_VERSION: &str = "2025-08-26";
const DEFAULT_EXPIRES_IN: i64 = 300;
const MORE_INFO: &str = "https://cloud.ibm.com/docs/vpc?topic=vpc-imd-configure-service";

/// An error in the VPC API's shape: `{"errors": [{"code", "message", "more_info", "target"}],
/// "status_code", "trace"}`.
pub struct VpcError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// The field, header or query parameter at fault, and which of those it is.
    target: Option<(&'static str, &'static str)>,
}

/// The metadata service's paths (both API versions), whose errors have the VPC API's shape.
pub const PATHS: [&str; 4] = [
    "/instance_identity/v1/token",
    "/identity/v1/token",
    "/instance_identity/v1/iam_token",
    "/identity/v1/iam_tokens",
];

impl VpcError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> VpcError {
        VpcError {
            status,
            code,
            message: message.into(),
            target: None,
        }
    }

    fn target(mut self, name: &'static str, kind: &'static str) -> VpcError {
        self.target = Some((name, kind));
        self
    }
}

impl IntoResponse for VpcError {
    fn into_response(self) -> Response {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO,
        });
        if let Some((name, kind)) = self.target {
            error["target"] = json!({"name": name, "type": kind});
        }
        let body = json!({
            "errors": [error],
            "status_code": self.status.as_u16(),
            "trace": uuid::Uuid::new_v4().to_string(),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

type VpcResult = Result<Response, VpcError>;

fn bad(code: &'static str, message: impl Into<String>) -> VpcError {
    VpcError::new(StatusCode::BAD_REQUEST, code, message)
}

fn rfc3339(secs: i64) -> String {
    timestamp(secs).to_string()
}

/// `version` is required: a date no earlier than the path's first version.
fn check_version(q: &HashMap<String, String>, first: &str) -> Result<(), VpcError> {
    let invalid = |m: String| bad("invalid_version", m).target("version", "query");
    let Some(v) = q.get("version").filter(|v| !v.is_empty()) else {
        return Err(invalid(format!(
            "The query parameter 'version' is required (a date, {first} or later)."
        )));
    };
    let date: jiff::civil::Date = v
        .parse()
        .map_err(|_| invalid(format!("The version '{v}' is not a date (YYYY-MM-DD).")))?;
    let first_date: jiff::civil::Date = first
        .parse()
        .map_err(|_| invalid(format!("bad first version {first}")))?;
    if date < first_date {
        return Err(invalid(format!(
            "The version '{v}' is too old for this operation; use {first} or later."
        )));
    }
    Ok(())
}

/// `Metadata-Flavor: ibm`: required on the first step; on the second it may be absent
/// (IBM's CLI leaves it out) but, when sent, must say `ibm`.
fn check_flavor(headers: &HeaderMap, required: bool) -> Result<(), VpcError> {
    match headers.get("Metadata-Flavor").map(|v| v.to_str()) {
        None if !required => Ok(()),
        Some(Ok(v)) if v.trim().eq_ignore_ascii_case("ibm") => Ok(()),
        _ => Err(bad(
            "missing_metadata_flavor",
            "The header 'Metadata-Flavor: ibm' is required to use the metadata service.",
        )
        .target("Metadata-Flavor", "header")),
    }
}

/// A JSON object body; an empty body is `None`.
fn object_body(bytes: &Bytes) -> Result<Option<Map<String, Value>>, VpcError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        Ok(Value::Null) => Ok(None),
        _ => Err(bad(
            "invalid_body",
            "The request body must be a JSON object.",
        )),
    }
}

fn first_version(path: &str) -> &'static str {
    if path.starts_with("/identity/") {
        IDENTITY_PATHS_VERSION
    } else {
        FIRST_VERSION
    }
}

/// `PUT .../token`: an instance identity token for the virtual server.
pub async fn create_access_token(
    State(app): State<Arc<App>>,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> VpcResult {
    check_version(&q, first_version(uri.path()))?;
    check_flavor(&headers, true)?;
    let body = object_body(&bytes)?.unwrap_or_default();
    let expires_in = match body.get("expires_in") {
        None | Some(Value::Null) => DEFAULT_EXPIRES_IN,
        Some(v) => match v.as_i64() {
            Some(n) if (5..=3600).contains(&n) => n,
            _ => {
                return Err(bad(
                    "invalid_value",
                    format!("The value provided for the expires_in field ({v}) must be between 5 and 3600."),
                )
                .target("expires_in", "field"));
            }
        },
    };
    if let Some(k) = body.keys().find(|k| *k != "expires_in") {
        return Err(bad("invalid_field", format!("Unknown field '{k}'.")));
    }
    let crn = read(&app.world).vpc_instance_crn.clone();
    let iat = app.now();
    let claims = InstanceClaims::new(&app.url, &crn, iat, iat + expires_in);
    let token = app
        .signer
        .sign_as(Kind::InstanceIdentity, &claims)
        .map_err(|e| {
            VpcError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                e.to_string(),
            )
        })?;
    Ok(token_body(token, iat, iat + expires_in))
}

fn token_body(access_token: String, created: i64, expires: i64) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({
            "access_token": access_token,
            "created_at": rfc3339(created),
            "expires_at": rfc3339(expires),
            "expires_in": expires - created,
        })),
    )
        .into_response()
}

/// The instance identity token of `Authorization: Bearer ...`, valid by the clock.
fn instance_token(app: &App, headers: &HeaderMap) -> Result<InstanceClaims, VpcError> {
    let unauthorized = |code: &'static str, m: &str| {
        VpcError::new(StatusCode::UNAUTHORIZED, code, m).target("Authorization", "header")
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            unauthorized(
                "missing_authorization",
                "An instance identity token is required: 'Authorization: Bearer <token>'.",
            )
        })?;
    let token = match value.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
        _ => {
            return Err(unauthorized(
                "invalid_token",
                "The Authorization header must be 'Bearer <instance identity token>'.",
            ));
        }
    };
    let claims: InstanceClaims = app
        .signer
        .verify_as(Kind::InstanceIdentity, token)
        .ok_or_else(|| {
            unauthorized(
                "invalid_token",
                if app.signer.verify::<Value>(token).is_some() {
                    "The token is an IAM access token, not an instance identity token."
                } else {
                    "The token is not an instance identity token of this instance."
                },
            )
        })?;
    if claims.exp <= app.now() {
        return Err(unauthorized(
            "expired_token",
            "The instance identity token is expired; get a new one (PUT .../token).",
        ));
    }
    Ok(claims)
}

/// The trusted profile a request names: `{"trusted_profile": {"id" | "crn" | "name": ...}}`
/// (a name in the instance's account); without one, the one profile linked to the instance.
fn pick_profile<'w>(
    world: &'w World,
    body: Option<&Map<String, Value>>,
    instance: &ComputeResource,
) -> Result<&'w TrustedProfile, VpcError> {
    let linked = |p: &TrustedProfile| p.links.iter().any(|l| l.admits(instance));
    let named = match body {
        None => None,
        Some(b) => {
            if let Some(k) = b.keys().find(|k| *k != "trusted_profile") {
                return Err(bad("invalid_field", format!("Unknown field '{k}'.")));
            }
            match b.get("trusted_profile") {
                None | Some(Value::Null) => None,
                Some(Value::Object(tp)) => Some(tp),
                Some(_) => {
                    return Err(bad(
                        "invalid_value",
                        "The field 'trusted_profile' must be an object with one of id, crn or name.",
                    )
                    .target("trusted_profile", "field"));
                }
            }
        }
    };
    let Some(tp) = named else {
        let mut all = world.profiles.values().filter(|p| linked(p));
        return match (all.next(), all.next()) {
            (Some(p), None) => Ok(p),
            (None, _) => Err(bad(
                "trusted_profile_not_linked",
                "No trusted profile is linked to this instance; link one (cr_type VSI) or name one in 'trusted_profile'.",
            )),
            (Some(_), Some(_)) => Err(bad(
                "trusted_profile_ambiguous",
                "Several trusted profiles are linked to this instance; name one in 'trusted_profile'.",
            )
            .target("trusted_profile", "field")),
        };
    };
    let given: Vec<(&String, &Value)> = tp.iter().collect();
    let [(key, value)] = given[..] else {
        return Err(bad(
            "invalid_value",
            "The field 'trusted_profile' must have exactly one of id, crn or name.",
        )
        .target("trusted_profile", "field"));
    };
    let Some(value) = value.as_str().filter(|v| !v.is_empty()) else {
        return Err(bad(
            "invalid_value",
            format!("The field 'trusted_profile.{key}' must be a non-empty string."),
        )
        .target("trusted_profile", "field"));
    };
    let account = crn_account(&instance.crn).unwrap_or_default();
    let found = match key.as_str() {
        "id" => world.profile(value),
        "crn" => world.profile_by_crn(value),
        "name" => world.profile_by_name(account, value),
        other => {
            return Err(bad(
                "invalid_field",
                format!("Unknown field 'trusted_profile.{other}'; use id, crn or name."),
            ));
        }
    };
    let p = found.ok_or_else(|| {
        VpcError::new(
            StatusCode::NOT_FOUND,
            "trusted_profile_not_found",
            format!("There is no trusted profile with {key} '{value}'."),
        )
        .target("trusted_profile", "field")
    })?;
    if !linked(p) {
        return Err(bad(
            "trusted_profile_not_linked",
            format!(
                "Trusted profile '{}' ({}) is not linked to this instance (it needs a link of cr_type VSI to {}).",
                p.name, p.id, instance.crn
            ),
        )
        .target("trusted_profile", "field"));
    }
    Ok(p)
}

/// `POST .../iam_token(s)`: the IAM access token of a trusted profile linked to the instance.
pub async fn create_iam_token(
    State(app): State<Arc<App>>,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> VpcResult {
    check_version(&q, first_version(uri.path()))?;
    check_flavor(&headers, false)?;
    let claims = instance_token(&app, &headers)?;
    let body = object_body(&bytes)?;
    let instance = ComputeResource {
        cr_type: "VSI".into(),
        crn: claims.crn.clone(),
        ..ComputeResource::default()
    };
    let world = read(&app.world);
    let profile = pick_profile(&world, body.as_ref(), &instance)?;
    let grant = Grant::profile(
        ProfileGrant {
            iam_id: profile.iam_id.clone(),
            account_id: profile.account_id.clone(),
            authn: Authn::compute_resource(&instance, Some(claims.instance_id.clone())),
        },
        GRANT_CR_TOKEN,
    );
    let issued = issue::issue(&app, &world, grant, "default").map_err(|e| {
        VpcError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            e.details,
        )
    })?;
    let created = issued.expiration - issued.expires_in as i64;
    Ok(token_body(issued.access_token, created, issued.expiration))
}

/// Any other method on the metadata service's paths.
pub async fn method_not_allowed(method: Method) -> VpcError {
    VpcError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("Method {method} is not allowed here."),
    )
}
