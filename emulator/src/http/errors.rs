//! IBM's error body shapes: the token service's (`errorCode`, `errorMessage`, ...), the
//! platform APIs' (`{"errors": [...], "status_code", "trace", "context"}`) and, a leaner one,
//! the policy and access group APIs' (`{"trace", "errors": [{"code", "message"}],
//! "status_code"}`), plus the request context they carry. Every code the emulator can answer with is named here, so
//! `docs/emulator.md` can list them from one place.

use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::json;

// Token service codes. Those marked "chosen" are not in IBM's public material; the emulator
// picked them (docs/emulator.md lists them as such).
pub const MISSING_PROPERTY: &str = "BXNIM0109E";
pub const INVALID_PROPERTY: &str = "BXNIM0106E"; // e.g. response_type other than cloud_iam
pub const UNSUPPORTED_GRANT: &str = "BXNIM0103E"; // chosen
pub const APIKEY_NOT_FOUND: &str = "BXNIM0415E";
pub const APIKEY_DISABLED: &str = "BXNIM0416E"; // chosen
pub const REFRESH_INVALID: &str = "BXNIM0407E";
pub const REFRESH_EXPIRED: &str = "BXNIM0408E";
pub const SESSION_INACTIVE: &str = "BXNIM0439E";
pub const INVALID_CLIENT: &str = "BXNIM0409E"; // chosen
pub const PASSCODE_INVALID: &str = "BXNIM0420E"; // chosen
pub const ACCOUNT_NOT_ALLOWED: &str = "BXNIM0425E"; // chosen
pub const WRONG_PASSWORD: &str = "BXNIM0602E";
pub const FEDERATED_USER: &str = "BXNIM0608E";
pub const METHOD_NOT_ALLOWED: &str = "BXNIM0060E";
pub const INJECTED_FAULT: &str = "BXNIM0001E"; // chosen: answers of POST /emulator/faults
pub const REQUEST_TOO_LARGE: &str = "BXNIM0413E"; // chosen: a body over the server's limit
// The trusted-profile grants (cr-token, assume); all chosen.
pub const CR_TOKEN_INVALID: &str = "BXNIM0450E"; // not a compute-resource token of this IAM
pub const CR_TOKEN_EXPIRED: &str = "BXNIM0451E";
pub const PROFILE_NOT_FOUND: &str = "BXNIM0452E";
pub const NO_MATCHING_LINK: &str = "BXNIM0453E"; // the compute resource matches no link
pub const ASSUME_TOKEN_INVALID: &str = "BXNIM0454E"; // assume: access_token not ours, or gone
pub const ASSUME_TOKEN_EXPIRED: &str = "BXNIM0455E";
pub const NOT_TRUSTED: &str = "BXNIM0456E"; // assume: caller is not a trusted identity

// Platform API (v1, accounts, resource groups) message codes.
pub const NO_AUTH_HEADER: &str = "BXNIM0308E";
pub const TOKEN_INVALID: &str = "BXNIM0302E"; // chosen
pub const TOKEN_EXPIRED: &str = "BXNIM0303E"; // chosen
pub const FORBIDDEN: &str = "BXNIM0513E"; // chosen
pub const NOT_FOUND: &str = "BXNIM0102E"; // chosen
pub const ENTITY_LOCKED: &str = "BXNIM0511E"; // chosen
pub const STALE_ETAG: &str = "BXNIM0512E"; // chosen
pub const CONFLICT: &str = "BXNIM0514E"; // chosen: duplicate API key value
pub const NAME_TAKEN: &str = "BXNIM0515E"; // chosen: a profile name taken in the account
pub const ALREADY_EXISTS: &str = "BXNIM0516E"; // chosen: the same link or identity twice

// Policy management and access groups: `code`s only, IBM's where its SDKs name them
// (`ErrorObject.code` of IAM Policy Management, spelling included), else chosen.
pub const INVALID_BODY: &str = "invalid_body";
pub const MISSING_QUERY: &str = "missing_required_query_parameter";
pub const POLICY_NOT_FOUND: &str = "policy_not_found";
pub const ROLE_NOT_FOUND: &str = "role_not_found";
pub const POLICY_CONFLICT: &str = "policy_conflict_error";
pub const ROLE_CONFLICT: &str = "role_conflict_error";
pub const INSUFFICIENT_PERMISSIONS: &str = "insufficent_permissions";
pub const PRECONDITION_FAILED: &str = "precondition_failed"; // chosen: a stale If-Match
pub const PRECONDITION_REQUIRED: &str = "precondition_required"; // chosen: no If-Match
pub const GROUP_INVALID: &str = "invalid_request"; // chosen: access groups' 400
pub const GROUP_NOT_FOUND: &str = "not_found";
pub const GROUP_CONFLICT: &str = "conflict"; // chosen: a group name taken in the account

