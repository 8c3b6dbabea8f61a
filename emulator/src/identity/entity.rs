//! The steps every IAM Identity v1 entity kind runs the same way: finding an entity for the
//! caller, answering it with its ETag, updating it under If-Match, deleting it, flipping a
//! lock-style switch, recording history, and listing one account's entities page by page.
//!
//! A kind (service IDs, API keys, trusted profiles) implements `Entity`, and `Lockable` if it
//! can be locked, and routes to the generic handlers here. Only what differs is written per
//! kind: creation, the fields an update may change, and list parameters of its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::pagination::{self, Listing, SortKey, page, page_size, sort_by};
use crate::access::enforce::{self, Need, Target};
use crate::app::{App, read, write};
use crate::http::caller::Caller;
use crate::http::errors::{self as codes, ApiError, ApiResult};
use crate::http::params::query_flag;
use crate::model::clock::timestamp;
use crate::model::world::stable_uuid;
use crate::model::world::{History, World};

pub trait Entity: Sized + Send + Sync + 'static {
    /// How messages name the kind: "Service ID", "API key".
    const KIND: &'static str;
    /// The kind inside a sentence: "service ID", "API key".
    const KIND_IN_SENTENCE: &'static str;
    /// The plural inside a sentence: "service IDs", "API keys".
    const KINDS: &'static str;
    /// Whether a single entity (GET, create, update) always shows its history: for kinds whose
    /// GET takes no `include_history` (trusted profiles).
    const HISTORY_ON_GET: bool = false;
    /// The values its list takes for `sort`.
    const SORTS: &'static [&'static str] = pagination::SORTS;

    fn table(world: &World) -> &BTreeMap<String, Self>;
    fn table_mut(world: &mut World) -> &mut BTreeMap<String, Self>;
    /// Deletes the entity with whatever must go with it (a service ID's keys, a key's value
    /// index), so a delete never leaves a dangling reference behind.
    fn remove(world: &mut World, id: &str);

    fn id(&self) -> &str;
    fn account_id(&self) -> &str;
    fn version(&self) -> u64;
    /// Locked entities refuse update and delete; a kind without locks answers false.
    fn locked(&self) -> bool;
    fn sort_key(&self) -> SortKey<'_>;
    /// The entity as GET and lists show it.
    fn to_json(&self, include_history: bool) -> Value;
    /// What every change touches.
    fn tracking(&mut self) -> Tracking<'_>;
    /// What the caller needs to be allowed `op` on this entity.
    fn need(&self, caller: &Caller, op: Op) -> Need;
}

/// A service ID as the resource of an access check: its own checks and its API keys'.
pub fn service_id_target(account_id: &str, id: &str) -> Target {
    Target::entity(account_id, "iam-identity", "serviceid", id)
}

/// What is done to an entity, for the access check (lock, unlock, disable and enable are
/// updates, as IBM's actions have them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Update,
    Delete,
}

pub struct Tracking<'a> {
    pub modified_at: &'a mut i64,
    pub version: &'a mut u64,
    pub history: &'a mut Vec<History>,
}

/// A kind with `POST`/`DELETE .../{id}/lock`.
pub trait Lockable: Entity {
    fn locked_mut(&mut self) -> &mut bool;
}

/// IAM Identity v1 timestamps: minute precision, offset without a colon (`2026-02-19T18:59+0000`).
pub fn ibm_minute(secs: i64) -> String {
    timestamp(secs).strftime("%Y-%m-%dT%H:%M+0000").to_string()
}

/// `<version>-<32 hex>`, derived rather than stored so it cannot drift from the version.
pub fn entity_tag(id: &str, version: u64) -> String {
    let hex = stable_uuid(&[id, &version.to_string()])
        .simple()
        .to_string();
    format!("{version}-{hex}")
}

fn tag_of<E: Entity>(e: &E) -> String {
    entity_tag(e.id(), e.version())
}

pub fn with_etag(status: StatusCode, tag: &str, body: Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(tag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// Finds an entity for the caller to do `op` to: 404 when unknown, 403 when it belongs to
/// another account than the token's or the caller may not (`access::enforce`).
pub fn for_caller<'w, E: Entity>(
    world: &'w World,
    caller: &Caller,
    id: &str,
    op: Op,
) -> Result<&'w E, ApiError> {
    let e = E::table(world)
        .get(id)
        .ok_or_else(|| ApiError::not_found(E::KIND, id))?;
    if e.account_id() != caller.account_id {
        return Err(other_account(E::KIND_IN_SENTENCE, id));
    }
    enforce::require(world, caller, &e.need(caller, op))?;
    Ok(e)
}

