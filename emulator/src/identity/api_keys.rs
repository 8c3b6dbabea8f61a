//! API keys: their JSON (when the secret is shown), creation for a user or a service ID, the
//! fields an update may change, lookup by value, disable/enable, and the listing's scope and
//! type. Get, delete and lock are `entity`'s.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::entity::{
    self, Entity, Lockable, Op, Switch, Tracking, entity_tag, history, history_json, ibm_minute,
    other_account, service_id_target, with_etag,
};
use super::pagination::{self, Listing, SortKey};
use crate::access::enforce::{self, Need, Target};
use crate::app::{App, read, write};
use crate::crypto::random::random_token;
use crate::http::caller::Caller;
use crate::http::errors::{self as codes, ApiError, ApiResult};
use crate::http::params::{header_flag, json_body, opt_bool, opt_string, query_flag, req_string};
use crate::model::world::{ApiKey, Principal, World};

impl Entity for ApiKey {
    const KIND: &'static str = "API key";
    const KIND_IN_SENTENCE: &'static str = "API key";
    const KINDS: &'static str = "API keys";
    const SORTS: &'static [&'static str] = pagination::API_KEY_SORTS;

    fn table(world: &World) -> &BTreeMap<String, ApiKey> {
        &world.api_keys
    }

    fn table_mut(world: &mut World) -> &mut BTreeMap<String, ApiKey> {
        &mut world.api_keys
    }

    fn remove(world: &mut World, id: &str) {
        world.remove_api_key(id);
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn account_id(&self) -> &str {
        &self.account_id
    }

    fn version(&self) -> u64 {
        self.version
    }

    fn locked(&self) -> bool {
        self.locked
    }

    fn sort_key(&self) -> SortKey<'_> {
        SortKey {
            name: &self.name,
            description: self.description.as_deref().unwrap_or(""),
            created_at: self.created_at,
            modified_at: self.modified_at,
            created_by: &self.created_by,
            seq: self.seq,
        }
    }

    fn to_json(&self, include_history: bool) -> Value {
        api_key_json(self, include_history, false)
    }

    fn tracking(&mut self) -> Tracking<'_> {
        Tracking {
            modified_at: &mut self.modified_at,
            version: &mut self.version,
            history: &mut self.history,
        }
    }

    /// A user manages their own keys; a service ID's keys are checked against the service ID;
    /// another user's keys are the account owner's alone, or, with enforcement, need
    /// `iam-identity.apikey.manage` (IBM: users manage only their own user API keys).
    fn need(&self, caller: &Caller, op: Op) -> Need {
        if self.iam_id == caller.iam_id {
            return Need::Free;
        }
        match self.iam_id.strip_prefix("iam-") {
            Some(service_id) if service_id.starts_with("ServiceId-") => {
                let action = match op {
                    Op::Read => "iam-identity.apikey.get",
                    Op::Update => "iam-identity.apikey.update",
                    Op::Delete => "iam-identity.apikey.delete",
                };
                Need::Action(action, service_id_target(&self.account_id, service_id))
            }
            _ => Need::OwnerOnly(
                "iam-identity.apikey.manage",
                Target::service(&self.account_id, "iam-identity"),
            ),
        }
    }
}

impl Lockable for ApiKey {
    fn locked_mut(&mut self) -> &mut bool {
        &mut self.locked
    }
}

/// A disabled key cannot log in, and sessions begun with it end.
const DISABLE: Switch<ApiKey> = Switch {
    field: |k| &mut k.disabled,
    on: ("disable", "disabled"),
    off: ("enable", "enabled"),
};

/// `with_value`: the secret is shown on create (and to whoever presents it); otherwise only
/// when the owner asked IAM to store it. The SDK's model requires the field, so it is `""`.
pub fn api_key_json(k: &ApiKey, include_history: bool, with_value: bool) -> Value {
    let value = if with_value || k.store_value {
        k.value.as_str()
    } else {
        ""
    };
    let mut v = json!({
        "id": k.id,
        "entity_tag": entity_tag(&k.id, k.version),
        "crn": format!("crn:v1:bluemix:public:iam-identity::a/{}::apikey:{}", k.account_id, k.id),
        "locked": k.locked,
        "disabled": k.disabled,
        "created_at": ibm_minute(k.created_at),
        "created_by": k.created_by,
        "modified_at": ibm_minute(k.modified_at),
        "name": k.name,
        "support_sessions": k.support_sessions,
        "action_when_leaked": k.action_when_leaked,
        "iam_id": k.iam_id,
        "account_id": k.account_id,
        "apikey": value,
    });
    if let Some(d) = &k.description {
        v["description"] = json!(d);
    }
    if let Some(e) = &k.expires_at {
        v["expires_at"] = json!(e);
    }
    if include_history {
        v["history"] = history_json(&k.history);
    }
    v
}

