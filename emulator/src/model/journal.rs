//! The request journal (`GET /emulator/requests`): the last `JOURNAL_SIZE` requests the
//! emulator answered, newest first, so a test can see what its code sent. An entry holds the
//! method, the path, the query with every value that may be a secret replaced, the status,
//! who called (the IAM ID of a verified bearer access token) and when; never a header, never
//! a body, so no API key, password, passcode or token sent in them can be read back.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

/// Requests kept; the oldest go first.
pub const JOURNAL_SIZE: usize = 1000;
/// Characters of a path or query kept; longer ones are cut and end in `…`.
pub const MAX_JOURNAL_TEXT: usize = 512;
/// What a value that may be secret is replaced by.
pub const REDACTED: &str = "[REDACTED]";

/// One answered request (status 0: none was sent, the connection was dropped first).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Entry {
    /// Counts up from 1 since the start (or the last reset), so a test can ask for what came
    /// after a request it made.
    pub seq: u64,
    /// When the request arrived, on the emulator's clock (RFC 3339, milliseconds, UTC).
    pub time: String,
    pub method: String,
    pub path: String,
    /// The query string with secrets redacted; `None` without one.
    pub query: Option<String>,
    pub status: u16,
    /// The caller's IAM ID, when the request bore an access token the emulator accepted.
    pub iam_id: Option<String>,
    pub duration_ms: u64,
}

/// What a listing of the journal keeps.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Exact, or a prefix when it ends in `*` (as fault paths).
    pub path: Option<String>,
    /// Compared ignoring case.
    pub method: Option<String>,
    pub status: Option<StatusFilter>,
    pub iam_id: Option<String>,
    /// Only entries after this `seq`.
    pub after: Option<u64>,
    pub limit: Option<usize>,
}

/// `404`, or a class such as `4xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Exact(u16),
    Class(u16),
}

impl StatusFilter {
    pub fn parse(text: &str) -> Option<StatusFilter> {
        let t = text.trim();
        if let Some(class) = t.strip_suffix("xx").or_else(|| t.strip_suffix("XX")) {
            let c: u16 = class.parse().ok()?;
            return (1..=5).contains(&c).then_some(StatusFilter::Class(c));
        }
        let n: u16 = t.parse().ok()?;
        (n <= 999).then_some(StatusFilter::Exact(n))
    }

    fn admits(self, status: u16) -> bool {
        match self {
            StatusFilter::Exact(n) => status == n,
            StatusFilter::Class(c) => status / 100 == c,
        }
    }
}

impl Filter {
    fn admits(&self, e: &Entry) -> bool {
        let path = self
            .path
            .as_deref()
            .is_none_or(|p| match p.strip_suffix('*') {
                Some(prefix) => e.path.starts_with(prefix),
                None => e.path == p,
            });
        path && self
            .method
            .as_deref()
            .is_none_or(|m| e.method.eq_ignore_ascii_case(m))
            && self.status.is_none_or(|s| s.admits(e.status))
            && self
                .iam_id
                .as_deref()
                .is_none_or(|i| e.iam_id.as_deref() == Some(i))
            && self.after.is_none_or(|a| e.seq > a)
    }
}

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<Entry>,
    last_seq: u64,
}

/// The journal; `enabled: false` (`--no-journal`) keeps nothing.
#[derive(Debug)]
pub struct Journal {
    enabled: bool,
    ring: Mutex<Ring>,
}

