//! The running server's shared state (the world, sessions, passcodes, lifetimes, stats,
//! faults) and access to it. Locks are std locks held for a few map operations and never
//! across an await, so the async runtime never blocks on them for long.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Serialize;
use tokio::sync::Notify;

use crate::crypto::jwt::Signer;
use crate::crypto::random::random_code;
use crate::crypto::secret::SecretDigest;
use crate::model::clock::Clock;
use crate::model::journal::Journal;
use crate::model::saved::{Added, Saved, Snapshots};
use crate::model::session::{Delegation, Delegations, Session, Sessions};
use crate::model::world::World;

// A panic while a lock is held cannot leave our maps half-updated in a way later requests
// would trip over (every mutation is a single insert/remove), so poisoning is ignored rather
// than turning one bug into a dead server.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

pub fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Clone)]
pub struct Passcode {
    pub iam_id: String,
    pub expires_at: i64,
    pub used: bool,
}

/// Default lifetime of a one-time passcode; `PUT /emulator/config` can change it so tests
/// can watch a code expire without waiting five minutes.
pub const PASSCODE_TTL: u64 = 300;

/// Passcodes waiting to be used (unused and unexpired) at once: anyone who can reach the
/// admin API or knows a password can ask for them, and `passcode_ttl` may be a century.
/// Used and expired ones are kept only for a clearer refusal, and make way when needed.
pub const MAX_PASSCODES: usize = 10_000;

/// A store of the emulator that takes no more entries until some go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFull {
    pub limit: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    Delay {
        delay_ms: u64,
    },
    Drop,
    Redirect {
        status: u16,
        location: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    pub path: String,
    pub kind: FaultKind,
    pub remaining: u32,
}

impl Fault {
    fn matches(&self, path: &str) -> bool {
        match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.path == path,
        }
    }
}

/// Marks a token request whose grant the fault middleware already counted. Both the middleware
/// (http/router.rs) and the token endpoint need it; it lives here because the router imports
/// the token endpoint, never the other way round.
#[derive(Clone, Copy)]
pub struct GrantCounted;

/// Distinct paths the stats count one by one; requests to further paths (every request to a
/// new entity's URL is one) are counted together under `OTHER`, so the counts cannot grow
/// without bound however many paths clients make up.
pub const MAX_COUNTED_PATHS: usize = 10_000;
/// Distinct `grant_type` values counted one by one (seven are IAM's).
pub const MAX_COUNTED_GRANTS: usize = 100;
/// Longer keys are counted under `OTHER` too.
pub const MAX_COUNTED_KEY: usize = 256;
/// The key of everything not counted on its own.
pub const OTHER: &str = "(other)";

fn count(counts: &mut BTreeMap<String, u64>, key: &str, max_keys: usize) {
    if let Some(n) = counts.get_mut(key) {
        *n += 1;
        return;
    }
    let key = if key.len() > MAX_COUNTED_KEY || counts.len() >= max_keys {
        OTHER
    } else {
        key
    };
    *counts.entry(key.to_owned()).or_insert(0) += 1;
}

/// Refresh sessions kept at most, and as many delegated refresh tokens: a client that logs in
/// with a refresh-capable client forever (a soak, a benchmark, a loop gone wrong) would
/// otherwise grow memory and the state file without bound, since sessions live 30 days.
pub const MAX_SESSIONS: usize = 100_000;

/// Forgets the sessions that can no longer refresh (expired or revoked: their tokens answer
/// BXNIM0407E either way, only the details differ) and, if that is not enough, the oldest
/// tenth of the rest, so pruning runs once per many inserts rather than on each.
fn prune<V>(map: &mut HashMap<Arc<str>, Arc<V>>, now: i64, session: impl Fn(&V) -> &Session) {
    map.retain(|_, v| {
        let s = session(v);
        s.expires_at > now && !s.revoked
    });
    if map.len() < MAX_SESSIONS {
        return;
    }
    let mut expiries: Vec<i64> = map.values().map(|v| session(v).expires_at).collect();
    let drop_n = map.len() - MAX_SESSIONS * 9 / 10;
    let (_, cutoff, _) = expiries.select_nth_unstable(drop_n - 1);
    let cutoff = *cutoff;
    // Ties at the cutoff go too: at most a little more than a tenth.
    map.retain(|_, v| session(v).expires_at > cutoff);
}

