//! The world at runtime: accounts, users (federated ones too), resource groups and API keys
//! added without a restart, so that each test builds what it needs. Each goes through the
//! seed's own checks and construction (`World::seed_*`), so an added thing is exactly like a
//! seeded one (but created now), and a reset removes it. What the admin API may add is
//! budgeted: `MAX_ADDED` things and `MAX_ADDED_BYTES` of request bodies per world.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::{AdminError, AdminResult, body};
use crate::app::{App, lock, write};
use crate::crypto::random::random_token;
use crate::model::saved::Added;
use crate::model::seed::{SeedAccount, SeedApiKey, SeedProblem, SeedResourceGroup, SeedUser};
use crate::model::world::World;

/// Things the admin API may add to one world (since the start, or in what a reset restored).
pub const MAX_ADDED: usize = 10_000;
/// Bytes of request bodies those may come from: what they store is about as large.
pub const MAX_ADDED_BYTES: usize = 4 * 1024 * 1024;

/// A seed's complaint as the admin API answers it: something already there is a conflict.
fn refused(problem: SeedProblem) -> AdminError {
    use SeedProblem::*;
    match problem {
        Twice { .. } | RepeatedApiKey(_) | DefaultGroupTwice { .. } => {
            AdminError::Conflict(problem.to_string())
        }
        other => AdminError::invalid(other),
    }
}

/// Adds one thing with `add` under the world's lock, within the budget; answers 201 with
/// what `add` returns.
fn add(
    app: &App,
    size: usize,
    add: impl FnOnce(&mut World, i64) -> Result<Value, SeedProblem>,
) -> AdminResult {
    let mut added = lock(&app.added);
    if added.count >= MAX_ADDED || added.bytes.saturating_add(size) > MAX_ADDED_BYTES {
        return Err(AdminError::Full {
            what: "things (4 MiB of requests) added through the admin API",
            limit: MAX_ADDED,
            hint: "reset the emulator (POST /emulator/reset) to make room",
        });
    }
    let now = app.now();
    let answer = {
        let mut world = write(&app.world);
        add(&mut world, now).map_err(refused)?
    };
    *added = Added {
        count: added.count + 1,
        bytes: added.bytes + size,
    };
    drop(added);
    app.mark_dirty();
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// `POST /emulator/accounts`: a seed's account (`id`, `name`, `ims_account`, `owner`). It
/// gets its `Default` resource group at once; its owner is `owner` (an existing user), else
/// the first user added to it.
pub async fn add_account(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let a: SeedAccount = body(&bytes)?;
    add(&app, bytes.len(), |w, now| {
        if let Some(login) = &a.owner
            && w.user_by_login(login).is_none()
        {
            return Err(SeedProblem::UnknownAccountOwner {
                account: a.id.clone(),
                owner: login.clone(),
            });
        }
        w.seed_account(&a, now)?;
        if let Some(login) = &a.owner {
            w.set_owner(&a.id, login)?;
        }
        w.add_default_groups(now);
        let account = w.account(&a.id);
        let groups: Vec<Value> = w
            .resource_groups
            .iter()
            .filter(|g| g.account_id == a.id)
            .map(|g| json!({"id": g.id, "name": g.name, "default": g.default}))
            .collect();
        Ok(json!({
            "id": a.id,
            "name": a.name,
            "ims_account": account.and_then(|a| a.ims.clone()),
            "owner_iam_id": account.map(|a| a.owner_iam_id.clone()).filter(|o| !o.is_empty()),
            "resource_groups": groups,
        }))
    })
}

/// `POST /emulator/users`: a seed's user (`username`, `accounts`, `email`, `iam_id`,
/// `given_name`, `family_name`, `password`, `federated`, `ims_user_id`). A federated user
/// logs in with passcodes only; `password` is then what the passcode page accepts.
pub async fn add_user(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let u: SeedUser = body(&bytes)?;
    add(&app, bytes.len(), |w, _| {
        let iam_id = w.seed_user(&u)?;
        let user = w.user(&iam_id);
        Ok(json!({
            "iam_id": iam_id,
            "username": u.username,
            "email": user.map(|u| u.email.clone()),
            "federated": u.federated,
            "accounts": u.accounts,
            "ims_user_id": user.map(|u| u.ims_user_id),
        }))
    })
}

/// `POST /emulator/resource-groups`: a seed's resource group (`account_id`, `name`, `id`,
/// `default`).
pub async fn add_resource_group(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let g: SeedResourceGroup = body(&bytes)?;
    add(&app, bytes.len(), |w, now| {
        let id = w.seed_resource_group(&g, now)?;
        Ok(json!({"id": id, "account_id": g.account_id, "name": g.name, "default": g.default}))
    })
}

/// `POST /emulator/apikeys`: a seed's API key (`name`, `owner`: a user or a service ID,
/// `account_id`, `apikey`, `id`, `description`, `locked`, `disabled`, `store_value`). Without
/// `apikey` a value is made as IBM makes them (44 characters). The answer holds the value:
/// the one time the admin API shows it.
pub async fn add_api_key(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let mut v: Value = body(&bytes)?;
    if let Some(fields) = v.as_object_mut()
        && !fields.contains_key("apikey")
    {
        fields.insert("apikey".into(), random_token(33).into());
    }
    let k: SeedApiKey = serde_json::from_value(v).map_err(AdminError::BadBody)?;
    add(&app, bytes.len(), |w, now| {
        let id = w.seed_api_key(&k, now)?;
        let key = w.api_keys.get(&id);
        Ok(json!({
            "id": id,
            "name": k.name,
            "iam_id": key.map(|k| k.iam_id.clone()),
            "account_id": key.map(|k| k.account_id.clone()),
            "apikey": k.apikey,
        }))
    })
}
