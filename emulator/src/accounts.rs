//! The account service (`GET /coe/v2/accounts`) and the resource controller's resource groups
//! (`GET /v2/resource_groups`), both limited to what the caller belongs to.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::app::{App, read};
use crate::http::caller::Caller;
use crate::http::errors::{ApiError, ApiResult};
use crate::model::clock::timestamp;
use crate::model::world::{Account, ResourceGroup};

/// Resource controller and account service timestamps (`2024-01-15T10:00:00.000Z`).
fn iso_millis(secs: i64) -> String {
    timestamp(secs)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn account_json(a: &Account) -> Value {
    let linked: Vec<Value> = a
        .ims
        .iter()
        .map(|ims| json!({"origin": "IMS", "id": ims}))
        .collect();
    json!({
        "metadata": {
            "guid": a.id,
            "url": format!("/coe/v2/accounts/{}", a.id),
            "created_at": iso_millis(a.created_at),
            "updated_at": iso_millis(a.created_at),
            "linked_accounts": linked,
        },
        "entity": {
            "name": a.name,
            "type": "PAYG",
            "state": "ACTIVE",
            "owner": a.owner_email,
            "owner_userid": a.owner_email,
            "owner_unique_id": a.owner_iam_id.strip_prefix("IBMid-").unwrap_or(&a.owner_iam_id),
            "owner_iam_id": a.owner_iam_id,
            "customer_id": a.ims.clone().unwrap_or_default(),
            "country_code": "USA",
            "currency_code": "USD",
            "billing_country_code": "USA",
            "isIBMer": false,
            "terms_and_conditions": {"required": false, "accepted": true},
            "tags": [],
            "team_directory_enabled": true,
            "organizations_region": [],
            "linkages": linked,
            "bluemix_subscriptions": [],
            "subscription_id": "",
            "configuration_id": null,
            "onboarded": 0,
            "origin": "BSS",
        }
    })
}

pub async fn list_accounts(State(app): State<Arc<App>>, caller: Caller) -> ApiResult {
    let world = read(&app.world);
    let resources: Vec<Value> = world
        .accounts
        .iter()
        .filter(|a| caller.accounts.contains(&a.id))
        .map(account_json)
        .collect();
    Ok(axum::Json(json!({
        "next_url": null,
        "total_results": resources.len(),
        "resources": resources,
    }))
    .into_response())
}

pub async fn get_account(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    let world = read(&app.world);
    let account = world
        .account(&id)
        .ok_or_else(|| ApiError::not_found("Account", &id))?;
    if !caller.accounts.contains(&account.id) {
        return Err(ApiError::forbidden(format!(
            "You do not belong to account '{id}'."
        )));
    }
    Ok(axum::Json(account_json(account)).into_response())
}

fn group_json(g: &ResourceGroup) -> Value {
    json!({
        "id": g.id,
        "crn": format!("crn:v1:bluemix:public:resource-controller::a/{}::resource-group:{}", g.account_id, g.id),
        "account_id": g.account_id,
        "name": g.name,
        "state": "ACTIVE",
        "default": g.default,
        "enable_reclamation": false,
        "quota_id": "a3d7b8d01e261c24677937c29ab33f3c",
        "quota_url": "/v2/quota_definitions/a3d7b8d01e261c24677937c29ab33f3c",
        "payment_methods_url": format!("/v2/resource_groups/{}/payment_methods", g.id),
        "resource_linkages": [],
        "teams_url": format!("/v2/resource_groups/{}/teams", g.id),
        "created_at": iso_millis(g.created_at),
        "updated_at": iso_millis(g.created_at),
    })
}

pub async fn list_resource_groups(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    // Without account_id the resource controller answers for the token's account.
    let account_id = q
        .get("account_id")
        .filter(|a| !a.is_empty())
        .cloned()
        .unwrap_or_else(|| caller.account_id.clone());
    if !caller.accounts.contains(&account_id) {
        return Err(ApiError::forbidden(format!(
            "You are not authorized to list resource groups of account '{account_id}'."
        )));
    }
    let default_filter = match q.get("default").map(String::as_str) {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{other}' for 'default'; expected true or false."
            )));
        }
    };
    let name = q.get("name").filter(|n| !n.is_empty());
    let world = read(&app.world);
    let resources: Vec<Value> = world
        .resource_groups
        .iter()
        .filter(|g| g.account_id == account_id)
        .filter(|g| default_filter.is_none_or(|d| g.default == d))
        .filter(|g| name.is_none_or(|n| &g.name == n))
        .map(group_json)
        .collect();
    Ok(axum::Json(json!({ "resources": resources })).into_response())
}

pub async fn get_resource_group(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    let world = read(&app.world);
    let group = world
        .resource_groups
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| ApiError::not_found("Resource group", &id))?;
    if !caller.accounts.contains(&group.account_id) {
        return Err(ApiError::forbidden(format!(
            "You are not authorized to read resource group '{id}'."
        )));
    }
    Ok(axum::Json(group_json(group)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_with_milliseconds() {
        assert_eq!(iso_millis(1_705_312_800), "2024-01-15T10:00:00.000Z");
    }
}
