//! `roles`: the roles a policy may grant, for a service or the platform; `role-create`: a
//! custom role.

use crate::commands::identity::IamCtx;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::iam::access::RoleQuery;
use crate::settings::access::{RoleCreate, Roles};
use serde_json::{Value, json};

pub fn run(cx: &Context, args: Roles) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let of = match (&args.source_service, &args.service) {
        (Some(src), Some(s)) => format!(
            "authorizations from service {} to service {}",
            out.em(src),
            out.em(s)
        ),
        (_, Some(s)) => format!("service {}", out.em(s)),
        _ => "the platform".to_string(),
    };
    out.say(&format!(
        "Getting roles of {of} under current account as {}...",
        out.em(ctx.user())
    ));
    let query = RoleQuery {
        account_id: Some(ctx.account_id()),
        service_name: args.service.as_deref(),
        source_service_name: args.source_service.as_deref(),
        policy_type: args.source_service.as_ref().map(|_| "authorization"),
    };
    let roles = ctx
        .access()
        .roles(&query)
        .map_err(|e| e.into_cli("Could not list roles"))?;
    if args.source_service.is_none() {
        ctx.remember_roles(args.service.as_deref().unwrap_or(""), &roles);
    }
    let mut shown: Vec<(&str, &crate::iam::access::Role)> = roles.all().collect();
    if !args.roles.is_empty() {
        for want in &args.roles {
            if !shown
                .iter()
                .any(|(_, r)| r.display_name.eq_ignore_ascii_case(want) || r.crn == *want)
            {
                let valid: Vec<&str> = shown.iter().map(|(_, r)| r.display_name.as_str()).collect();
                return Err(CliError::failed(format!(
                    "The role '{want}' is not a valid role of {}. Valid roles: {}.",
                    args.service
                        .as_deref()
                        .map(|s| format!("service {s}"))
                        .unwrap_or_else(|| "the platform".into()),
                    valid.join(", ")
                )));
            }
        }
        shown.retain(|(_, r)| {
            args.roles
                .iter()
                .any(|w| r.display_name.eq_ignore_ascii_case(w) || r.crn == *w)
        });
    }
    if out.json() {
        if args.roles.is_empty() {
            out.print_json(&roles);
        } else {
            let list: Vec<_> = shown.iter().map(|(_, r)| json!(r)).collect();
            out.print_json(&list);
        }
        return Ok(());
    }
    out.ok();
    out.blank();
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|(kind, r)| {
            vec![
                r.display_name.clone(),
                kind.to_string(),
                r.crn.clone(),
                r.description.clone(),
            ]
        })
        .collect();
    out.data(&out.table(&["Name", "Type", "Role ID", "Description"], &rows));
    Ok(())
}

/// `role-create`: `POST /v2/roles` in the current account.
pub fn create(cx: &Context, args: RoleCreate) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let mut body = json!({
        "name": args.name,
        "display_name": args.display_name,
        "service_name": args.service_name,
        "account_id": ctx.account_id(),
        "actions": args.actions,
    });
    if let Some(d) = &args.description {
        body["description"] = json!(d);
    }
    out.say(&format!(
        "Creating role {} for service {} under current account as {}...",
        out.em(&args.name),
        out.em(&args.service_name),
        out.em(ctx.user())
    ));
    let role = ctx.access().create_role(&body).map_err(|e| {
        let status = match &e {
            crate::iam::IamError::Rejected(api) => api.status,
            _ => 0,
        };
        let err = e.into_cli(&format!("Could not create role {}", args.name));
        let service = &args.service_name;
        match status {
            400 => err.hint(format!(
                "the actions of {service}'s roles: 'iamctl roles --service {service} --output json'"
            )),
            409 => err.hint(format!(
                "the account's custom roles of {service}: 'iamctl roles --service {service}'"
            )),
            _ => err,
        }
    })?;
    let text = |key: &str| role.get(key).and_then(Value::as_str).unwrap_or("");
    ctx.remember_custom_role(&args.service_name, text("crn"), text("display_name"));
    if out.json() {
        out.print_json(&role);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Role {} is created successfully",
        out.em(text("name"))
    ));
    out.blank();
    let actions: Vec<&str> = role
        .get("actions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.data(&out.key_values(&[
        ("Name", text("name").to_string()),
        ("ID", text("id").to_string()),
        ("Display Name", text("display_name").to_string()),
        ("Description", text("description").to_string()),
        ("Service Name", text("service_name").to_string()),
        ("Actions", actions.join(", ")),
        ("CRN", text("crn").to_string()),
    ]));
    Ok(())
}
