//! `service-id-create`, `service-ids`, `service-id`, `service-id-update`, `service-id-delete`,
//! `service-id-lock`, `service-id-unlock`, and resolving a service ID's name or ID (which the
//! service-ID API-key commands share).

use super::entity::{self, Kind, Lockable};
use super::identity::{IamCtx, ambiguous, is_id, not_found};
use crate::completion_cache::Learnt;
use crate::context::Context;
use crate::error::Result;
use crate::iam::IamError;
use crate::iam::identity::{Changes, ServiceId, Tagged};
use crate::output::Out;
use crate::settings::identity::{Change, Create, List, Show, Update};

/// Service IDs, for the shared update, delete, lock and unlock.
struct ServiceIds;

impl Kind for ServiceIds {
    type Item = ServiceId;

    fn noun(&self) -> &'static str {
        "service ID"
    }

    fn label(&self) -> &'static str {
        "Service ID"
    }

    fn subject(&self, _ctx: &IamCtx, out: &Out, arg: &str) -> String {
        format!("service ID {} bound to current account", out.em(arg))
    }

    fn question_tail(&self, verb: &str) -> String {
        if verb == "delete" {
            " and all its API keys".to_string()
        } else {
            String::new()
        }
    }

    fn unlock_command(&self, id: &str) -> String {
        // With -f, so that it also works pasted into a script (no terminal to confirm on).
        format!("iamctl service-id-unlock {id} -f")
    }

    fn table(&self, out: &Out, item: &ServiceId) -> String {
        service_id_table(out, item, false)
    }

    fn resolve(&self, ctx: &IamCtx, arg: &str) -> Result<ServiceId> {
        resolve_service_id(ctx, arg)
    }

    fn get(&self, ctx: &IamCtx, id: &str) -> Result<Tagged<ServiceId>, IamError> {
        ctx.api().get_service_id(id)
    }

    fn put(
        &self,
        ctx: &IamCtx,
        id: &str,
        etag: &str,
        changes: &Changes<'_>,
    ) -> Result<ServiceId, IamError> {
        ctx.api().update_service_id(id, etag, changes)
    }

    fn delete(&self, ctx: &IamCtx, id: &str) -> Result<(), IamError> {
        ctx.api().delete_service_id(id)
    }

    fn remember(&self, ctx: &IamCtx, what: Learnt<ServiceId>) {
        ctx.remember_service_ids(what);
    }
}

impl Lockable for ServiceIds {
    fn set_lock(&self, ctx: &IamCtx, id: &str, lock: bool) -> Result<(), IamError> {
        ctx.api().set_service_id_lock(id, lock)
    }
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

pub fn create(cx: &Context, args: Create) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
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
    ctx.remember_service_ids(Learnt::Seen(std::slice::from_ref(&created)));
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

pub fn list(cx: &Context, args: List) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    if !args.ids_only {
        out.say(&format!(
            "Getting all service IDs bound to current account as {}...",
            out.em(ctx.user())
        ));
    }
    let mut all = ctx
        .api()
        .list_service_ids(ctx.account_id(), None)
        .map_err(|e| e.into_cli("Could not list service IDs"))?;
    ctx.remember_service_ids(Learnt::All(&all));
    all.retain(|s| args.filter.keeps(&s.name, s.description.as_deref()));
    if args.ids_only {
        out.ids(all.iter().map(|s| s.id.as_str()));
        return Ok(());
    }
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

pub fn show(cx: &Context, args: Show) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    if !args.ids_only {
        out.say(&format!(
            "Getting service ID {} bound to current account as {}...",
            out.em(&args.target),
            out.em(ctx.user())
        ));
    }
    let found = find_service_ids(&ctx, &args.target)?;
    if found.is_empty() {
        return Err(not_found("Service ID", &args.target, &ctx));
    }
    ctx.remember_service_ids(Learnt::Seen(&found));
    if args.ids_only {
        // Names are not unique: every service ID with the name, one ID per line.
        out.ids(found.iter().map(|s| s.id.as_str()));
        return Ok(());
    }
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

pub fn update(cx: &Context, args: Update) -> Result<()> {
    entity::update(&ServiceIds, &IamCtx::open(cx)?, &args)
}

pub fn delete(cx: &Context, args: Change) -> Result<()> {
    entity::delete(&ServiceIds, &IamCtx::open(cx)?, &args)
}

pub fn set_lock(cx: &Context, args: Change, lock: bool) -> Result<()> {
    entity::set_lock(&ServiceIds, &IamCtx::open(cx)?, &args, lock)
}
