//! `trusted-profile-*`: trusted profiles (create, list, show, update, delete), their links to
//! compute resources whose workloads may log in as them, and the identities that may assume
//! them. Profile names are unique within an account, so a name finds at most one.

use super::confirm;
use super::entity::{self, Kind};
use super::identity::{IamCtx, is_id, not_found};
use crate::completion_cache::Learnt;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::iam::IamError;
use crate::iam::identity::{
    Changes, NewLink, ProfileIdentity, ProfileLink, Tagged, TrustedProfile,
};
use crate::output::Out;
use crate::settings::identity::{
    Change, Create, Identities, IdentityCreate, IdentityDelete, IdentityShow, LinkCreate,
    LinkDelete, Links, List, Show, Update,
};
use serde_json::json;

/// The one profile with this name or ID.
pub fn resolve_profile(ctx: &IamCtx, arg: &str) -> Result<TrustedProfile> {
    if is_id(arg, "Profile-") {
        let tagged = ctx
            .api()
            .get_profile(arg)
            .map_err(|e| e.into_cli(&format!("Could not get trusted profile {arg}")))?;
        ctx.remember_profiles(Learnt::Seen(std::slice::from_ref(&tagged.value)));
        return Ok(tagged.value);
    }
    let mut found = ctx
        .api()
        .list_profiles(ctx.account_id(), Some(arg))
        .map_err(|e| e.into_cli("Could not list trusted profiles"))?;
    match found.pop() {
        Some(p) => {
            ctx.remember_profiles(Learnt::Seen(std::slice::from_ref(&p)));
            Ok(p)
        }
        None => Err(not_found("Trusted profile", arg, ctx)),
    }
}

/// The table IBM-style commands print for one profile.
fn profile_table(out: &Out, p: &TrustedProfile) -> String {
    let mut rows = vec![
        ("ID", p.id.clone()),
        ("Name", p.name.clone()),
        ("Description", p.description.clone().unwrap_or_default()),
        ("CRN", p.crn.clone()),
        ("IAM ID", p.iam_id.clone()),
        ("Version", p.entity_tag.clone()),
        ("Created At", p.created_at.clone()),
    ];
    // Only when it has one, so that the rows scripts read stay where they were.
    if let Some(email) = &p.email {
        rows.push(("Email", email.clone()));
    }
    out.key_values(&rows)
}

/// Trusted profiles, for the shared update and delete.
struct Profiles;

impl Kind for Profiles {
    type Item = TrustedProfile;

    fn noun(&self) -> &'static str {
        "trusted profile"
    }

    fn label(&self) -> &'static str {
        "Trusted profile"
    }

    fn subject(&self, _ctx: &IamCtx, out: &Out, arg: &str) -> String {
        format!("trusted profile {} bound to current account", out.em(arg))
    }

    fn question_tail(&self, verb: &str) -> String {
        if verb == "delete" {
            " with its links and trusted identities".to_string()
        } else {
            String::new()
        }
    }

    fn unlock_command(&self, _id: &str) -> String {
        String::new()
    }

    fn table(&self, out: &Out, item: &TrustedProfile) -> String {
        profile_table(out, item)
    }

    fn resolve(&self, ctx: &IamCtx, arg: &str) -> Result<TrustedProfile> {
        resolve_profile(ctx, arg)
    }

    fn get(&self, ctx: &IamCtx, id: &str) -> Result<Tagged<TrustedProfile>, IamError> {
        ctx.api().get_profile(id)
    }

    fn put(
        &self,
        ctx: &IamCtx,
        id: &str,
        etag: &str,
        changes: &Changes<'_>,
    ) -> Result<TrustedProfile, IamError> {
        ctx.api().update_profile(id, etag, changes)
    }

    fn delete(&self, ctx: &IamCtx, id: &str) -> Result<(), IamError> {
        ctx.api().delete_profile(id)
    }

    fn remember(&self, ctx: &IamCtx, what: Learnt<TrustedProfile>) {
        ctx.remember_profiles(what);
    }
}

