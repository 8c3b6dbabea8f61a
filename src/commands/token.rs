//! `iamctl token decode [TOKEN|-]`: a token's claims and its expiry in local time.
//!
//! Decodes the payload only: no signature check, no network, no keyring. Without TOKEN it
//! shows the session's cached token as it is (one file read), even an expired one, because
//! the point is to inspect, not to renew.

use super::errors::login_needed;
use super::login_credential::read_stdin_bounded;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output;
use crate::session::now;
use crate::settings::tokens::{TokenDecode, TokenSource};
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Map, Value};

pub fn decode(ctx: &Context, s: TokenDecode) -> Result<()> {
    let out = &ctx.out;
    let (token, source) = match s.token {
        TokenSource::Session => {
            let creds = ctx.credentials()?;
            let (_, login) = creds
                .logged_in()
                .map_err(|e| login_needed(ctx, &creds, e))?;
            (login.access_token, "the session")
        }
        // Bounded like every secret iamctl reads from stdin: `token decode - </dev/zero`
        // must end with an error, not read forever.
        TokenSource::Stdin => (read_stdin_bounded("the token")?, "stdin"),
        TokenSource::Given(arg) => (arg, "the argument"),
    };
    let claims = claims_of(&token).map_err(|why| {
        CliError::usage(format!("The token from {source} is not a JWT: {why}."))
            .hint("pass the token ('Bearer ' is optional), or - and pipe it in: 'iamctl oauth-tokens | iamctl token decode -'")
    })?;
    if out.json() {
        out.print_json(&Value::Object(claims));
    } else {
        out.data(&render(&claims, now(), &LocalTime));
    }
    Ok(())
}

/// The JWT inside `text`: the last whitespace-separated word, so `<jwt>`, `Bearer <jwt>`
/// and a whole `IAM token:  Bearer <jwt>` line all work.
fn jwt_in(text: &str) -> Option<&str> {
    text.split_whitespace().next_back()
}

/// The payload of a JWT as a JSON object. The error says what is wrong, never the token.
pub fn claims_of(text: &str) -> std::result::Result<Map<String, Value>, &'static str> {
    let token = jwt_in(text).ok_or("it is empty")?;
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err("a JWT has three parts separated by dots");
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(parts[1].trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(parts[1]))
        .map_err(|_| "its payload is not base64url")?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("its payload is not a JSON object"),
        Err(_) => Err("its payload is not JSON"),
    }
}

/// How epoch seconds are shown; a trait so tests can pin the zone.
pub trait Clock {
    fn format(&self, epoch: i64) -> String;
}

/// The system's time zone (`TZ`, else `/etc/localtime`; UTC if neither says).
pub struct LocalTime;

impl Clock for LocalTime {
    fn format(&self, epoch: i64) -> String {
        match jiff::Timestamp::from_second(epoch) {
            Ok(ts) => ts
                .to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M:%S %Z")
                .to_string(),
            Err(_) => format!("{epoch} (out of range)"),
        }
    }
}

/// Claims one per line (nested values as compact JSON), then issue and expiry times.
pub fn render(claims: &Map<String, Value>, now: i64, clock: &dyn Clock) -> String {
    let rows: Vec<(&str, String)> = claims
        .iter()
        .map(|(k, v)| {
            let shown = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.as_str(), shown)
        })
        .collect();
    let mut text = output::aligned(&rows);
    let iat = claims.get("iat").and_then(Value::as_i64);
    let exp = claims.get("exp").and_then(Value::as_i64);
    let mut times = Vec::new();
    if let Some(iat) = iat {
        times.push((
            "Issued",
            format!("{} ({})", clock.format(iat), relative(iat, now)),
        ));
    }
    match exp {
        Some(exp) if exp <= now => times.push((
            "Expired",
            format!("{} ({})", clock.format(exp), relative(exp, now)),
        )),
        Some(exp) => times.push((
            "Expires",
            format!("{} ({})", clock.format(exp), relative(exp, now)),
        )),
        None => times.push(("Expires", "never (no exp claim)".to_string())),
    }
    text.push('\n');
    text.push_str(&output::aligned(&times));
    text
}

/// `in 58m 57s`, `3m 2s ago`, `now`.
fn relative(at: i64, now: i64) -> String {
    // `at` is whatever the token claims: the distance is taken without a subtraction that
    // could overflow.
    let span = human_duration(at.abs_diff(now));
    match at.cmp(&now) {
        std::cmp::Ordering::Equal => "now".to_string(),
        std::cmp::Ordering::Greater => format!("in {span}"),
        std::cmp::Ordering::Less => format!("{span} ago"),
    }
}

/// The two largest units: `2d 3h`, `1h 5m`, `4m 0s`, `9s`.
fn human_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Utc;
    impl Clock for Utc {
        fn format(&self, epoch: i64) -> String {
            format!("@{epoch}")
        }
    }

    fn jwt(payload: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(payload.as_bytes())
        )
    }

    #[test]
    fn accepts_bare_bearer_and_oauth_tokens_lines() {
        let t = jwt(r#"{"sub":"a"}"#);
        for input in [
            t.clone(),
            format!("Bearer {t}"),
            format!("IAM token:  Bearer {t}\n"),
        ] {
            let c = claims_of(&input).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(c.get("sub"), Some(&Value::String("a".into())));
        }
    }

    #[test]
    fn rejects_what_is_not_a_jwt_without_echoing_it() {
        assert_eq!(claims_of("   ").err(), Some("it is empty"));
        assert!(claims_of("abc.def").is_err());
        assert!(claims_of("a.!!!.c").is_err());
        assert!(claims_of(&format!("a.{}.c", URL_SAFE_NO_PAD.encode("[1]"))).is_err());
    }

    #[test]
    fn renders_claims_then_times() {
        let c = claims_of(&jwt(
            r#"{"iam_id":"IBMid-1","account":{"bss":"acc"},"iat":1000,"exp":4600}"#,
        ))
        .unwrap_or_default();
        let text = render(&c, 1063, &Utc);
        assert_eq!(
            text,
            "account:   {\"bss\":\"acc\"}\n\
             exp:       4600\n\
             iam_id:    IBMid-1\n\
             iat:       1000\n\
             \n\
             Issued:    @1000 (1m 3s ago)\n\
             Expires:   @4600 (in 58m 57s)\n"
        );
        assert!(render(&c, 4700, &Utc).contains("Expired:   @4600 (1m 40s ago)"));
    }

    #[test]
    fn claimed_times_at_the_ends_of_i64_render() {
        // Found by the jwt fuzz target: `iat` of i64::MIN overflowed `at - now`.
        let c = claims_of(&jwt(&format!(
            r#"{{"iat":{},"exp":{}}}"#,
            i64::MIN,
            i64::MAX
        )))
        .unwrap_or_default();
        let text = render(&c, 1000, &Utc);
        assert!(
            text.contains("Issued:    @-9223372036854775808 (106751991167300d 15h ago)"),
            "{text}"
        );
        assert!(
            text.contains("Expires:   @9223372036854775807 (in 106751991167300d 15h)"),
            "{text}"
        );
        assert_eq!(relative(5, 5), "now");
    }

    #[test]
    fn durations_keep_two_units() {
        assert_eq!(human_duration(9), "9s");
        assert_eq!(human_duration(240), "4m 0s");
        assert_eq!(human_duration(3900), "1h 5m");
        assert_eq!(human_duration(183_600), "2d 3h");
    }
}
