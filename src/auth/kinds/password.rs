//! A user's password login (IBMid or an App ID user). The password is never kept: the
//! session renews with its refresh token only.

use super::{Kind, Renewal, Renewed, Stop, refresh};
use crate::iam::Grant;
use serde::{Deserialize, Serialize};

pub struct Given {
    pub username: String,
    pub password: String,
}

impl Given {
    pub(super) fn grant(&self) -> Grant<'_> {
        Grant::Password {
            username: &self.username,
            password: &self.password,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Password {}

impl Kind for Password {
    fn describe(&self) -> &'static str {
        "password"
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
    use crate::auth::tests::{World, ok};
    use crate::auth::{AccountChoice, AuthError, Expired};

    #[test]
    fn a_password_session_whose_refresh_token_died_has_expired() {
        let w = World::new();
        ok(w.log_in_to(w.password(), AccountChoice::None));
        w.admin("/emulator/refresh-tokens/revoke", serde_json::json!({}));
        w.age_token();
        match w.creds().fresh() {
            Err(AuthError::Expired(e)) => {
                assert!(matches!(*e, Expired::RefreshRefused(_)), "{e:?}")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}