impl Journal {
    pub fn new(enabled: bool) -> Journal {
        Journal {
            enabled,
            ring: Mutex::new(Ring::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        // An entry is pushed or the ring cleared in one step: a panic elsewhere cannot leave
        // it half-changed.
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps an entry (its `seq` is assigned here), forgetting the oldest past the bound.
    pub fn record(&self, mut entry: Entry) {
        if !self.enabled {
            return;
        }
        let mut ring = self.ring();
        ring.last_seq = ring.last_seq.saturating_add(1);
        entry.seq = ring.last_seq;
        if ring.entries.len() >= JOURNAL_SIZE {
            ring.entries.pop_back();
        }
        ring.entries.push_front(entry);
    }

    /// Forgets every entry; numbering starts again at 1.
    pub fn clear(&self) {
        *self.ring() = Ring::default();
    }

    /// The entries `filter` admits, newest first, at most `filter.limit`.
    pub fn list(&self, filter: &Filter) -> Vec<Entry> {
        self.ring()
            .entries
            .iter()
            .filter(|e| filter.admits(e))
            .take(filter.limit.unwrap_or(JOURNAL_SIZE))
            .cloned()
            .collect()
    }
}

/// Whether a query parameter may carry a secret: anything named like a token, key, password,
/// passcode, code, secret, session, credential or signature (`apikey`, `refresh_token`,
/// `cr_token`, `client_secret`, ...). A page token only carries a listing's position.
fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n != "pagetoken"
        && [
            "token",
            "key",
            "pass",
            "code",
            "secret",
            "session",
            "auth",
            "cookie",
            "credential",
            "signature",
        ]
        .iter()
        .any(|s| n.contains(s))
}

/// Whether a value looks like a JWT (`eyJ...`), whatever its parameter is called.
fn looks_like_jwt(value: &str) -> bool {
    // Every JWT's header is base64url JSON, which begins `eyJ` (`{"`).
    value
        .split(['.', '/', ' ', '=', '&', ':'])
        .any(|part| part.starts_with("eyJ") && part.len() >= 10)
}

/// Cuts text to `MAX_JOURNAL_TEXT` characters.
fn bounded(text: String) -> String {
    if text.chars().count() <= MAX_JOURNAL_TEXT {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_JOURNAL_TEXT).collect();
    cut.push('…');
    cut
}

/// A query string as the journal keeps it: the value of every parameter that may be secret
/// (by its name, or by looking like a JWT) replaced by `[REDACTED]`, bounded in length.
pub fn redact_query(raw: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pairs: Vec<String> = form_urlencoded::parse(raw.as_bytes())
        .map(|(name, value)| {
            // The marker stays as it is, readable; everything else is encoded again.
            let value = if secret_name(&name) || looks_like_jwt(&value) {
                REDACTED.to_owned()
            } else {
                encode(&value)
            };
            format!("{}={value}", encode(&name))
        })
        .collect();
    bounded(pairs.join("&"))
}

/// A path as the journal keeps it: a segment that looks like a JWT replaced by
/// `[REDACTED]` (a client that put its token in the path), bounded in length.
pub fn redact_path(raw: &str) -> String {
    let segments: Vec<&str> = raw
        .split('/')
        .map(|s| if looks_like_jwt(s) { REDACTED } else { s })
        .collect();
    bounded(segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, status: u16) -> Entry {
        Entry {
            seq: 0,
            time: String::new(),
            method: "GET".into(),
            path: path.into(),
            query: None,
            status,
            iam_id: None,
            duration_ms: 0,
        }
    }

    #[test]
    fn secrets_in_a_query_are_redacted_and_the_rest_kept() {
        let q = redact_query(
            "account_id=abc&apikey=SECRET1&refresh_token=SECRET2&passcode=SECRET3&cr_token=SECRET4\
             &client_secret=SECRET5&pagetoken=eTk&x=eyJhbGciOi.eyJzdWIi.c2ln&name=ok",
        );
        assert!(!q.contains("SECRET") && !q.contains("eyJ"), "{q}");
        for kept in ["account_id=abc", "pagetoken=eTk", "name=ok"] {
            assert!(q.contains(kept), "{q}");
        }
        assert_eq!(q.matches("=[REDACTED]").count(), 6, "{q}");
    }

    #[test]
    fn paths_lose_tokens_and_length() {
        assert_eq!(
            redact_path("/v1/apikeys/eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),
            "/v1/apikeys/[REDACTED]"
        );
        assert_eq!(
            redact_path("/v1/serviceids/ServiceId-1"),
            "/v1/serviceids/ServiceId-1"
        );
        let long = redact_path(&format!("/{}", "a".repeat(2000)));
        assert_eq!(long.chars().count(), MAX_JOURNAL_TEXT + 1);
    }

    #[test]
    fn the_ring_is_bounded_newest_first_and_filtered() {
        let j = Journal::new(true);
        for i in 0..JOURNAL_SIZE + 5 {
            j.record(entry(
                &format!("/p/{i}"),
                if i % 2 == 0 { 200 } else { 404 },
            ));
        }
        let all = j.list(&Filter::default());
        assert_eq!(all.len(), JOURNAL_SIZE);
        assert_eq!(all[0].path, format!("/p/{}", JOURNAL_SIZE + 4));
        assert_eq!(all[0].seq, JOURNAL_SIZE as u64 + 5);
        let f = Filter {
            path: Some("/p/10*".into()),
            status: StatusFilter::parse("4xx"),
            limit: Some(3),
            ..Filter::default()
        };
        let some = j.list(&f);
        assert_eq!(some.len(), 3);
        assert!(
            some.iter()
                .all(|e| e.path.starts_with("/p/10") && e.status == 404)
        );
        j.clear();
        assert!(j.list(&Filter::default()).is_empty());
        let off = Journal::new(false);
        off.record(entry("/x", 200));
        assert!(off.list(&Filter::default()).is_empty());
        assert_eq!(StatusFilter::parse("6xx"), None);
        assert_eq!(StatusFilter::parse("201"), Some(StatusFilter::Exact(201)));
    }
}
