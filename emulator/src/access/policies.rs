//! IAM Policy Management's policies, v1 and v2, over the one store: list with IBM's filters
//! and pages, create, get, replace under If-Match, restore or delete by state, delete. Who may
//! read or change a policy is decided by the roles on what it grants access to (or on IAM
//! Access Management); subjects may always read their own.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::enforce::{self, Need, Target};
use super::policy_json::{self, Draft, invalid};
use super::{etag, if_match, with_etag};
use crate::app::{App, read, write};
use crate::http::caller::Caller;
use crate::http::errors::{self as codes, ApiError, ApiResult};
use crate::http::params::json_body;
use crate::model::access::{Origin, PUBLIC_ACCESS_GROUP, Policy, PolicyKind, PolicyState, attr};
use crate::model::catalog::{self, ServiceType};
use crate::model::world::World;

/// The policy API versions: their paths and shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

impl Version {
    fn path(self) -> &'static str {
        match self {
            Version::V1 => "/v1/policies",
            Version::V2 => "/v2/policies",
        }
    }

    fn render(self, world: &World, url: &str, p: &Policy, display: bool) -> Value {
        match self {
            Version::V1 => policy_json::v1_json(world, url, p, display),
            Version::V2 => policy_json::v2_json(world, url, p, display),
        }
    }

    fn parse(self, body: &serde_json::Map<String, Value>) -> Result<Draft, ApiError> {
        match self {
            Version::V1 => policy_json::from_v1(body),
            Version::V2 => policy_json::from_v2(body),
        }
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::access(
        StatusCode::NOT_FOUND,
        codes::POLICY_NOT_FOUND,
        format!("Policy with id '{id}' not found."),
    )
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::access(
        StatusCode::FORBIDDEN,
        codes::INSUFFICIENT_PERMISSIONS,
        message,
    )
}

fn tag_of(p: &Policy) -> String {
    etag(&p.id, p.version)
}

/// A policy of the caller's account by id; another account's is refused (403).
fn find<'w>(world: &'w World, caller: &Caller, id: &str) -> Result<&'w Policy, ApiError> {
    let p = world.policies.get(id).ok_or_else(|| not_found(id))?;
    if p.account_id != caller.account_id {
        return Err(forbidden(format!(
            "You are not allowed to access policy '{id}': it belongs to another account than the one your token is scoped to."
        )));
    }
    Ok(p)
}

/// Whether the policy is about the caller: its subject is them or a group they are in.
fn about(world: &World, caller: &Caller, p: &Policy) -> bool {
    p.subject_value("iam_id") == Some(caller.iam_id.as_str())
        || p.subject_value("access_group_id").is_some_and(|g| {
            g == PUBLIC_ACCESS_GROUP
                || world
                    .access_group(g)
                    .is_some_and(|grp| grp.has_member(&caller.iam_id))
        })
}

/// May the caller take `action` (`iam.policy.*`) on `p`: with a role granting it on what `p`
/// grants access to, or on IAM Access Management. Reading one's own policies is free.
fn check(world: &World, caller: &Caller, action: &'static str, p: &Policy) -> Result<(), ApiError> {
    if action == "iam.policy.read" && about(world, caller, p) {
        return Ok(());
    }
    let on_target = enforce::require(world, caller, &Need::Action(action, Target::of_policy(p)));
    let on_service = || {
        enforce::permits(
            world,
            caller,
            &Need::Action(
                action,
                Target::service(&p.account_id, "iam-access-management"),
            ),
        )
    };
    match on_target {
        Ok(()) => Ok(()),
        Err(_) if on_service() => Ok(()),
        Err(d) => Err(d.into_api(codes::INSUFFICIENT_PERMISSIONS)),
    }
}

fn format(q: &HashMap<String, String>) -> Result<bool, ApiError> {
    match q.get("format").map(String::as_str) {
        None | Some("" | "include" | "include_last_permit") => Ok(false),
        Some("display") => Ok(true),
        Some(other) => Err(invalid(format!(
            "Invalid value '{other}' for 'format'; valid values: include, include_last_permit, display."
        ))),
    }
}