pub fn create(cx: &Context, args: Create) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    out.say(&format!(
        "Creating trusted profile {} bound to current account as {}...",
        out.em(&args.name),
        out.em(ctx.user())
    ));
    let created = ctx
        .api()
        .create_profile(
            ctx.account_id(),
            &args.name,
            args.description.as_deref(),
            args.email.as_deref(),
        )
        .map_err(|e| e.into_cli(&format!("Could not create trusted profile {}", args.name)))?;
    ctx.remember_profiles(Learnt::Seen(std::slice::from_ref(&created)));
    if out.json() {
        out.print_json(&created);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Trusted profile {} is created successfully",
        out.em(&created.name)
    ));
    out.blank();
    out.data(&profile_table(out, &created));
    Ok(())
}

pub fn list(cx: &Context, args: List) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    if !args.ids_only {
        out.say(&format!(
            "Getting all trusted profiles bound to current account as {}...",
            out.em(ctx.user())
        ));
    }
    let mut all = ctx
        .api()
        .list_profiles(ctx.account_id(), None)
        .map_err(|e| e.into_cli("Could not list trusted profiles"))?;
    ctx.remember_profiles(Learnt::All(&all));
    all.retain(|p| args.filter.keeps(&p.name, p.description.as_deref()));
    if args.can_assume {
        all = assumable(&ctx, all)?;
    }
    if args.ids_only {
        out.ids(all.iter().map(|p| p.id.as_str()));
        return Ok(());
    }
    if out.json() {
        out.print_json(&all);
        return Ok(());
    }
    out.ok();
    if all.is_empty() {
        out.say("No trusted profiles found.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|p| {
            vec![
                p.id.clone(),
                p.name.clone(),
                p.description.clone().unwrap_or_default(),
                p.created_at.clone(),
            ]
        })
        .collect();
    out.data(&out.table(&["ID", "Name", "Description", "Created At"], &rows));
    Ok(())
}

pub fn show(cx: &Context, args: Show) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    if !args.ids_only {
        out.say(&format!(
            "Getting trusted profile {} bound to current account as {}...",
            out.em(&args.target),
            out.em(ctx.user())
        ));
    }
    let profile = resolve_profile(&ctx, &args.target)?;
    if args.ids_only {
        out.ids([profile.id.as_str()]);
        return Ok(());
    }
    if out.json() {
        out.print_json(&profile);
        return Ok(());
    }
    out.ok();
    out.blank();
    out.data(&profile_table(out, &profile));
    Ok(())
}

pub fn update(cx: &Context, args: Update) -> Result<()> {
    entity::update(&Profiles, &IamCtx::open(cx)?, &args)
}

pub fn delete(cx: &Context, args: Change) -> Result<()> {
    entity::delete(&Profiles, &IamCtx::open(cx)?, &args)
}

// ---- links ------------------------------------------------------------------------------

