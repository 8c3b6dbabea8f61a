//! `user-policy*`, `service-policy*`, `trusted-profile-policy*`, `access-group-policy*`: one
//! implementation for the four kinds of subject, on either API version.

use super::{
    Whose, authorization_block, is_authorization, policy_block, policy_block_with_subject,
    resolve_subject, resource_group_id, role_ids,
};
use crate::commands::confirm;
use crate::commands::identity::IamCtx;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::iam::access::{PolicyFilter, RoleQuery};
use crate::iam::policy::{self, ApiVersion, Attr, Draft, PolicyType, SubjectKind};
use crate::settings::access::{
    AccountPolicies, Definition, Policies, PolicyCreate, PolicyRef, PolicyUpdate,
};
use serde_json::{Value, json};

/// The resource attributes flags name, with the account first; resource groups by name
/// become IDs. With nothing named, the policy is on every IAM-enabled service of the account
/// (IBM's `serviceType: service`); `--account-management`, on every account management
/// service (`serviceType: platform_service`).
fn resource(ctx: &IamCtx, d: &Definition) -> Result<Vec<Attr>> {
    let mut attrs = vec![Attr::new("accountId", ctx.account_id())];
    attrs.extend(d.resource.iter().cloned());
    if let Some(name) = &d.resource_group_name {
        attrs.push(Attr::new("resourceGroupId", &resource_group_id(ctx, name)?));
    }
    if d.account_management {
        attrs.push(Attr::new("serviceType", "platform_service"));
    } else if attrs.len() == 1 {
        attrs.push(Attr::new("serviceType", "service"));
    }
    Ok(attrs)
}

/// Role names to role IDs, against the roles of the service the policy is on.
fn roles(ctx: &IamCtx, d: &Definition) -> Result<Vec<String>> {
    let service = d.service();
    let of = match service {
        Some(s) => format!("service {s}"),
        None if d.account_management => "account management services".to_string(),
        None => "the platform".to_string(),
    };
    let query = RoleQuery {
        account_id: Some(ctx.account_id()),
        service_name: service,
        ..RoleQuery::default()
    };
    role_ids(ctx, &d.roles, &query, &of)
}

/// The request body: the file's policy with the subject set, or one built from flags.
fn body(ctx: &IamCtx, whose: &Whose, d: &Definition, version: ApiVersion) -> Result<Value> {
    if let Some(file) = &d.file {
        return Ok(policy::file_body(
            file.body.clone(),
            version,
            PolicyType::Access,
            Some(std::slice::from_ref(&whose.attr)),
            ctx.account_id(),
        ));
    }
    Ok(Draft {
        kind: PolicyType::Access,
        subject: vec![whose.attr.clone()],
        roles: roles(ctx, d)?,
        resource: resource(ctx, d)?,
        tags: d.tags.clone(),
        description: None,
    }
    .body(version))
}

/// What an update sends: the current policy with the given roles and/or resource replaced
/// (a `--file` replaces all of it).
fn updated(
    ctx: &IamCtx,
    whose: &Whose,
    d: &Definition,
    version: ApiVersion,
    current: &Value,
) -> Result<Value> {
    if d.file.is_some() {
        return body(ctx, whose, d, version);
    }
    let mut next = current.clone();
    // Read-only fields IAM sets itself stay out of the request.
    if let Some(obj) = next.as_object_mut() {
        for k in [
            "id",
            "href",
            "created_at",
            "created_by_id",
            "last_modified_at",
            "last_modified_by_id",
            "state",
            "last_permit_at",
            "last_permit_frequency",
            "template",
            "counts",
        ] {
            obj.remove(k);
        }
    }
    let role_list = if d.roles.is_empty() {
        None
    } else {
        Some(
            roles(ctx, d)?
                .into_iter()
                .map(|r| json!({ "role_id": r }))
                .collect::<Vec<_>>(),
        )
    };
    let attrs = if d.names_resource() {
        Some(resource(ctx, d)?)
    } else {
        None
    };
    let draft = Draft {
        kind: PolicyType::Access,
        subject: vec![whose.attr.clone()],
        roles: Vec::new(),
        resource: attrs.clone().unwrap_or_default(),
        tags: d.tags.clone(),
        description: None,
    }
    .body(version);
    match version {
        ApiVersion::V1 => {
            if let Some(r) = role_list {
                next["roles"] = json!(r);
            }
            if attrs.is_some() {
                next["resources"] = draft["resources"].clone();
            }
            next["subjects"] = draft["subjects"].clone();
        }
        ApiVersion::V2 => {
            if let Some(r) = role_list {
                next["control"] = json!({ "grant": { "roles": r } });
            }
            if attrs.is_some() {
                next["resource"] = draft["resource"].clone();
            }
            next["subject"] = draft["subject"].clone();
        }
    }
    next["type"] = json!("access");
    Ok(next)
}

