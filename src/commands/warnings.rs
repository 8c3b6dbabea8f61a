//! The words of the warnings the layers below report (`auth::Warning`, and through it the
//! IAM client's): the one place that says them, naming the commands and settings that help.

use super::{account_label, accounts_hint};
use crate::auth::Warning;
use crate::iam;

/// What a warning says, after `WARNING: `.
pub fn text(w: &Warning) -> String {
    match w {
        Warning::PlainFileStore { path } => format!(
            "secrets are kept unencrypted in {} (IAMCTL_SECRET_STORE=file); anyone who can read it can act as you",
            path.display()
        ),
        Warning::CachedTokenKept { cause, valid_for } => format!(
            "could not renew the token ({cause}); using the cached one, valid for {valid_for} more s"
        ),
        Warning::RenewedRefreshTokenLost(e) => format!(
            "could not store the renewed refresh token ({e}); once this token expires, run 'iamctl login'"
        ),
        Warning::PreviousSecretsLeft(e) => format!(
            "could not delete the previous login's secrets ({e}); `iamctl logout` deletes them later"
        ),
        Warning::ReplacedStoredKeyLeft { name, cause } => {
            format!("could not delete the replaced secret of '{name}': {cause}")
        }
        Warning::AccountGuessed { chosen, accounts } => {
            let chose = match chosen {
                Some(a) => format!(
                    "targeted {}, the account the one-time code was issued for",
                    account_label(a)
                ),
                None => "targeted no account".to_string(),
            };
            format!(
                "this user can use {} accounts, and without a terminal iamctl cannot ask which one: {chose}. \
                 Switch with 'iamctl target -c ACCOUNT_ID' ({}), or name it with -c next time.",
                accounts.len(),
                accounts_hint(accounts)
            )
        }
        Warning::NoResourceGroup(e) => {
            // The cause as a failed command would word it, without its hints.
            let why = match e {
                iam::IamError::Rejected(api) => {
                    format!("could not list resource groups: {}", api.line())
                }
                other => other.to_string(),
            };
            format!("no resource group targeted: {why}")
        }
        Warning::Iam(w) => iam_text(w),
    }
}

fn iam_text(w: &iam::Warning) -> String {
    match w {
        iam::Warning::SkipSslValidation => "SSL certificate validation is disabled (--skip-ssl-validation); a network attacker could read your tokens".into(),
        iam::Warning::TraceUnopenable { path, error } => {
            format!("cannot write the HTTP trace to {path}: {error}")
        }
        iam::Warning::TraceIncomplete { path, error } => {
            format!("the HTTP trace in {path} is incomplete: {error}")
        }
        iam::Warning::Retrying {
            url,
            why,
            wait,
            attempt,
            of,
        } => format!(
            "{url}: {why}; trying again in {:.1} s (attempt {attempt} of at most {of}, within IBMCLOUD_HTTP_TIMEOUT)",
            wait.as_secs_f64()
        ),
    }
}
