//! One module per command, plus what several commands share: the summary block, the target
//! JSON, account and resource-group lookups, and confirmations. `errors.rs` turns the typed
//! errors of the layers below into `CliError`s.

pub mod access;
pub mod api_keys;
pub mod assume;
pub mod completion;
pub mod config;
pub mod credential;
pub mod entity;
pub mod errors;
pub mod exec;
pub mod identity;
pub mod login;
pub mod login_credential;
pub mod logout;
pub mod oauth_tokens;
pub mod service_ids;
pub mod sessions;
pub mod stored_keys;
pub mod target;
pub mod token;
pub mod trusted_profiles;
pub mod warnings;

use crate::auth::{Login, Session};
use crate::error::{CliError, Result};
use crate::iam::{Account, jwt};
use crate::output::{self, Out};
use crate::prompt;
use serde_json::json;

/// `your accounts: <id> (<name>), ...`.
pub fn accounts_hint(accounts: &[Account]) -> String {
    let ids: Vec<String> = accounts
        .iter()
        .map(|a| format!("{} ({})", a.guid, a.name))
        .collect();
    format!("your accounts: {}", ids.join(", "))
}

/// `Name (b028e1c4a7d94f3e8c6f2a1d5e7b9793) <-> 1687099`: the full ID, as IBM's CLI prints
/// it in the account menu, in "Targeted account" and in the summary, where scripts cut it
/// out of the text.
pub fn account_label(a: &Account) -> String {
    label_with_id(a, &a.guid)
}

/// `Name (b028...9793) <-> 1687099`, for the `sessions` table: a command of iamctl's own,
/// whose rows stay readable with the ID shortened (`--output json` has it in full).
pub fn short_account_label(a: &Account) -> String {
    label_with_id(a, &output::short_id(&a.guid))
}

fn label_with_id(a: &Account, id: &str) -> String {
    let mut s = format!("{} ({id})", a.name);
    if let Some(ims) = &a.ims {
        s.push_str(&format!(" <-> {ims}"));
    }
    s
}

/// The summary block `login` and `target` print.
pub fn summary(session: &Session) -> String {
    let login = session.login.as_ref();
    let user = login.map(|l| l.user.clone()).unwrap_or_default();
    let account = match login.and_then(|l| l.account.as_ref()) {
        Some(a) => account_label(a),
        None => "No account targeted, use 'iamctl target -c ACCOUNT_ID'".to_string(),
    };
    let group = match login.and_then(|l| l.resource_group.as_ref()) {
        Some(g) => g.name.clone(),
        None => "No resource group targeted, use 'iamctl target -g RESOURCE_GROUP'".to_string(),
    };
    let mut rows = vec![
        ("API endpoint", session.api_endpoint.clone()),
        ("Region", session.region.clone().unwrap_or_default()),
        ("User", user),
        ("Account", account),
        ("Resource group", group),
    ];
    // A workload or assumed identity says which profile it is and how it stays logged in.
    if let Some(l) = login
        && let Some(profile) = l.kind.profile()
    {
        rows.push(("Trusted profile", profile.to_string()));
        rows.push(("Renewed by", l.kind.renewal()));
    }
    output::aligned(&rows)
}

/// How a login logged in and renews, for `sessions --output json` and `target --output json`.
pub fn login_json(login: &Login) -> serde_json::Value {
    json!({
        "method": login.kind.name(),
        "trusted_profile": login.kind.profile(),
        "renewed_by": login.kind.renewal(),
    })
}

/// `target --output json` (and `login --output json`): the shape of `ibmcloud target
/// --output json`, which scripts read (`.region.name`, `.user.user_email`, `.account.guid`,
/// `.resource_group.name`). Its objects follow the IBM CLI SDK's models: `Account{GUID,
/// Name, Owner}`, `Region{Name}` (IBM dropped `MCCPID` in 2024 with Cloud Foundry),
/// `ResourceGroup{GUID, Name, State, Default, QuotaID}`, and a user shown as the token's
/// email or else its subject (`UserEmail`, `UserDisplayText`). Like IBM's Go structs they
/// are always objects, with empty values when nothing is targeted. Ours beside them, in
/// fields IBM does not use: `iam_endpoint`, `iam_id`, `login`, `account.ims_account_id`.
pub fn target_json(session: &Session) -> serde_json::Value {
    let login = session.login.as_ref();
    let claims = login.and_then(|l| jwt::decode(&l.access_token));
    let email = claims.and_then(|c| c.email).unwrap_or_default();
    let account = login.and_then(|l| l.account.as_ref());
    let group = login.and_then(|l| l.resource_group.as_ref());
    json!({
        "api_endpoint": session.api_endpoint,
        "iam_endpoint": session.iam_endpoint,
        "region": { "name": session.region.clone().unwrap_or_default() },
        "user": {
            "display_name": login.map(|l| l.user.clone()).unwrap_or_default(),
            "user_email": email,
        },
        "iam_id": login.map(|l| l.iam_id.clone()).unwrap_or_default(),
        "login": login.map(login_json),
        "account": {
            "guid": account.map(|a| a.guid.clone()).unwrap_or_default(),
            "name": account.map(|a| a.name.clone()).unwrap_or_default(),
            "owner": account.map(|a| a.owner.clone()).unwrap_or_default(),
            "ims_account_id": account.and_then(|a| a.ims.clone()),
        },
        "resource_group": {
            "guid": group.map(|g| g.guid.clone()).unwrap_or_default(),
            "name": group.map(|g| g.name.clone()).unwrap_or_default(),
            "state": group.map(|g| g.state.clone()).unwrap_or_default(),
            "default": group.is_some_and(|g| g.default),
            "quota_id": group.map(|g| g.quota_id.clone()).unwrap_or_default(),
        },
    })
}

pub fn print_summary(out: &Out, session: &Session) {
    if out.json() {
        out.print_json(&target_json(session));
    } else if !out.quiet {
        out.data(&summary(session));
    }
}

/// Asks `QUESTION [y/N] > ` on a terminal unless `-f` (`force`); without a terminal, fails
/// naming `-f`. A "no" cancels the command (exit 1, nothing changed).
pub fn confirm(force: bool, question: &str, action: &str) -> Result<()> {
    if force {
        return Ok(());
    }
    let Some(term) = prompt::terminal() else {
        return Err(CliError::usage(format!(
            "Confirmation needed to {action}, and there is no terminal to ask."
        ))
        .hint(format!("pass -f to {action} without confirmation")));
    };
    if prompt::confirm(&term, question, false)? {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "Cancelled: nothing was changed (did not {action})."
        )))
    }
}
