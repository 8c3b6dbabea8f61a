//! Reads the claims of an IAM access token. No signature check: the token came straight from
//! IAM over TLS, and iamctl only needs identity and timing from it.

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Claims {
    #[serde(default)]
    pub iam_id: String,
    #[serde(default)]
    pub sub: String,
    #[serde(default)]
    pub sub_type: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub identifier: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub account: Option<AccountClaim>,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub exp: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccountClaim {
    #[serde(default)]
    pub bss: Option<String>,
}

impl Claims {
    /// What `User:` shows: the email for users, a trusted profile's name and ID, the
    /// identifier (or sub) otherwise.
    pub fn display_user(&self) -> String {
        if self.sub_type.as_deref() == Some("Profile")
            && let (Some(name), Some(id)) = (&self.name, &self.identifier)
            && !name.is_empty()
        {
            return format!("{name} ({id})");
        }
        self.email
            .clone()
            .filter(|e| !e.is_empty())
            .or_else(|| self.identifier.clone().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| self.sub.clone())
    }

    pub fn account_bss(&self) -> Option<&str> {
        self.account
            .as_ref()
            .and_then(|a| a.bss.as_deref())
            .filter(|s| !s.is_empty())
    }
}

/// Decodes the payload of a JWT; `None` if it is not one.
pub fn decode(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(payload))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.sig",
            URL_SAFE_NO_PAD.encode(payload.as_bytes())
        )
    }

    #[test]
    fn decodes_identity_account_and_times() {
        let t = jwt(
            r#"{"iam_id":"IBMid-1","sub":"a@b.c","email":"a@b.c","account":{"bss":"acc1","ims":"77"},"iat":10,"exp":3610}"#,
        );
        let c = decode(&t).unwrap_or_default();
        assert_eq!(c.iam_id, "IBMid-1");
        assert_eq!(c.display_user(), "a@b.c");
        assert_eq!(c.account_bss(), Some("acc1"));
        assert_eq!(c.exp, Some(3610));
    }

    #[test]
    fn service_ids_show_their_identifier() {
        let c = decode(&jwt(
            r#"{"iam_id":"iam-ServiceId-1","sub":"ServiceId-1","identifier":"ServiceId-1","sub_type":"ServiceId"}"#,
        ))
        .unwrap_or_default();
        assert_eq!(c.display_user(), "ServiceId-1");
    }

    #[test]
    fn trusted_profiles_show_their_name_and_id() {
        let c = decode(&jwt(
            r#"{"iam_id":"iam-Profile-1","sub":"Profile-1","identifier":"Profile-1","name":"ci","sub_type":"Profile"}"#,
        ))
        .unwrap_or_default();
        assert_eq!(c.display_user(), "ci (Profile-1)");
    }

    #[test]
    fn garbage_is_none() {
        assert!(decode("not-a-jwt").is_none());
        assert!(decode("a.!!!.c").is_none());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any text, JWT-shaped or not, is decoded or refused without a panic.
            #[test]
            fn decoding_any_text_never_panics(text in any::<String>()) {
                let _ = decode(&text);
            }

            #[test]
            fn decoding_dotted_base64_never_panics(parts in proptest::collection::vec("[A-Za-z0-9_=-]{0,40}", 0..5)) {
                let _ = decode(&parts.join("."));
            }

            /// The claims iamctl reads come back from any token that carries them.
            #[test]
            fn claims_are_read_back(
                iam_id in any::<String>(),
                email in any::<Option<String>>(),
                bss in any::<Option<String>>(),
                iat in any::<Option<i64>>(),
                exp in any::<Option<i64>>(),
            ) {
                let payload = serde_json::json!({
                    "iam_id": iam_id, "email": email, "account": {"bss": bss}, "iat": iat, "exp": exp,
                });
                let c = decode(&jwt(&payload.to_string())).ok_or_else(|| TestCaseError::fail("refused"))?;
                prop_assert_eq!(c.iam_id, iam_id);
                prop_assert_eq!(c.email, email);
                prop_assert_eq!(c.account.and_then(|a| a.bss), bss);
                prop_assert_eq!((c.iat, c.exp), (iat, exp));
            }
        }
    }
}
