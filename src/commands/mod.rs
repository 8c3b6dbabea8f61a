//! One module per command, plus what several commands share: the summary block, the
//! target JSON, secret names, confirmations, and `fresh_session` (the single-flight token
//! refresh).

pub mod api_keys;
pub mod completion;
pub mod config;
pub mod exec;
pub mod identity;
pub mod login;
pub mod logout;
pub mod oauth_tokens;
pub mod service_ids;
pub mod sessions;
pub mod stored_keys;
pub mod target;
pub mod token;

use crate::cli::ForceArgs;
use crate::endpoints::Endpoints;
use crate::error::{CliError, Result};
use crate::iam::{self, Client, Grant, IamError, TokenResponse, jwt};
use crate::output::{self, Out};
use crate::prompt;
use crate::secrets::{self, SecretId, SecretKind, SecretStore};
use crate::session::{Login, LoginMethod, Session, SessionStore, now};
use serde_json::json;

/// IBM's public regions (facts file §6), in the order of IBM's region menu, with the city
/// that completion shows beside each.
pub const REGIONS: &[(&str, &str)] = &[
    ("au-syd", "Sydney"),
    ("in-che", "Chennai"),
    ("jp-osa", "Osaka"),
    ("jp-tok", "Tokyo"),
    ("kr-seo", "Seoul"),
    ("eu-de", "Frankfurt"),
    ("eu-gb", "London"),
    ("ca-tor", "Toronto"),
    ("us-south", "Dallas"),
    ("us-east", "Washington DC"),
    ("br-sao", "Sao Paulo"),
];

pub fn region_names() -> impl Iterator<Item = &'static str> {
    REGIONS.iter().map(|(name, _)| *name)
}

pub fn validate_region(region: &str, flag: &str) -> Result<String> {
    let r = region.trim().to_ascii_lowercase();
    if region_names().any(|n| n == r) {
        Ok(r)
    } else {
        Err(
            CliError::usage(format!("Unknown region '{region}' given with {flag}.")).hint(format!(
                "use one of: {}",
                region_names().collect::<Vec<_>>().join(", ")
            )),
        )
    }
}

impl Session {
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            api: self.api_endpoint.clone(),
            iam: self.iam_endpoint.clone(),
            accounts: fallback(&self.accounts_endpoint, &self.api_endpoint),
            resource_controller: fallback(&self.resource_controller_endpoint, &self.api_endpoint),
        }
    }
}

fn fallback(v: &str, default: &str) -> String {
    if v.is_empty() {
        default.to_string()
    } else {
        v.to_string()
    }
}

pub fn secret_id(
    session: &Session,
    store: &SessionStore,
    iam_id: &str,
    kind: SecretKind,
) -> SecretId {
    SecretId::new(&session.iam_endpoint, &store.name, iam_id, kind)
}

/// The `-c` account; when it is not one of `accounts`, a usage error listing them.
pub fn find_account(
    accounts: &[crate::session::Account],
    want: &str,
) -> Result<crate::session::Account> {
    accounts
        .iter()
        .find(|a| a.guid == want)
        .cloned()
        .ok_or_else(|| {
            CliError::usage(format!(
                "Account '{want}' (given with -c) is not one this user can use."
            ))
            .hint(accounts_hint(accounts))
        })
}

/// `your accounts: <id> (<name>), ...`.
pub fn accounts_hint(accounts: &[crate::session::Account]) -> String {
    let ids: Vec<String> = accounts
        .iter()
        .map(|a| format!("{} ({})", a.guid, a.name))
        .collect();
    format!("your accounts: {}", ids.join(", "))
}