#[derive(Debug, Default)]
pub struct Stats {
    pub token_grants: BTreeMap<String, u64>,
    pub requests: BTreeMap<String, u64>,
}

pub struct App {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    pub issuer: String,
    pub signer: Arc<Signer>,
    /// The only source of "now" for tokens, sessions, passcodes and entity times.
    pub clock: Clock,
    pub world: RwLock<World>,
    /// Access to the emulator's own APIs is decided by policies (`access::enforce`).
    pub enforce_access: bool,
    pub sessions: Mutex<Sessions>,
    pub delegations: Mutex<Delegations>,
    pub passcodes: Mutex<HashMap<String, Passcode>>,
    pub token_ttl: AtomicU64,
    pub refresh_ttl: AtomicU64,
    pub passcode_ttl: AtomicU64,
    pub stats: Mutex<Stats>,
    pub faults: Mutex<Vec<Fault>>,
    pub state_path: Option<PathBuf>,
    pub dirty: AtomicBool,
    pub dirty_notify: Notify,
    /// Serialises state-file writers (the background task and the shutdown flush).
    pub flush_lock: Mutex<()>,
    session_inserts: AtomicU64,
    delegation_inserts: AtomicU64,
    /// The admin API's bearer token, when it needs one.
    pub admin_token: Option<SecretDigest>,
    /// The last requests answered (`GET /emulator/requests`).
    pub journal: Journal,
    /// What a reset restores: the start, and the snapshots tests took.
    pub snapshots: Mutex<Snapshots>,
    /// What the admin API has added to the world, against its budget.
    pub added: Mutex<Added>,
}