/// `for_caller`, for a change.
pub fn for_caller_mut<'w, E: Entity>(
    world: &'w mut World,
    caller: &Caller,
    id: &str,
    op: Op,
) -> Result<&'w mut E, ApiError> {
    for_caller::<E>(world, caller, id, op)?;
    E::table_mut(world)
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(E::KIND, id))
}

pub fn other_account(kind: &str, id: &str) -> ApiError {
    ApiError::forbidden(format!(
        "You are not authorized to access {kind} '{id}': it belongs to another account than the one your token is scoped to."
    ))
}

fn locked(kind: &str, id: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "entity_locked",
        codes::ENTITY_LOCKED,
        format!("{kind} '{id}' is locked; unlock it before changing or deleting it."),
    )
    .details("Locked entities cannot be updated or deleted (DELETE .../lock unlocks them).")
}

/// `If-Match` must name the current entity tag, or be `*`.
pub fn check_if_match(headers: &HeaderMap, current: &str) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "missing_header",
            codes::MISSING_PROPERTY,
            "Header 'If-Match' either missing or empty; send the entity_tag (ETag) of the entity, or '*'.",
        ));
    };
    let given = value.to_str().unwrap_or("").trim();
    let given = given.strip_prefix("W/").unwrap_or(given).trim_matches('"');
    if given == "*" || given == current {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        codes::STALE_ETAG,
        format!(
            "The entity tag '{given}' in If-Match does not match the current entity tag '{current}'; get the entity again and retry."
        ),
    ))
}

pub fn history(at: i64, caller: &Caller, action: &str, message: &str) -> History {
    History {
        timestamp: at,
        iam_id: caller.iam_id.clone(),
        iam_id_account: caller.account_id.clone(),
        action: action.into(),
        params: vec![],
        message: message.into(),
    }
}

pub fn history_json(h: &[History]) -> Value {
    h.iter()
        .map(|r| {
            json!({
                "timestamp": ibm_minute(r.timestamp),
                "iam_id": r.iam_id,
                "iam_id_account": r.iam_id_account,
                "action": r.action,
                "params": r.params,
                "message": r.message,
            })
        })
        .collect()
}

/// Records a change in the history; `new_version` when it changes what the entity tag
/// stands for (updates do, lock-style switches do not).
fn record<E: Entity>(
    e: &mut E,
    at: i64,
    caller: &Caller,
    action: &str,
    message: &str,
    new_version: bool,
) {
    let t = e.tracking();
    if new_version {
        *t.version = t.version.saturating_add(1);
    }
    *t.modified_at = at;
    t.history.push(history(at, caller, action, message));
}

/// `GET .../{id}`: the entity, with its entity tag as `ETag`.
pub async fn get<E: Entity>(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let include_history = query_flag(&q, "include_history")? || E::HISTORY_ON_GET;
    query_flag(&q, "include_activity")?;
    let world = read(&app.world);
    let e = for_caller::<E>(&world, &caller, &id, Op::Read)?;
    Ok(with_etag(
        StatusCode::OK,
        &tag_of(e),
        e.to_json(include_history),
    ))
}

/// `PUT .../{id}`: applies `change` (the kind has already read and checked the body) once the
/// entity is found for the caller, is not locked (409) and `If-Match` names its current
/// version (400 without one, 409 for a stale one). The result is a new version.
pub fn update<E: Entity>(
    app: &App,
    caller: &Caller,
    headers: &HeaderMap,
    id: &str,
    change: impl FnOnce(&mut E),
) -> ApiResult {
    update_checked(app, caller, headers, id, |_, _| Ok(()), change)
}

/// `update` with a check of the change against the rest of the world (a name unique in the
/// account), made under the same lock as the change, after the If-Match check.
pub fn update_checked<E: Entity>(
    app: &App,
    caller: &Caller,
    headers: &HeaderMap,
    id: &str,
    check: impl FnOnce(&World, &E) -> Result<(), ApiError>,
    change: impl FnOnce(&mut E),
) -> ApiResult {
    let mut world = write(&app.world);
    let current = for_caller::<E>(&world, caller, id, Op::Update)?;
    if current.locked() {
        return Err(locked(E::KIND, id));
    }
    check_if_match(headers, &tag_of(current))?;
    check(&world, current)?;
    let e = E::table_mut(&mut world)
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(E::KIND, id))?;
    change(e);
    record(
        e,
        app.now(),
        caller,
        "update",
        &format!("{} updated", E::KIND),
        true,
    );
    let (tag, body) = (tag_of(e), e.to_json(E::HISTORY_ON_GET));
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::OK, &tag, body))
}

