//! `access-groups`, `access-group`, `access-group-create`, `-update`, `-delete`, and the
//! members of a group: users, service IDs and trusted profiles (add, remove, list, and purge:
//! remove from every group).

use super::{find_groups, resolve_group, resolve_user};
use crate::commands::confirm;
use crate::commands::identity::IamCtx;
use crate::completion_cache::Learnt;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::iam::IamError;
use crate::iam::access::{AccessGroup, Member};
use crate::output::Out;
use crate::settings::access::{
    GroupCreate, GroupDelete, GroupList, GroupShow, GroupUpdate, MemberKind, MemberPurge,
    MemberRemove, Members, MembersAdd,
};
use serde_json::json;

fn noun(kind: MemberKind) -> &'static str {
    match kind {
        MemberKind::User => "user",
        MemberKind::ServiceId => "service ID",
        MemberKind::Profile => "trusted profile",
    }
}

fn nouns(kind: MemberKind) -> &'static str {
    match kind {
        MemberKind::User => "users",
        MemberKind::ServiceId => "service IDs",
        MemberKind::Profile => "trusted profiles",
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A member's IAM ID from its name or ID.
fn member_iam_id(ctx: &IamCtx, kind: MemberKind, arg: &str) -> Result<String> {
    Ok(match kind {
        MemberKind::User => resolve_user(ctx, arg)?,
        MemberKind::ServiceId => crate::commands::service_ids::resolve_service_id(ctx, arg)?.iam_id,
        MemberKind::Profile => crate::commands::trusted_profiles::resolve_profile(ctx, arg)?.iam_id,
    })
}

fn group_table(out: &Out, g: &AccessGroup) -> String {
    out.key_values(&[
        ("Name", g.name.clone()),
        ("ID", g.id.clone()),
        ("Description", g.description.clone().unwrap_or_default()),
    ])
}

pub fn list(cx: &Context, args: GroupList) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let member = match &args.member {
        Some((kind, arg)) => Some((*kind, arg.clone(), member_iam_id(&ctx, *kind, arg)?)),
        None => None,
    };
    match &member {
        Some((kind, arg, _)) => out.say(&format!(
            "Getting access groups of {} {} under current account as {}...",
            noun(*kind),
            out.em(arg),
            out.em(ctx.user())
        )),
        None => out.say(&format!(
            "Getting access groups under current account as {}...",
            out.em(ctx.user())
        )),
    }
    let all = ctx
        .access()
        .list_groups(
            ctx.account_id(),
            member.as_ref().map(|(_, _, i)| i.as_str()),
        )
        .map_err(|e| e.into_cli("Could not list access groups"))?;
    if member.is_none() {
        ctx.remember_access_groups(Learnt::All(&all));
    } else {
        ctx.remember_access_groups(Learnt::Seen(&all));
    }
    if out.json() {
        out.print_json(&all);
        return Ok(());
    }
    out.ok();
    if all.is_empty() {
        out.say("No access group found.");
        return Ok(());
    }
    out.blank();
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                g.id.clone(),
                g.description.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.data(&out.table(&["Name", "ID", "Description"], &rows));
    Ok(())
}

pub fn show(cx: &Context, args: GroupShow) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    if !args.id_only {
        out.say(&format!(
            "Getting access group {} under current account as {}...",
            out.em(&args.group),
            out.em(ctx.user())
        ));
    }
    let g = resolve_group(&ctx, &args.group)?;
    ctx.remember_access_groups(Learnt::Seen(std::slice::from_ref(&g)));
    if args.id_only {
        out.ids([g.id.as_str()]);
        return Ok(());
    }
    if out.json() {
        out.print_json(&g);
        return Ok(());
    }
    out.ok();
    out.blank();
    out.data(&group_table(out, &g));
    Ok(())
}

pub fn create(cx: &Context, args: GroupCreate) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    out.say(&format!(
        "Creating access group {} under current account as {}...",
        out.em(&args.name),
        out.em(ctx.user())
    ));
    let g = ctx
        .access()
        .create_group(ctx.account_id(), &args.name, args.description.as_deref())
        .map_err(|e| e.into_cli(&format!("Could not create access group {}", args.name)))?;
    ctx.remember_access_groups(Learnt::Seen(std::slice::from_ref(&g)));
    if out.json() {
        out.print_json(&g);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Access group {} is created successfully",
        out.em(&g.name)
    ));
    out.blank();
    out.data(&group_table(out, &g));
    Ok(())
}

