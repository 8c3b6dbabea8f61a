//! IAM Policy Management (`{iam}/v1/policies`, `/v2/policies`, `/v2/roles`), IAM Access
//! Groups v2 (`{iam}/v2/groups`) and the account's users (User Management,
//! `{user-management}/v2/accounts/{account}/users`).
//!
//! Policies stay `serde_json::Value` (their shape differs between v1 and v2, and
//! `--output json` prints them as IAM sent them); groups, members, users and roles are typed
//! views that keep every field (`rest`). Updates send the ETag IAM gave with the entity in
//! `If-Match`; creates and deletes are not repeated on a 5xx.

use super::errors::ApiError;
use super::policy::ApiVersion;
use super::{Bearer, Client, IamError, ResourceGroup};
use reqwest::Method;
use reqwest::blocking::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use url::Url;

const GROUPS: &str = "/v2/groups";
/// The Access Groups API's largest page.
const GROUP_PAGE: usize = 100;
/// The Policy Management API's largest page.
const POLICY_PAGE: &str = "100";
/// A listing longer than this many pages means a server that never stops paging.
const MAX_PAGES: usize = 10_000;

/// An access group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessGroup {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub account_id: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A member of an access group: a user, a service ID or a trusted profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    #[serde(default)]
    pub iam_id: String,
    /// `user`, `service` or `profile`.
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A user of an account, as User Management lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    #[serde(default)]
    pub iam_id: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub state: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A role as `/v2/roles` lists it (system, service and custom roles alike).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    /// The role's CRN, its `role_id` in policies.
    #[serde(default)]
    pub crn: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Value>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `/v2/roles`' answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Roles {
    #[serde(default)]
    pub custom_roles: Vec<Role>,
    #[serde(default)]
    pub service_roles: Vec<Role>,
    #[serde(default)]
    pub system_roles: Vec<Role>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl Roles {
    /// Every role with what kind it is: platform (system), service, custom.
    pub fn all(&self) -> impl Iterator<Item = (&'static str, &Role)> {
        self.system_roles
            .iter()
            .map(|r| ("platform", r))
            .chain(self.service_roles.iter().map(|r| ("service", r)))
            .chain(self.custom_roles.iter().map(|r| ("custom", r)))
    }

    /// The role a name given on the command line means: a display name (any case) or a
    /// role CRN.
    pub fn find(&self, given: &str) -> Option<&Role> {
        self.all()
            .map(|(_, r)| r)
            .find(|r| r.crn == given)
            .or_else(|| {
                self.all()
                    .map(|(_, r)| r)
                    .find(|r| r.display_name.eq_ignore_ascii_case(given))
            })
    }
}

/// What `/v2/roles` is asked for.
#[derive(Debug, Default, Clone)]
pub struct RoleQuery<'a> {
    pub account_id: Option<&'a str>,
    pub service_name: Option<&'a str>,
    pub source_service_name: Option<&'a str>,
    pub policy_type: Option<&'a str>,
}

/// Which policies a listing wants.
#[derive(Debug, Default, Clone)]
pub struct PolicyFilter<'a> {
    pub iam_id: Option<&'a str>,
    pub access_group_id: Option<&'a str>,
    /// `access` or `authorization`.
    pub kind: Option<&'a str>,
    /// A field to sort by, `-` before it for descending (IAM sorts across pages).
    pub sort: Option<&'a str>,
}

