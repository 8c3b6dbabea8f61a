//! Reading a platform API request (IAM Identity, policies, access groups): its JSON body,
//! query flags and boolean headers, each refused with IAM's 400 (`invalid_request` for a wrong
//! type, `missing_property` for an absent one).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::http::errors::ApiError;

/// The body as a JSON object; an empty body counts as `{}` (IBM's SDKs send none on some PUTs).
pub fn json_body(bytes: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiError::bad_request(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

pub fn opt_string(body: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(format!(
            "Property '{name}' must be a string."
        ))),
    }
}

pub fn req_string(body: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match opt_string(body, name)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::missing(name)),
    }
}

pub fn opt_bool(body: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::bad_request(format!(
            "Property '{name}' must be a boolean."
        ))),
    }
}

pub fn opt_strings(body: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| {
                    ApiError::bad_request(format!("Property '{name}' must be an array of strings."))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::bad_request(format!(
            "Property '{name}' must be an array of strings."
        ))),
    }
}

/// `Entity-Lock` and `Entity-Disable`: absent or empty is false.
pub fn header_flag(headers: &HeaderMap, name: &str) -> Result<bool, ApiError> {
    match headers.get(name).map(|v| v.to_str().map(str::trim)) {
        None => Ok(false),
        Some(Ok(v)) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(Ok(v)) if v.eq_ignore_ascii_case("false") || v.is_empty() => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "Header '{name}' must be 'true' or 'false'."
        ))),
    }
}

pub fn query_flag(q: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match q.get(name).map(String::as_str) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid value '{other}' for '{name}'; expected true or false."
        ))),
    }
}