/// The `-g` group by name or ID; when it is not there, the names that are.
pub fn find_resource_group(
    groups: &[crate::session::ResourceGroup],
    want: &str,
    account: &str,
) -> Result<crate::session::ResourceGroup> {
    groups
        .iter()
        .find(|g| g.name == want || g.guid == want)
        .cloned()
        .ok_or_else(|| {
            CliError::failed(format!(
                "Resource group '{want}' was not found in account {account}."
            ))
            .hint(format!(
                "available: {}",
                groups
                    .iter()
                    .map(|g| g.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// `Name (b028...9793) <-> 1687099`.
pub fn account_label(a: &crate::session::Account) -> String {
    let mut s = format!("{} ({})", a.name, output::short_id(&a.guid));
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
    output::aligned(&[
        ("API endpoint", session.api_endpoint.clone()),
        ("Region", session.region.clone().unwrap_or_default()),
        ("User", user),
        ("Account", account),
        ("Resource group", group),
    ])
}

/// `target --output json` (and `login --output json`).
pub fn target_json(session: &Session) -> serde_json::Value {
    let login = session.login.as_ref();
    json!({
        "api_endpoint": session.api_endpoint,
        "iam_endpoint": session.iam_endpoint,
        "region": session.region.clone().unwrap_or_default(),
        "user": login.map(|l| l.user.clone()).unwrap_or_default(),
        "iam_id": login.map(|l| l.iam_id.clone()).unwrap_or_default(),
        "account": login.and_then(|l| l.account.as_ref()).map(|a| json!({
            "guid": a.guid, "name": a.name, "owner": a.owner, "ims_account_id": a.ims,
        })),
        "resource_group": login.and_then(|l| l.resource_group.as_ref()).map(|g| json!({
            "guid": g.guid, "name": g.name, "state": g.state, "default": g.default,
        })),
    })
}

pub fn print_summary(out: &Out, session: &Session) {
    if out.json() {
        out.print_json(&target_json(session));
    } else if !out.quiet {
        out.data(&summary(session));
    }
}

/// The logged-in session, or exit 3 with IBM's message.
pub fn require_login(session: Option<Session>) -> Result<(Session, Login)> {
    match session {
        Some(s) => match s.login.clone() {
            Some(l) => Ok((s, l)),
            None => Err(CliError::not_logged_in()),
        },
        None => Err(CliError::not_logged_in()),
    }
}

/// Puts a new token into a login (identity fields stay).
pub fn apply_tokens(login: &mut Login, tokens: &TokenResponse) -> jwt::Claims {
    let claims = jwt::decode(&tokens.access_token).unwrap_or_default();
    let (iat, exp) = tokens.times(&claims);
    login.access_token = tokens.access_token.clone();
    login.token_issued_at = iat;
    login.token_expires_at = exp;
    if tokens.refresh_token_expiration.is_some() {
        login.refresh_token_expires_at = tokens.refresh_token_expiration;
    }
    claims
}

/// A rejected grant during `login`: IAM said no to the credentials (exit 4), or IAM is
/// unavailable (exit 5).
pub fn login_grant_error(e: IamError) -> CliError {
    match e {
        IamError::Rejected(api) if api.is_client_error() => {
            if api.has_code("BXNIM0608E") || api.line().to_ascii_lowercase().contains("federated") {
                CliError::auth(format!(
                    "This user ID is federated, so IAM does not accept a password for it{}.",
                    api.code
                        .as_deref()
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default()
                ))
                .hint("log in with a one-time code: 'iamctl login --sso'")
                .hint("or with an API key: 'iamctl login --apikey @FILE' (or IBMCLOUD_API_KEY)")
            } else {
                CliError::auth(format!("Unable to authenticate: {}", api.line()))
            }
        }
        IamError::Rejected(api) => CliError::network(format!("IAM is unavailable: {}", api.line()))
            .hint("try again later; IBMCLOUD_HTTP_TIMEOUT bounds how long iamctl retries"),
        IamError::Transport(e) => e,
    }
}

/// The session with a token that is valid and outside the refresh window.
///
/// Fast path: one file read. Otherwise the single-flight refresh: take the session lock,
/// re-read (another process may have refreshed meanwhile), refresh only if still needed,
/// write, release. A dead refresh token falls back to the stored API key.
pub fn fresh_session(store: &SessionStore, out: &Out) -> Result<Session> {
    let (session, login) = require_login(store.load()?)?;
    if !login.needs_refresh(now()) {
        return Ok(session);
    }
    let lock = store.lock()?;
    let (mut session, mut login) = require_login(store.load()?)?;
    if !login.needs_refresh(now()) {
        return Ok(session);
    }
    let secrets = secrets::open(login.secrets.store, &store.home)?;
    let client = Client::new(session.endpoints(), session.skip_ssl_validation)?;
    let rt_id = secret_id(&session, store, &login.iam_id, SecretKind::RefreshToken);
    let refreshed = match secrets.get(&rt_id)? {
        Some(rt) => client.token(Grant::Refresh {
            refresh_token: &rt,
            account: None,
            ims_account: None,
        }),
        None => Err(IamError::Rejected(iam::errors::ApiError {
            status: 400,
            code: None,
            message: "No refresh token is stored for this session.".into(),
            details: None,
        })),
    };
    let tokens = match refreshed {
        Ok(t) => t,
        Err(IamError::Rejected(api)) if api.is_client_error() => {
            match relogin_with_apikey(&client, &*secrets, &session, store, &login)? {
                Some(t) => t,
                None => return Err(CliError::session_expired(&api.line())),
            }
        }
        Err(other) => {
            let err = match other {
                IamError::Rejected(api) => {
                    CliError::network(format!("IAM is unavailable: {}", api.line()))
                }
                IamError::Transport(e) => e,
            };
            if !login.expired(now()) {
                out.warn(&format!(
                    "could not renew the token ({}); using the cached one, valid for {} more s",
                    err.message,
                    login.token_expires_at - now()
                ));
                return Ok(session);
            }
            return Err(err);
        }
    };
    apply_tokens(&mut login, &tokens);
    if let Some(new_rt) = tokens.usable_refresh_token() {
        // IAM may have retired the old refresh token already: keep the new access token
        // even if the keyring refuses the new refresh token now.
        match secrets.set(&rt_id, new_rt) {
            Ok(()) => login.secrets.refresh_token = true,
            Err(e) => out.warn(&format!(
                "could not store the renewed refresh token ({}); once this token expires, run 'iamctl login'",
                e.message
            )),
        }
    }
    session.login = Some(login);
    store.save(&lock, &session)?;
    Ok(session)
}

/// After the refresh token died: log in again with the stored API key, re-scoped to the
/// session's account. `None` when no API key is stored.
fn relogin_with_apikey(
    client: &Client,
    secrets: &dyn SecretStore,
    session: &Session,
    store: &SessionStore,
    login: &Login,
) -> Result<Option<TokenResponse>> {
    if login.method != LoginMethod::Apikey || !login.secrets.apikey {
        return Ok(None);
    }
    let key_id = secret_id(session, store, &login.iam_id, SecretKind::ApiKey);
    let Some(key) = secrets.get(&key_id)? else {
        return Ok(None);
    };
    let tokens = match client.token(Grant::ApiKey(&key)) {
        Ok(t) => t,
        Err(IamError::Rejected(api)) if api.is_client_error() => {
            return Err(CliError::session_expired(&format!(
                "the stored API key was refused too: {}",
                api.line()
            )));
        }
        Err(e) => return Err(e.into_cli("Could not log in again with the stored API key")),
    };
    let claims = jwt::decode(&tokens.access_token).unwrap_or_default();
    let want = login.account.as_ref().map(|a| a.guid.as_str());
    if let (Some(want), Some(rt)) = (want, tokens.usable_refresh_token())
        && claims.account_bss() != Some(want)
    {
        let ims = login.account.as_ref().and_then(|a| a.ims.as_deref());
        return client
            .token(Grant::Refresh {
                refresh_token: rt,
                account: Some(want),
                ims_account: ims,
            })
            .map(Some)
            .map_err(|e| e.into_cli("Could not re-scope the new session to the account"));
    }
    Ok(Some(tokens))
}

/// Asks `QUESTION [y/N] > ` on a terminal unless `-f`; without a terminal, fails naming `-f`.
/// A "no" cancels the command (exit 1, nothing changed).
pub fn confirm(force: &ForceArgs, question: &str, action: &str) -> Result<()> {
    if force.force {
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