/// Whether a path is one of the APIs that answer in the policy service's leaner error shape.
pub fn access_api(path: &str) -> bool {
    ["/v1/policies", "/v2/policies", "/v2/roles", "/v2/groups"]
        .iter()
        .any(|p| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// What every error body repeats about the request. `router::render_errors` takes it when the
/// request arrives, so handlers never carry it and every error gets the same context.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub method: Method,
    pub path: String,
    pub host: String,
    pub user_agent: String,
    pub start: Timestamp,
    pub started: Instant,
}

impl Ctx {
    pub fn from_parts(method: &Method, path: &str, headers: &HeaderMap, start: Timestamp) -> Ctx {
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        Ctx {
            method: method.clone(),
            path: path.to_owned(),
            host: text(header::HOST),
            user_agent: text(header::USER_AGENT),
            start,
            started: Instant::now(),
        }
    }

    fn elapsed_ms(&self) -> u128 {
        self.started.elapsed().as_millis()
    }

    /// The end time of the request: the start plus what has elapsed, so both follow the same
    /// clock.
    fn end(&self) -> Timestamp {
        let elapsed = jiff::SignedDuration::try_from(self.started.elapsed()).unwrap_or_default();
        self.start.checked_add(elapsed).unwrap_or(self.start)
    }
}

/// Turns an error a handler returned (carried as a response extension: the handler does not
/// know the request's context) into IBM's error body. Other responses pass unchanged.
pub fn render(mut resp: Response, ctx: &Ctx) -> Response {
    let mut out = if let Some(e) = resp.extensions_mut().remove::<ApiError>() {
        e.respond(ctx)
    } else if let Some(e) = resp.extensions_mut().remove::<TokenError>() {
        e.respond(ctx)
    } else {
        return resp;
    };
    // Headers set next to the error (a fault's Retry-After) stay.
    out.headers_mut().extend(std::mem::take(resp.headers_mut()));
    out
}

/// An error of `POST /identity/token`.
#[derive(Debug, Clone)]
pub struct TokenError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: String,
}

impl TokenError {
    pub fn new(code: &'static str, message: impl Into<String>, details: impl Into<String>) -> Self {
        TokenError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
            details: details.into(),
        }
    }

    pub fn missing(property: &str) -> Self {
        TokenError::new(
            MISSING_PROPERTY,
            format!("Property '{property}' either missing or empty."),
            "Property missing or empty.",
        )
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn respond(&self, ctx: &Ctx) -> Response {
        let end = ctx.end();
        let body = json!({
            "errorCode": self.code,
            "errorMessage": self.message,
            "errorDetails": self.details,
            "context": {
                "requestId": token_request_id(),
                "requestType": "incoming.Identity_Token",
                "userAgent": ctx.user_agent,
                // IBM's token service names itself, not the URL it was reached at; IBM's Node
                // SDK core tells an IAM error from another service's by "iam" in this URL.
                "url": IAM_URL,
                "instanceId": TOKEN_INSTANCE,
                "threadId": "1",
                "host": TOKEN_INSTANCE,
                "startTime": context_time(ctx.start),
                "endTime": context_time(end),
                "elapsedTime": ctx.elapsed_ms().to_string(),
                "locale": "en_US",
                "clusterName": "iam-emulator",
            }
        });
        (self.status, axum::Json(body)).into_response()
    }
}