pub fn update(cx: &Context, args: GroupUpdate) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let found = resolve_group(&ctx, &args.group)?;
    let current = ctx
        .access()
        .get_group(&found.id)
        .map_err(|e| e.into_cli(&format!("Could not get access group {}", args.group)))?;
    out.say(&format!(
        "Updating access group {} under current account as {}...",
        out.em(&args.group),
        out.em(ctx.user())
    ));
    let g = ctx
        .access()
        .update_group(
            &found.id,
            &current.etag,
            args.new_name.as_deref(),
            args.description.as_deref(),
        )
        .map_err(|e| {
            let conflict = matches!(&e, IamError::Rejected(api) if matches!(api.status, 409 | 412));
            let err = e.into_cli(&format!("Could not update access group {}", args.group));
            if conflict {
                err.hint("it was changed by someone else since iamctl read it, or the name is taken; run the command again to apply your change to the current version")
            } else {
                err
            }
        })?;
    ctx.remember_access_groups(Learnt::Seen(std::slice::from_ref(&g)));
    if out.json() {
        out.print_json(&g);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Access group {} is updated successfully",
        out.em(&g.name)
    ));
    out.blank();
    out.data(&group_table(out, &g));
    Ok(())
}

pub fn delete(cx: &Context, args: GroupDelete) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let groups = if args.all {
        let found = find_groups(&ctx, &args.group)?;
        if found.is_empty() {
            resolve_group(&ctx, &args.group)?;
        }
        found
    } else {
        vec![resolve_group(&ctx, &args.group)?]
    };
    let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    let what = if args.recursive {
        " and its members"
    } else {
        ""
    };
    confirm(
        args.force,
        &format!(
            "Really delete access group {} ({}){what}?",
            args.group,
            ids.join(", ")
        ),
        &format!("delete access group {}", args.group),
    )?;
    out.say(&format!(
        "Deleting access group {} under current account as {}...",
        out.em(&args.group),
        out.em(ctx.user())
    ));
    for g in &groups {
        ctx.access()
            .delete_group(&g.id, args.recursive)
            .map_err(|e| {
                let refused = matches!(&e, IamError::Rejected(api) if matches!(api.status, 400 | 409 | 412));
                let err = e.into_cli(&format!("Could not delete access group {}", args.group));
                if refused && !args.recursive {
                    err.hint(format!("if it still has members, delete it with them: 'iamctl access-group-delete {} -r -f'", g.id))
                } else {
                    err
                }
            })?;
        ctx.remember_access_groups(Learnt::Deleted(&g.id));
    }
    if out.json() {
        let deleted: Vec<_> = groups
            .iter()
            .map(|g| json!({ "id": g.id, "name": g.name, "deleted": true }))
            .collect();
        out.print_json(&deleted);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Access group {} is deleted successfully",
        out.em(&args.group)
    ));
    Ok(())
}

pub fn add(cx: &Context, args: MembersAdd) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let group = resolve_group(&ctx, &args.group)?;
    let kind = args.kind.api_type();
    let mut members: Vec<(String, &str)> = Vec::new();
    let mut shown: Vec<String> = Vec::new();
    for m in &args.members {
        members.push((member_iam_id(&ctx, args.kind, m)?, kind));
        shown.push(m.clone());
    }
    for i in &args.iam_ids {
        let i = i.trim();
        if !i.is_empty() {
            members.push((i.to_string(), kind));
            shown.push(i.to_string());
        }
    }
    let list = shown.join(", ");
    let plural = shown.len() > 1;
    out.say(&format!(
        "Adding {} {} to access group {} as {}...",
        if plural {
            nouns(args.kind)
        } else {
            noun(args.kind)
        },
        out.em(&list),
        out.em(&args.group),
        out.em(ctx.user())
    ));
    let added = ctx.access().add_members(&group.id, &members).map_err(|e| {
        e.into_cli(&format!(
            "Could not add {list} to access group {}",
            args.group
        ))
    })?;
    let failed: Vec<String> = added
        .iter()
        .filter(|a| !a.ok())
        .map(|a| format!("{} ({})", a.iam_id, a.message()))
        .collect();
    if !failed.is_empty() {
        return Err(CliError::failed(format!(
            "Could not add to access group {}: {}",
            args.group,
            failed.join("; ")
        )));
    }
    if out.json() {
        out.print_json(&added);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "{} {} {} added to access group {}",
        capitalised(if plural {
            nouns(args.kind)
        } else {
            noun(args.kind)
        }),
        out.em(&list),
        if plural { "are" } else { "is" },
        out.em(&args.group)
    ));
    Ok(())
}

