//! `service-id-create`, `service-ids`, `service-id`, `service-id-update`, `service-id-delete`,
//! `service-id-lock`, `service-id-unlock`; plus what every IAM Identity command shares: the
//! logged-in context, name-or-ID resolution, confirmation and error hints.

use super::fresh_session;
use crate::cli::{
    ForceArgs, ListArgs, ServiceIdChangeArgs, ServiceIdCreateArgs, ServiceIdShowArgs,
    ServiceIdUpdateArgs,
};
use crate::completion::{self, ServiceIds};
use crate::error::{CliError, Result};
use crate::iam::identity::{Identity, ServiceId, Tagged};
use crate::iam::{Client, IamError};
use crate::output::Out;
use crate::prompt;
use crate::session::{Account, Home, Login, Session, SessionStore};
use serde_json::json;

/// A logged-in session with a fresh token, the targeted account and an HTTP client.
pub struct IamCtx {
    pub session: Session,
    pub login: Login,
    pub account: Account,
    client: Client,
    home: Home,
}

impl IamCtx {
    /// Exit 3 when not logged in; the token is refreshed first if it is near expiry.
    pub fn open(out: &Out) -> Result<IamCtx> {
        let store = SessionStore::open()?;
        let session = fresh_session(&store, out)?;
        let login = session.login.clone().ok_or_else(CliError::not_logged_in)?;
        let account = login.account.clone().ok_or_else(|| {
            CliError::failed("No account is targeted, and service IDs and API keys live in one.")
                .hint("target one: 'iamctl target -c ACCOUNT_ID'")
        })?;
        let client = Client::new(session.endpoints(), session.skip_ssl_validation)?;
        Ok(IamCtx {
            session,
            login,
            account,
            client,
            home: store.home,
        })
    }

    pub fn api(&self) -> Identity<'_> {
        Identity::new(&self.client, &self.login.access_token)
    }

    pub fn user(&self) -> &str {
        &self.login.user
    }

    pub fn account_id(&self) -> &str {
        &self.account.guid
    }

    /// Updates what TAB offers for service IDs (best effort, after the command succeeded).
    pub fn remember(&self, what: ServiceIds) {
        completion::remember_service_ids(
            &self.home,
            &self.session.iam_endpoint,
            self.account_id(),
            what,
        );
    }
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

/// An IAM refusal of a change, with the hint that fixes it: unlock a locked entity, retry
/// after a concurrent change.
pub fn change_error(e: IamError, what: &str, was_locked: bool, unlock_cmd: &str) -> CliError {
    let (locked, conflict) = match &e {
        IamError::Rejected(api) => {
            let refused = matches!(api.status, 400 | 403 | 409 | 412 | 423);
            let says_locked = api.line().to_ascii_lowercase().contains("locked");
            (
                refused && (was_locked || says_locked),
                matches!(api.status, 409 | 412),
            )
        }
        IamError::Transport(_) => (false, false),
    };
    let err = e.into_cli(what);
    if locked {
        err.hint(format!("it is locked; unlock it first: '{unlock_cmd}'"))
    } else if conflict {
        err.hint("it was changed by someone else since iamctl read it; run the command again to apply your change to the current version")
    } else {
        err
    }
}

/// Whether an argument is an ID of this kind (`ServiceId-...`, `ApiKey-...`) rather than a
/// name.
pub fn is_id(arg: &str, prefix: &str) -> bool {
    arg.len() > prefix.len() && arg.starts_with(prefix)
}

/// The error for a name several entities share: exit 2, with the IDs to choose from.
pub fn ambiguous(kind: &str, name: &str, where_: &str, ids: &[&str]) -> CliError {
    CliError::usage(format!(
        "The {kind} name '{name}' is ambiguous: {} {kind}s {where_} have it.",
        ids.len()
    ))
    .hint(format!("name one by its ID instead: {}", ids.join(", ")))
}

/// Every service ID with this name, or the one with this ID. Empty only for a name.
pub fn find_service_ids(ctx: &IamCtx, arg: &str) -> Result<Vec<ServiceId>> {
    if is_id(arg, "ServiceId-") {
        let tagged = ctx
            .api()
            .get_service_id(arg)
            .map_err(|e| e.into_cli(&format!("Could not get service ID {arg}")))?;
        return Ok(vec![tagged.value]);
    }
    ctx.api()
        .list_service_ids(ctx.account_id(), Some(arg))
        .map_err(|e| e.into_cli("Could not list service IDs"))
}

/// Exactly one service ID for a name or ID; not found and ambiguous names are errors.
pub fn resolve_service_id(ctx: &IamCtx, arg: &str) -> Result<ServiceId> {
    let mut found = find_service_ids(ctx, arg)?;
    match found.len() {
        0 => Err(not_found("Service ID", arg, ctx)),
        1 => Ok(found.remove(0)),
        _ => {
            let ids: Vec<&str> = found.iter().map(|s| s.id.as_str()).collect();
            Err(ambiguous(
                "service ID",
                arg,
                &format!("in account {}", ctx.account_id()),
                &ids,
            ))
        }
    }
}