/// The policy must be one of this subject's: a policy ID of another subject is refused
/// before anything changes.
fn check_owner(whose: &Whose, policy: &Value, id: &str) -> Result<()> {
    let v = policy::view(policy);
    if v.kind == PolicyType::Authorization.as_str()
        || policy::attr(&v.subject, &whose.attr.key) != Some(whose.attr.value.as_str())
    {
        return Err(CliError::failed(format!(
            "Policy {id} is not a policy of {} {}.",
            whose.noun, whose.name
        ))
        .hint(format!(
            "list its policies with 'iamctl {}'",
            list_command(whose)
        )));
    }
    Ok(())
}

fn list_command(whose: &Whose) -> String {
    let cmd = match whose.noun {
        "user" => "user-policies",
        "service ID" => "service-policies",
        "trusted profile" => "trusted-profile-policies",
        _ => "access-group-policies",
    };
    format!("{cmd} {}", whose.name)
}

fn filter(whose: &Whose) -> PolicyFilter<'_> {
    let mut f = PolicyFilter {
        kind: Some("access"),
        ..PolicyFilter::default()
    };
    if whose.attr.key == "access_group_id" {
        f.access_group_id = Some(&whose.attr.value);
    } else {
        f.iam_id = Some(&whose.attr.value);
    }
    f
}

/// A policy of the subject, read with its ETag.
fn get_own(
    ctx: &IamCtx,
    whose: &Whose,
    id: &str,
    version: ApiVersion,
) -> Result<crate::iam::access::Etagged<Value>> {
    let got = ctx
        .access()
        .get_policy(version, id)
        .map_err(|e| e.into_cli(&format!("Could not get policy {id}")))?;
    check_owner(whose, &got.value, id)?;
    // IAM keeps a deleted policy (it can be restored) and still answers for it.
    if got.value.get("state").and_then(Value::as_str) == Some("deleted") {
        return Err(CliError::failed(format!(
            "Policy {id} of {} {} was deleted.",
            whose.noun, whose.name
        ))
        .hint(format!(
            "list the policies in effect with 'iamctl {}'",
            list_command(whose)
        )));
    }
    Ok(got)
}

pub fn create(cx: &Context, args: PolicyCreate) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let whose = resolve_subject(&ctx, &args.subject)?;
    let body = body(&ctx, &whose, &args.definition, args.version)?;
    out.say(&format!(
        "Creating policy under current account for {} as {}...",
        whose.label(out),
        out.em(ctx.user())
    ));
    let created = ctx
        .access()
        .create_policy(args.version, &body)
        .map_err(|e| {
            e.into_cli(&format!(
                "Could not create a policy for {} {}",
                whose.noun, whose.name
            ))
        })?;
    ctx.remember_policies(Some(&whose), std::slice::from_ref(&created.value), false);
    if out.json() {
        out.print_json(&created.value);
        return Ok(());
    }
    out.ok();
    out.say(&format!("{} is successfully created", whose.policy_noun()));
    out.blank();
    out.data(&policy_block(out, &created.value, Some(&created.etag)));
    Ok(())
}

pub fn update(cx: &Context, args: PolicyUpdate) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let whose = resolve_subject(&ctx, &args.subject)?;
    let current = get_own(&ctx, &whose, &args.id, args.version)?;
    let body = updated(&ctx, &whose, &args.definition, args.version, &current.value)?;
    out.say(&format!(
        "Updating policy {} under current account for {} as {}...",
        out.em(&args.id),
        whose.label(out),
        out.em(ctx.user())
    ));
    let replaced = ctx
        .access()
        .replace_policy(args.version, &args.id, &current.etag, &body)
        .map_err(|e| {
            let conflict = matches!(&e, crate::iam::IamError::Rejected(api) if matches!(api.status, 409 | 412));
            let err = e.into_cli(&format!("Could not update policy {}", args.id));
            if conflict {
                err.hint("it was changed by someone else since iamctl read it; run the command again to apply your change to the current version")
            } else {
                err
            }
        })?;
    ctx.remember_policies(Some(&whose), std::slice::from_ref(&replaced.value), false);
    if out.json() {
        out.print_json(&replaced.value);
        return Ok(());
    }
    out.ok();
    out.say(&format!("{} is successfully updated", whose.policy_noun()));
    out.blank();
    out.data(&policy_block(out, &replaced.value, Some(&replaced.etag)));
    Ok(())
}

