//! IAM Identity v1: the routes of service IDs, API keys and trusted profiles (with their links
//! and trusted identities). What the kinds share (lookup for the caller, ETag and If-Match,
//! delete, lock, history, lists) is written once in `entity`; each kind's file holds only what
//! is its own.

mod api_keys;
mod entity;
pub(crate) mod pagination;
mod profile_identities;
mod profile_links;
mod profiles;
mod service_ids;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::app::App;
use crate::model::world::{ApiKey, ServiceId, TrustedProfile};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/v1/serviceids",
            get(service_ids::list).post(service_ids::create),
        )
        .route(
            "/v1/serviceids/",
            get(service_ids::list).post(service_ids::create),
        )
        .route(
            "/v1/serviceids/{id}",
            get(entity::get::<ServiceId>)
                .put(service_ids::update)
                .delete(entity::delete::<ServiceId>),
        )
        .route(
            "/v1/serviceids/{id}/lock",
            post(entity::lock::<ServiceId>).delete(entity::unlock::<ServiceId>),
        )
        .route("/v1/apikeys", get(api_keys::list).post(api_keys::create))
        .route("/v1/apikeys/", get(api_keys::list).post(api_keys::create))
        .route("/v1/apikeys/details", get(api_keys::details))
        .route(
            "/v1/apikeys/{id}",
            get(entity::get::<ApiKey>)
                .put(api_keys::update)
                .delete(entity::delete::<ApiKey>),
        )
        .route(
            "/v1/apikeys/{id}/lock",
            post(entity::lock::<ApiKey>).delete(entity::unlock::<ApiKey>),
        )
        .route(
            "/v1/apikeys/{id}/disable",
            post(api_keys::disable).delete(api_keys::enable),
        )
        .route("/v1/profiles", get(profiles::list).post(profiles::create))
        .route("/v1/profiles/", get(profiles::list).post(profiles::create))
        .route(
            "/v1/profiles/{id}",
            get(entity::get::<TrustedProfile>)
                .put(profiles::update)
                .delete(entity::delete::<TrustedProfile>),
        )
        .route(
            "/v1/profiles/{id}/links",
            get(profile_links::list)
                .post(profile_links::create)
                .delete(profile_links::delete_by_parameters),
        )
        .route(
            "/v1/profiles/{id}/links/{link_id}",
            get(profile_links::get).delete(profile_links::delete),
        )
        .route(
            "/v1/profiles/{id}/identities",
            get(profile_identities::list).put(profile_identities::replace),
        )
        .route(
            "/v1/profiles/{id}/identities/{kind}",
            post(profile_identities::add),
        )
        .route(
            "/v1/profiles/{id}/identities/{kind}/{identifier}",
            get(profile_identities::get).delete(profile_identities::delete),
        )
}
