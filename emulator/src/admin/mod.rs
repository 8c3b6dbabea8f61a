//! The emulator's own API under `/emulator/`: passcodes for automation, stats, fault
//! injection, token lifetimes, refresh-token revocation, the clock and compute-resource tokens
//! (`tools.rs`, `faults.rs`), the request journal (`journal.rs`), resets to the start or to
//! a snapshot (`reset.rs`), and accounts, users, resource groups and API keys added at
//! runtime (`world.rs`). Open on loopback unless an admin token is set
//! (`http::router::admin_auth`), so whatever it keeps is bounded: every string a request brings
//! is at most `MAX_FIELD_BYTES`, every list `MAX_LIST_ITEMS`, and each store has its own cap.

mod faults;
pub mod journal;
mod reset;
mod tools;
mod world;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::app::App;

/// The longest string (or object key) an admin request may carry: CRNs, URLs and names are
/// far shorter, and the admin API stores what it is sent.
pub const MAX_FIELD_BYTES: usize = 1024;
/// The longest list an admin request may carry.
pub const MAX_LIST_ITEMS: usize = 100;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/emulator/passcodes", post(tools::create_passcode))
        .route("/emulator/cr-tokens", post(tools::create_cr_token))
        .route("/emulator/stats", get(tools::stats))
        .route(
            "/emulator/faults",
            post(faults::add).get(faults::list).delete(faults::clear),
        )
        .route(
            "/emulator/config",
            get(tools::get_config).put(tools::put_config),
        )
        .route(
            "/emulator/refresh-tokens/revoke",
            post(tools::revoke_refresh_tokens),
        )
        .route(
            "/emulator/clock",
            get(tools::get_clock).post(tools::advance_clock),
        )
        .route(journal::PATH, get(journal::list).delete(journal::clear))
        .route("/emulator/reset", post(reset::reset))
        .route("/emulator/snapshots", post(reset::take).get(reset::list))
        .route("/emulator/snapshots/{name}", delete(reset::delete))
        .route("/emulator/accounts", post(world::add_account))
        .route("/emulator/users", post(world::add_user))
        .route("/emulator/resource-groups", post(world::add_resource_group))
        .route("/emulator/apikeys", post(world::add_api_key))
}

/// Why the admin API refuses a request; each is answered `{"error": "<Display>"}`.
#[derive(Debug)]
pub enum AdminError {
    /// The body is not JSON, or not the object the endpoint takes.
    BadBody(serde_json::Error),
    /// A string or list of the body is longer than the admin API keeps (413).
    TooLarge {
        field: String,
        limit: usize,
        unit: &'static str,
    },
    /// One of the admin API's stores is full (429); `hint` says how to make room.
    Full {
        what: &'static str,
        limit: usize,
        hint: &'static str,
    },
    /// A value the endpoint does not take.
    Invalid(String),
    NotFound(String),
    /// What the request would add is there already (an id, a name, a key's value).
    Conflict(String),
    Internal(String),
}

impl AdminError {
    pub fn status(&self) -> StatusCode {
        match self {
            AdminError::BadBody(_) | AdminError::Invalid(_) => StatusCode::BAD_REQUEST,
            AdminError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AdminError::Full { .. } => StatusCode::TOO_MANY_REQUESTS,
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::Conflict(_) => StatusCode::CONFLICT,
            AdminError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn invalid(message: impl std::fmt::Display) -> AdminError {
        AdminError::Invalid(message.to_string())
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminError::BadBody(e) => write!(f, "invalid JSON body: {e}"),
            AdminError::TooLarge { field, limit, unit } => {
                write!(
                    f,
                    "'{field}' is longer than {limit} {unit}, the most the admin API keeps"
                )
            }
            AdminError::Full { what, limit, hint } => {
                write!(f, "at most {limit} {what} are kept; {hint}")
            }
            AdminError::Invalid(m)
            | AdminError::NotFound(m)
            | AdminError::Conflict(m)
            | AdminError::Internal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for AdminError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AdminError::BadBody(e) => Some(e),
            _ => None,
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (
            self.status(),
            axum::Json(json!({"error": self.to_string()})),
        )
            .into_response()
    }
}

pub type AdminResult = Result<Response, AdminError>;

/// Parses a JSON body (an empty one as `{}`) after checking that no string or list in it is
/// longer than the admin API keeps.
pub fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, AdminError> {
    let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(bytes).map_err(AdminError::BadBody)?
    };
    check_sizes(&value, "")?;
    serde_json::from_value(value).map_err(AdminError::BadBody)
}

/// Refuses, naming it, the first string, key or list over the bounds. serde_json's parser
/// stops at 128 levels of nesting, which bounds this recursion too.
fn check_sizes(v: &Value, at: &str) -> Result<(), AdminError> {
    let name = |at: &str| {
        if at.is_empty() {
            "body".to_owned()
        } else {
            at.to_owned()
        }
    };
    match v {
        Value::String(s) if s.len() > MAX_FIELD_BYTES => Err(AdminError::TooLarge {
            field: name(at),
            limit: MAX_FIELD_BYTES,
            unit: "bytes",
        }),
        Value::Array(items) => {
            if items.len() > MAX_LIST_ITEMS {
                return Err(AdminError::TooLarge {
                    field: name(at),
                    limit: MAX_LIST_ITEMS,
                    unit: "items",
                });
            }
            items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| check_sizes(item, &format!("{at}[{i}]")))
        }
        Value::Object(fields) => fields.iter().try_for_each(|(k, item)| {
            let key: String = k.chars().take(64).collect();
            let at = if at.is_empty() {
                key
            } else {
                format!("{at}.{key}")
            };
            if k.len() > MAX_FIELD_BYTES {
                return Err(AdminError::TooLarge {
                    field: at,
                    limit: MAX_FIELD_BYTES,
                    unit: "bytes",
                });
            }
            check_sizes(item, &at)
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Probe {
        #[serde(default)]
        #[allow(dead_code)]
        a: Option<Value>,
    }

    #[test]
    fn strings_and_lists_over_the_bounds_are_named() {
        let long = "x".repeat(MAX_FIELD_BYTES + 1);
        let refused = |v: Value| {
            body::<Probe>(&Bytes::from(v.to_string()))
                .err()
                .map(|e| (e.status().as_u16(), e.to_string()))
        };
        let (status, msg) = refused(json!({"a": {"b": [1, long]}})).unwrap();
        assert_eq!(status, 413);
        assert!(
            msg.starts_with("'a.b[1]' is longer than 1024 bytes"),
            "{msg}"
        );
        let (_, msg) = refused(json!({"a": vec![0; MAX_LIST_ITEMS + 1]})).unwrap();
        assert!(msg.starts_with("'a' is longer than 100 items"), "{msg}");
        assert!(refused(json!({"a": "x".repeat(MAX_FIELD_BYTES)})).is_none());
        assert!(body::<Probe>(&Bytes::from_static(b"  ")).is_ok());
        assert_eq!(
            body::<Probe>(&Bytes::from_static(b"{"))
                .unwrap_err()
                .status(),
            StatusCode::BAD_REQUEST
        );
    }
}