pub fn remove(cx: &Context, args: MemberRemove) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let group = resolve_group(&ctx, &args.group)?;
    let iam_id = member_iam_id(&ctx, args.kind, &args.member)?;
    out.say(&format!(
        "Removing {} {} from access group {} as {}...",
        noun(args.kind),
        out.em(&args.member),
        out.em(&args.group),
        out.em(ctx.user())
    ));
    ctx.access()
        .remove_member(&group.id, &iam_id)
        .map_err(|e| {
            e.into_cli(&format!(
                "Could not remove {} {} from access group {}",
                noun(args.kind),
                args.member,
                args.group
            ))
        })?;
    if out.json() {
        out.print_json(&json!({ "group_id": group.id, "iam_id": iam_id, "removed": true }));
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "{} {} is removed from access group {}",
        capitalised(noun(args.kind)),
        out.em(&args.member),
        out.em(&args.group)
    ));
    Ok(())
}

pub fn list_members(cx: &Context, args: Members) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    out.say(&format!(
        "Getting {} of access group {} under current account as {}...",
        nouns(args.kind),
        out.em(&args.group),
        out.em(ctx.user())
    ));
    let group = resolve_group(&ctx, &args.group)?;
    let members: Vec<Member> = ctx
        .access()
        .list_members(&group.id, args.kind.api_type())
        .map_err(|e| {
            e.into_cli(&format!(
                "Could not list the members of access group {}",
                args.group
            ))
        })?;
    // A server that ignores `type` must not mix kinds.
    let members: Vec<Member> = members
        .into_iter()
        .filter(|m| m.kind.is_empty() || m.kind == args.kind.api_type())
        .collect();
    if out.json() {
        out.print_json(&members);
        return Ok(());
    }
    out.ok();
    if members.is_empty() {
        out.say(&format!(
            "No {} found in access group {}.",
            noun(args.kind),
            out.em(&args.group)
        ));
        return Ok(());
    }
    out.blank();
    let text = match args.kind {
        MemberKind::User => out.table(
            &["Name", "Email", "IAM ID"],
            &members
                .iter()
                .map(|m| {
                    vec![
                        m.name.clone().unwrap_or_default(),
                        m.email.clone().unwrap_or_default(),
                        m.iam_id.clone(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        MemberKind::ServiceId | MemberKind::Profile => out.table(
            &["Name", "IAM ID", "Description"],
            &members
                .iter()
                .map(|m| {
                    vec![
                        m.name.clone().unwrap_or_default(),
                        m.iam_id.clone(),
                        m.description.clone().unwrap_or_default(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
    };
    out.data(&text);
    Ok(())
}

pub fn purge(cx: &Context, args: MemberPurge) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let iam_id = member_iam_id(&ctx, args.kind, &args.member)?;
    confirm(
        args.force,
        &format!(
            "Really remove {} {} from all access groups?",
            noun(args.kind),
            args.member
        ),
        &format!(
            "remove {} {} from all access groups",
            noun(args.kind),
            args.member
        ),
    )?;
    out.say(&format!(
        "Removing {} {} from all access groups under current account as {}...",
        noun(args.kind),
        out.em(&args.member),
        out.em(ctx.user())
    ));
    ctx.access()
        .remove_from_all(ctx.account_id(), &iam_id)
        .map_err(|e| {
            e.into_cli(&format!(
                "Could not remove {} {} from all access groups",
                noun(args.kind),
                args.member
            ))
        })?;
    if out.json() {
        out.print_json(&json!({ "iam_id": iam_id, "removed": true }));
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "{} {} is removed from all access groups",
        capitalised(noun(args.kind)),
        out.em(&args.member)
    ));
    Ok(())
}