fn action_when_leaked(value: Option<String>) -> Result<Option<String>, ApiError> {
    match value.as_deref() {
        None => Ok(None),
        Some("none" | "disable" | "delete") => Ok(value),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid value '{other}' for 'action_when_leaked'; valid values: none, disable, delete."
        ))),
    }
}

/// A new key from a request body (`POST /v1/apikeys`, or the `apikey` object of a new service
/// ID), created at `at`; the owner and account have been checked by the caller.
#[allow(clippy::too_many_arguments)]
pub fn new_api_key(
    world: &mut World,
    at: i64,
    caller: &Caller,
    spec: &Map<String, Value>,
    owner_iam_id: &str,
    account_id: &str,
    lock: bool,
    disable: bool,
) -> Result<ApiKey, ApiError> {
    let name = req_string(spec, "name")?;
    let description = opt_string(spec, "description")?;
    let value = match opt_string(spec, "apikey")? {
        Some(v) if !v.is_empty() => {
            if v.len() < 32 {
                return Err(ApiError::bad_request(
                    "Property 'apikey' must be at least 32 characters long.",
                ));
            }
            if world.value_taken(&v) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    codes::CONFLICT,
                    "The given API key value is already in use; choose another value.",
                ));
            }
            v
        }
        // 33 random bytes: 44 characters, like IBM's keys.
        _ => random_token(33),
    };
    let store_value = opt_bool(spec, "store_value")?.unwrap_or(false);
    if store_value && !owner_iam_id.starts_with("iam-ServiceId-") {
        return Err(ApiError::bad_request(
            "Property 'store_value' can only be true for service ID API keys; IAM does not store user API keys.",
        ));
    }
    let action =
        action_when_leaked(opt_string(spec, "action_when_leaked")?)?.unwrap_or("none".into());
    let support_sessions = opt_bool(spec, "support_sessions")?.unwrap_or(false);
    let expires_at = opt_string(spec, "expires_at")?;
    let id = format!("ApiKey-{}", uuid::Uuid::new_v4());
    let seq = world.take_seq();
    Ok(ApiKey {
        id,
        account_id: account_id.to_owned(),
        iam_id: owner_iam_id.to_owned(),
        name,
        description,
        value,
        store_value,
        locked: lock,
        disabled: disable,
        support_sessions,
        action_when_leaked: action,
        expires_at,
        created_at: at,
        modified_at: at,
        created_by: caller.iam_id.clone(),
        version: 1,
        seq,
        history: vec![history(at, caller, "create", "API key created")],
    })
}

/// `GET /v1/apikeys`: `scope=entity` (the default) lists one identity's keys, the caller's
/// unless `iam_id` names another; `scope=account` every key of the account; `type` narrows to
/// user or service-ID keys. `account_id` defaults to the token's.
pub async fn list(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let (mut l, from_token) = Listing::from_query(&q)?;
    if !from_token {
        if l.account_id.is_empty() {
            l.account_id = caller.account_id.clone();
        }
        if l.scope.as_deref().unwrap_or("entity") == "entity" && l.iam_id.is_none() {
            l.iam_id = Some(caller.iam_id.clone());
        }
    }
    match l.scope.as_deref() {
        None | Some("entity" | "account") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{other}' for 'scope'; valid values: entity, account."
            )));
        }
    }
    match l.kind.as_deref() {
        None | Some("user" | "serviceid") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{other}' for 'type'; valid values: user, serviceid."
            )));
        }
    }
    entity::list::<ApiKey>(&app, &caller, &q, &l, "/v1/apikeys", "apikeys", |k| {
        l.iam_id.as_ref().is_none_or(|i| &k.iam_id == i)
            && match l.kind.as_deref() {
                Some("serviceid") => k.iam_id.starts_with("iam-ServiceId-"),
                Some("user") => !k.iam_id.starts_with("iam-ServiceId-"),
                _ => true,
            }
    })
}