const SORT_FIELDS: &[&str] = &[
    "id",
    "type",
    "href",
    "created_at",
    "created_by_id",
    "last_modified_at",
    "last_modified_by_id",
    "state",
];

fn sort_value(p: &Policy, field: &str) -> (String, i64) {
    match field {
        "id" | "href" => (p.id.clone(), 0),
        "type" => (p.kind.as_str().to_owned(), 0),
        "created_by_id" => (p.created_by_id.clone(), 0),
        "last_modified_at" => (String::new(), p.last_modified_at),
        "last_modified_by_id" => (p.last_modified_by_id.clone(), 0),
        "state" => (p.state.as_str().to_owned(), 0),
        _ => (String::new(), p.created_at),
    }
}

/// What a list's query keeps.
fn keeps(p: &Policy, q: &HashMap<String, String>, state: PolicyState) -> bool {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let service_type_of = |p: &Policy| {
        p.resource_value("serviceType")
            .and_then(ServiceType::parse)
            .or_else(|| {
                p.resource_value("serviceName")
                    .and_then(catalog::service)
                    .map(|s| s.service_type)
            })
    };
    p.state == state
        && get("iam_id").is_none_or(|v| p.subject_value("iam_id") == Some(v))
        && get("access_group_id").is_none_or(|v| p.subject_value("access_group_id") == Some(v))
        && get("type").is_none_or(|v| p.kind.as_str() == v)
        && get("service_type").is_none_or(|v| service_type_of(p) == ServiceType::parse(v))
        && get("service_name").is_none_or(|v| p.resource_value("serviceName") == Some(v))
        && get("service_group_id").is_none_or(|v| p.resource_value("service_group_id") == Some(v))
        && get("tag_name").is_none_or(|v| p.tags.iter().any(|t| t.name == v))
        && get("tag_value").is_none_or(|v| p.tags.iter().any(|t| t.value == v))
}