fn not_found(kind: &str, arg: &str, ctx: &IamCtx) -> CliError {
    CliError::failed(format!(
        "{kind} '{arg}' was not found in account {}.",
        ctx.account_id()
    ))
}

/// The table IBM prints for one service ID.
fn service_id_table(out: &Out, s: &ServiceId, full: bool) -> String {
    let mut rows = vec![
        ("ID", s.id.clone()),
        ("Name", s.name.clone()),
        ("Description", s.description.clone().unwrap_or_default()),
        ("CRN", s.crn.clone()),
        ("Version", s.entity_tag.clone()),
        ("Locked", s.locked.to_string()),
    ];
    if full {
        rows.push(("Created At", s.created_at.clone()));
        rows.push(("Last Updated", s.modified_at.clone()));
    }
    out.key_values(&rows)
}

pub fn create(args: &ServiceIdCreateArgs, out: &Out) -> Result<()> {
    let ctx = IamCtx::open(out)?;
    out.say(&format!(
        "Creating service ID {} bound to current account as {}...",
        out.em(&args.name),
        out.em(ctx.user())
    ));
    let created = ctx
        .api()
        .create_service_id(
            ctx.account_id(),
            &args.name,
            args.description.as_deref(),
            args.lock,
        )
        .map_err(|e| e.into_cli(&format!("Could not create service ID {}", args.name)))?;
    ctx.remember(ServiceIds::Seen(std::slice::from_ref(&created)));
    if out.json() {
        out.print_json(&created);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Service ID {} is created successfully",
        out.em(&created.name)
    ));
    out.blank();
    out.data(&service_id_table(out, &created, false));
    Ok(())
}

pub fn list(_args: &ListArgs, out: &Out) -> Result<()> {
    let ctx = IamCtx::open(out)?;
    out.say(&format!(
        "Getting all service IDs bound to current account as {}...",
        out.em(ctx.user())
    ));
    let all = ctx
        .api()
        .list_service_ids(ctx.account_id(), None)
        .map_err(|e| e.into_cli("Could not list service IDs"))?;
    ctx.remember(ServiceIds::All(&all));
    if out.json() {
        out.print_json(&all);
        return Ok(());
    }
    out.ok();
    if all.is_empty() {
        out.say("No service IDs found.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|s| {
            vec![
                s.id.clone(),
                s.name.clone(),
                s.created_at.clone(),
                s.modified_at.clone(),
                s.description.clone().unwrap_or_default(),
                s.locked.to_string(),
            ]
        })
        .collect();
    out.data(&out.table(
        &[
            "ID",
            "Name",
            "Created At",
            "Last Updated",
            "Description",
            "Locked",
        ],
        &rows,
    ));
    Ok(())
}

pub fn show(args: &ServiceIdShowArgs, out: &Out) -> Result<()> {
    let ctx = IamCtx::open(out)?;
    out.say(&format!(
        "Getting service ID {} bound to current account as {}...",
        out.em(&args.service_id),
        out.em(ctx.user())
    ));
    let found = find_service_ids(&ctx, &args.service_id)?;
    if found.is_empty() {
        return Err(not_found("Service ID", &args.service_id, &ctx));
    }
    ctx.remember(ServiceIds::Seen(&found));
    if out.json() {
        // Names are not unique, so a name (or an ID) always gives an array.
        out.print_json(&found);
        return Ok(());
    }
    out.ok();
    out.blank();
    let tables: Vec<String> = found
        .iter()
        .map(|s| service_id_table(out, s, true))
        .collect();
    out.data(&tables.join("\n"));
    Ok(())
}

pub fn update(args: &ServiceIdUpdateArgs, out: &Out) -> Result<()> {
    let ctx = IamCtx::open(out)?;
    let sid = resolve_service_id(&ctx, &args.service_id)?;
    // The current ETag, read just before the change, goes back in If-Match.
    let Tagged {
        value: current,
        etag,
    } = ctx
        .api()
        .get_service_id(&sid.id)
        .map_err(|e| e.into_cli(&format!("Could not get service ID {}", args.service_id)))?;
    out.say(&format!(
        "Updating service ID {} bound to current account as {}...",
        out.em(&args.service_id),
        out.em(ctx.user())
    ));
    let updated = ctx
        .api()
        .update_service_id(
            &current.id,
            &etag,
            args.new_name.as_deref(),
            args.description.as_deref(),
        )
        .map_err(|e| {
            change_error(
                e,
                &format!("Could not update service ID {}", args.service_id),
                current.locked,
                &format!("iamctl service-id-unlock {}", current.id),
            )
        })?;
    ctx.remember(ServiceIds::Seen(std::slice::from_ref(&updated)));
    if out.json() {
        out.print_json(&updated);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Service ID {} is updated successfully",
        out.em(&updated.name)
    ));
    out.blank();
    out.data(&service_id_table(out, &updated, false));
    Ok(())
}