fn link_rows(links: &[ProfileLink]) -> Vec<Vec<String>> {
    links
        .iter()
        .map(|l| {
            vec![
                l.id.clone(),
                l.name.clone(),
                l.cr_type.clone(),
                l.link.crn.clone(),
                l.link.namespace.clone().unwrap_or_default(),
                l.link.name.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

// "Link Name" is what `--link-name` set: a service account or a Code Engine component.
const LINK_HEADERS: [&str; 6] = ["ID", "Name", "CR Type", "CRN", "Namespace", "Link Name"];

pub fn link_create(cx: &Context, args: LinkCreate) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let profile = resolve_profile(&ctx, &args.profile)?;
    out.say(&format!(
        "Creating link {} for trusted profile {} as {}...",
        out.em(&args.name),
        out.em(&args.profile),
        out.em(ctx.user())
    ));
    let link = ctx
        .api()
        .create_link(
            &profile.id,
            &NewLink {
                name: &args.name,
                cr_type: args.cr_type,
                crn: &args.link_crn,
                namespace: args.link_namespace.as_deref(),
                component_name: args.link_name.as_deref(),
            },
        )
        .map_err(|e| e.into_cli(&format!("Could not create link {}", args.name)))?;
    if out.json() {
        out.print_json(&link);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Link {} is created successfully",
        out.em(&link.name)
    ));
    out.blank();
    out.data(&out.table(&LINK_HEADERS, &link_rows(std::slice::from_ref(&link))));
    Ok(())
}

/// The profiles the logged-in identity may assume: those that trust its IAM ID, from this
/// account (a user's trust may name the accounts it holds from).
fn assumable(ctx: &IamCtx, profiles: Vec<TrustedProfile>) -> Result<Vec<TrustedProfile>> {
    let me = ctx.login.iam_id.as_str();
    let mut kept = Vec::new();
    for p in profiles {
        let identities = ctx
            .api()
            .list_identities(&p.id)
            .map_err(|e| e.into_cli(&format!("Could not list the identities of {}", p.name)))?;
        let trusts_me = identities.iter().any(|i| {
            i.iam_id == me
                && (i.accounts.is_empty() || i.accounts.iter().any(|a| a == ctx.account_id()))
        });
        if trusts_me {
            kept.push(p);
        }
    }
    Ok(kept)
}

/// `trusted-profile-links PROFILE [--id]`.
pub fn links(cx: &Context, args: Links) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let profile_arg = args.profile;
    let profile = resolve_profile(&ctx, &profile_arg)?;
    if !args.ids_only {
        out.say(&format!(
            "Getting links of trusted profile {} as {}...",
            out.em(&profile_arg),
            out.em(ctx.user())
        ));
    }
    let links = ctx
        .api()
        .list_links(&profile.id)
        .map_err(|e| e.into_cli("Could not list links"))?;
    if args.ids_only {
        out.ids(links.iter().map(|l| l.id.as_str()));
        return Ok(());
    }
    if out.json() {
        out.print_json(&links);
        return Ok(());
    }
    out.ok();
    if links.is_empty() {
        out.say("No links found.");
        return Ok(());
    }
    out.data(&out.table(&LINK_HEADERS, &link_rows(&links)));
    Ok(())
}

pub fn link_delete(cx: &Context, args: LinkDelete) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let profile = resolve_profile(&ctx, &args.profile)?;
    let links = ctx
        .api()
        .list_links(&profile.id)
        .map_err(|e| e.into_cli("Could not list links"))?;
    let found: Vec<&ProfileLink> = links
        .iter()
        .filter(|l| l.id == args.link || l.name == args.link)
        .collect();
    let link = match found.as_slice() {
        [one] => *one,
        [] => {
            return Err(CliError::failed(format!(
                "Trusted profile {} has no link '{}'.",
                args.profile, args.link
            ))
            .hint(format!(
                "list its links: 'iamctl trusted-profile-links {}'",
                args.profile
            )));
        }
        several => {
            let ids: Vec<&str> = several.iter().map(|l| l.id.as_str()).collect();
            return Err(super::identity::ambiguous(
                "link",
                &args.link,
                &format!("of trusted profile {}", args.profile),
                &ids,
            ));
        }
    };
    confirm(
        args.force,
        &format!(
            "Really delete link {} ({}) of trusted profile {}?",
            link.name, link.id, profile.name
        ),
        &format!("delete link {}", args.link),
    )?;
    out.say(&format!(
        "Deleting link {} of trusted profile {} as {}...",
        out.em(&args.link),
        out.em(&args.profile),
        out.em(ctx.user())
    ));
    ctx.api()
        .delete_link(&profile.id, &link.id)
        .map_err(|e| e.into_cli(&format!("Could not delete link {}", args.link)))?;
    if out.json() {
        out.print_json(&json!({ "id": link.id, "name": link.name, "deleted": true }));
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Link {} is deleted successfully",
        out.em(&args.link)
    ));
    Ok(())
}

// ---- trusted identities -------------------------------------------------------------------

pub fn identity_create(cx: &Context, args: IdentityCreate) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let profile = resolve_profile(&ctx, &args.profile)?;
    let kind = args.id_type;
    out.say(&format!(
        "Letting {kind} {} assume trusted profile {} as {}...",
        out.em(&args.identifier),
        out.em(&args.profile),
        out.em(ctx.user())
    ));
    let wanted = ProfileIdentity {
        iam_id: String::new(),
        identifier: args.identifier.clone(),
        kind: kind.to_string(),
        accounts: args.accounts.clone(),
        description: args.description.clone(),
        rest: Default::default(),
    };
    let added = ctx
        .api()
        .add_identity(&profile.id, &wanted)
        .map_err(|e| e.into_cli(&format!("Could not trust {kind} {}", args.identifier)))?;
    if out.json() {
        out.print_json(&added);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "{kind} {} may now assume trusted profile {}",
        out.em(&args.identifier),
        out.em(&profile.name)
    ));
    Ok(())
}

