//! Service IDs: their JSON, creation (with an optional first API key), the fields an update
//! may change and the listing's required `account_id`. Get, delete and lock are `entity`'s.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::api_keys::{api_key_json, new_api_key};
use super::entity::{
    self, Entity, Lockable, Op, Tracking, entity_tag, history, history_json, ibm_minute,
    service_id_target, with_etag,
};
use super::pagination::{Listing, SortKey};
use crate::access::enforce::{self, Need, Target};
use crate::app::{App, write};
use crate::http::caller::Caller;
use crate::http::errors::{ApiError, ApiResult};
use crate::http::params::{header_flag, json_body, opt_string, opt_strings, req_string};
use crate::model::world::{ServiceId, World};

impl Entity for ServiceId {
    const KIND: &'static str = "Service ID";
    const KIND_IN_SENTENCE: &'static str = "service ID";
    const KINDS: &'static str = "service IDs";

    fn table(world: &World) -> &BTreeMap<String, ServiceId> {
        &world.service_ids
    }

    fn table_mut(world: &mut World) -> &mut BTreeMap<String, ServiceId> {
        &mut world.service_ids
    }

    fn remove(world: &mut World, id: &str) {
        let Some(s) = world.service_ids.remove(id) else {
            return;
        };
        // Its policies and group memberships go too, as at IBM.
        world.forget_identity(&s.iam_id);
        // Its keys go with it, at once: IBM's window in which deleting answers 409 "keys
        // being removed" has no use in an emulator.
        let keys: Vec<String> = world
            .api_keys
            .values()
            .filter(|k| k.iam_id == s.iam_id)
            .map(|k| k.id.clone())
            .collect();
        for k in keys {
            world.remove_api_key(&k);
        }
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
            created_by: "",
            seq: self.seq,
        }
    }

    fn to_json(&self, include_history: bool) -> Value {
        service_id_json(self, include_history)
    }

    fn tracking(&mut self) -> Tracking<'_> {
        Tracking {
            modified_at: &mut self.modified_at,
            version: &mut self.version,
            history: &mut self.history,
        }
    }

    fn need(&self, _caller: &Caller, op: Op) -> Need {
        let action = match op {
            Op::Read => "iam-identity.serviceid.get",
            Op::Update => "iam-identity.serviceid.update",
            Op::Delete => "iam-identity.serviceid.delete",
        };
        Need::Action(action, service_id_target(&self.account_id, &self.id))
    }
}

impl Lockable for ServiceId {
    fn locked_mut(&mut self) -> &mut bool {
        &mut self.locked
    }
}

fn service_id_json(s: &ServiceId, include_history: bool) -> Value {
    let mut v = json!({
        "id": s.id,
        "iam_id": s.iam_id,
        "entity_tag": entity_tag(&s.id, s.version),
        "crn": format!("crn:v1:bluemix:public:iam-identity::a/{}::serviceid:{}", s.account_id, s.id),
        "locked": s.locked,
        "created_at": ibm_minute(s.created_at),
        "modified_at": ibm_minute(s.modified_at),
        "account_id": s.account_id,
        "name": s.name,
        "unique_instance_crns": s.unique_instance_crns,
    });
    if let Some(d) = &s.description {
        v["description"] = json!(d);
    }
    if include_history {
        v["history"] = history_json(&s.history);
    }
    v
}

/// `GET /v1/serviceids/`: `account_id` is required (unless a pagetoken carries it).
pub async fn list(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let (l, _) = Listing::from_query(&q)?;
    if l.account_id.is_empty() {
        return Err(ApiError::missing("account_id"));
    }
    entity::list::<ServiceId>(
        &app,
        &caller,
        &q,
        &l,
        "/v1/serviceids/",
        "serviceids",
        |_| true,
    )
}

/// `POST /v1/serviceids/`, with `Entity-Lock` and an optional `apikey` object that creates the
/// service ID's first key in the same request.
pub async fn create(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes)?;
    let account_id = req_string(&body, "account_id")?;
    let name = req_string(&body, "name")?;
    let description = opt_string(&body, "description")?;
    let crns = opt_strings(&body, "unique_instance_crns")?.unwrap_or_default();
    let lock = header_flag(&headers, "Entity-Lock")?;
    let key_spec = match body.get("apikey") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Property 'apikey' must be an object.",
            ));
        }
    };
    if account_id != caller.account_id {
        return Err(ApiError::forbidden(format!(
            "You are not authorized to create service IDs in account '{account_id}'."
        )));
    }
    let mut world = write(&app.world);
    if world.account(&account_id).is_none() {
        return Err(ApiError::not_found("Account", &account_id));
    }
    let need = Need::Action(
        "iam-identity.serviceid.create",
        Target::service(&account_id, "iam-identity"),
    );
    enforce::require(&world, &caller, &need)?;
    let t = app.now();
    let id = format!("ServiceId-{}", uuid::Uuid::new_v4());
    let seq = world.take_seq();
    let sid = ServiceId {
        iam_id: format!("iam-{id}"),
        id: id.clone(),
        account_id: account_id.clone(),
        name,
        description,
        unique_instance_crns: crns,
        locked: lock,
        created_at: t,
        modified_at: t,
        version: 1,
        seq,
        history: vec![history(t, &caller, "create", "Service ID created")],
    };
    let key = match &key_spec {
        Some(spec) => Some(new_api_key(
            &mut world,
            t,
            &caller,
            spec,
            &sid.iam_id,
            &account_id,
            false,
            false,
        )?),
        None => None,
    };
    let mut out = service_id_json(&sid, false);
    if let Some(k) = &key {
        out["apikey"] = api_key_json(k, false, true);
        world.insert_api_key(k.clone());
    }
    let tag = entity_tag(&sid.id, sid.version);
    world.service_ids.insert(id, sid);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::CREATED, &tag, out))
}

/// `PUT /v1/serviceids/{id}`: `name`, `description`, `unique_instance_crns`.
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
    let crns = opt_strings(&body, "unique_instance_crns")?;
    if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::missing("name"));
    }
    entity::update::<ServiceId>(&app, &caller, &headers, &id, |s| {
        if let Some(n) = name {
            s.name = n;
        }
        if let Some(d) = description {
            s.description = Some(d);
        }
        if let Some(c) = crns {
            s.unique_instance_crns = c;
        }
    })
}
