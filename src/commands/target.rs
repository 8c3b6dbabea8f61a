//! `iamctl target`: without flags prints the summary; `-c` re-scopes the token to another
//! account, `-r`/`-g` target a region/resource group, `--unset-*` forget them.

use super::{
    account_label, fresh_session, print_summary, require_login, secret_id, validate_region,
};
use crate::cli::TargetArgs;
use crate::completion;
use crate::error::{CliError, Result};
use crate::iam::{Client, Grant, IamError};
use crate::output::Out;
use crate::secrets::{self, SecretKind};
use crate::session::SessionStore;

pub fn run(args: &TargetArgs, out: &Out) -> Result<()> {
    let store = SessionStore::open()?;
    if !args.changes_anything() {
        let (session, _) = require_login(store.load()?)?;
        print_summary(out, &session);
        return Ok(());
    }
    let region = match &args.region {
        Some(r) => Some(validate_region(r, "-r")?),
        None => None,
    };
    // A valid token first (refreshing if needed), then the change under the lock.
    fresh_session(&store, out)?;
    let lock = store.lock()?;
    let (mut session, mut login) = require_login(store.load()?)?;
    // Said only once every change has succeeded and is saved: a failed -g must not claim
    // that the region it was given with was targeted.
    let mut done: Vec<String> = Vec::new();
    // What TAB offers later (-c, -g), remembered once the change is saved.
    let mut seen_accounts = None;
    let mut seen_groups = None;
    let needs_network = args.account.is_some() || args.resource_group.is_some();
    let client = if needs_network {
        Some(Client::new(
            session.endpoints(),
            session.skip_ssl_validation,
        )?)
    } else {
        None
    };

    if let (Some(want), Some(client)) = (&args.account, client.as_ref()) {
        let accounts = client
            .accounts(&login.access_token)
            .map_err(|e| e.into_cli("Could not list your accounts"))?;
        seen_accounts = Some(accounts.clone());
        let acct = super::find_account(&accounts, want)?;
        let secret_store = secrets::open(login.secrets.store, &store.home)?;
        let rt_id = secret_id(&session, &store, &login.iam_id, SecretKind::RefreshToken);
        let rt = secret_store.get(&rt_id)?.ok_or_else(|| {
            CliError::session_expired("no refresh token is stored to switch accounts with")
        })?;
        let tokens = client
            .token(Grant::Refresh {
                refresh_token: &rt,
                account: Some(&acct.guid),
                ims_account: acct.ims.as_deref(),
            })
            .map_err(|e| match e {
                IamError::Rejected(api) if api.is_client_error() => CliError::failed(format!(
                    "IAM did not let this session switch to account {}: {}",
                    acct.guid,
                    api.line()
                )),
                other => other.into_cli("Could not switch accounts"),
            })?;
        super::apply_tokens(&mut login, &tokens);
        if let Some(new_rt) = tokens.usable_refresh_token() {
            secret_store.set(&rt_id, new_rt)?;
            login.secrets.refresh_token = true;
        }
        done.push(format!(
            "Targeted account {}",
            out.em(&account_label(&acct))
        ));
        // The old account's resource group means nothing in the new one.
        login.resource_group = None;
        if args.resource_group.is_none()
            && let Ok(groups) = client.resource_groups(&login.access_token, &acct.guid)
        {
            login.resource_group = groups.iter().find(|g| g.default).cloned();
            seen_groups = Some((acct.guid.clone(), groups));
        }
        login.account = Some(acct);
    }

    if let Some(r) = region {
        done.push(format!("Targeted region {}", out.em(&r)));
        session.region = Some(r);
    }
    if args.unset_region {
        session.region = None;
    }

    if let (Some(want), Some(client)) = (&args.resource_group, client.as_ref()) {
        let acct = login.account.clone().ok_or_else(|| {
            CliError::usage("No account is targeted, so there are no resource groups.")
                .hint("target an account first with -c ACCOUNT_ID")
        })?;
        let groups = client
            .resource_groups(&login.access_token, &acct.guid)
            .map_err(|e| e.into_cli("Could not list resource groups"))?;
        seen_groups = Some((acct.guid.clone(), groups.clone()));
        let group = super::find_resource_group(&groups, want, &acct.guid)?;
        done.push(format!("Targeted resource group {}", out.em(&group.name)));
        login.resource_group = Some(group);
    }
    if args.unset_resource_group {
        login.resource_group = None;
    }

    session.login = Some(login);
    store.save(&lock, &session)?;
    drop(lock);
    if let Some(login) = &session.login {
        completion::remember_targets(
            &store.home,
            &session.iam_endpoint,
            &login.iam_id,
            seen_accounts.as_deref(),
            seen_groups.as_ref(),
        );
    }
    for line in &done {
        out.say(line);
        out.blank();
    }
    print_summary(out, &session);
    Ok(())
}