pub fn delete(args: &ServiceIdChangeArgs, out: &Out) -> Result<()> {
    let ctx = IamCtx::open(out)?;
    let sid = resolve_service_id(&ctx, &args.service_id)?;
    confirm(
        &args.force,
        &format!(
            "Really delete service ID {} ({}) and all its API keys?",
            sid.name, sid.id
        ),
        &format!("delete service ID {}", args.service_id),
    )?;
    out.say(&format!(
        "Deleting service ID {} bound to current account as {}...",
        out.em(&args.service_id),
        out.em(ctx.user())
    ));
    ctx.api().delete_service_id(&sid.id).map_err(|e| {
        change_error(
            e,
            &format!("Could not delete service ID {}", args.service_id),
            sid.locked,
            &format!("iamctl service-id-unlock {}", sid.id),
        )
    })?;
    ctx.remember(ServiceIds::Deleted(&sid.id));
    if out.json() {
        out.print_json(&json!({ "id": sid.id, "name": sid.name, "deleted": true }));
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Service ID {} is deleted successfully",
        out.em(&args.service_id)
    ));
    Ok(())
}

pub fn lock(args: &ServiceIdChangeArgs, out: &Out) -> Result<()> {
    set_lock(args, out, true)
}

pub fn unlock(args: &ServiceIdChangeArgs, out: &Out) -> Result<()> {
    set_lock(args, out, false)
}

fn set_lock(args: &ServiceIdChangeArgs, out: &Out, lock: bool) -> Result<()> {
    let (verb, doing, done) = if lock {
        ("lock", "Locking", "locked")
    } else {
        ("unlock", "Unlocking", "unlocked")
    };
    let ctx = IamCtx::open(out)?;
    let sid = resolve_service_id(&ctx, &args.service_id)?;
    confirm(
        &args.force,
        &format!("Really {verb} service ID {} ({})?", sid.name, sid.id),
        &format!("{verb} service ID {}", args.service_id),
    )?;
    out.say(&format!(
        "{doing} service ID {} bound to current account as {}...",
        out.em(&args.service_id),
        out.em(ctx.user())
    ));
    ctx.api()
        .set_service_id_lock(&sid.id, lock)
        .map_err(|e| e.into_cli(&format!("Could not {verb} service ID {}", args.service_id)))?;
    ctx.remember(ServiceIds::Seen(std::slice::from_ref(&sid)));
    if out.json() {
        let now = ctx
            .api()
            .get_service_id(&sid.id)
            .map_err(|e| e.into_cli(&format!("Could not get service ID {}", args.service_id)))?;
        out.print_json(&now.value);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Service ID {} is {done}",
        out.em(&args.service_id)
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::errors::ApiError;

    fn rejected(status: u16, message: &str) -> IamError {
        IamError::Rejected(ApiError {
            status,
            code: Some("x".into()),
            message: message.into(),
            details: None,
        })
    }

    #[test]
    fn ids_are_told_from_names() {
        assert!(is_id("ServiceId-1234", "ServiceId-"));
        assert!(!is_id("ServiceId-", "ServiceId-"));
        assert!(!is_id("my-service", "ServiceId-"));
        assert!(is_id("ApiKey-abc", "ApiKey-"));
    }

    #[test]
    fn locked_refusals_name_the_unlock_command() {
        let e = change_error(
            rejected(409, "Service ID 'S' is locked."),
            "Could not delete service ID s",
            false,
            "iamctl service-id-unlock S",
        );
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.render()
                .contains("Tip: it is locked; unlock it first: 'iamctl service-id-unlock S'")
        );
        let e = change_error(
            rejected(409, "The entity tag does not match."),
            "Could not update service ID s",
            false,
            "iamctl service-id-unlock S",
        );
        assert!(
            e.render().contains("changed by someone else"),
            "{}",
            e.render()
        );
        let e = change_error(rejected(404, "not found"), "x", true, "u");
        assert!(e.hints.is_empty());
    }

    #[test]
    fn ambiguous_names_are_usage_errors_listing_the_ids() {
        let e = ambiguous(
            "service ID",
            "dup",
            "in account A",
            &["ServiceId-1", "ServiceId-2"],
        );
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.render(),
            "The service ID name 'dup' is ambiguous: 2 service IDs in account A have it.\n\
             Tip: name one by its ID instead: ServiceId-1, ServiceId-2\n"
        );
    }
}