/// An error of the platform APIs (IAM Identity v1, accounts, resource groups, admin faults,
/// policies, access groups).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message_code: &'static str,
    pub message: String,
    pub details: Option<String>,
    /// The policy service's structured `details` (`{"conflicts_with": ...}`).
    pub details_object: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message_code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            message_code,
            message: message.into(),
            details: None,
            details_object: None,
        }
    }

    /// An error of the policy or access group APIs, which carry no BXNIM message code.
    pub fn access(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(status, code, "", message)
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn details_object(mut self, details: serde_json::Value) -> Self {
        self.details_object = Some(details);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            INVALID_PROPERTY,
            message,
        )
    }

    pub fn missing(property: &str) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "missing_property",
            MISSING_PROPERTY,
            format!("Property '{property}' either missing or empty."),
        )
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            NOT_FOUND,
            format!("{what} with id '{id}' not found."),
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", FORBIDDEN, message)
    }

    pub fn respond(&self, ctx: &Ctx) -> Response {
        if access_api(&ctx.path) {
            return self.respond_lean();
        }
        let trace = random_hex32();
        let end = ctx.end();
        let error = json!({
            "code": self.code,
            "message_code": self.message_code,
            "message": self.message,
            "details": self.details.as_deref().unwrap_or(&self.message),
        });
        let body = json!({
            "errors": [error],
            "trace": trace,
            "status_code": self.status.as_u16(),
            "context": {
                "transaction_id": trace,
                "operation": format!("{} {}", ctx.method, ctx.path),
                "user_agent": ctx.user_agent,
                "url": ctx.path,
                "instance_id": "iam-emulator-0",
                "thread_id": "1",
                "host": ctx.host,
                "start_time": context_time(ctx.start),
                "end_time": context_time(end),
                "elapsed_time": ctx.elapsed_ms().to_string(),
                "cluster_name": "iam-emulator",
            }
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"IBM Cloud IAM\""),
            );
        }
        resp
    }
}

impl ApiError {
    /// The policy service's body: `trace`, `errors` of `code` and `message` (and structured
    /// `details` when there are some), `status_code`; no context, no BXNIM code.
    fn respond_lean(&self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(d) = &self.details_object {
            error["details"] = d.clone();
        } else if let Some(d) = &self.details {
            // A refusal's reason has no structured form; IBM's SDKs read `more_info` as text.
            error["more_info"] = json!(d);
        }
        let body = json!({
            "trace": random_hex32(),
            "errors": [error],
            "status_code": self.status.as_u16(),
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"IBM Cloud IAM\""),
            );
        }
        resp
    }
}

/// The outcome of a platform-API handler.
pub type ApiResult<T = Response> = Result<T, ApiError>;

/// What the token service's error `context` calls its URL: IBM's, whatever URL the emulator
/// was reached at.
pub const IAM_URL: &str = "https://iam.cloud.ibm.com";
/// The token service's `instanceId` and `host` (at IBM both are the serving pod's name).
const TOKEN_INSTANCE: &str = "iam-emulator-0";

/// The token service's error `context` times (`23.11.2025 09:05:12:123 UTC`, as IBM's answers
/// have written them since 2022; GMT before).
fn context_time(t: Timestamp) -> String {
    t.strftime("%d.%m.%Y %H:%M:%S:%3f UTC").to_string()
}

/// A token-service request id as IBM's look (`YnA4N2o-238821a41f6f40c48ef98917a695fe7c`): the
/// base64 of the last five characters of the serving instance's name, a dash, 32 hex digits.
fn token_request_id() -> String {
    use base64::Engine as _;
    let tail = &TOKEN_INSTANCE[TOKEN_INSTANCE.len().saturating_sub(5)..];
    let prefix = base64::engine::general_purpose::STANDARD_NO_PAD.encode(tail);
    format!("{prefix}-{}", random_hex32())
}

/// A request or trace id as IBM's look: 32 hex digits.
fn random_hex32() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The body is written by `render` once the request's context is known; until then the error
/// rides along as an extension.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        resp.extensions_mut().insert(self);
        resp
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        resp.extensions_mut().insert(self);
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lean_shape_is_for_the_policy_and_group_apis_only() {
        for p in [
            "/v1/policies",
            "/v1/policies/x",
            "/v2/roles/r",
            "/v2/groups/_allgroups/members/i",
        ] {
            assert!(access_api(p), "{p}");
        }
        for p in [
            "/v1/policiesx",
            "/v2/resource_groups",
            "/v1/apikeys",
            "/v2/groupsettings",
        ] {
            assert!(!access_api(p), "{p}");
        }
    }

    #[test]
    fn context_times_are_ibms() {
        let t = Timestamp::from_millisecond(1_705_312_800 * 1000 + 42).unwrap();
        assert_eq!(context_time(t), "15.01.2024 10:00:00:042 UTC");
    }

    #[test]
    fn request_ids_are_shaped_like_ibms() {
        let id = token_request_id();
        let (prefix, hex) = id.split_once('-').unwrap();
        assert_eq!(prefix, "dG9yLTA", "base64 of the instance name's tail");
        assert!(
            hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
        );
    }
}
