//! IAM Access Groups' members: users (`IBMid-...`), service IDs (`iam-ServiceId-...`) and
//! trusted profiles (`iam-Profile-...`). Add (207, one result per member), list, check (HEAD),
//! remove one or many, remove from every group of the account, add to many groups.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::groups::{self, bad, envelope, find, flag, may, paging};
use super::policy_json::ibm_time;
use crate::app::{App, read, write};
use crate::http::caller::Caller;
use crate::http::errors::{self as codes, ApiError, ApiResult};
use crate::http::params::json_body;
use crate::model::access::{AccessGroup, Member, MemberKind, PUBLIC_ACCESS_GROUP};
use crate::model::world::World;

/// IBM's bounds: 50 members a request, 50 groups a member.
const MAX_PER_CALL: usize = 50;
const MAX_GROUPS: usize = 50;

/// One member's failure inside a 207.
struct Failure {
    status: u16,
    code: &'static str,
    message: String,
}

fn failure(status: u16, code: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        status,
        code,
        message: message.into(),
    }
}

fn trace() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn failed(mut v: Value, f: Failure) -> Value {
    v["status_code"] = json!(f.status);
    v["trace"] = json!(trace());
    v["errors"] = json!([{"code": f.code, "message": f.message}]);
    v
}

/// Whether the identity may be a member of a group of `account_id`: its `type` (IBM's
/// `user`, `service`, `profile`) matches its IAM ID, a service ID or trusted profile is one of
/// the account's, and a user the world knows belongs to the account. IBM's own SDK tests add
/// made-up IBMids, so a user the world does not know is taken.
fn admissible(
    world: &World,
    account_id: &str,
    iam_id: &str,
    kind: Option<&str>,
) -> Result<MemberKind, Failure> {
    let of_id = MemberKind::of(iam_id).ok_or_else(|| {
        failure(
            400,
            codes::GROUP_INVALID,
            format!("'{iam_id}' is not the IAM ID of a user, service ID or trusted profile."),
        )
    })?;
    if let Some(k) = kind {
        let given = MemberKind::parse(k).ok_or_else(|| {
            failure(
                400,
                codes::GROUP_INVALID,
                format!("Invalid member type '{k}'; valid types: user, service, profile."),
            )
        })?;
        if given != of_id {
            return Err(failure(
                400,
                codes::GROUP_INVALID,
                format!("Member '{iam_id}' is not of type '{k}'."),
            ));
        }
    }
    let missing = || {
        failure(
            404,
            codes::GROUP_NOT_FOUND,
            format!("'{iam_id}' was not found in account '{account_id}'."),
        )
    };
    match of_id {
        MemberKind::User => match world.users.iter().find(|u| u.iam_id == iam_id) {
            Some(u) if !u.accounts.iter().any(|a| a == account_id) => Err(missing()),
            _ => Ok(of_id),
        },
        MemberKind::Service => iam_id
            .strip_prefix("iam-")
            .and_then(|id| world.service_ids.get(id))
            .filter(|s| s.account_id == account_id)
            .map(|_| of_id)
            .ok_or_else(missing),
        MemberKind::Profile => iam_id
            .strip_prefix("iam-")
            .and_then(|id| world.profiles.get(id))
            .filter(|p| p.account_id == account_id)
            .map(|_| of_id)
            .ok_or_else(missing),
    }
}

/// Adds the member; one already in keeps its first membership.
fn join(world: &mut World, group_id: &str, member: Member) -> Result<Member, Failure> {
    let already = groups_count(world, &member.iam_id);
    let g = world.access_groups.get_mut(group_id).ok_or_else(|| {
        failure(
            404,
            codes::GROUP_NOT_FOUND,
            format!("Access group '{group_id}' was not found."),
        )
    })?;
    if let Some(m) = g.members.iter().find(|m| m.iam_id == member.iam_id) {
        return Ok(m.clone());
    }
    if already >= MAX_GROUPS {
        return Err(failure(
            400,
            codes::GROUP_INVALID,
            format!(
                "'{}' is already in {MAX_GROUPS} access groups, the most IBM allows.",
                member.iam_id
            ),
        ));
    }
    g.members.push(member.clone());
    g.last_modified_at = member.created_at;
    Ok(member)
}

