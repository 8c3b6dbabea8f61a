//! The HTTP trace (`IAMCTL_TRACE` / `IBMCLOUD_TRACE` = `true` for stderr, or a file path to
//! append to) and the redaction it applies. `Client::execute` is the one place requests and
//! responses pass through, and it calls `request`/`response`/`failure` here.
//!
//! Format (IBM's, facts file §7): `REQUEST: [time]` then the request line, headers and body;
//! `RESPONSE: [time] Elapsed: NNms` then the status line, headers and body. Secrets are
//! replaced with `[PRIVATE DATA HIDDEN]` in headers, forms, JSON and query strings, and as a
//! last line of defence anything shaped like a JWT is hidden wherever it appears.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

pub const HIDDEN: &str = "[PRIVATE DATA HIDDEN]";

/// Field names whose values are secrets, in forms, JSON and query strings. Matching by
/// substring covers `access_token`, `refresh_token`, `iam_token`, `client_secret`, ...; when
/// in doubt a field is hidden.
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    // Metadata about a secret (its type or expiry) is not the secret, nor is a list's page
    // cursor, and a trace that hides `expires_in` or `pagetoken` is a worse debugging tool.
    if n == "pagetoken"
        || ["_type", "_expiration", "_expires_at", "_expires_in"]
            .iter()
            .any(|s| n.ends_with(s))
    {
        return false;
    }
    [
        "password", "token", "apikey", "api_key", "passcode", "secret",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// A header line as it may be shown: `Authorization` (and friends) hidden.
pub fn redact_header(name: &str, value: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n == "authorization"
        || n == "proxy-authorization"
        || n == "iam-apikey"
        || n == "cookie"
        || n == "set-cookie"
        || n.contains("token")
    {
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

/// Any body: JSON if it parses, a form if it is one; then any leftover JWT hidden. What is
/// neither (JSON this parser refuses, such as a number out of range, or a page of HTML) is
/// not shown: the rules that find secrets cannot read it, so it may hold any of them.
pub fn redact_body(body: &str) -> String {
    let redacted = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => redact_json(&v).to_string(),
        Err(_) if is_form(body) => redact_form(body),
        Err(_) => format!(
            "[{} bytes hidden: neither JSON nor a form, so their secrets cannot be told apart]",
            body.len()
        ),
    };
    hide_jwts(&redacted)
}

/// `key=value&key=value`, URL-encoded: no spaces, quotes or braces, a `=` in every pair.
fn is_form(body: &str) -> bool {
    let key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-%+*".contains(c))
    };
    !body.is_empty()
        && !body
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"{}[]<>".contains(c))
        && body
            .split('&')
            .all(|pair| pair.split_once('=').is_some_and(|(k, _)| key(k)))
}

/// `/v1/x?account_id=a&apikey=k` -> `/v1/x?account_id=a&apikey=[PRIVATE DATA HIDDEN]`.
pub fn redact_path_and_query(url: &url::Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{}", url.path(), hide_jwts(&redact_form(q))),
        None => url.path().to_string(),
    }
}