/// `trusted-profile-identities PROFILE [--id-type TYPE] [--id]`.
pub fn identities(cx: &Context, args: Identities) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let profile_arg = args.profile;
    let profile = resolve_profile(&ctx, &profile_arg)?;
    if !args.ids_only {
        out.say(&format!(
            "Getting the identities that may assume trusted profile {} as {}...",
            out.em(&profile_arg),
            out.em(ctx.user())
        ));
    }
    let mut all = ctx
        .api()
        .list_identities(&profile.id)
        .map_err(|e| e.into_cli("Could not list trusted identities"))?;
    if let Some(kind) = args.id_type {
        all.retain(|i| i.kind.eq_ignore_ascii_case(kind));
    }
    if args.ids_only {
        out.ids(all.iter().map(|i| i.identifier.as_str()));
        return Ok(());
    }
    if out.json() {
        out.print_json(&all);
        return Ok(());
    }
    out.ok();
    if all.is_empty() {
        out.say("No identities may assume this trusted profile.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = all.iter().map(identity_row).collect();
    out.data(&out.table(&IDENTITY_HEADERS, &rows));
    Ok(())
}

const IDENTITY_HEADERS: [&str; 5] = ["Type", "Identifier", "IAM ID", "Accounts", "Description"];

fn identity_row(i: &ProfileIdentity) -> Vec<String> {
    vec![
        i.kind.clone(),
        i.identifier.clone(),
        i.iam_id.clone(),
        i.accounts.join(","),
        i.description.clone().unwrap_or_default(),
    ]
}

/// `trusted-profile-identity PROFILE IDENTIFIER --id-type TYPE [--id]`.
pub fn identity(cx: &Context, args: IdentityShow) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let profile = resolve_profile(&ctx, &args.profile)?;
    if !args.ids_only {
        out.say(&format!(
            "Getting {} {} of trusted profile {} as {}...",
            args.id_type,
            out.em(&args.identifier),
            out.em(&args.profile),
            out.em(ctx.user())
        ));
    }
    let found = ctx
        .api()
        .get_identity(&profile.id, args.id_type, &args.identifier)
        .map_err(|e| {
            e.into_cli(&format!(
                "Could not get {} {} of trusted profile {}",
                args.id_type, args.identifier, args.profile
            ))
        })?;
    if args.ids_only {
        out.ids([found.identifier.as_str()]);
        return Ok(());
    }
    if out.json() {
        out.print_json(&found);
        return Ok(());
    }
    out.ok();
    out.blank();
    let row = identity_row(&found);
    let pairs: Vec<(&str, String)> = IDENTITY_HEADERS.iter().copied().zip(row).collect();
    out.data(&out.key_values(&pairs));
    Ok(())
}

pub fn identity_delete(cx: &Context, args: IdentityDelete) -> Result<()> {
    let ctx = IamCtx::open(cx)?;
    let out = &ctx.out;
    let profile = resolve_profile(&ctx, &args.profile)?;
    let kind = args.id_type;
    confirm(
        args.force,
        &format!(
            "Really stop letting {kind} {} assume trusted profile {}?",
            args.identifier, profile.name
        ),
        &format!("remove {kind} {}", args.identifier),
    )?;
    out.say(&format!(
        "Removing {kind} {} from the identities of trusted profile {} as {}...",
        out.em(&args.identifier),
        out.em(&args.profile),
        out.em(ctx.user())
    ));
    ctx.api()
        .delete_identity(&profile.id, kind, &args.identifier)
        .map_err(|e| e.into_cli(&format!("Could not remove {kind} {}", args.identifier)))?;
    if out.json() {
        out.print_json(&json!({ "type": kind, "identifier": args.identifier, "deleted": true }));
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "{kind} {} may no longer assume trusted profile {}",
        out.em(&args.identifier),
        out.em(&profile.name)
    ));
    Ok(())
}
