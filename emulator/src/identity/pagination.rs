//! Listing parameters, page tokens, sorting and the page envelope of every v1 list.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::errors::ApiError;
use crate::http::params::query_flag;

/// Everything needed to continue a listing; the `pagetoken` is this, base64url JSON, so a
/// page token alone (as IBM's SDKs send it) suffices. Short field names keep the URLs short.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Listing {
    #[serde(rename = "a")]
    pub account_id: String,
    #[serde(rename = "o")]
    pub offset: usize,
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub iam_id: Option<String>,
    #[serde(rename = "sc", default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    #[serde(rename = "h", default)]
    pub history: bool,
}

impl Listing {
    /// The listing a request asks for: from its pagetoken when it has one, else from its
    /// query. The flag says whether it came from a pagetoken, whose context is already
    /// complete (a kind's defaults were applied when the first page was asked for).
    pub fn from_query(q: &HashMap<String, String>) -> Result<(Listing, bool), ApiError> {
        if let Some(token) = q.get("pagetoken").filter(|t| !t.is_empty()) {
            return Ok((Listing::from_token(token)?, true));
        }
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
        let l = Listing {
            account_id: get("account_id").unwrap_or_default(),
            offset: 0,
            name: get("name"),
            iam_id: get("iam_id"),
            scope: get("scope"),
            kind: get("type"),
            sort: get("sort"),
            order: get("order"),
            history: query_flag(q, "include_history")?,
        };
        Ok((l, false))
    }

    fn token(&self, offset: usize) -> String {
        let mut l = self.clone();
        l.offset = offset;
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&l).unwrap_or_default())
    }

    fn from_token(token: &str) -> Result<Listing, ApiError> {
        URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| ApiError::bad_request("The pagetoken is not valid."))
    }

    /// `sort` must be one of the kind's `sorts` (IBM's generated SDKs list them per list:
    /// API keys sort by `created_by`, service IDs and profiles by `modified_at`), `order`
    /// `asc` or `desc`.
    pub fn check_sort(&self, sorts: &[&str]) -> Result<(), ApiError> {
        if let Some(sort) = self.sort.as_deref()
            && !sorts.contains(&sort)
        {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{sort}' for 'sort'; valid values: {}.",
                sorts.join(", ")
            )));
        }
        match self.order.as_deref() {
            None | Some("asc" | "desc") => Ok(()),
            Some(other) => Err(ApiError::bad_request(format!(
                "Invalid value '{other}' for 'order'; valid values: asc, desc."
            ))),
        }
    }
}

pub fn page_size(q: &HashMap<String, String>) -> Result<usize, ApiError> {
    match q.get("pagesize").filter(|s| !s.is_empty()) {
        None => Ok(20),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(format!(
                "Invalid value '{s}' for 'pagesize'; valid range is 1 to 100."
            ))),
        },
    }
}

/// The `sort` values of service IDs and trusted profiles.
pub const SORTS: &[&str] = &["name", "description", "created_at", "modified_at"];
/// The `sort` values of API keys.
pub const API_KEY_SORTS: &[&str] = &["name", "description", "created_at", "created_by"];

/// What `sort` can order by; `seq` (creation order) breaks ties so pages never overlap.
pub struct SortKey<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub created_at: i64,
    pub modified_at: i64,
    /// The creator's IAM ID (API keys; empty for kinds that do not sort by it).
    pub created_by: &'a str,
    pub seq: u64,
}

pub fn sort_by<T>(items: &mut [&T], l: &Listing, key: impl Fn(&T) -> SortKey<'_>) {
    items.sort_by(|a, b| {
        let (a, b) = (key(a), key(b));
        let primary = match l.sort.as_deref() {
            Some("name") => a.name.cmp(b.name),
            Some("description") => a.description.cmp(b.description),
            Some("modified_at") => a.modified_at.cmp(&b.modified_at),
            Some("created_by") => a.created_by.cmp(b.created_by),
            _ => a.created_at.cmp(&b.created_at),
        };
        primary.then(a.seq.cmp(&b.seq))
    });
    if l.order.as_deref() == Some("desc") {
        items.reverse();
    }
}

/// The list envelope: `offset`, `limit`, `first`, `previous`, `next` (URLs whose `pagetoken`
/// fetches that page) and the items under `field`.
pub fn page(
    base_url: &str,
    path: &str,
    l: &Listing,
    size: usize,
    all: Vec<Value>,
    field: &str,
) -> Value {
    let total = all.len();
    let start = l.offset.min(total);
    let end = (start + size).min(total);
    let items: Vec<Value> = all.into_iter().skip(start).take(end - start).collect();
    let link = |offset: usize| {
        format!(
            "{base_url}{path}?pagetoken={}&pagesize={size}",
            l.token(offset)
        )
    };
    let mut v = json!({
        "offset": start,
        "limit": size,
        "first": link(0),
        field: items,
    });
    if start > 0 {
        v["previous"] = json!(link(start.saturating_sub(size)));
    }
    if end < total {
        v["next"] = json!(link(end));
    }
    v
}

