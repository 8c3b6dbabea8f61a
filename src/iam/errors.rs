//! IBM error bodies -> one readable line.
//!
//! The token endpoint answers `{"errorCode", "errorMessage", "errorDetails", "context"}`;
//! the v1 and platform APIs answer `{"errors": [{"code", "message", "details"}]}` or
//! `{"message", "error_code"}`. Like IBM's CLI SDK we show `errorDetails` before
//! `errorMessage`, then the code.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: Option<String>,
    pub message: String,
    pub details: Option<String>,
}

/// A field as one line: IAM's texts are shown after `FAILED`, where a line break or a
/// terminal escape in a server's answer could pass for iamctl's own output.
fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(|x| x.as_str())
        .map(|s| {
            s.split(|c: char| c.is_whitespace() || c.is_control())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|s| !s.is_empty())
}

impl ApiError {
    pub fn parse(status: u16, body: &[u8]) -> ApiError {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        if let Some(v) = json.as_ref() {
            if let Some(message) = text(v, "errorMessage") {
                return ApiError {
                    status,
                    code: text(v, "errorCode"),
                    message,
                    details: text(v, "errorDetails"),
                };
            }
            if let Some(first) = v
                .get("errors")
                .and_then(|e| e.as_array())
                .and_then(|a| a.first())
                && let Some(message) = text(first, "message")
            {
                return ApiError {
                    status,
                    code: text(first, "code").or_else(|| text(first, "message_code")),
                    message,
                    details: text(first, "details"),
                };
            }
            if let Some(message) = text(v, "message").or_else(|| text(v, "error_description")) {
                return ApiError {
                    status,
                    code: text(v, "error_code").or_else(|| text(v, "code")),
                    message,
                    details: None,
                };
            }
        }
        ApiError {
            status,
            code: None,
            message: format!("HTTP {status}{}", reason(status)),
            details: None,
        }
    }

    /// True when IAM says "this grant cannot work" (bad or dead credential), as opposed to
    /// a server or rate problem.
    pub fn is_client_error(&self) -> bool {
        (400..500).contains(&self.status) && self.status != 429
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// One line: details, then message, then the code in brackets.
    pub fn line(&self) -> String {
        let mut s = String::new();
        if let Some(d) = &self.details
            && d != &self.message
        {
            s.push_str(d);
            if !d.ends_with('.') {
                s.push('.');
            }
            s.push(' ');
        }
        s.push_str(&self.message);
        if let Some(code) = &self.code {
            s.push_str(&format!(" ({code})"));
        }
        s
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => " Bad Request",
        401 => " Unauthorized",
        403 => " Forbidden",
        404 => " Not Found",
        429 => " Too Many Requests",
        500 => " Internal Server Error",
        502 => " Bad Gateway",
        503 => " Service Unavailable",
        504 => " Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_endpoint_errors_show_details_first() {
        let e = ApiError::parse(
            400,
            br#"{"errorCode":"BXNIM0109E","errorMessage":"Property missing or empty.","errorDetails":"Property 'grant_type' either missing or empty.","context":{"requestId":"x"}}"#,
        );
        assert_eq!(
            e.line(),
            "Property 'grant_type' either missing or empty. Property missing or empty. (BXNIM0109E)"
        );
        assert!(e.is_client_error());
        assert!(e.has_code("BXNIM0109E"));
    }

    #[test]
    fn messages_are_one_line_without_escapes() {
        // Found by the iam_error fuzz target: a message with a line break printed two lines.
        let e = ApiError::parse(
            400,
            br#"{"errorMessage":"first\nOK\r\n","errorDetails":"a\u001b[2Jb\tc","errorCode":"X\n"}"#,
        );
        assert_eq!(e.line(), "a [2Jb c. first OK (X)");
    }

    #[test]
    fn v1_errors_and_plain_bodies() {
        let e = ApiError::parse(
            404,
            br#"{"errors":[{"code":"not_found","message":"Service ID not found."}],"status_code":404}"#,
        );
        assert_eq!(e.line(), "Service ID not found. (not_found)");
        let e = ApiError::parse(503, b"<html>busy</html>");
        assert_eq!(e.line(), "HTTP 503 Service Unavailable");
        assert!(!e.is_client_error());
    }
}
