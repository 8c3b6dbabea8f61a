//! The credentials layer on its own: a real emulator in-process over HTTP, secrets in
//! memory (no keyring), session files in a temp home. What exists on disk and in the store
//! after each step of a login, after a failure at each step, renewal by every kind's rule,
//! logout and pending deletes. The end-to-end tests hold the binary to the same contract.

use super::kinds::{apikey, password, vpc};
use super::record::Session;
use super::*;
use crate::endpoints::Endpoints;
use crate::iam::ProfileRef;
use crate::secrets::{SecretId, StoreKind};
use crate::session::now;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Secrets in memory, with faults to inject and an eye on each write.
#[derive(Default)]
pub(super) struct Memory {
    pub(super) entries: Mutex<BTreeMap<String, String>>,
    pub(super) opens: AtomicUsize,
    sets: AtomicUsize,
    /// Opening fails: no keyring.
    unreachable: Mutex<bool>,
    /// Opens, answers reads, refuses every write: a locked keyring.
    takes_no_writes: Mutex<bool>,
    /// The n-th write (from 1) fails.
    fail_set: Mutex<Option<usize>>,
    delete_fails: Mutex<bool>,
    /// Called before each write with the secret's name.
    on_set: Mutex<Option<Watch>>,
}

type Watch = Box<dyn Fn(&str) + Send>;

fn down(what: &str) -> SecretError {
    SecretError::Unreachable {
        detail: what.into(),
        home: "/nowhere".into(),
        source: None,
    }
}

pub(super) fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

struct Handle(Arc<Memory>, StoreKind);

impl SecretStore for Handle {
    fn get(&self, id: &SecretId) -> std::result::Result<Option<String>, SecretError> {
        Ok(locked(&self.0.entries).get(&id.user()).cloned())
    }

    fn set(&self, id: &SecretId, value: &str) -> std::result::Result<(), SecretError> {
        if *locked(&self.0.takes_no_writes) {
            return Err(down("the collection is locked"));
        }
        // The store's probe is no secret: counted or watched, it would shift every count.
        if *id == SecretId::Probe {
            return Ok(());
        }
        let n = self.0.sets.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(check) = locked(&self.0.on_set).as_ref() {
            check(&id.user());
        }
        if *locked(&self.0.fail_set) == Some(n) {
            return Err(down("the write failed"));
        }
        locked(&self.0.entries).insert(id.user(), value.to_string());
        Ok(())
    }

    fn delete(&self, id: &SecretId) -> std::result::Result<(), SecretError> {
        if *locked(&self.0.delete_fails) && *id != SecretId::Probe {
            return Err(down("the delete failed"));
        }
        locked(&self.0.entries).remove(&id.user());
        Ok(())
    }

    fn kind(&self) -> StoreKind {
        self.1
    }
}

struct Stores(Arc<Memory>);

impl OpenStore for Stores {
    fn open(
        &self,
        kind: StoreKind,
        _home: &Home,
    ) -> std::result::Result<Box<dyn SecretStore + Send>, SecretError> {
        self.0.opens.fetch_add(1, Ordering::SeqCst);
        if *locked(&self.0.unreachable) {
            return Err(down("no keyring"));
        }
        Ok(Box::new(Handle(self.0.clone(), kind)))
    }
}

/// A login that shows nothing and has no one to ask.
struct Nobody;