/// `POST /v1/apikeys`, with `Entity-Lock` and `Entity-Disable`. Users may create keys only
/// for themselves; a service ID's keys need the service ID in the account.
pub async fn create(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes)?;
    req_string(&body, "name")?;
    let iam_id = req_string(&body, "iam_id")?;
    let account_id = opt_string(&body, "account_id")?
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| caller.account_id.clone());
    let lock = header_flag(&headers, "Entity-Lock")?;
    let disable = header_flag(&headers, "Entity-Disable")?;
    if account_id != caller.account_id {
        return Err(ApiError::forbidden(format!(
            "You are not authorized to create API keys in account '{account_id}'."
        )));
    }
    let mut world = write(&app.world);
    match world.principal(&iam_id) {
        None => return Err(ApiError::not_found("Identity", &iam_id)),
        Some(Principal::User(u)) => {
            if u.iam_id != caller.iam_id {
                return Err(ApiError::forbidden(
                    "Users can only create API keys for themselves.",
                ));
            }
            if !u.accounts.contains(&account_id) {
                return Err(ApiError::forbidden(format!(
                    "User '{iam_id}' does not belong to account '{account_id}'."
                )));
            }
        }
        Some(Principal::Service(s)) => {
            if s.account_id != account_id {
                return Err(other_account("service ID", &s.id));
            }
            let need = Need::Action(
                "iam-identity.apikey.create",
                service_id_target(&account_id, &s.id),
            );
            enforce::require(&world, &caller, &need)?;
        }
        Some(Principal::Profile(_)) => {
            return Err(ApiError::bad_request(
                "Trusted profiles cannot have API keys; assume the profile instead.",
            ));
        }
    }
    let key = new_api_key(
        &mut world,
        app.now(),
        &caller,
        &body,
        &iam_id,
        &account_id,
        lock,
        disable,
    )?;
    let out = api_key_json(&key, false, true);
    let tag = entity_tag(&key.id, key.version);
    world.insert_api_key(key);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::CREATED, &tag, out))
}

/// `GET /v1/apikeys/details` with the value in `IAM-ApiKey`.
pub async fn details(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let include_history = query_flag(&q, "include_history")?;
    let value = headers
        .get("IAM-ApiKey")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "missing_header",
                codes::MISSING_PROPERTY,
                "Header 'IAM-ApiKey' either missing or empty.",
            )
        })?;
    let world = read(&app.world);
    let k = world
        .api_key_by_value(value)
        .ok_or_else(|| ApiError::not_found("API key", "(by value)"))?;
    if k.account_id != caller.account_id {
        return Err(other_account("API key", &k.id));
    }
    // Whoever presents the value already knows it.
    Ok(with_etag(
        StatusCode::OK,
        &entity_tag(&k.id, k.version),
        api_key_json(k, include_history, true),
    ))
}

/// `PUT /v1/apikeys/{id}`: `name`, `description`, `support_sessions`, `action_when_leaked`,
/// `expires_at` (empty clears it).
pub async fn update(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes)?;
    let name = opt_string(&body, "name")?;
    let description = opt_string(&body, "description")?;
    let support_sessions = opt_bool(&body, "support_sessions")?;
    let action = action_when_leaked(opt_string(&body, "action_when_leaked")?)?;
    let expires_at = opt_string(&body, "expires_at")?;
    if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::missing("name"));
    }
    entity::update::<ApiKey>(&app, &caller, &headers, &id, |k| {
        if let Some(n) = name {
            k.name = n;
        }
        if let Some(d) = description {
            k.description = Some(d);
        }
        if let Some(s) = support_sessions {
            k.support_sessions = s;
        }
        if let Some(a) = action {
            k.action_when_leaked = a;
        }
        if let Some(e) = expires_at {
            k.expires_at = Some(e).filter(|e| !e.is_empty());
        }
    })
}

/// `POST /v1/apikeys/{id}/disable`.
pub async fn disable(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    entity::switch(&app, &caller, &id, &DISABLE, true)
}

/// `DELETE /v1/apikeys/{id}/disable`.
pub async fn enable(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    entity::switch(&app, &caller, &id, &DISABLE, false)
}
