//! One implementation of update, delete, lock and unlock for every kind of IAM Identity
//! entity the commands manage (service IDs, a service ID's API keys, your own API keys):
//! resolve the argument, confirm, say what is happening, call IAM, explain a refusal, update
//! what TAB offers, then print JSON or IBM's success line. What differs between the kinds is
//! IBM's wording and the API calls, which each kind supplies through [`Kind`].

use super::confirm;
use super::identity::{IamCtx, change_error};
use crate::completion_cache::{Learnt, Named};
use crate::error::Result;
use crate::iam::IamError;
use crate::iam::identity::{Changes, Tagged};
use crate::output::Out;
use crate::settings::identity::{Change, Update};
use serde::Serialize;
use serde_json::json;

/// An entity as the shared steps see it.
pub trait Entity: Named + Serialize {
    fn locked(&self) -> bool;
}

impl Entity for crate::iam::identity::ServiceId {
    fn locked(&self) -> bool {
        self.locked
    }
}

impl Entity for crate::iam::identity::TrustedProfile {
    fn locked(&self) -> bool {
        false
    }
}

impl Entity for crate::iam::identity::ApiKey {
    fn locked(&self) -> bool {
        self.locked
    }
}

/// A kind of entity: IBM's words for it and the IAM calls that change it.
pub trait Kind {
    type Item: Entity;

    /// What questions and errors call one: "service ID", "API key".
    fn noun(&self) -> &'static str;
    /// What success lines call one: "Service ID", "Service ID API key", "API key".
    fn label(&self) -> &'static str;
    /// The progress line's object: "service ID X bound to current account", "API key X of
    /// service ID S under account A".
    fn subject(&self, ctx: &IamCtx, out: &Out, arg: &str) -> String;
    /// What a confirmation adds after "Really delete service ID NAME (ID)".
    fn question_tail(&self, verb: &str) -> String;
    /// The command that unlocks one, for the hint when a change meets a lock: complete
    /// with `-f`, so that it works wherever it is pasted.
    fn unlock_command(&self, id: &str) -> String;
    /// The table shown after an update.
    fn table(&self, out: &Out, item: &Self::Item) -> String;

    /// Exactly one entity for a name or ID.
    fn resolve(&self, ctx: &IamCtx, arg: &str) -> Result<Self::Item>;
    fn get(&self, ctx: &IamCtx, id: &str) -> Result<Tagged<Self::Item>, IamError>;
    fn put(
        &self,
        ctx: &IamCtx,
        id: &str,
        etag: &str,
        changes: &Changes<'_>,
    ) -> Result<Self::Item, IamError>;
    fn delete(&self, ctx: &IamCtx, id: &str) -> Result<(), IamError>;
    /// Updates what TAB offers for this kind.
    fn remember(&self, ctx: &IamCtx, what: Learnt<Self::Item>);

    /// Whether IAM refused a change because the entity is locked: it was when iamctl read
    /// it, or it is now (locked meanwhile), as IAM says when asked again.
    fn locked_now(&self, ctx: &IamCtx, item: &Self::Item, refusal: &IamError) -> bool {
        let refused = matches!(
            refusal,
            IamError::Rejected(api) if matches!(api.status, 400 | 403 | 409 | 412 | 423)
        );
        refused && (item.locked() || self.get(ctx, item.id()).is_ok_and(|now| now.value.locked()))
    }
}

/// The kinds that can be locked (service IDs and API keys; trusted profiles cannot).
pub trait Lockable: Kind {
    fn set_lock(&self, ctx: &IamCtx, id: &str, lock: bool) -> Result<(), IamError>;
}

/// The kinds that can be disabled (API keys).
pub trait Disableable: Kind {
    fn set_disabled(&self, ctx: &IamCtx, id: &str, disabled: bool) -> Result<(), IamError>;
}

/// A state an entity is switched into, in IBM's words.
#[derive(Clone, Copy)]
enum Switch {
    Lock,
    Unlock,
    Disable,
    Enable,
}

impl Switch {
    /// The verb, its progressive and its participle: `lock`, `Locking`, `locked`.
    fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Switch::Lock => ("lock", "Locking", "locked"),
            Switch::Unlock => ("unlock", "Unlocking", "unlocked"),
            Switch::Disable => ("disable", "Disabling", "disabled"),
            Switch::Enable => ("enable", "Enabling", "enabled"),
        }
    }
}