fn body_list<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a Vec<Value>, ApiError> {
    let list = body
        .get(name)
        .and_then(Value::as_array)
        .ok_or_else(|| bad(format!("Property '{name}' must be an array.")))?;
    if list.len() > MAX_PER_CALL {
        return Err(bad(format!(
            "At most {MAX_PER_CALL} entries of '{name}' a request."
        )));
    }
    Ok(list)
}

/// `PUT /v2/groups/{id}/members` `{"members": [{"iam_id", "type"}]}`: 207, each member's
/// result with its `status_code`.
pub async fn add(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes).map_err(|e| bad(e.message))?;
    let specs = body_list(&body, "members")?;
    let mut world = write(&app.world);
    find(&world, &caller, &id)?;
    if id == PUBLIC_ACCESS_GROUP {
        return Err(bad(
            "Members cannot be added to the Public Access group: everyone is in it.",
        ));
    }
    may(&world, &caller, "iam-groups.members.add", &id)?;
    let now = app.now();
    let mut results = Vec::new();
    for spec in specs {
        let iam_id = spec.get("iam_id").and_then(Value::as_str).unwrap_or("");
        let kind = spec.get("type").and_then(Value::as_str);
        let base = json!({"iam_id": iam_id, "type": kind.unwrap_or("")});
        let joined = admissible(&world, &caller.account_id, iam_id, kind).and_then(|kind| {
            let member = Member {
                iam_id: iam_id.to_owned(),
                kind,
                created_at: now,
                created_by_id: caller.iam_id.clone(),
            };
            join(&mut world, &id, member)
        });
        results.push(match joined {
            Ok(m) => json!({
                "iam_id": m.iam_id,
                "type": m.kind.as_str(),
                "created_at": ibm_time(m.created_at),
                "created_by_id": m.created_by_id,
                "status_code": 200,
            }),
            Err(f) => failed(base, f),
        });
    }
    drop(world);
    app.mark_dirty();
    Ok((
        StatusCode::MULTI_STATUS,
        axum::Json(json!({ "members": results })),
    )
        .into_response())
}

fn member_json(world: &World, url: &str, group_id: &str, m: &Member, verbose: bool) -> Value {
    let mut v = json!({
        "iam_id": m.iam_id,
        "type": m.kind.as_str(),
        "membership_type": "static",
        "href": format!("{url}/v2/groups/{group_id}/members/{}", m.iam_id),
        "created_at": ibm_time(m.created_at),
        "created_by_id": m.created_by_id,
    });
    if verbose {
        match m.kind {
            MemberKind::User => {
                if let Some(u) = world.users.iter().find(|u| u.iam_id == m.iam_id) {
                    v["name"] = json!(u.name());
                    v["email"] = json!(u.email);
                }
            }
            MemberKind::Service => {
                if let Some(s) = m
                    .iam_id
                    .strip_prefix("iam-")
                    .and_then(|id| world.service_ids.get(id))
                {
                    v["name"] = json!(s.name);
                    v["description"] = json!(s.description.clone().unwrap_or_default());
                }
            }
            MemberKind::Profile => {
                if let Some(p) = m
                    .iam_id
                    .strip_prefix("iam-")
                    .and_then(|id| world.profiles.get(id))
                {
                    v["name"] = json!(p.name);
                    v["description"] = json!(p.description.clone().unwrap_or_default());
                }
            }
        }
    }
    v
}