pub fn delete(cx: &Context, args: PolicyRef) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let whose = resolve_subject(&ctx, &args.subject)?;
    get_own(&ctx, &whose, &args.id, args.version)?;
    confirm(
        args.force,
        &format!(
            "Really delete policy {} of {} {}?",
            args.id, whose.noun, whose.name
        ),
        &format!("delete policy {} of {} {}", args.id, whose.noun, whose.name),
    )?;
    out.say(&format!(
        "Deleting policy {} under current account for {} as {}...",
        out.em(&args.id),
        whose.label(out),
        out.em(ctx.user())
    ));
    ctx.access()
        .delete_policy(args.version, &args.id)
        .map_err(|e| e.into_cli(&format!("Could not delete policy {}", args.id)))?;
    ctx.forget_policy(&args.id);
    if out.json() {
        out.print_json(&json!({ "id": args.id, "deleted": true }));
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Policy {} is deleted successfully",
        out.em(&args.id)
    ));
    Ok(())
}

pub fn list(cx: &Context, args: Policies) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let whose = resolve_subject(&ctx, &args.subject)?;
    out.say(&format!(
        "Getting policies of {} under current account as {}...",
        whose.label(out),
        out.em(ctx.user())
    ));
    let all = ctx
        .access()
        .list_policies(args.version, ctx.account_id(), &filter(&whose))
        .map_err(|e| {
            e.into_cli(&format!(
                "Could not list the policies of {} {}",
                whose.noun, whose.name
            ))
        })?;
    ctx.remember_policies(Some(&whose), &all, true);
    if out.json() {
        out.print_json(&all);
        return Ok(());
    }
    out.ok();
    if all.is_empty() {
        out.say(&format!("No policy found for {}.", whose.label(out)));
        return Ok(());
    }
    out.blank();
    let blocks: Vec<String> = all.iter().map(|p| policy_block(out, p, None)).collect();
    out.data(&blocks.join("\n"));
    Ok(())
}

pub fn show(cx: &Context, args: PolicyRef) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let whose = resolve_subject(&ctx, &args.subject)?;
    out.say(&format!(
        "Getting policy {} of {} under current account as {}...",
        out.em(&args.id),
        whose.label(out),
        out.em(ctx.user())
    ));
    let got = get_own(&ctx, &whose, &args.id, args.version)?;
    ctx.remember_policies(Some(&whose), std::slice::from_ref(&got.value), false);
    if out.json() {
        out.print_json(&got.value);
        return Ok(());
    }
    out.ok();
    out.blank();
    out.data(&policy_block(out, &got.value, Some(&got.etag)));
    Ok(())
}

/// `access-policies`, `account-policies` (and `authorization-policies`): the account's
/// policies of a type, filtered and sorted by IAM; of one kind of subject, filtered here (the
/// API filters by one subject, not by a kind of subject).
pub fn list_account(cx: &Context, args: AccountPolicies) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let kind = args
        .kind
        .map(|t| format!("{} ", t.as_str()))
        .unwrap_or_default();
    let of_type = args
        .subject
        .map(|k| format!(" of type {}", k.as_str()))
        .unwrap_or_default();
    let all_of = if args.kind.is_none() { "all " } else { "" };
    out.say(&format!(
        "Getting {all_of}{kind}policies{of_type} under current account as {}...",
        out.em(ctx.user())
    ));
    let filter = PolicyFilter {
        kind: args.kind.map(PolicyType::as_str),
        sort: args.sort.as_deref(),
        ..PolicyFilter::default()
    };
    let mut all = ctx
        .access()
        .list_policies(args.version, ctx.account_id(), &filter)
        .map_err(|e| e.into_cli(&format!("Could not list {all_of}{kind}policies")))?;
    all.retain(|p| {
        let v = policy::view(p);
        args.kind.is_none_or(|t| v.kind == t.as_str())
            && args
                .subject
                .is_none_or(|k| SubjectKind::of(&v.subject) == Some(k))
    });
    ctx.remember_account_policies(&all);
    if out.json() {
        out.print_json(&all);
        return Ok(());
    }
    out.ok();
    if all.is_empty() {
        out.say(&format!("No {kind}policy{of_type} found."));
        return Ok(());
    }
    out.blank();
    let blocks: Vec<String> = all
        .iter()
        .map(|p| match is_authorization(p) {
            true => authorization_block(p),
            false => policy_block_with_subject(out, p),
        })
        .collect();
    out.data(&blocks.join("\n"));
    Ok(())
}
