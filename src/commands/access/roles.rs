//! `roles`: the roles a policy may grant, for a service or the platform.

use crate::commands::identity::IamCtx;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::iam::access::RoleQuery;
use crate::settings::access::Roles;
use serde_json::json;

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