/// `GET /v2/groups/{id}/members`: `type`, `membership_type`, `verbose` (names, emails),
/// `sort` (`iam_id`, `name`, `email`; `-` descending), `limit`, `offset`.
pub async fn list(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let (limit, offset) = paging(&q)?;
    let verbose = flag(&q, "verbose")?;
    let kind = match q.get("type").filter(|v| !v.is_empty()) {
        None => None,
        Some(t) => Some(MemberKind::parse(t).ok_or_else(|| {
            bad(format!(
                "Invalid value '{t}' for 'type'; valid values: user, service, profile."
            ))
        })?),
    };
    let dynamic_only = match q.get("membership_type").map(String::as_str) {
        None | Some("" | "static" | "all") => false,
        Some("dynamic") => true,
        Some(other) => {
            return Err(bad(format!(
                "Invalid value '{other}' for 'membership_type'; valid values: static, dynamic, all."
            )));
        }
    };
    let world = read(&app.world);
    let g = find(&world, &caller, &id)?;
    may(&world, &caller, "iam-groups.members.list", &id)?;
    let mut items: Vec<Value> = g
        .members
        .iter()
        .filter(|m| !dynamic_only && kind.is_none_or(|k| m.kind == k))
        .map(|m| member_json(&world, &app.url, &id, m, verbose))
        .collect();
    drop(world);
    if let Some(s) = q.get("sort").filter(|v| !v.is_empty()) {
        let field = match s.trim_start_matches('-') {
            "id" | "iam_id" => "iam_id",
            "name" => "name",
            "email" => "email",
            other => {
                return Err(bad(format!(
                    "Invalid value '{other}' for 'sort'; valid values: iam_id, name, email."
                )));
            }
        };
        items.sort_by(|a, b| {
            let key = |v: &Value| v[field].as_str().unwrap_or("").to_lowercase();
            key(a).cmp(&key(b))
        });
        if s.starts_with('-') {
            items.reverse();
        }
    }
    let total = items.len();
    let page = items.into_iter().skip(offset).take(limit).collect();
    let base = format!("{}/v2/groups/{id}/members", app.url);
    Ok(axum::Json(envelope(&base, &q, limit, offset, total, "members", page)).into_response())
}

