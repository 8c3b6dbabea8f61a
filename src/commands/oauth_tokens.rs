//! `iamctl [iam] oauth-tokens`: prints `IAM token:  Bearer <jwt>` (the only line containing
//! `IAM`, so IBM's documented `grep IAM | cut ...` pipelines work), JSON with `iam_token`,
//! the bare token (`raw`), or shell `export` lines (`env`).
//!
//! With a valid cached token this reads the session file and nothing else, whatever the
//! format: every format is rendered from the same `Session`.

use super::errors::login_needed;
use crate::auth::Credentials;
use crate::cli::OauthTokensArgs;
use crate::error::Result;
use crate::output::{Out, TokenFormat};

/// The variables `--output env` exports and `exec` sets. `IC_IAM_TOKEN` and
/// `IBMCLOUD_IAM_TOKEN` are the two the IBM Terraform provider reads for `iam_token`.
pub const TOKEN_VARS: [&str; 2] = ["IBMCLOUD_IAM_TOKEN", "IC_IAM_TOKEN"];

/// The value those variables hold: `Bearer <jwt>`, as `ibmcloud` stores `IAMToken`. The
/// Terraform provider strips `Bearer` itself where it needs the bare token, and its older
/// clients send the value verbatim as the `Authorization` header, which needs it; shell
/// users get the bare token with `${IBMCLOUD_IAM_TOKEN#Bearer }`.
pub fn bearer(access_token: &str) -> String {
    format!("Bearer {access_token}")
}

pub fn run(args: &OauthTokensArgs, out: &Out) -> Result<()> {
    let creds = Credentials::active()?;
    let (_, login) = creds.fresh().map_err(|e| login_needed(&creds, e))?;
    let token = &login.access_token;
    match args.output {
        TokenFormat::Json => {
            let mut v = serde_json::json!({
                "iam_token": bearer(token),
                "expiration": login.token_expires_at,
            });
            if let Some(p) = login.kind.profile() {
                v["trusted_profile"] = serde_json::json!(p);
            }
            out.print_json(&v)
        }
        TokenFormat::Text => out.data(&format!("IAM token:  {}\n", bearer(token))),
        TokenFormat::Raw => out.data(&format!("{token}\n")),
        TokenFormat::Env => out.data(&env_lines(token)),
    }
    Ok(())
}

/// `export NAME='Bearer <jwt>'` lines for POSIX shells (and fish, which has `export` too).
/// A JWT is base64url and dots, so single quotes need no escaping; the check keeps a
/// malformed session file from ever injecting shell syntax.
fn env_lines(token: &str) -> String {
    let safe: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/'))
        .collect();
    TOKEN_VARS
        .iter()
        .map(|var| format!("export {var}='{}'\n", bearer(&safe)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lines_export_both_variables_with_bearer() {
        assert_eq!(
            env_lines("eyJa.eyJb.sig"),
            "export IBMCLOUD_IAM_TOKEN='Bearer eyJa.eyJb.sig'\nexport IC_IAM_TOKEN='Bearer eyJa.eyJb.sig'\n"
        );
    }

    #[test]
    fn env_lines_never_carry_shell_syntax() {
        let s = env_lines("a'; rm -rf / #");
        assert!(!s.contains(';') && s.matches('\'').count() == 4, "{s}");
    }
}
