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