fn page_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn page_offset(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

/// `GET /v1/policies`, `GET /v2/policies`: `account_id` required; filters `iam_id`,
/// `access_group_id`, `type`, `service_type`, `service_name`, `service_group_id`,
/// `tag_name`, `tag_value`, `state` (`active` by default); `sort` (a field, `-` for
/// descending), `format`, and pages of `limit` (1 to 100, default 50) from `start`.
pub async fn list(
    version: Version,
    app: Arc<App>,
    q: HashMap<String, String>,
    caller: Caller,
) -> ApiResult {
    let Some(account_id) = q.get("account_id").filter(|a| !a.is_empty()) else {
        return Err(ApiError::access(
            StatusCode::BAD_REQUEST,
            codes::MISSING_QUERY,
            "Query parameter 'account_id' is required.",
        ));
    };
    if *account_id != caller.account_id {
        return Err(forbidden(format!(
            "You are not allowed to list the policies of account '{account_id}'."
        )));
    }
    let display = format(&q)?;
    let state = match q.get("state").map(String::as_str) {
        None | Some("") => PolicyState::Active,
        Some(s) => PolicyState::parse(s).ok_or_else(|| {
            invalid(format!(
                "Invalid value '{s}' for 'state'; valid values: active, deleted."
            ))
        })?,
    };
    if let Some(t) = q.get("type").filter(|t| !t.is_empty())
        && PolicyKind::parse(t).is_none()
    {
        return Err(invalid(format!(
            "Invalid value '{t}' for 'type'; valid values: access, authorization."
        )));
    }
    if let Some(t) = q.get("service_type").filter(|t| !t.is_empty())
        && ServiceType::parse(t).is_none()
    {
        return Err(invalid(format!(
            "Invalid value '{t}' for 'service_type'; valid values: service, platform_service."
        )));
    }
    let (sort_field, descending) = match q.get("sort").map(String::as_str).filter(|s| !s.is_empty())
    {
        None => (None, false),
        Some(s) => {
            let (field, desc) = match s.strip_prefix('-') {
                Some(f) => (f, true),
                None => (s, false),
            };
            if !SORT_FIELDS.contains(&field) {
                return Err(invalid(format!(
                    "Invalid value '{s}' for 'sort'; valid fields: {} (prefix '-' for descending).",
                    SORT_FIELDS.join(", ")
                )));
            }
            (Some(field.to_owned()), desc)
        }
    };
    let limit = match q.get("limit").filter(|l| !l.is_empty()) {
        None => 50,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(invalid(format!(
                    "Invalid value '{l}' for 'limit'; valid range is 1 to 100."
                )));
            }
        },
    };
    let offset = match q.get("start").filter(|s| !s.is_empty()) {
        None => 0,
        Some(s) => page_offset(s).ok_or_else(|| invalid("The 'start' page token is not valid."))?,
    };
    let world = read(&app.world);
    let mut items: Vec<&Policy> = world
        .policies
        .values()
        .filter(|p| p.account_id == *account_id && keeps(p, &q, state))
        // Only policies the caller may read are listed, as IBM lists them.
        .filter(|p| check(&world, &caller, "iam.policy.read", p).is_ok())
        .collect();
    items.sort_by_key(|p| p.seq);
    if let Some(field) = &sort_field {
        items.sort_by_key(|p| sort_value(p, field));
        if descending {
            items.reverse();
        }
    }
    let total = items.len();
    let policies: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(limit)
        .map(|p| version.render(&world, &app.url, p, display))
        .collect();
    drop(world);
    let link = |start: Option<usize>| {
        let mut pairs: Vec<(String, String)> = q
            .iter()
            .filter(|(k, _)| k.as_str() != "start")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        pairs.sort();
        if let Some(s) = start {
            pairs.push(("start".into(), page_token(s)));
        }
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        format!("{}{}?{query}", app.url, version.path())
    };
    let mut out = json!({
        "limit": limit,
        "first": {"href": link(None)},
        "policies": policies,
    });
    if offset + limit < total {
        let next = offset + limit;
        out["next"] = json!({"href": link(Some(next)), "start": page_token(next)});
    }
    if offset > 0 {
        let previous = offset.saturating_sub(limit);
        out["previous"] = json!({"href": link(Some(previous)), "start": page_token(previous)});
    }
    Ok(axum::Json(out).into_response())
}

/// Whether two policies grant to the same subject on the same resource under the same
/// conditions: IBM refuses the second (409).
fn same_grant(a: &Policy, b: &Policy) -> bool {
    let sorted = |attrs: &[crate::model::access::Attr]| {
        let mut v: Vec<String> = attrs
            .iter()
            .map(|x| {
                format!(
                    "{}\u{1f}{}\u{1f}{}",
                    x.key,
                    x.operator.as_deref().unwrap_or("stringEquals"),
                    x.value
                )
            })
            .collect();
        v.sort();
        v
    };
    a.kind == b.kind
        && sorted(&a.subject) == sorted(&b.subject)
        && sorted(&a.resource) == sorted(&b.resource)
        && a.tags == b.tags
        && a.rule == b.rule
        && a.pattern == b.pattern
}

fn conflict(existing: &Policy) -> ApiError {
    ApiError::access(
        StatusCode::CONFLICT,
        codes::POLICY_CONFLICT,
        format!(
            "Failed to create or update the policy: policy '{}' already grants access to this subject on this resource.",
            existing.id
        ),
    )
    .details_object(json!({"conflicts_with": {"etag": tag_of(existing), "policy": existing.id}}))
}

/// Checks a policy about to be stored: the account it names, the catalogue's rules, that the
/// caller may create or change it, and that no other active policy already grants the same.
fn admit(world: &World, caller: &Caller, action: &'static str, p: &Policy) -> Result<(), ApiError> {
    for part in [&p.resource, &p.subject] {
        if let Some(a) = attr(part, "accountId")
            && a != caller.account_id
        {
            return Err(forbidden(format!(
                "You are not allowed to manage policies in account '{a}'."
            )));
        }
    }
    world.check_policy(p).map_err(|e| invalid(e.to_string()))?;
    check(world, caller, action, p)?;
    if let Some(other) = world
        .policies
        .values()
        .find(|o| o.active() && o.id != p.id && o.account_id == p.account_id && same_grant(o, p))
    {
        return Err(conflict(other));
    }
    Ok(())
}

