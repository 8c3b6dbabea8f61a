//! IAM Identity v1 (`{iam}/v1/...`): service IDs, API keys, and trusted profiles with their
//! compute-resource links and trusted identities.
//!
//! Typed views of the entities keep every field IAM sent (`rest`), so `--output json` prints
//! the API object unchanged. Lists follow `next` to the end; updates send the entity's ETag in
//! `If-Match`, so a change made meanwhile by someone else is reported instead of overwritten.

use super::errors::ApiError;
use super::{Bearer, Client, IamError};
use reqwest::Method;
use reqwest::blocking::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use url::Url;

/// IAM's maximum page size: fewest round trips for long lists.
const PAGE_SIZE: &str = "100";
const SERVICE_IDS: &str = "/v1/serviceids";
const API_KEYS: &str = "/v1/apikeys";
const PROFILES: &str = "/v1/profiles";
/// A listing longer than this many pages means a server that never stops answering `next`.
const MAX_PAGES: usize = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceId {
    pub id: String,
    #[serde(default)]
    pub iam_id: String,
    #[serde(default)]
    pub entity_tag: String,
    #[serde(default)]
    pub crn: String,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub modified_at: String,
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// What an update of a service ID, API key or trusted profile changes: the fields given.
#[derive(Debug, Default, Clone, Copy)]
pub struct Changes<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    /// Trusted profiles only.
    pub email: Option<&'a str>,
    /// API keys only.
    pub action_when_leaked: Option<&'a str>,
}

/// An API key. No `Debug`: a freshly created one holds the secret.
#[derive(Clone, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    #[serde(default)]
    pub entity_tag: String,
    #[serde(default)]
    pub crn: String,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub modified_at: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub iam_id: String,
    #[serde(default)]
    pub account_id: String,
    /// The secret: only in the create response (IAM sends `""` or nothing otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apikey: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl ApiKey {
    pub fn secret(&self) -> Option<&str> {
        self.apikey.as_deref().filter(|s| !s.is_empty())
    }
}

/// A trusted profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrustedProfile {
    pub id: String,
    #[serde(default)]
    pub entity_tag: String,
    #[serde(default)]
    pub crn: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub iam_id: String,
    #[serde(default)]
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub modified_at: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A trusted profile's link to a compute resource (a Kubernetes service account, a Code
/// Engine app, a virtual server).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileLink {
    pub id: String,
    #[serde(default)]
    pub entity_tag: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub cr_type: String,
    #[serde(default)]
    pub link: LinkTarget,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub modified_at: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LinkTarget {
    #[serde(default)]
    pub crn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An identity a trusted profile lets assume it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileIdentity {
    #[serde(default)]
    pub iam_id: String,
    #[serde(default)]
    pub identifier: String,
    /// `user`, `serviceid` or `crn`.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// What `POST /v1/profiles/{id}/links` needs.
pub struct NewLink<'a> {
    pub name: &'a str,
    pub cr_type: &'a str,
    pub crn: &'a str,
    pub namespace: Option<&'a str>,
    pub component_name: Option<&'a str>,
}

/// An entity with the ETag to send back in `If-Match`.
pub struct Tagged<T> {
    pub value: T,
    pub etag: String,
}

/// What `POST /v1/apikeys` needs.
pub struct NewApiKey<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub iam_id: &'a str,
    pub account_id: &'a str,
    pub action_when_leaked: Option<&'a str>,
    pub lock: bool,
}

/// The v1 API with one source of access tokens.
pub struct Identity<'a> {
    client: &'a Client,
    bearer: &'a dyn Bearer,
}

fn encode_path(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The `pagetoken` of a `next` link (absolute or relative).
fn page_token(next: &str) -> Option<String> {
    let base = Url::parse("http://localhost/").ok()?;
    let url = base.join(next).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "pagetoken")
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty())
}

fn unexpected(what: &str, detail: impl std::fmt::Display) -> IamError {
    IamError::Unexpected {
        what: format!("IAM ({what})"),
        detail: detail.to_string(),
    }
}

