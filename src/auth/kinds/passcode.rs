//! A single sign-on login with a one-time code from IAM's passcode page. The code is spent
//! by the first grant; the session renews with its refresh token only.

use super::{Kind, Renewal, Renewed, Stop, refresh};
use crate::iam::Grant;
use serde::{Deserialize, Serialize};

pub struct Given {
    pub code: String,
}

impl Given {
    pub(super) fn grant(&self) -> Grant<'_> {
        Grant::Passcode(&self.code)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sso {}

impl Kind for Sso {
    fn describe(&self) -> &'static str {
        "SSO"
    }

    fn renewal(&self) -> String {
        "refresh token".into()
    }

    fn own_refresh_token(&self) -> bool {
        true
    }

    fn renew(&self, r: &Renewal<'_>) -> Result<Renewed, Stop> {
        refresh(r).map(Renewed::own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tests::{World, access_token, ok};
    use crate::auth::{AccountChoice, Credential};

    #[test]
    fn an_sso_session_keeps_only_its_refresh_token_and_renews_with_it() {
        let w = World::new();
        let v = w.admin(
            "/emulator/passcodes",
            serde_json::json!({ "user": w.info().sso_user }),
        );
        let code = v["passcode"].as_str().unwrap_or_default().to_string();
        let s = ok(w.log_in_to(Credential::Passcode(Given { code }), AccountChoice::None));
        assert_eq!(s.login.as_ref().map(|l| l.kind.name()), Some("sso"));
        assert_eq!(w.slots_stored(), ["refresh_token"]);
        w.age_token();
        let (_, login) = ok(w.creds().fresh());
        assert_ne!(login.access_token, access_token(&s));
    }
}
