//! `iamctl target`: without flags prints the summary; `-c` re-scopes the token to another
//! account, `-r`/`-g` target a region/resource group, `--unset-*` forget them.

use super::errors::login_needed;
use super::identity::RenewOnce;
use super::{account_label, print_summary};
use crate::auth::Session;
use crate::auth::{self, Edit};
use crate::completion_cache;
use crate::context::Context;
use crate::endpoints::{Endpoints, Reach, is_classic_private};
use crate::error::{CliError, Result};
use crate::settings::session::Target;

pub fn run(ctx: &Context, args: Target) -> Result<()> {
    let out = &ctx.out;
    let creds = ctx.credentials()?;
    if !args.changes_anything() {
        let (session, _) = creds
            .logged_in()
            .map_err(|e| login_needed(ctx, &creds, e))?;
        print_summary(out, &session);
        return Ok(());
    }
    let region = args.region.clone();
    let (current, _) = creds
        .logged_in()
        .map_err(|e| login_needed(ctx, &creds, e))?;
    let moved = classic_private_move(&current, &args)?;
    // A valid token first (refreshing if needed), then the change under the lock.
    creds.fresh().map_err(|e| login_needed(ctx, &creds, e))?;
    let mut edit = creds.edit()?;
    if let Some(e) = moved {
        edit.session.iam_endpoint = e.iam;
        edit.session.accounts_endpoint = e.accounts;
        edit.session.resource_controller_endpoint = e.resource_controller;
    }
    // Said only once every change has succeeded and is saved: a failed -g must not claim
    // that the region it was given with was targeted.
    let mut done: Vec<String> = Vec::new();
    // What TAB offers later (-c, -g), remembered once the change is saved.
    let mut seen_accounts = None;
    let mut seen_groups = None;
    let needs_network = args.account.is_some() || args.resource_group.is_some();
    let client = if needs_network {
        Some(creds.client(&edit.session)?)
    } else {
        None
    };

    if let (Some(want), Some(client)) = (&args.account, client.as_ref()) {
        let accounts = client
            .accounts(&renewing(&mut edit))
            .map_err(|e| e.into_cli("Could not list your accounts"))?;
        seen_accounts = Some(accounts.clone());
        let acct = auth::find_account(&accounts, want)?;
        edit.switch_account(client, &acct)?;
        done.push(format!(
            "Targeted account {}",
            out.em(&account_label(&acct))
        ));
        // The old account's resource group means nothing in the new one.
        edit.login.resource_group = None;
        if args.resource_group.is_none()
            && let Ok(groups) = client.resource_groups(&edit.login.access_token, &acct.guid)
        {
            edit.login.resource_group = groups.iter().find(|g| g.default).cloned();
            seen_groups = Some((acct.guid.clone(), groups));
        }
        edit.login.account = Some(acct);
    }

    if let Some(r) = region {
        done.push(format!("Targeted region {}", out.em(&r)));
        edit.session.region = Some(r);
    }
    if args.unset_region {
        edit.session.region = None;
    }

    if let (Some(want), Some(client)) = (&args.resource_group, client.as_ref()) {
        let acct = edit.login.account.clone().ok_or_else(|| {
            CliError::usage("No account is targeted, so there are no resource groups.")
                .hint("target an account first with -c ACCOUNT_ID")
        })?;
        // After -c the token is the new account's, just issued: nothing to renew.
        let groups = if args.account.is_some() {
            client.resource_groups(&edit.login.access_token, &acct.guid)
        } else {
            client.resource_groups(&renewing(&mut edit), &acct.guid)
        }
        .map_err(|e| e.into_cli("Could not list resource groups"))?;
        seen_groups = Some((acct.guid.clone(), groups.clone()));
        let group = auth::find_resource_group(&groups, want, &acct.guid)?;
        done.push(format!("Targeted resource group {}", out.em(&group.name)));
        edit.login.resource_group = Some(group);
    }
    if args.unset_resource_group {
        edit.login.resource_group = None;
    }

    let iam_id = edit.login.iam_id.clone();
    let session = edit.save()?;
    completion_cache::remember_targets(
        creds.home(),
        &session.iam_endpoint,
        &iam_id,
        seen_accounts.as_deref(),
        seen_groups.as_ref(),
    );
    for line in &done {
        out.say(line);
        out.blank();
    }
    print_summary(out, &session);
    Ok(())
}

/// The session's token for one listing, renewed under the lock `target` holds if IAM refuses
/// it although it looked valid here. Only before the account is switched.
fn renewing(edit: &mut Edit) -> RenewOnce<'_> {
    RenewOnce::new(edit.login.access_token.clone(), move |_rejected| {
        edit.renew_refused()?;
        Ok(edit.login.access_token.clone())
    })
}

/// A session on IBM's Classic private endpoints reaches IAM through its region's hosts: a
/// new region moves them (to the other region that has them), and none cannot be had.
fn classic_private_move(session: &Session, args: &Target) -> Result<Option<Endpoints>> {
    if !is_classic_private(&session.api_endpoint, &session.iam_endpoint) {
        return Ok(None);
    }
    let region = match (&args.region, args.unset_region) {
        (Some(r), _) => r.as_str(),
        (None, true) => {
            return Err(CliError::usage(
                "A session on a Classic private endpoint needs a region: --unset-region cannot be used.",
            )
            .hint("target the other region that serves it (-r us-south or -r us-east), or log in again with --vpc"));
        }
        (None, false) => return Ok(None),
    };
    let reach = Reach::Classic {
        region: Some(region),
    };
    Ok(Some(Endpoints::resolve_on(
        &session.api_endpoint,
        None,
        reach,
    )?))
}