/// The promise of every list's page links, checked by the unit tests and the `page_token`
/// fuzz target: a query string (its first byte taken as the number of items) is a listing or
/// refused, and each link of the envelope (`first`, `previous`, `next`) leads back to the same
/// listing, at its own offset and with the same page size.
#[cfg(any(test, fuzzing))]
pub(crate) fn check_page_links(query: &[u8]) {
    const URL: &str = "http://127.0.0.1:1";

    let q: HashMap<String, String> = form_urlencoded::parse(query).into_owned().collect();
    let Ok((listing, _)) = Listing::from_query(&q) else {
        return;
    };
    let (Ok(()), Ok(size)) = (listing.check_sort(SORTS), page_size(&q)) else {
        return;
    };
    let total = usize::from(query.first().copied().unwrap_or(0));
    let items = (0..total).map(Value::from).collect();
    let envelope = page(URL, "/v1/serviceids/", &listing, size, items, "serviceids");
    for link in ["first", "previous", "next"] {
        let Some(url) = envelope[link].as_str() else {
            continue;
        };
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let q: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let (back, from_token) = Listing::from_query(&q).expect("a page link's token is valid");
        assert!(from_token, "{link} has no pagetoken: {url}");
        let mut expected = listing.clone();
        expected.offset = back.offset;
        assert_eq!(
            serde_json::to_value(&back).ok(),
            serde_json::to_value(&expected).ok(),
            "{link} leads to another listing"
        );
        assert_eq!(
            page_size(&q).ok(),
            Some(size),
            "{link} changes the page size"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn listing() -> impl Strategy<Value = Listing> {
        (
            any::<String>(),
            any::<usize>(),
            proptest::option::of(any::<String>()),
            proptest::option::of(any::<String>()),
            proptest::option::of(any::<String>()),
            proptest::option::of(any::<String>()),
            proptest::option::of(any::<String>()),
            proptest::option::of(any::<String>()),
            any::<bool>(),
        )
            .prop_map(
                |(account_id, offset, name, iam_id, scope, kind, sort, order, history)| Listing {
                    account_id,
                    offset,
                    name,
                    iam_id,
                    scope,
                    kind,
                    sort,
                    order,
                    history,
                },
            )
    }

    proptest! {
        // The `page_token` fuzz target's checks, a few cases on every test run so a change
        // that breaks them is seen before bench/fuzz.sh runs.
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// The first byte is the number of items; the rest a list's query string.
        #[test]
        fn page_links_lead_back_to_their_listing(
            total in any::<u8>(),
            size in 1u8..=100,
            sort in prop_oneof![Just("name"), Just("created_at"), Just("bogus"), Just("")],
            history in any::<bool>(),
        ) {
            let mut query = vec![total];
            query.extend(
                format!("&pagesize={size}&sort={sort}&include_history={history}&account_id=a")
                    .bytes(),
            );
            check_page_links(&query);
        }

        #[test]
        fn any_query_bytes_are_a_page_or_refused(
            query in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            check_page_links(&query);
        }
    }

    proptest! {
        // Small: the normal suite runs these on every change; bench/fuzz.sh goes deep.
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A page token leads back to its listing at its offset, whatever the listing holds.
        #[test]
        fn a_page_token_round_trips(l in listing(), offset in any::<usize>()) {
            let q = HashMap::from([("pagetoken".to_owned(), l.token(offset))]);
            let (back, from_token) = Listing::from_query(&q).expect("our own token");
            prop_assert!(from_token);
            let mut expected = l;
            expected.offset = offset;
            prop_assert_eq!(serde_json::to_value(back).ok(), serde_json::to_value(expected).ok());
        }

        /// Any query, page token included, is a listing or a 400, never a panic.
        #[test]
        fn any_query_is_a_listing_or_a_400(
            q in proptest::collection::hash_map(
                prop_oneof![
                    Just("pagetoken".to_owned()),
                    Just("pagesize".to_owned()),
                    Just("include_history".to_owned()),
                    Just("sort".to_owned()),
                    any::<String>(),
                ],
                any::<String>(),
                0..6,
            )
        ) {
            if let Ok((l, _)) = Listing::from_query(&q) {
                let _ = l.check_sort(SORTS);
                let _ = l.check_sort(API_KEY_SORTS);
            }
            if let Err(e) = page_size(&q) {
                prop_assert_eq!(e.status.as_u16(), 400);
            }
        }
    }
}