/// `POST /v1/policies`, `POST /v2/policies`: 201 with the policy in the request's shape and
/// its `ETag`.
pub async fn create(version: Version, app: Arc<App>, caller: Caller, bytes: Bytes) -> ApiResult {
    let body = json_body(&bytes).map_err(|e| invalid(e.message))?;
    let draft = version.parse(&body)?;
    let mut world = write(&app.world);
    let now = app.now();
    let p = Policy {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: caller.account_id.clone(),
        kind: draft.kind,
        description: draft.description,
        subject: draft.subject,
        resource: draft.resource,
        tags: draft.tags,
        roles: draft.roles,
        rule: draft.rule,
        pattern: draft.pattern,
        state: PolicyState::Active,
        origin: match version {
            Version::V1 => Origin::V1,
            Version::V2 => Origin::V2,
        },
        created_at: now,
        created_by_id: caller.iam_id.clone(),
        last_modified_at: now,
        last_modified_by_id: caller.iam_id.clone(),
        version: 1,
        seq: world.take_seq(),
    };
    admit(&world, &caller, "iam.policy.create", &p)?;
    let (tag, out) = (tag_of(&p), version.render(&world, &app.url, &p, false));
    world.policies.insert(p.id.clone(), p);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::CREATED, &tag, out))
}

/// `GET /v1/policies/{id}`, `GET /v2/policies/{id}` (v2 takes `format`): the policy, deleted
/// ones too (so that they can be restored), with its `ETag`.
pub async fn get(
    version: Version,
    app: Arc<App>,
    id: String,
    q: HashMap<String, String>,
    caller: Caller,
) -> ApiResult {
    let display = format(&q)?;
    let world = read(&app.world);
    let p = find(&world, &caller, &id)?;
    check(&world, &caller, "iam.policy.read", p)?;
    Ok(with_etag(
        StatusCode::OK,
        &tag_of(p),
        version.render(&world, &app.url, p, display),
    ))
}

/// `PUT /v1/policies/{id}`, `PUT /v2/policies/{id}` with `If-Match`: the whole policy again;
/// its type cannot change and a deleted one must be restored first.
pub async fn replace(
    version: Version,
    app: Arc<App>,
    id: String,
    headers: HeaderMap,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes).map_err(|e| invalid(e.message))?;
    let draft = version.parse(&body)?;
    let mut world = write(&app.world);
    let current = find(&world, &caller, &id)?;
    check(&world, &caller, "iam.policy.update", current)?;
    if_match(&headers, &tag_of(current))?;
    if !current.active() {
        return Err(invalid(format!(
            "Policy '{id}' is deleted; restore it (PATCH /v1/policies/{id} with {{\"state\": \"active\"}}) before replacing it."
        )));
    }
    if draft.kind != current.kind {
        return Err(invalid(
            "The policy type cannot be changed (an access policy stays an access policy).",
        ));
    }
    let mut next = current.clone();
    next.description = draft.description;
    next.subject = draft.subject;
    next.resource = draft.resource;
    next.tags = draft.tags;
    next.roles = draft.roles;
    next.rule = draft.rule;
    next.pattern = draft.pattern;
    next.last_modified_at = app.now();
    next.last_modified_by_id = caller.iam_id.clone();
    next.version = next.version.saturating_add(1);
    admit(&world, &caller, "iam.policy.update", &next)?;
    let (tag, out) = (
        tag_of(&next),
        version.render(&world, &app.url, &next, false),
    );
    world.policies.insert(id, next);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::OK, &tag, out))
}