impl<'a> Identity<'a> {
    pub fn new(client: &'a Client, bearer: &'a dyn Bearer) -> Identity<'a> {
        Identity { client, bearer }
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url, IamError> {
        let mut url = Url::parse(&format!("{}{path}", self.client.endpoints.iam)).map_err(|e| {
            IamError::Setup(format!(
                "Invalid IAM URL {}{path}: {e}",
                self.client.endpoints.iam
            ))
        })?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// One request. Creating and deleting are not repeated on a 5xx: a create that IAM
    /// carried out but answered badly would otherwise make a second key. A 401 is repeated
    /// once with a renewed token (`Client::send_as`).
    fn send(
        &self,
        method: Method,
        url: Url,
        headers: &[(&str, &str)],
        body: Option<&Value>,
        retryable: bool,
    ) -> Result<Response, IamError> {
        let build = |token: &str| {
            let mut builder = self
                .client
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token)
                .header(reqwest::header::ACCEPT, "application/json");
            for (k, v) in headers {
                builder = builder.header(*k, *v);
            }
            if let Some(b) = body {
                builder = builder
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(b.to_string());
            }
            builder
        };
        self.client.send_as(self.bearer, build, retryable)
    }

    fn tagged<T: for<'de> Deserialize<'de>>(
        resp: Response,
        what: &str,
        tag_of: impl Fn(&T) -> String,
    ) -> Result<Tagged<T>, IamError> {
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let value: T = Client::json(resp, what)?;
        let etag = etag
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| tag_of(&value));
        Ok(Tagged { value, etag })
    }

    /// A 2xx answer without a body we need (204 of delete, lock, unlock).
    fn no_content(resp: Response) -> Result<(), IamError> {
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let body = super::read_body(resp)?;
        Err(IamError::Rejected(ApiError::parse(status, &body)))
    }

    /// Every item of a listing: pages of 100, following `next` until IAM gives none.
    fn list_all<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        field: &str,
    ) -> Result<Vec<T>, IamError> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        for _ in 0..MAX_PAGES {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("pagesize", PAGE_SIZE));
            if let Some(t) = &token {
                q.push(("pagetoken", t));
            }
            let resp = self.send(Method::GET, self.url(path, &q)?, &[], None, true)?;
            let page: Value = Client::json(resp, field)?;
            let (list, next) = read_page(&page, field)?;
            items.extend(list);
            match next {
                None => return Ok(items),
                Some(t) => {
                    if !seen.insert(t.clone()) {
                        return Err(unexpected(field, "the same page was offered twice"));
                    }
                    token = Some(t);
                }
            }
        }
        Err(unexpected(
            field,
            format!("more than {MAX_PAGES} pages; giving up"),
        ))
    }

    // ---- service IDs ------------------------------------------------------------------

    /// The account's service IDs, optionally only those with exactly this name.
    pub fn list_service_ids(
        &self,
        account_id: &str,
        name: Option<&str>,
    ) -> Result<Vec<ServiceId>, IamError> {
        let mut q = vec![("account_id", account_id)];
        if let Some(n) = name {
            q.push(("name", n));
        }
        let mut all: Vec<ServiceId> = self.list_all("/v1/serviceids/", &q, "serviceids")?;
        // IAM filters by name itself; checking again costs nothing and keeps a lenient
        // server from turning a name into the wrong entity.
        if let Some(n) = name {
            all.retain(|s| s.name == n);
        }
        Ok(all)
    }

    pub fn get_service_id(&self, id: &str) -> Result<Tagged<ServiceId>, IamError> {
        self.get_entity(SERVICE_IDS, id, "service ID", |s: &ServiceId| {
            s.entity_tag.clone()
        })
    }

    pub fn create_service_id(
        &self,
        account_id: &str,
        name: &str,
        description: Option<&str>,
        lock: bool,
    ) -> Result<ServiceId, IamError> {
        let mut body = json!({ "account_id": account_id, "name": name });
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        // IBM's SDKs create service IDs at the collection path with its trailing slash.
        self.create_entity("/v1/serviceids/", &body, lock, "service ID")
    }

    pub fn update_service_id(
        &self,
        id: &str,
        etag: &str,
        changes: &Changes<'_>,
    ) -> Result<ServiceId, IamError> {
        self.update_entity(SERVICE_IDS, id, etag, changes, "service ID")
    }

    pub fn delete_service_id(&self, id: &str) -> Result<(), IamError> {
        self.delete_entity(SERVICE_IDS, id)
    }

    pub fn set_service_id_lock(&self, id: &str, lock: bool) -> Result<(), IamError> {
        self.set_entity_lock(SERVICE_IDS, id, lock)
    }

    // ---- API keys -----------------------------------------------------------------------

    /// The API keys of one identity (a user or a service ID) in an account.
    pub fn list_api_keys(&self, account_id: &str, iam_id: &str) -> Result<Vec<ApiKey>, IamError> {
        let q = [
            ("account_id", account_id),
            ("iam_id", iam_id),
            ("scope", "entity"),
        ];
        let mut all: Vec<ApiKey> = self.list_all(API_KEYS, &q, "apikeys")?;
        all.retain(|k| k.iam_id.is_empty() || k.iam_id == iam_id);
        Ok(all)
    }

    pub fn get_api_key(&self, id: &str) -> Result<Tagged<ApiKey>, IamError> {
        self.get_entity(API_KEYS, id, "API key", |k: &ApiKey| k.entity_tag.clone())
    }

    pub fn create_api_key(&self, new: &NewApiKey<'_>) -> Result<ApiKey, IamError> {
        let mut body = json!({
            "name": new.name,
            "iam_id": new.iam_id,
            "account_id": new.account_id,
        });
        if let Some(d) = new.description {
            body["description"] = json!(d);
        }
        if let Some(a) = new.action_when_leaked {
            body["action_when_leaked"] = json!(a);
        }
        self.create_entity(API_KEYS, &body, new.lock, "API key")
    }

    pub fn update_api_key(
        &self,
        id: &str,
        etag: &str,
        changes: &Changes<'_>,
    ) -> Result<ApiKey, IamError> {
        self.update_entity(API_KEYS, id, etag, changes, "API key")
    }

    pub fn delete_api_key(&self, id: &str) -> Result<(), IamError> {
        self.delete_entity(API_KEYS, id)
    }

    pub fn set_api_key_lock(&self, id: &str, lock: bool) -> Result<(), IamError> {
        self.set_entity_lock(API_KEYS, id, lock)
    }

    /// `POST /v1/apikeys/{id}/disable` disables a key, `DELETE` of it enables it again.
    pub fn set_api_key_disabled(&self, id: &str, disabled: bool) -> Result<(), IamError> {
        let url = self.entity_url(API_KEYS, id, "/disable")?;
        let method = if disabled {
            Method::POST
        } else {
            Method::DELETE
        };
        Self::no_content(self.send(method, url, &[], None, true)?)
    }

    /// Every API key of every service ID of an account (`scope=account`, `type=serviceid`).
    pub fn list_service_id_api_keys(&self, account_id: &str) -> Result<Vec<ApiKey>, IamError> {
        let q = [
            ("account_id", account_id),
            ("scope", "account"),
            ("type", "serviceid"),
        ];
        self.list_all(API_KEYS, &q, "apikeys")
    }

    // ---- trusted profiles -------------------------------------------------------------------

    /// The account's trusted profiles, optionally only the one with this name.
    pub fn list_profiles(
        &self,
        account_id: &str,
        name: Option<&str>,
    ) -> Result<Vec<TrustedProfile>, IamError> {
        let mut q = vec![("account_id", account_id)];
        if let Some(n) = name {
            q.push(("name", n));
        }
        let mut all: Vec<TrustedProfile> = self.list_all(PROFILES, &q, "profiles")?;
        if let Some(n) = name {
            all.retain(|p| p.name == n);
        }
        Ok(all)
    }

    pub fn get_profile(&self, id: &str) -> Result<Tagged<TrustedProfile>, IamError> {
        self.get_entity(PROFILES, id, "trusted profile", |p: &TrustedProfile| {
            p.entity_tag.clone()
        })
    }

    pub fn create_profile(
        &self,
        account_id: &str,
        name: &str,
        description: Option<&str>,
        email: Option<&str>,
    ) -> Result<TrustedProfile, IamError> {
        let mut body = json!({ "account_id": account_id, "name": name });
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        if let Some(e) = email {
            body["email"] = json!(e);
        }
        let resp = self.send(
            Method::POST,
            self.url(PROFILES, &[])?,
            &[],
            Some(&body),
            false,
        )?;
        Client::json(resp, "trusted profile")
    }

    pub fn update_profile(
        &self,
        id: &str,
        etag: &str,
        changes: &Changes<'_>,
    ) -> Result<TrustedProfile, IamError> {
        self.update_entity(PROFILES, id, etag, changes, "trusted profile")
    }

    pub fn delete_profile(&self, id: &str) -> Result<(), IamError> {
        self.delete_entity(PROFILES, id)
    }

    pub fn list_links(&self, profile_id: &str) -> Result<Vec<ProfileLink>, IamError> {
        let url = self.entity_url(PROFILES, profile_id, "/links")?;
        let resp = self.send(Method::GET, url, &[], None, true)?;
        let page: Value = Client::json(resp, "links")?;
        items(&page, "links")
    }

    pub fn create_link(
        &self,
        profile_id: &str,
        new: &NewLink<'_>,
    ) -> Result<ProfileLink, IamError> {
        let mut link = json!({ "crn": new.crn });
        if let Some(ns) = new.namespace {
            link["namespace"] = json!(ns);
        }
        if let Some(n) = new.component_name {
            link["name"] = json!(n);
        }
        let body = json!({ "name": new.name, "cr_type": new.cr_type, "link": link });
        let url = self.entity_url(PROFILES, profile_id, "/links")?;
        let resp = self.send(Method::POST, url, &[], Some(&body), false)?;
        Client::json(resp, "link")
    }

    pub fn delete_link(&self, profile_id: &str, link_id: &str) -> Result<(), IamError> {
        let url = self.entity_url(
            PROFILES,
            profile_id,
            &format!("/links/{}", encode_path(link_id)),
        )?;
        Self::no_content(self.send(Method::DELETE, url, &[], None, false)?)
    }

    pub fn list_identities(&self, profile_id: &str) -> Result<Vec<ProfileIdentity>, IamError> {
        let url = self.entity_url(PROFILES, profile_id, "/identities")?;
        let resp = self.send(Method::GET, url, &[], None, true)?;
        let page: Value = Client::json(resp, "identities")?;
        items(&page, "identities")
    }

    /// Lets an identity (`user`, `serviceid` or `crn`) assume the profile.
    pub fn add_identity(
        &self,
        profile_id: &str,
        identity: &ProfileIdentity,
    ) -> Result<ProfileIdentity, IamError> {
        let mut body = json!({ "identifier": identity.identifier, "type": identity.kind });
        if !identity.accounts.is_empty() {
            body["accounts"] = json!(identity.accounts);
        }
        if let Some(d) = &identity.description {
            body["description"] = json!(d);
        }
        let suffix = format!("/identities/{}", encode_path(&identity.kind));
        let url = self.entity_url(PROFILES, profile_id, &suffix)?;
        let resp = self.send(Method::POST, url, &[], Some(&body), false)?;
        Client::json(resp, "identity")
    }

    /// One identity that may assume the profile, by its type and identifier.
    pub fn get_identity(
        &self,
        profile_id: &str,
        kind: &str,
        identifier: &str,
    ) -> Result<ProfileIdentity, IamError> {
        let url = self.identity_url(profile_id, kind, identifier)?;
        let resp = self.send(Method::GET, url, &[], None, true)?;
        Client::json(resp, "identity")
    }

    fn identity_url(
        &self,
        profile_id: &str,
        kind: &str,
        identifier: &str,
    ) -> Result<Url, IamError> {
        let suffix = format!(
            "/identities/{}/{}",
            encode_path(kind),
            encode_path(identifier)
        );
        self.entity_url(PROFILES, profile_id, &suffix)
    }

    pub fn delete_identity(
        &self,
        profile_id: &str,
        kind: &str,
        identifier: &str,
    ) -> Result<(), IamError> {
        let url = self.identity_url(profile_id, kind, identifier)?;
        Self::no_content(self.send(Method::DELETE, url, &[], None, false)?)
    }

    // ---- What service IDs and API keys share ----------------------------------------------
    // Both collections have the same shapes: GET with an ETag, POST with `Entity-Lock`, PUT
    // of name/description with `If-Match`, DELETE, and POST/DELETE of `/lock`.

    fn entity_url(&self, collection: &str, id: &str, suffix: &str) -> Result<Url, IamError> {
        self.url(&format!("{collection}/{}{suffix}", encode_path(id)), &[])
    }

    fn get_entity<T: for<'de> Deserialize<'de>>(
        &self,
        collection: &str,
        id: &str,
        what: &str,
        tag: impl Fn(&T) -> String,
    ) -> Result<Tagged<T>, IamError> {
        let url = self.entity_url(collection, id, "")?;
        let resp = self.send(Method::GET, url, &[], None, true)?;
        Self::tagged(resp, what, tag)
    }

    fn create_entity<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        body: &Value,
        lock: bool,
        what: &str,
    ) -> Result<T, IamError> {
        let url = self.url(path, &[])?;
        let lock = if lock { "true" } else { "false" };
        let resp = self.send(
            Method::POST,
            url,
            &[("Entity-Lock", lock)],
            Some(body),
            false,
        )?;
        Client::json(resp, what)
    }

    fn update_entity<T: for<'de> Deserialize<'de>>(
        &self,
        collection: &str,
        id: &str,
        etag: &str,
        changes: &Changes<'_>,
        what: &str,
    ) -> Result<T, IamError> {
        let mut body = json!({});
        let fields = [
            ("name", changes.name),
            ("description", changes.description),
            ("email", changes.email),
            ("action_when_leaked", changes.action_when_leaked),
        ];
        for (field, value) in fields {
            if let Some(v) = value {
                body[field] = json!(v);
            }
        }
        let url = self.entity_url(collection, id, "")?;
        let resp = self.send(Method::PUT, url, &[("If-Match", etag)], Some(&body), false)?;
        Client::json(resp, what)
    }

    fn delete_entity(&self, collection: &str, id: &str) -> Result<(), IamError> {
        let url = self.entity_url(collection, id, "")?;
        Self::no_content(self.send(Method::DELETE, url, &[], None, false)?)
    }

    fn set_entity_lock(&self, collection: &str, id: &str, lock: bool) -> Result<(), IamError> {
        let url = self.entity_url(collection, id, "/lock")?;
        let method = if lock { Method::POST } else { Method::DELETE };
        Self::no_content(self.send(method, url, &[], None, true)?)
    }
}

