//! `iamctl [iam] oauth-tokens`: prints `IAM token:  Bearer <jwt>` (the only line containing
//! `IAM`, so IBM's documented `grep IAM | cut ...` pipelines work), JSON with `iam_token`,
//! the bare token (`raw`), or shell `export` lines (`env`).
//!
//! With a valid cached token this reads the session file and nothing else, whatever the
//! format: every format is rendered from the same `Session`.

use super::errors::login_needed;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::output::{Out, TokenFormat};
use crate::settings::tokens::OauthTokens;

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

pub fn run(ctx: &Context, s: OauthTokens) -> Result<()> {
    let out = &ctx.out;
    if let Some(clients) = &s.delegate_to {
        return delegated(ctx, clients, s.format);
    }
    let creds = ctx.credentials()?;
    let (_, login) = creds.fresh().map_err(|e| login_needed(ctx, &creds, e))?;
    let token = &login.access_token;
    match s.format {
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
        TokenFormat::GithubActions => github_actions(token, out)?,
    }
    Ok(())
}

/// `--delegate-to CLIENT[,CLIENT]`: a delegated refresh token for those receivers.
fn delegated(ctx: &Context, clients: &[String], format: TokenFormat) -> Result<()> {
    let out = &ctx.out;
    let token = ctx
        .credentials()?
        .delegated_refresh_token(&clients.join(","))?;
    match format {
        TokenFormat::Json => out.print_json(&serde_json::json!({
            "delegated_refresh_token": token,
            "receiver_client_ids": clients,
        })),
        TokenFormat::Raw => out.data(&format!("{token}\n")),
        _ => out.data(&format!("Delegated refresh token:  {token}\n")),
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

/// Whether a token is made of JWT characters only, so it can go into shell lines and
/// line-based files without carrying syntax or extra lines.
fn jwt_chars_only(token: &str) -> bool {
    !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/'))
}

/// `::add-mask::` first, so the runner hides the token in every later log line, then both
/// variables into the file `$GITHUB_ENV` names, for the steps after this one.
fn github_actions(token: &str, out: &Out) -> Result<()> {
    let path = std::env::var_os("GITHUB_ENV")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            CliError::usage(
                "--output github-actions works in a GitHub Actions step, where GITHUB_ENV names the file later steps read; it is not set.",
            )
            .hint("elsewhere use --output env (or iamctl exec -- COMMAND)")
        })?;
    if !jwt_chars_only(token) {
        return Err(CliError::failed(
            "The session's token has characters no IAM token has; refusing to write it into GITHUB_ENV.",
        )
        .hint("log in again: 'iamctl login'"));
    }
    out.data(&format!("::add-mask::{token}\n"));
    let lines: String = TOKEN_VARS
        .iter()
        .map(|var| format!("{var}={}\n", bearer(token)))
        .collect();
    use std::io::Write;
    let path = std::path::PathBuf::from(path);
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(lines.as_bytes()))
        .map_err(|e| CliError::from(crate::home::FileError::new("append to", &path, e)))
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