/// `HEAD /v2/groups/{id}/members/{iam_id}`: 204 for a member, 404 otherwise (the Public Access
/// group lists no one).
pub async fn check(
    State(app): State<Arc<App>>,
    Path((id, iam_id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult {
    let world = read(&app.world);
    let g = find(&world, &caller, &id)?;
    may(&world, &caller, "iam-groups.members.read", &id)?;
    if g.has_member(&iam_id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(not_member(&iam_id, &id))
    }
}

fn not_member(iam_id: &str, group_id: &str) -> ApiError {
    ApiError::access(
        StatusCode::NOT_FOUND,
        codes::GROUP_NOT_FOUND,
        format!("'{iam_id}' is not a member of access group '{group_id}'."),
    )
}

fn leave(world: &mut World, group_id: &str, iam_id: &str, at: i64) -> bool {
    let Some(g) = world.access_groups.get_mut(group_id) else {
        return false;
    };
    let before = g.members.len();
    g.members.retain(|m| m.iam_id != iam_id);
    let left = g.members.len() != before;
    if left {
        g.last_modified_at = at;
    }
    left
}

/// `DELETE /v2/groups/{id}/members/{iam_id}`: 204, or 404 when not a member.
pub async fn remove(
    State(app): State<Arc<App>>,
    Path((id, iam_id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult {
    let mut world = write(&app.world);
    find(&world, &caller, &id)?;
    may(&world, &caller, "iam-groups.members.delete", &id)?;
    if !leave(&mut world, &id, &iam_id, app.now()) {
        return Err(not_member(&iam_id, &id));
    }
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v2/groups/{id}/members/delete` `{"members": [iam_id, ...]}`: 207 with each one's
/// `status_code` (204, or 404 when not a member).
pub async fn remove_many(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes).map_err(|e| bad(e.message))?;
    let ids = body_list(&body, "members")?;
    let mut world = write(&app.world);
    find(&world, &caller, &id)?;
    may(&world, &caller, "iam-groups.members.delete", &id)?;
    let now = app.now();
    let results: Vec<Value> = ids
        .iter()
        .map(|v| {
            let Some(iam_id) = v.as_str() else {
                let f = failure(
                    400,
                    codes::GROUP_INVALID,
                    "A member to remove is an IAM ID (a string).",
                );
                return failed(json!({"iam_id": v}), f);
            };
            let base = json!({"iam_id": iam_id});
            if leave(&mut world, &id, iam_id, now) {
                json!({"iam_id": iam_id, "trace": trace(), "status_code": 204})
            } else {
                failed(
                    base,
                    failure(404, codes::GROUP_NOT_FOUND, not_member(iam_id, &id).message),
                )
            }
        })
        .collect();
    drop(world);
    app.mark_dirty();
    Ok((
        StatusCode::MULTI_STATUS,
        axum::Json(json!({"access_group_id": id, "members": results})),
    )
        .into_response())
}

/// `DELETE /v2/groups/_allgroups/members/{iam_id}?account_id=`: out of every group of the
/// account (207 with each group's result); 404 when it is in none.
pub async fn remove_from_all(
    State(app): State<Arc<App>>,
    Path(iam_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let account = account(&q, &caller)?;
    let mut world = write(&app.world);
    let ids: Vec<String> = world
        .groups_of(&account, &iam_id)
        .map(|g| g.id.clone())
        .collect();
    if ids.is_empty() {
        return Err(ApiError::access(
            StatusCode::NOT_FOUND,
            codes::GROUP_NOT_FOUND,
            format!("'{iam_id}' is not a member of any access group of account '{account}'."),
        ));
    }
    let now = app.now();
    let results: Vec<Value> = ids
        .iter()
        .map(|gid| {
            let base = json!({"access_group_id": gid});
            match may(&world, &caller, "iam-groups.members.delete", gid) {
                Err(e) => failed(base, failure(403, "forbidden", e.message)),
                Ok(()) => {
                    leave(&mut world, gid, &iam_id, now);
                    json!({"access_group_id": gid, "trace": trace(), "status_code": 204})
                }
            }
        })
        .collect();
    drop(world);
    app.mark_dirty();
    Ok((
        StatusCode::MULTI_STATUS,
        axum::Json(json!({"iam_id": iam_id, "groups": results})),
    )
        .into_response())
}

/// `PUT /v2/groups/_allgroups/members/{iam_id}?account_id=` `{"type", "groups": [...]}`: into
/// each group (207 with each group's result).
pub async fn add_to_groups(
    State(app): State<Arc<App>>,
    Path(iam_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let account = account(&q, &caller)?;
    let body = json_body(&bytes).map_err(|e| bad(e.message))?;
    let group_ids = body_list(&body, "groups")?;
    let kind = body.get("type").and_then(Value::as_str);
    let mut world = write(&app.world);
    let kind = admissible(&world, &account, &iam_id, kind).map_err(|f| {
        ApiError::access(
            StatusCode::from_u16(f.status).unwrap_or(StatusCode::BAD_REQUEST),
            f.code,
            f.message,
        )
    })?;
    let now = app.now();
    let results: Vec<Value> = group_ids
        .iter()
        .map(|g| {
            let gid = g.as_str().unwrap_or("");
            let base = json!({"access_group_id": gid});
            let allowed = match groups::find(&world, &caller, gid) {
                Err(e) => Err(failure(e.status.as_u16(), e.code, e.message)),
                Ok(_) if gid == PUBLIC_ACCESS_GROUP => Err(failure(
                    400,
                    codes::GROUP_INVALID,
                    "Members cannot be added to the Public Access group.",
                )),
                Ok(_) => may(&world, &caller, "iam-groups.members.add", gid)
                    .map_err(|e| failure(403, "forbidden", e.message)),
            };
            let member = Member {
                iam_id: iam_id.clone(),
                kind,
                created_at: now,
                created_by_id: caller.iam_id.clone(),
            };
            match allowed.and_then(|()| join(&mut world, gid, member)) {
                Ok(_) => json!({"access_group_id": gid, "trace": trace(), "status_code": 200}),
                Err(f) => failed(base, f),
            }
        })
        .collect();
    drop(world);
    app.mark_dirty();
    Ok((
        StatusCode::MULTI_STATUS,
        axum::Json(json!({"iam_id": iam_id, "groups": results})),
    )
        .into_response())
}

fn account(q: &HashMap<String, String>, caller: &Caller) -> Result<String, ApiError> {
    let account = q
        .get("account_id")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("Query parameter 'account_id' is required."))?;
    if *account != caller.account_id {
        return Err(ApiError::access(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("You are not authorized to change the groups of account '{account}'."),
        ));
    }
    Ok(account.clone())
}

/// In how many groups (of any account) the identity is.
fn groups_count(world: &World, iam_id: &str) -> usize {
    world
        .access_groups
        .values()
        .filter(|g: &&AccessGroup| g.has_member(iam_id))
        .count()
}