impl App {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        url: String,
        signer: impl Into<Arc<Signer>>,
        world: World,
        sessions: Sessions,
        clock: Clock,
        token_ttl: u64,
        refresh_ttl: u64,
        state_path: Option<PathBuf>,
    ) -> App {
        App {
            issuer: format!("{url}/identity"),
            url,
            signer: signer.into(),
            clock,
            enforce_access: world.enforce_access,
            world: RwLock::new(world),
            sessions: Mutex::new(sessions),
            delegations: Mutex::new(HashMap::new()),
            passcodes: Mutex::new(HashMap::new()),
            token_ttl: AtomicU64::new(token_ttl),
            refresh_ttl: AtomicU64::new(refresh_ttl),
            passcode_ttl: AtomicU64::new(PASSCODE_TTL),
            stats: Mutex::new(Stats::default()),
            faults: Mutex::new(Vec::new()),
            state_path,
            dirty: AtomicBool::new(false),
            dirty_notify: Notify::new(),
            flush_lock: Mutex::new(()),
            session_inserts: AtomicU64::new(0),
            delegation_inserts: AtomicU64::new(0),
            admin_token: None,
            journal: Journal::new(true),
            snapshots: Mutex::new(Snapshots::default()),
            added: Mutex::new(Added::default()),
        }
    }

    /// Keeps a request journal or not (`--no-journal`).
    pub fn with_journal(mut self, on: bool) -> App {
        self.journal = Journal::new(on);
        self
    }

    /// The admin API requires this token (`None`: it is open).
    pub fn with_admin_token(mut self, token: Option<SecretDigest>) -> App {
        self.admin_token = token;
        self
    }

    /// Enforcement is on if the world's seed asked for it or `on` says so.
    pub fn with_enforcement(mut self, on: bool) -> App {
        self.enforce_access |= on;
        self
    }

    /// The delegated refresh tokens a state file brought back.
    pub fn with_delegations(self, delegations: Delegations) -> App {
        *lock(&self.delegations) = delegations;
        self
    }

    /// Records that persisted data changed; the state task writes it out soon after, off the
    /// request path.
    pub fn mark_dirty(&self) {
        if self.state_path.is_some() && !self.dirty.swap(true, Ordering::AcqRel) {
            self.dirty_notify.notify_one();
        }
    }

    /// Epoch seconds on the emulator's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn token_ttl(&self) -> u64 {
        self.token_ttl.load(Ordering::Relaxed)
    }

    pub fn refresh_ttl(&self) -> u64 {
        self.refresh_ttl.load(Ordering::Relaxed)
    }

    pub fn passcode_ttl(&self) -> u64 {
        self.passcode_ttl.load(Ordering::Relaxed)
    }

    pub fn count_request(&self, path: &str) {
        let mut stats = lock(&self.stats);
        count(&mut stats.requests, path, MAX_COUNTED_PATHS);
    }

    pub fn count_grant(&self, grant: &str) {
        let mut stats = lock(&self.stats);
        count(&mut stats.token_grants, grant, MAX_COUNTED_GRANTS);
    }

    /// Takes one use of the first fault armed for `path`, if any.
    pub fn take_fault(&self, path: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let i = faults.iter().position(|f| f.matches(path))?;
        let kind = faults[i].kind.clone();
        faults[i].remaining -= 1;
        if faults[i].remaining == 0 {
            faults.remove(i);
        }
        Some(kind)
    }

    pub fn insert_session(&self, refresh_token: String, session: Session) {
        let mut sessions = lock(&self.sessions);
        let inserts = self.session_inserts.fetch_add(1, Ordering::Relaxed);
        if inserts % 4096 == 4095 || sessions.len() >= MAX_SESSIONS {
            prune(&mut sessions, self.now(), |s| s);
        }
        sessions.insert(refresh_token.into(), Arc::new(session));
        drop(sessions);
        self.mark_dirty();
    }

    pub fn insert_delegation(&self, token: String, delegation: Delegation) {
        let mut delegations = lock(&self.delegations);
        let inserts = self.delegation_inserts.fetch_add(1, Ordering::Relaxed);
        if inserts % 4096 == 4095 || delegations.len() >= MAX_SESSIONS {
            prune(&mut delegations, self.now(), |d| &d.session);
        }
        delegations.insert(token.into(), Arc::new(delegation));
        drop(delegations);
        self.mark_dirty();
    }

    /// Every refresh token issued so far stops working, delegated ones included (admin API,
    /// for the CLI's tests).
    pub fn revoke_sessions(&self) -> usize {
        let mut sessions = lock(&self.sessions);
        let mut n = 0;
        for s in sessions.values_mut().filter(|s| !s.revoked) {
            Arc::make_mut(s).revoked = true;
            n += 1;
        }
        drop(sessions);
        let mut delegations = lock(&self.delegations);
        for d in delegations.values_mut().filter(|d| !d.session.revoked) {
            Arc::make_mut(d).session.revoked = true;
            n += 1;
        }
        drop(delegations);
        self.mark_dirty();
        n
    }

    /// A copy of everything a reset restores, as it is now.
    pub fn save_point(&self) -> Saved {
        // Each store is copied under its own lock; a reset or snapshot taken while requests
        // run sees each of them whole.
        let world = read(&self.world).clone();
        let sessions = lock(&self.sessions).clone();
        let delegations = lock(&self.delegations).clone();
        Saved {
            added: *lock(&self.added),
            world,
            sessions,
            delegations,
            clock_offset: self.clock.offset(),
            token_ttl: self.token_ttl(),
            refresh_ttl: self.refresh_ttl(),
            passcode_ttl: self.passcode_ttl(),
            taken_at: self.now(),
        }
    }

    /// Remembers the world the emulator started with, for `POST /emulator/reset`.
    pub fn remember_start(&self) {
        let start = Arc::new(self.save_point());
        lock(&self.snapshots).start = Some(start);
    }

    /// Puts back what `saved` holds, and throws away what no reset keeps: armed faults,
    /// passcodes, stats and the journal. Then moves to a new key id, so that no token signed
    /// before (access, ID, cr or instance identity token) is accepted any more: a test after a
    /// reset cannot lean on one from before. Returns the new key id.
    pub fn restore(&self, saved: &Saved) -> String {
        *write(&self.world) = saved.world.clone();
        *lock(&self.added) = saved.added;
        *lock(&self.sessions) = saved.sessions.clone();
        *lock(&self.delegations) = saved.delegations.clone();
        self.clock.set_offset(saved.clock_offset);
        self.token_ttl.store(saved.token_ttl, Ordering::Relaxed);
        self.refresh_ttl.store(saved.refresh_ttl, Ordering::Relaxed);
        self.passcode_ttl
            .store(saved.passcode_ttl, Ordering::Relaxed);
        lock(&self.passcodes).clear();
        lock(&self.faults).clear();
        *lock(&self.stats) = Stats::default();
        self.journal.clear();
        let kid = self.signer.rotate_kid();
        self.mark_dirty();
        kid
    }

    /// A new one-time passcode for `iam_id`, unless `MAX_PASSCODES` are kept already.
    pub fn new_passcode(&self, iam_id: &str) -> Result<String, StoreFull> {
        let code = random_code(10);
        let t = self.now();
        let ttl = self.passcode_ttl() as i64;
        let mut codes = lock(&self.passcodes);
        // Expired codes linger one more lifetime so a late exchange is told "expired".
        codes.retain(|_, p| p.expires_at > t - ttl);
        if codes.len() >= MAX_PASSCODES {
            // A used or expired code answers BXNIM0420E forgotten too, only less precisely.
            codes.retain(|_, p| !p.used && p.expires_at > t);
        }
        if codes.len() >= MAX_PASSCODES {
            return Err(StoreFull {
                limit: MAX_PASSCODES,
            });
        }
        codes.insert(
            code.clone(),
            Passcode {
                iam_id: iam_id.to_owned(),
                expires_at: t + ttl,
                used: false,
            },
        );
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expires_at: i64, revoked: bool) -> Session {
        Session {
            session_id: "C-x".into(),
            iam_id: "IBMid-x".into(),
            account_id: "a".into(),
            client_id: "bx".into(),
            expires_at,
            origin_grant: "password".into(),
            amr: vec![],
            apikey_id: None,
            revoked,
        }
    }

    /// Found by bench/soak-emulator.sh: resident memory grew by about 8 MB a minute under
    /// mixed traffic, because every grant with a client kept its session for 30 days, revoked
    /// or not. Now revoked and expired sessions are forgotten and the rest are bounded.
    #[test]
    fn sessions_are_bounded_and_revoked_ones_forgotten() {
        let mut map: Sessions = HashMap::new();
        for i in 0..10 {
            map.insert(format!("r{i}").into(), Arc::new(session(100, true)));
            map.insert(format!("e{i}").into(), Arc::new(session(5, false)));
            map.insert(format!("l{i}").into(), Arc::new(session(100, false)));
        }
        prune(&mut map, 10, |s| s);
        assert_eq!(map.len(), 10);
        assert!(map.keys().all(|k| k.starts_with('l')));

        let mut map: Sessions = (0..MAX_SESSIONS as i64)
            .map(|i| {
                (
                    Arc::from(format!("s{i}")),
                    Arc::new(session(1000 + i, false)),
                )
            })
            .collect();
        prune(&mut map, 10, |s| s);
        assert_eq!(map.len(), MAX_SESSIONS * 9 / 10);
        assert!(
            map.contains_key("s99999") && !map.contains_key("s0"),
            "the oldest are forgotten"
        );
    }
}