/// Replaces every JWT-shaped run (`eyJ...` `.` `...` `.` `...`) with the marker. IAM access
/// tokens are JWTs, so one that slipped past the field rules still never reaches a trace.
pub fn hide_jwts(text: &str) -> String {
    fn b64(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '-' || c == '_'
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("eyJ") {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let end = tail
            .find(|c: char| !(b64(c) || c == '.'))
            .unwrap_or(tail.len());
        let candidate = &tail[..end];
        let parts: Vec<&str> = candidate.split('.').collect();
        if parts.len() >= 3 && parts[0].len() > 3 && !parts[1].is_empty() {
            out.push_str(HIDDEN);
        } else {
            out.push_str(candidate);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

// ---- the trace itself ------------------------------------------------------------------

enum Sink {
    Stderr,
    File(std::fs::File),
}

static SINK: OnceLock<Option<Mutex<Sink>>> = OnceLock::new();

/// The trace setting: `IAMCTL_TRACE` whenever it is set, else `IBMCLOUD_TRACE`. Set but
/// empty still wins, so that `IAMCTL_TRACE=` turns off a trace `IBMCLOUD_TRACE` asks for
/// (an `ibmcloud` setting in a profile, say) for one iamctl command.
fn setting() -> Option<String> {
    std::env::var("IAMCTL_TRACE")
        .ok()
        .or_else(|| std::env::var("IBMCLOUD_TRACE").ok())
}

#[derive(Debug, PartialEq, Eq)]
enum Target {
    Off,
    Stderr,
    File(String),
}

/// `true` -> stderr, `false` or empty -> off (any case), anything else is a file path.
fn target(setting: Option<&str>) -> Target {
    match setting.map(str::trim) {
        None | Some("") => Target::Off,
        Some(v) if v.eq_ignore_ascii_case("false") => Target::Off,
        Some(v) if v.eq_ignore_ascii_case("true") => Target::Stderr,
        Some(path) => Target::File(path.to_string()),
    }
}

fn sink() -> Option<&'static Mutex<Sink>> {
    SINK.get_or_init(|| match target(setting().as_deref()) {
        Target::Off => None,
        Target::Stderr => Some(Mutex::new(Sink::Stderr)),
        Target::File(path) => {
            let mut opts = OpenOptions::new();
            opts.create(true).append(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            match opts.open(&path) {
                Ok(f) => Some(Mutex::new(Sink::File(f))),
                Err(error) => {
                    // A trace is a debugging aid: the command still runs, but says why
                    // there is no trace rather than failing silently.
                    report(super::Warning::TraceUnopenable { path, error });
                    None
                }
            }
        }
    })
    .as_ref()
}

/// Whether tracing is on (opens the trace file on first use).
pub fn enabled() -> bool {
    sink().is_some()
}

/// Whether the trace goes to stderr (then the spinner stays off so they do not mix).
pub fn to_stderr() -> bool {
    target(setting().as_deref()) == Target::Stderr
}

fn write(text: &str) {
    let Some(sink) = sink() else { return };
    let mut guard = match sink.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    let written = match &mut *guard {
        Sink::Stderr => std::io::stderr().write_all(text.as_bytes()),
        Sink::File(f) => f.write_all(text.as_bytes()).and_then(|_| f.flush()),
    };
    // A full disk or a file-size limit: the command goes on (the trace is a debugging aid),
    // but says once that the trace is cut short, naming the file.
    if let (Err(error), Some(path)) = (written, setting().filter(|_| !to_stderr())) {
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            report(super::Warning::TraceIncomplete {
                path: path.trim().to_string(),
                error,
            })
        });
    }
}

/// A problem with the trace, kept for the client to report (the trace has no way to speak).
static PROBLEM: Mutex<Option<super::Warning>> = Mutex::new(None);

fn report(w: super::Warning) {
    if let Ok(mut slot) = PROBLEM.lock() {
        slot.get_or_insert(w);
    }
}

/// The trace's problem since the last call, if any.
pub fn take_problem() -> Option<super::Warning> {
    PROBLEM.lock().ok().and_then(|mut slot| slot.take())
}

/// `[2026-06-15T10:58:12+02:00]` in local time, like IBM's trace.
fn stamp() -> String {
    jiff::Zoned::now()
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn headers_text(headers: &reqwest::header::HeaderMap) -> String {
    let mut s = String::new();
    for (name, value) in headers {
        let v = String::from_utf8_lossy(value.as_bytes());
        s.push_str(&hide_jwts(&redact_header(
            canonical(name.as_str()).as_str(),
            &v,
        )));
        s.push('\n');
    }
    s
}

/// `content-type` -> `Content-Type` (HTTP/1 style, as IBM's dumps show them).
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn body_text(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => format!("{}\n", redact_body(text)),
        Err(_) => format!("[{} bytes of binary data]\n", bytes.len()),
    }
}

/// Traces a request about to be sent.
pub fn request(req: &reqwest::blocking::Request, user_agent: &str) {
    let url = req.url();
    let mut text = format!(
        "\nREQUEST: [{}]\n{} {} HTTP/1.1\n",
        stamp(),
        req.method(),
        redact_path_and_query(url)
    );
    if let Some(host) = url.host_str() {
        match url.port() {
            Some(p) => text.push_str(&format!("Host: {host}:{p}\n")),
            None => text.push_str(&format!("Host: {host}\n")),
        }
    }
    text.push_str(&headers_text(req.headers()));
    if !req.headers().contains_key(reqwest::header::USER_AGENT) {
        text.push_str(&format!("User-Agent: {user_agent}\n"));
    }
    text.push('\n');
    if let Some(body) = req.body() {
        match body.as_bytes() {
            Some(b) => text.push_str(&body_text(b)),
            None => text.push_str("[streamed body]\n"),
        }
    }
    write(&text);
}

/// Traces a response: reads its body, then hands back an equivalent response.
pub fn response(
    resp: reqwest::blocking::Response,
    elapsed: Duration,
) -> Result<reqwest::blocking::Response, reqwest::Error> {
    use reqwest::ResponseBuilderExt;
    let status = resp.status();
    let version = resp.version();
    let headers = resp.headers().clone();
    let url = resp.url().clone();
    let mut text = format!(
        "\nRESPONSE: [{}] Elapsed: {}ms\n{:?} {}\n",
        stamp(),
        elapsed.as_millis(),
        version,
        status
    );
    text.push_str(&headers_text(&headers));
    text.push('\n');
    // One byte past the limit, so that the reader after the trace still sees too much.
    let mut bytes = Vec::new();
    let mut capped = std::io::Read::take(resp, super::BODY_LIMIT + 1);
    if let Err(e) = std::io::Read::read_to_end(&mut capped, &mut bytes) {
        text.push_str(&format!("[body could not be read: {e}]\n"));
    } else if bytes.len() as u64 > super::BODY_LIMIT {
        text.push_str("[body too large: not traced]\n");
    } else {
        text.push_str(&body_text(&bytes));
    }
    write(&text);
    // Only the URL extension is set on the builder, which cannot fail; the fallback merely
    // loses the URL (used in error messages).
    let mut rebuilt = match http::Response::builder().url(url).body(()) {
        Ok(r) => r.map(|()| bytes),
        Err(_) => http::Response::new(bytes),
    };
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::blocking::Response::from(rebuilt))
}

/// Traces a request that got no response.
pub fn failure(err: &reqwest::Error, elapsed: Duration) {
    // The reqwest error names the URL; drop its query, which could carry a secret.
    let message = hide_jwts(&redact_form(&err.to_string()));
    write(&format!(
        "\nRESPONSE: [{}] Elapsed: {}ms\nERROR: {message}\n",
        stamp(),
        elapsed.as_millis()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_the_rules_cannot_read_is_hidden_whole() {
        // JSON this parser refuses (a number out of range) once fell back to the form rules,
        // which found no `key=value` in it and printed the refresh token.
        let body = r#"{"refresh_token":"opaque-rt-secret","expiration":1e400}"#;
        let shown = redact_body(body);
        assert!(!shown.contains("opaque-rt-secret"), "{shown}");
        assert!(shown.contains("bytes hidden"), "{shown}");
        for body in ["<html>apikey: k</html>", "token k", "apikey"] {
            assert!(redact_body(body).contains("bytes hidden"), "{body}");
        }
        assert_eq!(
            redact_body("grant_type=x&apikey=k"),
            format!("grant_type=x&apikey={HIDDEN}")
        );
    }

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
    fn trace_settings() {
        assert_eq!(target(None), Target::Off);
        assert_eq!(target(Some("FALSE")), Target::Off);
        assert_eq!(target(Some("")), Target::Off);
        assert_eq!(target(Some("  ")), Target::Off);
        assert_eq!(target(Some("True")), Target::Stderr);
        assert_eq!(
            target(Some("/tmp/t.log")),
            Target::File("/tmp/t.log".into())
        );
    }

    #[test]
    fn jwts_are_hidden_anywhere() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
        assert_eq!(
            hide_jwts(&format!("x Bearer {jwt} y")),
            format!("x Bearer {HIDDEN} y")
        );
        assert_eq!(hide_jwts("eyJust text"), "eyJust text");
        let url = url::Url::parse("http://h/v1/k?account_id=a&apikey=SECRET&refresh_token=R")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            redact_path_and_query(&url),
            format!("/v1/k?account_id=a&apikey={HIDDEN}&refresh_token={HIDDEN}")
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
        let meta =
            serde_json::json!({"token_type":"Bearer","refresh_token_expiration":5,"pagetoken":"p"});
        assert_eq!(redact_json(&meta), meta);
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