/// Renames an entity or changes its description, sending back the ETag read just before.
pub fn update<K: Kind>(kind: &K, ctx: &IamCtx, args: &Update) -> Result<()> {
    let out = &ctx.out;
    let arg = args.target.as_str();
    let found = kind.resolve(ctx, arg)?;
    let Tagged {
        value: current,
        etag,
    } = kind
        .get(ctx, found.id())
        .map_err(|e| e.into_cli(&format!("Could not get {} {arg}", kind.noun())))?;
    out.say(&format!(
        "Updating {} as {}...",
        kind.subject(ctx, out, arg),
        out.em(ctx.user())
    ));
    let changes = Changes {
        name: args.new_name.as_deref(),
        description: args.description.as_deref(),
        email: args.email.as_deref(),
        action_when_leaked: args.action_if_leaked,
    };
    let updated = kind.put(ctx, current.id(), &etag, &changes).map_err(|e| {
        let locked = kind.locked_now(ctx, &current, &e);
        change_error(
            e,
            &format!("Could not update {} {arg}", kind.noun()),
            locked,
            &kind.unlock_command(current.id()),
        )
    })?;
    kind.remember(ctx, Learnt::Seen(std::slice::from_ref(&updated)));
    if out.json() {
        out.print_json(&updated);
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "{} {} is updated successfully",
        kind.label(),
        out.em(updated.name())
    ));
    out.blank();
    out.data(&kind.table(out, &updated));
    Ok(())
}

pub fn delete<K: Kind>(kind: &K, ctx: &IamCtx, args: &Change) -> Result<()> {
    let out = &ctx.out;
    let arg = args.target.as_str();
    let item = kind.resolve(ctx, arg)?;
    ask(kind, &item, "delete", arg, args.force)?;
    out.say(&format!(
        "Deleting {} as {}...",
        kind.subject(ctx, out, arg),
        out.em(ctx.user())
    ));
    kind.delete(ctx, item.id()).map_err(|e| {
        let locked = kind.locked_now(ctx, &item, &e);
        change_error(
            e,
            &format!("Could not delete {} {arg}", kind.noun()),
            locked,
            &kind.unlock_command(item.id()),
        )
    })?;
    kind.remember(ctx, Learnt::Deleted(item.id()));
    if out.json() {
        out.print_json(&json!({ "id": item.id(), "name": item.name(), "deleted": true }));
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "{} {} is deleted successfully",
        kind.label(),
        out.em(arg)
    ));
    Ok(())
}

/// Locks (`lock`) or unlocks an entity.
pub fn set_lock<K: Lockable>(kind: &K, ctx: &IamCtx, args: &Change, lock: bool) -> Result<()> {
    let switch = if lock { Switch::Lock } else { Switch::Unlock };
    flip(kind, ctx, args, switch, |id| kind.set_lock(ctx, id, lock))
}

/// Disables (`disabled`) or enables an entity.
pub fn set_disabled<K: Disableable>(
    kind: &K,
    ctx: &IamCtx,
    args: &Change,
    disabled: bool,
) -> Result<()> {
    let switch = if disabled {
        Switch::Disable
    } else {
        Switch::Enable
    };
    flip(kind, ctx, args, switch, |id| {
        kind.set_disabled(ctx, id, disabled)
    })
}

fn flip<K: Kind>(
    kind: &K,
    ctx: &IamCtx,
    args: &Change,
    switch: Switch,
    call: impl Fn(&str) -> Result<(), IamError>,
) -> Result<()> {
    let out = &ctx.out;
    let arg = args.target.as_str();
    let (verb, doing, done) = switch.words();
    let item = kind.resolve(ctx, arg)?;
    ask(kind, &item, verb, arg, args.force)?;
    out.say(&format!(
        "{doing} {} as {}...",
        kind.subject(ctx, out, arg),
        out.em(ctx.user())
    ));
    call(item.id()).map_err(|e| e.into_cli(&format!("Could not {verb} {} {arg}", kind.noun())))?;
    kind.remember(ctx, Learnt::Seen(std::slice::from_ref(&item)));
    if out.json() {
        let now = kind
            .get(ctx, item.id())
            .map_err(|e| e.into_cli(&format!("Could not get {} {arg}", kind.noun())))?;
        out.print_json(&now.value);
        return Ok(());
    }
    out.ok();
    out.say(&format!("{} {} is {done}", kind.label(), out.em(arg)));
    Ok(())
}

/// `Really VERB NOUN NAME (ID)...?` unless `-f`.
fn ask<K: Kind>(kind: &K, item: &K::Item, verb: &str, arg: &str, force: bool) -> Result<()> {
    confirm(
        force,
        &format!(
            "Really {verb} {} {} ({}){}?",
            kind.noun(),
            item.name(),
            item.id(),
            kind.question_tail(verb)
        ),
        &format!("{verb} {} {arg}", kind.noun()),
    )
}