/// `DELETE .../{id}`: refused (409) while locked.
pub async fn delete<E: Entity>(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    let mut world = write(&app.world);
    if for_caller::<E>(&world, &caller, &id, Op::Delete)?.locked() {
        return Err(locked(E::KIND, &id));
    }
    E::remove(&mut world, &id);
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A yes/no property with its own endpoint pair (lock/unlock, disable/enable). Flipping it is
/// recorded in the history but makes no new version, and works on locked entities too.
pub struct Switch<E> {
    pub field: fn(&mut E) -> &mut bool,
    /// The history action and the past tense for its message, turning it on and off.
    pub on: (&'static str, &'static str),
    pub off: (&'static str, &'static str),
}

impl<E: Lockable> Switch<E> {
    fn lock() -> Switch<E> {
        Switch {
            field: E::locked_mut,
            on: ("lock", "locked"),
            off: ("unlock", "unlocked"),
        }
    }
}

/// Sets a switch (answering 204 whether or not it changed, like IBM).
pub fn switch<E: Entity>(
    app: &App,
    caller: &Caller,
    id: &str,
    switch: &Switch<E>,
    value: bool,
) -> ApiResult {
    let mut world = write(&app.world);
    for_caller::<E>(&world, caller, id, Op::Update)?;
    if let Some(e) = E::table_mut(&mut world).get_mut(id) {
        let field = (switch.field)(e);
        if *field != value {
            *field = value;
            let (action, done) = if value { switch.on } else { switch.off };
            let message = format!("{} {done}", E::KIND);
            record(e, app.now(), caller, action, &message, false);
        }
    }
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST .../{id}/lock`.
pub async fn lock<E: Lockable>(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    switch(&app, &caller, &id, &Switch::<E>::lock(), true)
}

/// `DELETE .../{id}/lock`.
pub async fn unlock<E: Lockable>(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    switch(&app, &caller, &id, &Switch::<E>::lock(), false)
}

/// What every list does once the kind has read and checked its own parameters into `l`: the
/// account must be the token's (403), `sort`, `order` and `pagesize` must be valid, and then
/// the account's entities that `keep` accepts (and that have the asked-for `name`) are
/// sorted and paged under `field`.
pub fn list<E: Entity>(
    app: &App,
    caller: &Caller,
    q: &HashMap<String, String>,
    l: &Listing,
    path: &str,
    field: &str,
    keep: impl Fn(&E) -> bool,
) -> ApiResult {
    if l.account_id != caller.account_id {
        return Err(ApiError::forbidden(format!(
            "You are not authorized to list {} of account '{}'.",
            E::KINDS,
            l.account_id
        )));
    }
    // IBM documents a SCIM-like `filter` on these lists but not its grammar; refused alike on
    // every kind rather than ignored on some, so a client never reads an unfiltered list as a
    // filtered one.
    if q.get("filter").is_some_and(|f| !f.is_empty()) {
        return Err(ApiError::bad_request(
            "The 'filter' parameter is not supported by this emulator; use 'name'.",
        ));
    }
    l.check_sort(E::SORTS)?;
    let size = page_size(q)?;
    let world = read(&app.world);
    let mut items: Vec<&E> = E::table(&world)
        .values()
        .filter(|e| e.account_id() == l.account_id)
        .filter(|e| l.name.as_ref().is_none_or(|n| e.sort_key().name == n))
        .filter(|e| keep(e))
        // Only what the caller may read is listed, as IBM lists it.
        .filter(|e| enforce::permits(&world, caller, &e.need(caller, Op::Read)))
        .collect();
    sort_by(&mut items, l, E::sort_key);
    let all = items.into_iter().map(|e| e.to_json(l.history)).collect();
    Ok(axum::Json(page(&app.url, path, l, size, all, field)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_ibms_minutes() {
        assert_eq!(ibm_minute(1_705_312_800), "2024-01-15T10:00+0000");
    }
}