/// The outcome of adding one member (IAM answers 207 with one per member).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Added {
    #[serde(default)]
    pub iam_id: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub status_code: u16,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Value>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl Added {
    pub fn ok(&self) -> bool {
        self.status_code == 0 || (200..300).contains(&self.status_code)
    }

    /// IAM's message for a member it did not add.
    pub fn message(&self) -> String {
        self.errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A value and the ETag to send back in `If-Match`.
pub struct Etagged<T> {
    pub value: T,
    pub etag: String,
}

fn encode_path(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn unexpected(what: &str, detail: impl std::fmt::Display) -> IamError {
    IamError::Unexpected {
        what: format!("IAM ({what})"),
        detail: detail.to_string(),
    }
}

/// User Management's base URL: IBM serves it on its own host beside `accounts.` (as
/// `user-management.`), any other endpoint (the emulator) on the same origin.
pub fn user_management_url(accounts: &str) -> String {
    match Url::parse(accounts) {
        Ok(u)
            if u.host_str()
                .is_some_and(|h| h.starts_with("accounts.") && h.ends_with("cloud.ibm.com")) =>
        {
            accounts.replacen("://accounts.", "://user-management.", 1)
        }
        _ => accounts.to_string(),
    }
}

/// The policy, access-group and user APIs with one source of access tokens.
pub struct Access<'a> {
    client: &'a Client,
    bearer: &'a dyn Bearer,
}

impl<'a> Access<'a> {
    pub fn new(client: &'a Client, bearer: &'a dyn Bearer) -> Access<'a> {
        Access { client, bearer }
    }

    fn url(&self, base: &str, path: &str, query: &[(&str, &str)]) -> Result<Url, IamError> {
        let mut url = Url::parse(&format!("{base}{path}"))
            .map_err(|e| IamError::Setup(format!("Invalid URL {base}{path}: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    fn iam(&self, path: &str, query: &[(&str, &str)]) -> Result<Url, IamError> {
        self.url(&self.client.endpoints.iam, path, query)
    }

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

    fn etagged<T: for<'de> Deserialize<'de>>(
        resp: Response,
        what: &str,
    ) -> Result<Etagged<T>, IamError> {
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        let value: T = Client::json(resp, what)?;
        // Without an ETag, `*`: the change is made whatever the version (IAM always sends
        // one; a server that does not cannot check either).
        Ok(Etagged {
            value,
            etag: etag.unwrap_or_else(|| "*".to_string()),
        })
    }

    /// A 2xx answer without a body we need.
    fn no_content(resp: Response) -> Result<(), IamError> {
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let body = resp.bytes().unwrap_or_default();
        Err(IamError::Rejected(ApiError::parse(status, &body)))
    }

    // ---- policies -------------------------------------------------------------------------

    /// Every policy of the account that matches `filter`, following `next` to the end.
    pub fn list_policies(
        &self,
        version: ApiVersion,
        account_id: &str,
        filter: &PolicyFilter<'_>,
    ) -> Result<Vec<Value>, IamError> {
        let mut query = vec![("account_id", account_id), ("limit", POLICY_PAGE)];
        if let Some(i) = filter.iam_id {
            query.push(("iam_id", i));
        }
        if let Some(g) = filter.access_group_id {
            query.push(("access_group_id", g));
        }
        if let Some(t) = filter.kind {
            query.push(("type", t));
        }
        if let Some(s) = filter.sort {
            query.push(("sort", s));
        }
        let mut all = Vec::new();
        let mut start: Option<String> = None;
        let mut seen = HashSet::new();
        for _ in 0..MAX_PAGES {
            let mut q = query.clone();
            if let Some(s) = &start {
                q.push(("start", s));
            }
            let resp = self.send(Method::GET, self.iam(version.path(), &q)?, &[], None, true)?;
            let page: Value = Client::json(resp, "policies")?;
            match page.get("policies") {
                Some(Value::Array(list)) => all.extend(list.iter().cloned()),
                None | Some(Value::Null) => {}
                Some(_) => return Err(unexpected("policies", "'policies' is not a list")),
            }
            match next_start(&page) {
                None => return Ok(all),
                Some(s) => {
                    if !seen.insert(s.clone()) {
                        return Err(unexpected("policies", "the same page was offered twice"));
                    }
                    start = Some(s);
                }
            }
        }
        Err(unexpected(
            "policies",
            format!("more than {MAX_PAGES} pages"),
        ))
    }

    pub fn get_policy(&self, version: ApiVersion, id: &str) -> Result<Etagged<Value>, IamError> {
        let url = self.iam(&format!("{}/{}", version.path(), encode_path(id)), &[])?;
        let resp = self.send(Method::GET, url, &[], None, true)?;
        Self::etagged(resp, "policy")
    }

    pub fn create_policy(
        &self,
        version: ApiVersion,
        body: &Value,
    ) -> Result<Etagged<Value>, IamError> {
        let resp = self.send(
            Method::POST,
            self.iam(version.path(), &[])?,
            &[],
            Some(body),
            false,
        )?;
        Self::etagged(resp, "policy")
    }

    pub fn replace_policy(
        &self,
        version: ApiVersion,
        id: &str,
        etag: &str,
        body: &Value,
    ) -> Result<Etagged<Value>, IamError> {
        let url = self.iam(&format!("{}/{}", version.path(), encode_path(id)), &[])?;
        let resp = self.send(Method::PUT, url, &[("If-Match", etag)], Some(body), false)?;
        Self::etagged(resp, "policy")
    }

    pub fn delete_policy(&self, version: ApiVersion, id: &str) -> Result<(), IamError> {
        let url = self.iam(&format!("{}/{}", version.path(), encode_path(id)), &[])?;
        Self::no_content(self.send(Method::DELETE, url, &[], None, false)?)
    }

    pub fn roles(&self, q: &RoleQuery<'_>) -> Result<Roles, IamError> {
        let mut query = Vec::new();
        for (k, v) in [
            ("account_id", q.account_id),
            ("service_name", q.service_name),
            ("source_service_name", q.source_service_name),
            ("policy_type", q.policy_type),
        ] {
            if let Some(v) = v {
                query.push((k, v));
            }
        }
        let resp = self.send(Method::GET, self.iam("/v2/roles", &query)?, &[], None, true)?;
        Client::json(resp, "roles")
    }

    /// Creates a custom role (`POST /v2/roles`); its answer as IAM sent it.
    pub fn create_role(&self, body: &Value) -> Result<Value, IamError> {
        let resp = self.send(
            Method::POST,
            self.iam("/v2/roles", &[])?,
            &[],
            Some(body),
            false,
        )?;
        Client::json(resp, "role")
    }

    // ---- access groups --------------------------------------------------------------------

    /// The account's access groups; with `iam_id`, only those it is a member of.
    pub fn list_groups(
        &self,
        account_id: &str,
        iam_id: Option<&str>,
    ) -> Result<Vec<AccessGroup>, IamError> {
        let mut q = vec![("account_id", account_id)];
        if let Some(i) = iam_id {
            q.push(("iam_id", i));
        }
        self.paged(GROUPS, &q, "groups")
    }

    pub fn get_group(&self, id: &str) -> Result<Etagged<AccessGroup>, IamError> {
        let url = self.iam(&format!("{GROUPS}/{}", encode_path(id)), &[])?;
        let resp = self.send(Method::GET, url, &[], None, true)?;
        Self::etagged(resp, "access group")
    }

    pub fn create_group(
        &self,
        account_id: &str,
        name: &str,
        description: Option<&str>,
    ) -> Result<AccessGroup, IamError> {
        let mut body = json!({ "name": name });
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        let url = self.iam(GROUPS, &[("account_id", account_id)])?;
        let resp = self.send(Method::POST, url, &[], Some(&body), false)?;
        Client::json(resp, "access group")
    }

    pub fn update_group(
        &self,
        id: &str,
        etag: &str,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<AccessGroup, IamError> {
        let mut body = json!({});
        if let Some(n) = name {
            body["name"] = json!(n);
        }
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        let url = self.iam(&format!("{GROUPS}/{}", encode_path(id)), &[])?;
        let resp = self.send(
            Method::PATCH,
            url,
            &[("If-Match", etag)],
            Some(&body),
            false,
        )?;
        Client::json(resp, "access group")
    }

    /// Deletes a group; `force` deletes it even when it has members.
    pub fn delete_group(&self, id: &str, force: bool) -> Result<(), IamError> {
        let q: &[(&str, &str)] = if force { &[("force", "true")] } else { &[] };
        let url = self.iam(&format!("{GROUPS}/{}", encode_path(id)), q)?;
        Self::no_content(self.send(Method::DELETE, url, &[], None, false)?)
    }

    /// A group's members of one kind (`user`, `service`, `profile`), with names.
    pub fn list_members(&self, group_id: &str, kind: &str) -> Result<Vec<Member>, IamError> {
        let path = format!("{GROUPS}/{}/members", encode_path(group_id));
        self.paged(&path, &[("type", kind), ("verbose", "true")], "members")
    }

    pub fn add_members(
        &self,
        group_id: &str,
        members: &[(String, &str)],
    ) -> Result<Vec<Added>, IamError> {
        let body = json!({
            "members": members
                .iter()
                .map(|(iam_id, kind)| json!({ "iam_id": iam_id, "type": kind }))
                .collect::<Vec<_>>()
        });
        let url = self.iam(&format!("{GROUPS}/{}/members", encode_path(group_id)), &[])?;
        // Adding the same members again changes nothing: safe to repeat.
        let resp = self.send(Method::PUT, url, &[], Some(&body), true)?;
        let page: Value = Client::json(resp, "members")?;
        super::identity::items(&page, "members")
    }

    pub fn remove_member(&self, group_id: &str, iam_id: &str) -> Result<(), IamError> {
        let path = format!(
            "{GROUPS}/{}/members/{}",
            encode_path(group_id),
            encode_path(iam_id)
        );
        Self::no_content(self.send(Method::DELETE, self.iam(&path, &[])?, &[], None, false)?)
    }

    /// Removes an identity from every access group of the account.
    pub fn remove_from_all(&self, account_id: &str, iam_id: &str) -> Result<(), IamError> {
        let path = format!("{GROUPS}/_allgroups/members/{}", encode_path(iam_id));
        let url = self.iam(&path, &[("account_id", account_id)])?;
        Self::no_content(self.send(Method::DELETE, url, &[], None, false)?)
    }

    /// Every item of an offset-paged Access Groups listing.
    fn paged<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        field: &str,
    ) -> Result<Vec<T>, IamError> {
        let mut items: Vec<T> = Vec::new();
        let limit = GROUP_PAGE.to_string();
        for _ in 0..MAX_PAGES {
            let offset = items.len().to_string();
            let mut q = query.to_vec();
            q.push(("limit", &limit));
            q.push(("offset", &offset));
            let resp = self.send(Method::GET, self.iam(path, &q)?, &[], None, true)?;
            let page: Value = Client::json(resp, field)?;
            let got: Vec<T> = super::identity::items(&page, field)?;
            let n = got.len();
            items.extend(got);
            let total = page.get("total_count").and_then(Value::as_u64);
            let more = match total {
                Some(t) => (items.len() as u64) < t,
                None => page.get("next").is_some_and(|n| !n.is_null()),
            };
            if n == 0 || !more {
                return Ok(items);
            }
        }
        Err(unexpected(field, format!("more than {MAX_PAGES} pages")))
    }

    // ---- users and resource groups --------------------------------------------------------

    /// The account's users (User Management), following `next_url`.
    pub fn list_users(&self, account_id: &str) -> Result<Vec<User>, IamError> {
        let base = user_management_url(&self.client.endpoints.accounts);
        let path = format!("/v2/accounts/{}/users", encode_path(account_id));
        let mut users = Vec::new();
        let mut url = self.url(&base, &path, &[("limit", "100")])?;
        let mut seen = HashSet::new();
        for _ in 0..MAX_PAGES {
            let resp = self.send(Method::GET, url.clone(), &[], None, true)?;
            let page: Value = Client::json(resp, "users")?;
            users.extend(super::identity::items::<User>(&page, "resources")?);
            let Some(next) = page
                .get("next_url")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
            else {
                return Ok(users);
            };
            if !seen.insert(next.to_string()) {
                return Err(unexpected("users", "the same page was offered twice"));
            }
            // Only the path and query of the link: the token stays with our endpoint.
            let joined = Url::parse(&base)
                .and_then(|b| b.join(next))
                .map_err(|e| unexpected("users", e))?;
            url = self.url(&base, joined.path(), &[])?;
            url.set_query(joined.query());
        }
        Err(unexpected("users", format!("more than {MAX_PAGES} pages")))
    }

    pub fn resource_groups(&self, account_id: &str) -> Result<Vec<ResourceGroup>, IamError> {
        self.client.resource_groups(self.bearer, account_id)
    }
}

/// The page token of a policy listing's `next` (`{"start": ...}` or a `href` with `start=`).
fn next_start(page: &Value) -> Option<String> {
    let next = page.get("next")?;
    if let Some(s) = next.get("start").and_then(Value::as_str) {
        return Some(s.to_string()).filter(|s| !s.is_empty());
    }
    let href = next.get("href").and_then(Value::as_str).or(next.as_str())?;
    let url = Url::parse("http://localhost/").ok()?.join(href).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "start")
        .map(|(_, v)| v.into_owned())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_management_lives_beside_the_account_service() {
        assert_eq!(
            user_management_url("https://accounts.cloud.ibm.com"),
            "https://user-management.cloud.ibm.com"
        );
        assert_eq!(
            user_management_url("https://accounts.test.cloud.ibm.com"),
            "https://user-management.test.cloud.ibm.com"
        );
        assert_eq!(
            user_management_url("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn policy_pages_continue_from_start() {
        assert_eq!(
            next_start(
                &json!({"next": {"href": "https://iam/v1/policies?start=abc&limit=1", "start": "abc"}})
            ),
            Some("abc".into())
        );
        assert_eq!(
            next_start(&json!({"next": {"href": "/v2/policies?account_id=a&start=xyz"}})),
            Some("xyz".into())
        );
        assert_eq!(next_start(&json!({"policies": []})), None);
    }

    #[test]
    fn roles_are_found_by_name_in_any_case_or_by_crn() {
        let roles: Roles = serde_json::from_value(json!({
            "system_roles": [{"display_name": "Viewer", "crn": "crn:v1:bluemix:public:iam::::role:Viewer"}],
            "service_roles": [{"display_name": "Writer", "crn": "crn:v1:bluemix:public:iam::::serviceRole:Writer"}],
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            roles.find("writer").map(|r| r.crn.as_str()),
            Some("crn:v1:bluemix:public:iam::::serviceRole:Writer")
        );
        assert_eq!(
            roles
                .find("crn:v1:bluemix:public:iam::::role:Viewer")
                .map(|r| r.display_name.as_str()),
            Some("Viewer")
        );
        assert!(roles.find("Manager").is_none());
        assert_eq!(roles.all().count(), 2);
    }
}