impl LoginUi for Nobody {
    type Error = AuthError;
    fn authenticating(&self) {}
    fn authenticated(&self) {}
    fn choose_account(&self, _: &[Account]) -> Result<Option<Option<usize>>> {
        Ok(None)
    }
    fn choose_region(&self) -> Result<Option<Option<String>>> {
        Ok(None)
    }
    fn targeted(&self, _: Targeted<'_>) {}
}

/// An emulator, a home, a memory store and the warnings said.
pub(super) struct World {
    pub(super) emu: iam_emulator::Running,
    pub(super) home: tempfile::TempDir,
    pub(super) memory: Arc<Memory>,
    warnings: Arc<Mutex<Vec<String>>>,
    http: reqwest::blocking::Client,
}

pub(super) fn ok<T, E: std::fmt::Display>(r: std::result::Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

impl World {
    pub(super) fn new() -> World {
        World {
            emu: ok(iam_emulator::spawn(iam_emulator::Config::default())),
            home: ok(tempfile::tempdir()),
            memory: Arc::new(Memory::default()),
            warnings: Arc::default(),
            http: reqwest::blocking::Client::new(),
        }
    }

    pub(super) fn info(&self) -> &iam_emulator::ReadyInfo {
        self.emu.info()
    }

    pub(super) fn services(&self) -> Services {
        let said = self.warnings.clone();
        let warn: Warn = Arc::new(move |w| locked(&said).push(format!("{w:?}")));
        let http = {
            let warn = warn.clone();
            crate::iam::ClientOptions {
                warn: Arc::new(move |w| warn(Warning::Iam(w))),
                // An IAM made to fail must not keep a test retrying for a minute.
                timeout: std::time::Duration::from_secs(2),
            }
        };
        Services {
            warn,
            stores: Arc::new(Stores(self.memory.clone())),
            http,
        }
    }

    pub(super) fn creds(&self) -> Credentials {
        let home = Home {
            dir: self.home.path().join("home"),
        };
        ok(Credentials::named(&home, "default", self.services()))
    }

    pub(super) fn log_in(&self, credential: Credential) -> Result<Session> {
        self.log_in_to(credential, AccountChoice::Choose)
    }

    pub(super) fn log_in_to(
        &self,
        credential: Credential,
        account: AccountChoice,
    ) -> Result<Session> {
        let creds = self.creds();
        let endpoints = ok(Endpoints::resolve(self.emu.url(), None));
        let client = creds.client_for(endpoints.clone(), &Default::default())?;
        let previous = creds.previous()?.0;
        let store = Store::Opening(creds.open_vault_in_background());
        let done = creds.log_in(
            LoginRequest {
                endpoints,
                trust: Default::default(),
                credential,
                account,
                region: RegionChoice::Given("us-south".into()),
                resource_group: None,
            },
            &client,
            previous.as_ref(),
            store,
            &Nobody,
        )?;
        Ok(done.session)
    }

    pub(super) fn api_key(&self) -> Credential {
        Credential::ApiKey(apikey::Given {
            key: self.info().apikey.clone(),
        })
    }

    pub(super) fn password(&self) -> Credential {
        Credential::Password(password::Given {
            username: self.info().username.clone(),
            password: self.info().password.clone(),
        })
    }

    pub(super) fn file(&self) -> std::path::PathBuf {
        self.creds().path()
    }

    pub(super) fn file_bytes(&self) -> Option<Vec<u8>> {
        std::fs::read(self.file()).ok()
    }

    pub(super) fn on_disk(&self) -> Session {
        match self.creds().previous() {
            Ok((Some(s), _)) => s,
            other => panic!("no session on disk: {:?}", other.map(|(s, _)| s.is_some())),
        }
    }

    /// The names of the secrets in the store, by their slot (the name's last part).
    pub(super) fn slots_stored(&self) -> Vec<String> {
        locked(&self.memory.entries)
            .keys()
            .map(|k| k.rsplit('|').next().unwrap_or_default().to_string())
            .collect()
    }

    /// Rewrites the session so that its token is inside the refresh window, still valid.
    pub(super) fn age_token(&self) {
        let mut s = self.on_disk();
        if let Some(l) = s.login.as_mut() {
            l.token_issued_at = now() - 3000;
            l.token_expires_at = now() + 60;
        }
        ok(std::fs::write(self.file(), ok(serde_json::to_vec(&s))));
    }

    pub(super) fn admin(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let resp = ok(self
            .http
            .post(format!("{}{path}", self.emu.url()))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send());
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().unwrap_or(serde_json::Value::Null)
    }

    pub(super) fn said(&self) -> Vec<String> {
        locked(&self.warnings).clone()
    }
}

pub(super) fn access_token(s: &Session) -> String {
    s.login
        .as_ref()
        .map(|l| l.access_token.clone())
        .unwrap_or_default()
}

#[test]
fn an_api_key_login_keeps_its_key_and_refresh_token_and_names_them_in_the_file() {
    let w = World::new();
    let s = ok(w.log_in(w.api_key()));
    let login = s.login.as_ref().unwrap_or_else(|| panic!("no login"));
    assert_eq!(login.kind.name(), "apikey");
    let kept: Vec<&str> = login.secrets.slots().map(|s| s.as_str()).collect();
    assert_eq!(kept, ["apikey", "refresh_token"]);
    assert_eq!(w.slots_stored(), ["apikey", "refresh_token"]);
    assert_eq!(w.on_disk(), s);
    assert!(s.pending_deletes.is_empty());
    assert_eq!(s.region.as_deref(), Some("us-south"));
}

#[test]
fn a_store_that_takes_no_writes_stops_the_login_before_it_says_ok() {
    struct Watching(std::cell::Cell<bool>);
    impl LoginUi for Watching {
        type Error = AuthError;
        fn authenticating(&self) {}
        fn authenticated(&self) {
            self.0.set(true);
        }
        fn choose_account(&self, _: &[Account]) -> Result<Option<Option<usize>>> {
            Ok(None)
        }
        fn choose_region(&self) -> Result<Option<Option<String>>> {
            Ok(None)
        }
        fn targeted(&self, _: Targeted<'_>) {}
    }
    let w = World::new();
    *locked(&w.memory.takes_no_writes) = true;
    let creds = w.creds();
    let endpoints = ok(Endpoints::resolve(w.emu.url(), None));
    let client = ok(creds.client_for(endpoints.clone(), &Default::default()));
    let ui = Watching(std::cell::Cell::new(false));
    let e = creds.log_in(
        LoginRequest {
            endpoints,
            trust: Default::default(),
            credential: w.api_key(),
            account: AccountChoice::Choose,
            region: RegionChoice::None,
            resource_group: None,
        },
        &client,
        None,
        Store::Opening(creds.open_vault_in_background()),
        &ui,
    );
    assert!(matches!(e, Err(AuthError::Secrets(_))), "{:?}", e.err());
    assert!(
        !ui.0.get(),
        "OK was said for a login that could not be kept"
    );
    assert_eq!(w.file_bytes(), None);
}

#[test]
fn each_secret_is_named_in_the_file_before_it_is_stored() {
    // Killed between storing a secret and writing the new session file, a login must leave
    // nothing no file names: at every write the file on disk lists it to delete.
    let w = World::new();
    let path = w.file();
    let seen: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
    let record = seen.clone();
    *locked(&w.memory.on_set) = Some(Box::new(move |name: &str| {
        let named = std::fs::read(&path)
            .ok()
            .and_then(|b| record::parse(&b).ok())
            .is_some_and(|s| {
                s.pending_deletes
                    .iter()
                    .any(|p| name.ends_with(&format!("|{}", p.kind)))
            });
        locked(&record).push((name.to_string(), named));
    }));
    ok(w.log_in(w.api_key()));
    let seen = locked(&seen).clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.iter().all(|(_, named)| *named), "{seen:?}");
    // Once the login is saved, the file names them as its own, not as pending deletes.
    assert!(w.on_disk().pending_deletes.is_empty());
}

#[test]
fn a_store_that_fails_the_first_write_leaves_the_previous_session_byte_identical() {
    let w = World::new();
    ok(w.log_in(w.api_key()));
    let before = w.file_bytes();
    let stored = w.slots_stored();
    let n = w.memory.sets.load(Ordering::SeqCst);
    *locked(&w.memory.fail_set) = Some(n + 1);
    let e = w.log_in_to(w.password(), AccountChoice::None);
    assert!(matches!(e, Err(AuthError::Secrets(_))), "{:?}", e.err());
    assert_eq!(w.file_bytes(), before);
    assert_eq!(w.slots_stored(), stored);
}

#[test]
fn a_store_that_fails_the_second_write_takes_back_the_first() {
    let w = World::new();
    *locked(&w.memory.fail_set) = Some(2);
    let e = w.log_in(w.api_key());
    assert!(matches!(e, Err(AuthError::Secrets(_))), "{:?}", e.err());
    assert!(w.slots_stored().is_empty(), "{:?}", w.slots_stored());
    // Nothing was there before, so nothing is there now.
    assert_eq!(w.file_bytes(), None);
}

#[test]
fn a_home_that_cannot_take_the_file_stores_no_secret() {
    let w = World::new();
    ok(std::fs::create_dir_all(w.home.path().join("home")));
    // The sessions directory is a file: the new session file cannot be written.
    ok(std::fs::write(w.home.path().join("home/sessions"), b"x"));
    let e = w.log_in(w.api_key());
    assert!(matches!(e, Err(AuthError::Session(_))), "{:?}", e.err());
    assert_eq!(w.memory.sets.load(Ordering::SeqCst), 0);
}

#[test]
fn the_same_identity_logging_in_again_overwrites_its_secrets() {
    let w = World::new();
    ok(w.log_in(w.api_key()));
    let s = ok(w.log_in(w.api_key()));
    assert_eq!(w.slots_stored(), ["apikey", "refresh_token"]);
    assert!(s.pending_deletes.is_empty());
}

#[test]
fn another_identity_deletes_the_previous_logins_secrets() {
    let w = World::new();
    ok(w.log_in(w.api_key()));
    let s = ok(w.log_in(Credential::ApiKey(apikey::Given {
        key: w.info().service_apikey.clone(),
    })));
    // The service ID's two, the user's gone.
    assert_eq!(w.slots_stored(), ["apikey", "refresh_token"]);
    let iam_id = &s
        .login
        .as_ref()
        .map(|l| l.iam_id.clone())
        .unwrap_or_default();
    assert!(
        locked(&w.memory.entries)
            .keys()
            .all(|k| k.contains(iam_id.as_str())),
        "{:?}",
        locked(&w.memory.entries).keys().collect::<Vec<_>>()
    );
}

#[test]
fn previous_secrets_that_cannot_be_deleted_stay_listed_for_the_next_logout() {
    let w = World::new();
    ok(w.log_in(w.api_key()));
    *locked(&w.memory.delete_fails) = true;
    let s = ok(w.log_in(Credential::ApiKey(apikey::Given {
        key: w.info().service_apikey.clone(),
    })));
    assert_eq!(s.pending_deletes.len(), 2, "{:?}", s.pending_deletes);
    assert!(
        w.said()
            .iter()
            .any(|w| w.starts_with("PreviousSecretsLeft")),
        "{:?}",
        w.said()
    );
    // The next logout, with a store that deletes again, takes them all.
    *locked(&w.memory.delete_fails) = false;
    ok(w.creds().logout());
    assert!(w.slots_stored().is_empty(), "{:?}", w.slots_stored());
    assert!(w.on_disk().pending_deletes.is_empty());
}

#[test]
fn logout_deletes_the_secrets_and_keeps_endpoint_and_region() {
    let w = World::new();
    ok(w.log_in(w.api_key()));
    ok(w.creds().logout());
    let s = w.on_disk();
    assert!(s.login.is_none());
    assert_eq!(s.region.as_deref(), Some("us-south"));
    assert_eq!(s.api_endpoint, w.emu.url());
    assert!(w.slots_stored().is_empty());
}

#[test]
fn a_logout_without_a_store_removes_the_token_and_lists_the_secrets_to_delete() {
    let w = World::new();
    ok(w.log_in(w.api_key()));
    *locked(&w.memory.unreachable) = true;
    match w.creds().logout() {
        Err(AuthError::SecretsLeft { ending, .. }) => assert_eq!(ending, Ending::Logout),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let s = w.on_disk();
    assert!(s.login.is_none());
    assert_eq!(s.pending_deletes.len(), 2);
    *locked(&w.memory.unreachable) = false;
    ok(w.creds().logout());
    assert!(w.on_disk().pending_deletes.is_empty());
    assert!(w.slots_stored().is_empty());
}

#[test]
fn deleting_a_session_removes_its_file_and_secrets() {
    let w = World::new();
    ok(w.log_in(w.api_key()));
    ok(w.creds().delete());
    assert_eq!(w.file_bytes(), None);
    assert!(w.slots_stored().is_empty());
}

#[test]
fn a_valid_token_is_served_without_opening_the_store() {
    let w = World::new();
    let s = ok(w.log_in(w.api_key()));
    let opens = w.memory.opens.load(Ordering::SeqCst);
    let (_, login) = ok(w.creds().fresh());
    assert_eq!(login.access_token, access_token(&s));
    assert_eq!(w.memory.opens.load(Ordering::SeqCst), opens);
}

#[test]
fn an_unreachable_iam_leaves_a_valid_token_in_use_with_a_warning() {
    let w = World::new();
    let s = ok(w.log_in(w.api_key()));
    w.age_token();
    w.admin(
        "/emulator/faults",
        serde_json::json!({ "path": "/identity/token", "status": 503, "count": 100 }),
    );
    let (_, login) = ok(w.creds().fresh());
    assert_eq!(login.access_token, access_token(&s));
    assert!(
        w.said().iter().any(|w| w.starts_with("CachedTokenKept")),
        "{:?}",
        w.said()
    );
}

#[test]
fn a_token_another_process_renewed_is_taken_as_it_is() {
    let w = World::new();
    let s = ok(w.log_in(w.api_key()));
    let sets = w.memory.sets.load(Ordering::SeqCst);
    // IAM refused a token the file no longer holds: someone renewed it already.
    let (_, login) = ok(w.creds().renewed_after_rejection("an older token"));
    assert_eq!(login.access_token, access_token(&s));
    assert_eq!(
        w.memory.sets.load(Ordering::SeqCst),
        sets,
        "nothing renewed"
    );
}

#[test]
fn only_users_and_service_ids_hand_out_delegated_refresh_tokens() {
    let w = World::new();
    ok(w.log_in(w.api_key()));
    assert!(ok(w.creds().delegated_refresh_token("kube")).len() > 10);
    ok(w.log_in(Credential::VpcCri(vpc::VpcCri {
        profile: Some(ProfileRef::parse(&w.info().profile_id)),
        metadata_url: w.emu.url().to_string(),
    })));
    assert!(matches!(
        w.creds().delegated_refresh_token("kube"),
        Err(AuthError::NoDelegation { .. })
    ));
}

#[test]
fn a_password_login_with_several_accounts_and_no_one_to_ask_names_them() {
    let w = World::new();
    match w.log_in(w.password()) {
        Err(AuthError::AccountChoiceNeeded { accounts }) => assert!(accounts.len() > 1),
        // A user of one account needs no choice.
        Ok(s) => assert!(s.login.and_then(|l| l.account).is_some()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn an_account_the_identity_cannot_use_fails_before_anything_is_saved() {
    let w = World::new();
    ok(w.log_in(w.api_key()));
    let before = w.file_bytes();
    let stored = locked(&w.memory.entries).clone();
    match w.log_in_to(w.api_key(), AccountChoice::Given("not-an-account".into())) {
        Err(AuthError::NoSuchAccount { want, accounts }) => {
            assert_eq!(want, "not-an-account");
            assert!(!accounts.is_empty());
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert_eq!(w.file_bytes(), before);
    assert_eq!(*locked(&w.memory.entries), stored);
}
