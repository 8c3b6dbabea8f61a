//! `authorization-policy-create`, `-delete`, `authorization-policy`, `authorization-policies`:
//! policies that let one service (or its instances) act on another.

use super::role_ids;
use crate::commands::confirm;
use crate::commands::identity::IamCtx;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::iam::access::{PolicyFilter, RoleQuery};
use crate::iam::policy::{self, ApiVersion, Attr, Draft, PolicyType};
use crate::output::aligned;
use crate::settings::access::{AuthorizationCreate, AuthorizationRef};
use serde_json::{Value, json};

/// IBM's text for an authorization policy.
fn block(p: &Value) -> String {
    let v = policy::view(p);
    let instance = |attrs: &[Attr]| {
        policy::attr(attrs, "serviceInstance")
            .unwrap_or("All instances")
            .to_string()
    };
    let mut rows = vec![
        ("ID", v.id.clone()),
        (
            "Source service name",
            policy::attr(&v.subject, "serviceName")
                .unwrap_or("")
                .to_string(),
        ),
        ("Source service instance", instance(&v.subject)),
    ];
    if let Some(g) = policy::attr(&v.subject, "resourceGroupId") {
        rows.push(("Source resource group ID", g.to_string()));
    }
    rows.push((
        "Target service name",
        policy::attr(&v.resource, "serviceName")
            .unwrap_or("")
            .to_string(),
    ));
    rows.push(("Target service instance", instance(&v.resource)));
    if let Some(g) = policy::attr(&v.resource, "resourceGroupId") {
        rows.push(("Target resource group ID", g.to_string()));
    }
    rows.push(("Roles", v.roles.join(", ")));
    aligned(&rows)
}

fn is_authorization(p: &Value) -> bool {
    policy::view(p).kind == PolicyType::Authorization.as_str()
}

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
    out.data(&block(&created.value));
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
    out.data(&block(&p));
    Ok(())
}

pub fn list(cx: &Context, version: ApiVersion) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    out.say(&format!(
        "Getting authorization policies under current account as {}...",
        out.em(ctx.user())
    ));
    let filter = PolicyFilter {
        kind: Some("authorization"),
        ..PolicyFilter::default()
    };
    let mut all = ctx
        .access()
        .list_policies(version, ctx.account_id(), &filter)
        .map_err(|e| e.into_cli("Could not list authorization policies"))?;
    all.retain(is_authorization);
    ctx.remember_policies(None, &all, false);
    if out.json() {
        out.print_json(&all);
        return Ok(());
    }
    out.ok();
    if all.is_empty() {
        out.say("No authorization policy found.");
        return Ok(());
    }
    out.blank();
    let blocks: Vec<String> = all.iter().map(block).collect();
    out.data(&blocks.join("\n"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorizations_read_like_ibms() {
        let p = json!({
            "id": "5a1e", "type": "authorization",
            "subjects": [{"attributes": [{"name": "accountId", "value": "a"}, {"name": "serviceName", "value": "cloud-object-storage"}]}],
            "roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Reader", "display_name": "Reader"}],
            "resources": [{"attributes": [{"name": "accountId", "value": "a"}, {"name": "serviceName", "value": "kms"}]}]
        });
        assert_eq!(
            block(&p),
            "ID:                        5a1e\n\
             Source service name:       cloud-object-storage\n\
             Source service instance:   All instances\n\
             Target service name:       kms\n\
             Target service instance:   All instances\n\
             Roles:                     Reader\n"
        );
        assert!(is_authorization(&p));
    }
}
