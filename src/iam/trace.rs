//! The one place HTTP traffic passes through on its way out and back (`Client::execute`),
//! and the redaction every future trace must apply. Tracing itself (`IBMCLOUD_TRACE`) is a
//! later feature; what it may print is decided here already.

// The redaction helpers are used by the unit tests now and by the trace printer later.
#![allow(dead_code)]

use std::time::Duration;

pub const HIDDEN: &str = "[PRIVATE DATA HIDDEN]";

/// Called by `Client::execute` before every attempt. `IBMCLOUD_TRACE` (a later feature)
/// prints `REQUEST: [time]` and the request here, headers through `redact_header`, the body
/// through `redact_body`. Today: nothing, at no cost.
#[inline]
pub fn request(_req: &reqwest::blocking::Request) {}

/// Called after every attempt with its outcome and duration (`RESPONSE: [time] Elapsed: NNms`).
#[inline]
pub fn response(
    _outcome: &Result<reqwest::blocking::Response, reqwest::Error>,
    _elapsed: Duration,
) {
}

/// Field names whose values are secrets, in forms, JSON and query strings.
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password", "token", "apikey", "api_key", "passcode", "secret",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// A header line as it may be shown: `Authorization` (and friends) hidden.
pub fn redact_header(name: &str, value: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n == "authorization" || n == "iam-apikey" || n == "cookie" || n == "set-cookie" {
        format!("{name}: {HIDDEN}")
    } else {
        format!("{name}: {value}")
    }
}

/// `a=1&apikey=xyz` -> `a=1&apikey=[PRIVATE DATA HIDDEN]`.
pub fn redact_form(body: &str) -> String {
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_field(&url_decode_key(k)) => format!("{k}={HIDDEN}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn url_decode_key(k: &str) -> String {
    url::form_urlencoded::parse(format!("{k}=").as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_else(|| k.to_string())
}

/// JSON with every secret-named string value hidden (recursively).
pub fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_field(k) && (v.is_string() || v.is_number()) {
                        Value::String(HIDDEN.to_string())
                    } else {
                        redact_json(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        other => other.clone(),
    }
}

/// Any body: JSON if it parses, a form otherwise.
pub fn redact_body(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => redact_json(&v).to_string(),
        Err(_) => redact_form(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_hide_secret_values() {
        assert_eq!(
            redact_form(
                "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=SECRET&response_type=cloud_iam"
            ),
            format!(
                "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={HIDDEN}&response_type=cloud_iam"
            )
        );
        let r = redact_form("username=a&password=p&passcode=c&refresh_token=r");
        assert!(
            !r.contains("=p") && !r.contains("=c&") && !r.contains("=r"),
            "{r}"
        );
    }

    #[test]
    fn json_and_headers_hide_secret_values() {
        let v = serde_json::json!({"access_token":"A","refresh_token":"R","expires_in":3600,"nested":{"apikey":"K"},"name":"n"});
        let s = redact_json(&v).to_string();
        assert!(
            !s.contains("\"A\"") && !s.contains("\"R\"") && !s.contains("\"K\""),
            "{s}"
        );
        assert!(s.contains("\"n\""));
        assert_eq!(
            redact_header("Authorization", "Basic Yng6Yng="),
            format!("Authorization: {HIDDEN}")
        );
        assert_eq!(
            redact_header("Accept", "application/json"),
            "Accept: application/json"
        );
    }
}
