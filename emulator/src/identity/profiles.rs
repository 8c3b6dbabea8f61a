//! Trusted profiles: their JSON, creation, the fields an update may change (a name unique in
//! the account), and the listing's required `account_id`. Get, delete, ETags and pages are
//! `entity`'s; links and trusted identities are in `profile_links` and `profile_identities`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::entity::{
    self, Entity, Op, Tracking, entity_tag, history, history_json, ibm_minute, with_etag,
};
use super::pagination::{Listing, SortKey};
use crate::access::enforce::{self, Need, Target};
use crate::app::{App, write};
use crate::http::caller::Caller;
use crate::http::errors::{self as codes, ApiError, ApiResult};
use crate::http::params::{json_body, opt_string, req_string};
use crate::model::world::{TrustedProfile, World};

impl Entity for TrustedProfile {
    const KIND: &'static str = "Trusted profile";
    const KIND_IN_SENTENCE: &'static str = "trusted profile";
    const KINDS: &'static str = "trusted profiles";
    // IBM's GET of a profile has no include_history: the history comes with it.
    const HISTORY_ON_GET: bool = true;

    fn table(world: &World) -> &BTreeMap<String, TrustedProfile> {
        &world.profiles
    }

    fn table_mut(world: &mut World) -> &mut BTreeMap<String, TrustedProfile> {
        &mut world.profiles
    }

    /// Its links and trusted identities live in it and go with it; its tokens stop working
    /// because their identity is gone; its policies and group memberships go too.
    fn remove(world: &mut World, id: &str) {
        if let Some(p) = world.profiles.remove(id) {
            world.forget_identity(&p.iam_id);
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
        false
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
        profile_json(self, include_history)
    }

    fn tracking(&mut self) -> Tracking<'_> {
        Tracking {
            modified_at: &mut self.modified_at,
            version: &mut self.version,
            history: &mut self.history,
        }
    }

    /// Links and trusted identities are the profile's: changing them updates it.
    fn need(&self, _caller: &Caller, op: Op) -> Need {
        let action = match op {
            Op::Read => "iam-identity.profile.get",
            Op::Update => "iam-identity.profile.update",
            Op::Delete => "iam-identity.profile.delete",
        };
        Need::Action(
            action,
            Target::entity(&self.account_id, "iam-identity", "profile", &self.id),
        )
    }
}

fn profile_json(p: &TrustedProfile, include_history: bool) -> Value {
    let mut v = json!({
        "id": p.id,
        "entity_tag": entity_tag(&p.id, p.version),
        "crn": p.crn(),
        "name": p.name,
        "created_at": ibm_minute(p.created_at),
        "modified_at": ibm_minute(p.modified_at),
        "iam_id": p.iam_id,
        "account_id": p.account_id,
    });
    if let Some(d) = &p.description {
        v["description"] = json!(d);
    }
    if let Some(e) = &p.email {
        v["email"] = json!(e);
    }
    if include_history {
        v["history"] = history_json(&p.history);
    }
    v
}

fn name_taken(account_id: &str, name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        codes::NAME_TAKEN,
        format!(
            "A trusted profile named '{name}' already exists in account '{account_id}'; profile names are unique within an account."
        ),
    )
}

/// `GET /v1/profiles`: `account_id` is required (unless a pagetoken carries it); `name`
/// narrows to one profile.
pub async fn list(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let (l, _) = Listing::from_query(&q)?;
    if l.account_id.is_empty() {
        return Err(ApiError::missing("account_id"));
    }
    entity::list::<TrustedProfile>(&app, &caller, &q, &l, "/v1/profiles", "profiles", |_| true)
}

/// `POST /v1/profiles`: `name` and `account_id` required, `description` and `email` optional.
pub async fn create(State(app): State<Arc<App>>, caller: Caller, bytes: Bytes) -> ApiResult {
    let body = json_body(&bytes)?;
    let name = req_string(&body, "name")?;
    let account_id = req_string(&body, "account_id")?;
    let description = opt_string(&body, "description")?.filter(|d| !d.is_empty());
    let email = opt_string(&body, "email")?.filter(|e| !e.is_empty());
    if account_id != caller.account_id {
        return Err(ApiError::forbidden(format!(
            "You are not authorized to create trusted profiles in account '{account_id}'."
        )));
    }
    let mut world = write(&app.world);
    if world.account(&account_id).is_none() {
        return Err(ApiError::not_found("Account", &account_id));
    }
    let need = Need::Action(
        "iam-identity.profile.create",
        Target::service(&account_id, "iam-identity"),
    );
    enforce::require(&world, &caller, &need)?;
    if world.profile_by_name(&account_id, &name).is_some() {
        return Err(name_taken(&account_id, &name));
    }
    let t = app.now();
    let id = format!("Profile-{}", uuid::Uuid::new_v4());
    let seq = world.take_seq();
    let profile = TrustedProfile {
        iam_id: format!("iam-{id}"),
        id: id.clone(),
        account_id,
        name,
        description,
        email,
        created_at: t,
        modified_at: t,
        version: 1,
        seq,
        history: vec![history(t, &caller, "create", "Trusted profile created")],
        links: vec![],
        identities: vec![],
        identities_version: 1,
    };
    let out = profile_json(&profile, true);
    let tag = entity_tag(&profile.id, profile.version);
    world.profiles.insert(id, profile);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::CREATED, &tag, out))
}

/// `PUT /v1/profiles/{id}` with `If-Match`: `name` (not empty, unique in the account),
/// `description` and `email` (empty clears them).
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
    let email = opt_string(&body, "email")?;
    if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::missing("name"));
    }
    let new_name = name.clone();
    entity::update_checked::<TrustedProfile>(
        &app,
        &caller,
        &headers,
        &id,
        |world, p| match &new_name {
            Some(n) if *n != p.name && world.profile_by_name(&p.account_id, n).is_some() => {
                Err(name_taken(&p.account_id, n))
            }
            _ => Ok(()),
        },
        |p| {
            if let Some(n) = name {
                p.name = n;
            }
            if let Some(d) = description {
                p.description = Some(d).filter(|d| !d.is_empty());
            }
            if let Some(e) = email {
                p.email = Some(e).filter(|e| !e.is_empty());
            }
        },
    )
}
