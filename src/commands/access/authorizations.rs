//! `authorization-policy-create`, `-delete`, `authorization-policy`, `authorization-policies`:
//! policies that let one service (or its instances) act on another.

use super::{authorization_block, is_authorization, role_ids};
use crate::commands::confirm;
use crate::commands::identity::IamCtx;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::iam::access::RoleQuery;
use crate::iam::policy::{self, ApiVersion, Attr, Draft, PolicyType};
use crate::settings::access::{AccountPolicies, AuthorizationCreate, AuthorizationRef};
use serde_json::{Value, json};

fn get(ctx: &IamCtx, id: &str, version: ApiVersion) -> Result<Value> {
    let got = ctx
        .access()
        .get_policy(version, id)
        .map_err(|e| e.into_cli(&format!("Could not get authorization policy {id}")))?;
    if got.value.get("state").and_then(Value::as_str) == Some("deleted") {
        return Err(CliError::failed(format!(
            "Authorization policy {id} was deleted."
        )));
    }
    if !is_authorization(&got.value) {
        return Err(CliError::failed(format!(
            "Policy {id} is an access policy, not an authorization policy."
        ))
        .hint("list the authorization policies with 'iamctl authorization-policies'"));
    }
    Ok(got.value)
}

pub fn create(cx: &Context, args: AuthorizationCreate) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let body = match args {
        AuthorizationCreate::File(file) => policy::file_body(
            file.body,
            ApiVersion::V1,
            PolicyType::Authorization,
            None,
            ctx.account_id(),
        ),
        AuthorizationCreate::Flags(spec) => {
            let query = RoleQuery {
                account_id: Some(ctx.account_id()),
                service_name: Some(&spec.target),
                source_service_name: Some(&spec.source),
                policy_type: Some("authorization"),
            };
            let of = format!(
                "authorizations from service {} to service {}",
                spec.source, spec.target
            );
            let roles = role_ids(&ctx, &spec.roles, &query, &of)?;
            let source_account = spec.source_account.as_deref().unwrap_or(ctx.account_id());
            let mut subject = vec![
                Attr::new("accountId", source_account),
                Attr::new("serviceName", &spec.source),
            ];
            subject.extend(spec.source_attrs.iter().cloned());
            let mut resource = vec![
                Attr::new("accountId", ctx.account_id()),
                Attr::new("serviceName", &spec.target),
            ];
            resource.extend(spec.target_attrs.iter().cloned());
            Draft {
                kind: PolicyType::Authorization,
                subject,
                roles,
                resource,
                tags: Vec::new(),
                description: None,
            }
            .body(ApiVersion::V1)
        }
    };
    out.say(&format!(
        "Creating authorization policy under current account as {}...",
        out.em(ctx.user())
    ));
    let created = ctx
        .access()
        .create_policy(ApiVersion::V1, &body)
        .map_err(|e| e.into_cli("Could not create the authorization policy"))?;
    ctx.remember_policies(None, std::slice::from_ref(&created.value), false);
    if out.json() {
        out.print_json(&created.value);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Authorization policy {} was created.",
        out.em(&policy::view(&created.value).id)
    ));
    out.blank();
    out.data(&authorization_block(&created.value));
    Ok(())
}

pub fn delete(cx: &Context, args: AuthorizationRef) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let p = get(&ctx, &args.id, args.version)?;
    let v = policy::view(&p);
    confirm(
        args.force,
        &format!(
            "Really delete authorization policy {} ({} -> {})?",
            args.id,
            policy::attr(&v.subject, "serviceName").unwrap_or("?"),
            policy::attr(&v.resource, "serviceName").unwrap_or("?")
        ),
        &format!("delete authorization policy {}", args.id),
    )?;
    out.say(&format!(
        "Deleting authorization policy {} under current account as {}...",
        out.em(&args.id),
        out.em(ctx.user())
    ));
    ctx.access()
        .delete_policy(args.version, &args.id)
        .map_err(|e| {
            e.into_cli(&format!(
                "Could not delete authorization policy {}",
                args.id
            ))
        })?;
    ctx.forget_policy(&args.id);
    if out.json() {
        out.print_json(&json!({ "id": args.id, "deleted": true }));
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Authorization policy {} is deleted successfully",
        out.em(&args.id)
    ));
    Ok(())
}

pub fn show(cx: &Context, args: AuthorizationRef) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    out.say(&format!(
        "Getting authorization policy {} under current account as {}...",
        out.em(&args.id),
        out.em(ctx.user())
    ));
    let p = get(&ctx, &args.id, args.version)?;
    ctx.remember_policies(None, std::slice::from_ref(&p), false);
    if out.json() {
        out.print_json(&p);
        return Ok(());
    }
    out.ok();
    out.blank();
    out.data(&authorization_block(&p));
    Ok(())
}

/// `authorization-policies`: `account-policies -t auth`.
pub fn list(cx: &Context, version: ApiVersion) -> Result<()> {
    super::policies::list_account(
        cx,
        AccountPolicies {
            kind: Some(PolicyType::Authorization),
            subject: None,
            sort: None,
            version,
        },
    )
}
