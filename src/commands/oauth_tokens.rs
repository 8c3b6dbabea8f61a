//! `iamctl [iam] oauth-tokens`: prints `IAM token:  Bearer <jwt>` (the only line containing
//! `IAM`, so IBM's documented `grep IAM | cut ...` pipelines work), or JSON with `iam_token`.
//!
//! With a valid cached token this reads the session file and nothing else.

use super::fresh_session;
use crate::cli::OauthTokensArgs;
use crate::error::{CliError, Result};
use crate::output::Out;
use crate::session::SessionStore;

pub fn run(_args: &OauthTokensArgs, out: &Out) -> Result<()> {
    let store = SessionStore::open()?;
    let session = fresh_session(&store, out)?;
    let login = session.login.ok_or_else(CliError::not_logged_in)?;
    if out.json() {
        out.print_json(&serde_json::json!({
            "iam_token": format!("Bearer {}", login.access_token),
            "expiration": login.token_expires_at,
        }));
    } else {
        out.data(&format!("IAM token:  Bearer {}\n", login.access_token));
    }
    Ok(())
}