/// The list under `field` of an answer that is not paged.
/// One page of a listing: its items, and the page token of the next page if there is one.
pub fn read_page<T: for<'de> Deserialize<'de>>(
    page: &Value,
    field: &str,
) -> Result<(Vec<T>, Option<String>), IamError> {
    let items = items(page, field)?;
    let next = match page
        .get("next")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        None => None,
        // Only the page token is taken from the link: the bearer token goes to the
        // configured IAM host and nowhere a response names.
        Some(link) => Some(
            page_token(link)
                .ok_or_else(|| unexpected(field, "a 'next' link without a pagetoken"))?,
        ),
    };
    Ok((items, next))
}

pub fn items<T: for<'de> Deserialize<'de>>(page: &Value, field: &str) -> Result<Vec<T>, IamError> {
    match page.get(field) {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| serde_json::from_value(v.clone()).map_err(|e| unexpected(field, e)))
            .collect(),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(_) => Err(unexpected(field, format!("'{field}' is not a list"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_come_from_absolute_and_relative_links() {
        assert_eq!(
            page_token("https://iam.cloud.ibm.com/v1/serviceids/?pagetoken=abc%3D&pagesize=20"),
            Some("abc=".to_string())
        );
        assert_eq!(
            page_token("/v1/apikeys?pagesize=5&pagetoken=xyz"),
            Some("xyz".into())
        );
        assert_eq!(page_token("/v1/apikeys?pagesize=5"), None);
    }

    #[test]
    fn entities_keep_every_field_for_json_output() {
        let raw = json!({
            "id": "ServiceId-1", "iam_id": "iam-ServiceId-1", "entity_tag": "1-a",
            "crn": "crn:x", "locked": false, "created_at": "2026-01-01T00:00+0000",
            "modified_at": "2026-01-01T00:00+0000", "account_id": "acc", "name": "n",
            "unique_instance_crns": [], "history": [{"action": "create"}]
        });
        let s: ServiceId = serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(serde_json::to_value(&s).ok(), Some(raw));
        let key: ApiKey = serde_json::from_value(json!({"id": "ApiKey-1", "apikey": ""}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key.secret(), None);
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(encode_path("ServiceId-1"), "ServiceId-1");
        assert_eq!(encode_path("a/b c"), "a%2Fb%20c");
    }
}