/// `PATCH /v1/policies/{id}` with `If-Match`, `{"state": "active" | "deleted"}`: restores a
/// deleted policy or deletes one.
pub async fn update_state(
    app: Arc<App>,
    id: String,
    headers: HeaderMap,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes).map_err(|e| invalid(e.message))?;
    let state = match body.get("state").and_then(Value::as_str) {
        Some(s) => PolicyState::parse(s).ok_or_else(|| {
            invalid(format!(
                "Invalid value '{s}' for 'state'; valid values: active, deleted."
            ))
        })?,
        None => {
            return Err(invalid(
                "Property 'state' is required: 'active' or 'deleted'.",
            ));
        }
    };
    let mut world = write(&app.world);
    let current = find(&world, &caller, &id)?;
    let action = match state {
        PolicyState::Active => "iam.policy.update",
        PolicyState::Deleted => "iam.policy.delete",
    };
    check(&world, &caller, action, current)?;
    if_match(&headers, &tag_of(current))?;
    let mut next = current.clone();
    if next.state != state {
        next.state = state;
        next.last_modified_at = app.now();
        next.last_modified_by_id = caller.iam_id.clone();
        next.version = next.version.saturating_add(1);
        if state == PolicyState::Active {
            // A restored policy must still be one IBM would take (its group may be gone).
            admit(&world, &caller, action, &next)?;
        }
    }
    let (tag, out) = (
        tag_of(&next),
        Version::V1.render(&world, &app.url, &next, false),
    );
    world.policies.insert(id, next);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::OK, &tag, out))
}

/// `DELETE /v1/policies/{id}`, `DELETE /v2/policies/{id}`: 204; the policy stops granting
/// and lists only with `state=deleted`; a deleted one is 404.
pub async fn delete(app: Arc<App>, id: String, caller: Caller) -> ApiResult {
    let mut world = write(&app.world);
    let current = find(&world, &caller, &id)?;
    if !current.active() {
        return Err(not_found(&id));
    }
    check(&world, &caller, "iam.policy.delete", current)?;
    let now = app.now();
    if let Some(p) = world.policies.get_mut(&id) {
        p.state = PolicyState::Deleted;
        p.last_modified_at = now;
        p.last_modified_by_id = caller.iam_id.clone();
        p.version = p.version.saturating_add(1);
    }
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The handlers as axum routes them, one pair per API version.
pub mod routes {
    use super::*;

    macro_rules! versioned {
        ($list:ident, $create:ident, $get:ident, $replace:ident, $v:expr) => {
            pub async fn $list(
                State(app): State<Arc<App>>,
                Query(q): Query<HashMap<String, String>>,
                caller: Caller,
            ) -> ApiResult {
                list($v, app, q, caller).await
            }

            pub async fn $create(
                State(app): State<Arc<App>>,
                caller: Caller,
                bytes: Bytes,
            ) -> ApiResult {
                create($v, app, caller, bytes).await
            }

            pub async fn $get(
                State(app): State<Arc<App>>,
                Path(id): Path<String>,
                Query(q): Query<HashMap<String, String>>,
                caller: Caller,
            ) -> ApiResult {
                get($v, app, id, q, caller).await
            }

            pub async fn $replace(
                State(app): State<Arc<App>>,
                Path(id): Path<String>,
                headers: HeaderMap,
                caller: Caller,
                bytes: Bytes,
            ) -> ApiResult {
                replace($v, app, id, headers, caller, bytes).await
            }
        };
    }

    versioned!(list_v1, create_v1, get_v1, replace_v1, Version::V1);
    versioned!(list_v2, create_v2, get_v2, replace_v2, Version::V2);

    pub async fn update_state_v1(
        State(app): State<Arc<App>>,
        Path(id): Path<String>,
        headers: HeaderMap,
        caller: Caller,
        bytes: Bytes,
    ) -> ApiResult {
        update_state(app, id, headers, caller, bytes).await
    }

    pub async fn delete_any(
        State(app): State<Arc<App>>,
        Path(id): Path<String>,
        caller: Caller,
    ) -> Result<Response, ApiError> {
        delete(app, id, caller).await
    }
}
