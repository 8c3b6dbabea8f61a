//! `stored-keys` and `stored-key-delete`: the API keys kept with `--keyring NAME` (see
//! `auth::stored_keys`). Neither talks to IAM, so neither needs a login.

use super::confirm;
use crate::auth::stored_keys;
use crate::context::Context;
use crate::error::Result;
use crate::settings::identity::Change;
use serde_json::json;

pub fn list(ctx: &Context) -> Result<()> {
    let out = &ctx.out;
    let home = ctx.home()?;
    let keys = stored_keys::load(&home)?;
    if out.json() {
        out.print_json(&keys);
        return Ok(());
    }
    if keys.is_empty() {
        out.say("No stored keys. Keep one with --keyring NAME on api-key-create or service-api-key-create.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.name.clone(),
                k.id.clone(),
                k.key_name.clone(),
                k.iam_id.clone(),
                k.account_id.clone(),
                k.created_at.clone(),
            ]
        })
        .collect();
    out.data(&out.table(
        &[
            "Name",
            "Key ID",
            "Key Name",
            "IAM ID",
            "Account",
            "Created At",
        ],
        &rows,
    ));
    Ok(())
}

pub fn delete(ctx: &Context, args: Change) -> Result<()> {
    let out = &ctx.out;
    let home = ctx.home()?;
    let key = stored_keys::find(&home, &args.target)?;
    confirm(
        args.force,
        &format!(
            "Really remove stored key {} ({}) from this machine? The API key stays valid in IAM.",
            key.name, key.id
        ),
        &format!("remove stored key {}", key.name),
    )?;
    out.say(&format!("Removing stored key {}...", out.em(&key.name)));
    stored_keys::forget(&home, ctx.services(), &key)?;
    if out.json() {
        out.print_json(&json!({ "name": key.name, "id": key.id, "deleted": true }));
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Stored key {} is removed. API key {} still exists in IAM; delete it there with 'iamctl api-key-delete' or 'iamctl service-api-key-delete' if it is no longer needed.",
        out.em(&key.name),
        key.id
    ));
    Ok(())
}
