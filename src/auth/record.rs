//! What a session file holds: the endpoints and targets, and the login record (its kind,
//! the secrets it keeps, its cached tokens). Never a secret's value: those live in the
//! secret store, named by the slots listed in `Kept`. `session.rs` stores these records;
//! only the credentials layer knows what is in them.

use super::kinds::LoginKind;
use crate::endpoints::Endpoints;
use crate::iam::{Account, ResourceGroup};
use crate::secrets::{Slot, StoreKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Written into every session file; files without it are older and read the same.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Session {
    /// Whatever a file said, it is written as this iamctl's format.
    #[serde(default, serialize_with = "this_format")]
    pub version: u32,
    pub api_endpoint: String,
    pub iam_endpoint: String,
    #[serde(default)]
    pub accounts_endpoint: String,
    #[serde(default)]
    pub resource_controller_endpoint: String,
    /// Remembered from `login --skip-ssl-validation`; warns on every network use.
    #[serde(default)]
    pub skip_ssl_validation: bool,
    /// Remembered from `login --ca-cert` (absolute): CA certificates trusted beside the
    /// system's, read again whenever the session connects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<std::path::PathBuf>,
    #[serde(default)]
    pub region: Option<String>,
    /// `None` once logged out (endpoint and region stay).
    #[serde(default)]
    pub login: Option<Login>,
    /// Secrets a `logout` could not delete (keyring unreachable); the next `logout` retries.
    /// Names only, never values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_deletes: Vec<PendingDelete>,
}

fn this_format<S: serde::Serializer>(_: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u32(FORMAT_VERSION)
}

/// A secret to delete later, by its name's parts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PendingDelete {
    pub store: StoreKind,
    pub iam_endpoint: String,
    pub iam_id: String,
    /// Files written before slots were named by the kinds spelled the API key `api_key`.
    #[serde(deserialize_with = "slot_of_old_or_new_name")]
    pub kind: Slot,
}

fn slot_of_old_or_new_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Slot, D::Error> {
    let name = String::deserialize(d)?;
    Ok(match name.as_str() {
        "api_key" => Slot::named("apikey".into()),
        _ => Slot::named(name),
    })
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Login {
    /// How the session logged in (`method` plus the kind's own fields), and so how its
    /// token is renewed.
    #[serde(flatten)]
    pub kind: LoginKind,
    /// What the summary shows as `User:` (email, or the identifier for service IDs).
    pub user: String,
    pub iam_id: String,
    #[serde(default)]
    pub sub_type: Option<String>,
    #[serde(default)]
    pub account: Option<Account>,
    #[serde(default)]
    pub resource_group: Option<ResourceGroup>,
    /// `Bearer` is not included; `oauth-tokens` adds it.
    pub access_token: String,
    pub token_issued_at: i64,
    pub token_expires_at: i64,
    #[serde(default)]
    pub refresh_token_expires_at: Option<i64>,
    pub login_at: i64,
    /// Which secrets exist for this login, and where. Names only, never the values.
    pub secrets: Kept,
    /// Tokens issued to other OAuth clients (`kube` for kubectl) through delegated refresh
    /// tokens, cached like the access token: short-lived, never a refresh token.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub delegated: BTreeMap<String, CachedToken>,
}

/// A short-lived token kept in the session file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CachedToken {
    pub token: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl CachedToken {
    /// The refresh window every token iamctl caches uses: 80% of its lifetime gone, or
    /// under 10 s left.
    pub fn needs_refresh(&self, now: i64) -> bool {
        needs_refresh(self.issued_at, self.expires_at, now)
    }
}

fn needs_refresh(issued_at: i64, expires_at: i64, now: i64) -> bool {
    // The times come from a file anyone may have edited (or from IAM): in i128 no pair of
    // them overflows, where i64 panicked in debug builds and wrapped in release ones.
    let (issued_at, expires_at, now) = (
        i128::from(issued_at),
        i128::from(expires_at),
        i128::from(now),
    );
    let lifetime = (expires_at - issued_at).max(0);
    let refresh_at = issued_at + lifetime * 8 / 10;
    now >= refresh_at || now >= expires_at - 10
}

/// The secrets a login keeps, by slot, the store they are in, and the identity whose name
/// they are stored under when it is not the login's own. In the file, a map of `store`,
/// that `iam_id` if any, and one `"<slot>": true` per secret: the shape files had when each
/// slot was a field of its own, so files of every iamctl read alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "KeptFile", from = "KeptFile")]
pub struct Kept {
    pub store: StoreKind,
    /// The identity the secrets are named after, when the login has become another one
    /// since they were stored: a profile assumed in the session (`trusted-profile-assume`)
    /// keeps its caller's secrets where they were, and so does a session that left the
    /// profile it logged in as. `None`: the login's own `iam_id`.
    iam_id: Option<String>,
    slots: BTreeSet<Slot>,
}

#[derive(Serialize, Deserialize)]
struct KeptFile {
    store: StoreKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iam_id: Option<String>,
    #[serde(flatten)]
    slots: BTreeMap<String, bool>,
}

impl From<Kept> for KeptFile {
    fn from(k: Kept) -> KeptFile {
        KeptFile {
            store: k.store,
            iam_id: k.iam_id,
            slots: k.slots.into_iter().map(|s| (s.to_string(), true)).collect(),
        }
    }
}

impl From<KeptFile> for Kept {
    fn from(f: KeptFile) -> Kept {
        Kept {
            store: f.store,
            iam_id: f.iam_id,
            slots: f
                .slots
                .into_iter()
                .filter(|(_, kept)| *kept)
                .map(|(name, _)| Slot::named(name))
                .collect(),
        }
    }
}

impl Kept {
    pub fn none(store: StoreKind) -> Kept {
        Kept {
            store,
            iam_id: None,
            slots: BTreeSet::new(),
        }
    }

    /// The same secrets, kept where they are for a login that becomes `new_iam_id`: they
    /// stay named after `stored_as`, the identity they were stored for.
    pub fn moved_to(&self, stored_as: &str, new_iam_id: &str) -> Kept {
        Kept {
            iam_id: (stored_as != new_iam_id).then(|| stored_as.to_string()),
            ..self.clone()
        }
    }

    /// The slots this login keeps a secret in.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn keeps(&self, slot: &Slot) -> bool {
        self.slots.contains(slot)
    }

    pub fn mark(&mut self, slot: Slot) {
        self.slots.insert(slot);
    }
}

impl Login {
    /// The identity the login's secrets are named after in the secret store: its own, or,
    /// for a login that became another identity in the session, the one they were stored for.
    pub fn secrets_iam_id(&self) -> &str {
        self.secrets.iam_id.as_deref().unwrap_or(&self.iam_id)
    }

    /// Refresh window: 80% of the lifetime gone, or under 10 s left.
    pub fn needs_refresh(&self, now: i64) -> bool {
        needs_refresh(self.token_issued_at, self.token_expires_at, now)
    }

    pub fn expired(&self, now: i64) -> bool {
        now >= self.token_expires_at
    }
}

impl Session {
    /// How the session's connections are verified.
    pub fn trust(&self) -> crate::iam::trust::Trust {
        crate::iam::trust::Trust {
            skip_validation: self.skip_ssl_validation,
            ca_cert: self.ca_cert.clone(),
        }
    }

    /// The service URLs the session talks to.
    pub fn endpoints(&self) -> Endpoints {
        let or_api = |v: &str| {
            if v.is_empty() {
                self.api_endpoint.clone()
            } else {
                v.to_string()
            }
        };
        Endpoints {
            api: self.api_endpoint.clone(),
            iam: self.iam_endpoint.clone(),
            accounts: or_api(&self.accounts_endpoint),
            resource_controller: or_api(&self.resource_controller_endpoint),
        }
    }
}

/// A session file's contents, as the store reads them (and the fuzz target).
pub fn parse(bytes: &[u8]) -> serde_json::Result<Session> {
    serde_json::from_slice(bytes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::auth::kinds::tests::{any_kind, any_slot, every_kind};
    use crate::auth::kinds::{REFRESH_TOKEN, apikey};

    /// An API-key login whose token was issued at `iat` and expires at `exp`.
    pub(crate) fn login(iat: i64, exp: i64) -> Login {
        Login {
            kind: LoginKind::Apikey(apikey::ApiKey {}),
            user: "u".into(),
            iam_id: "IBMid-1".into(),
            sub_type: None,
            account: None,
            resource_group: None,
            access_token: "t".into(),
            token_issued_at: iat,
            token_expires_at: exp,
            refresh_token_expires_at: None,
            login_at: iat,
            secrets: {
                let mut kept = Kept::none(StoreKind::Keyring);
                kept.mark(REFRESH_TOKEN);
                kept
            },
            delegated: Default::default(),
        }
    }

    #[test]
    fn refresh_window_is_80_percent_or_10_seconds() {
        let l = login(1000, 4600);
        assert!(!l.needs_refresh(1000));
        assert!(!l.needs_refresh(3879));
        assert!(l.needs_refresh(3880));
        let short = login(1000, 1030);
        assert!(!short.needs_refresh(1019));
        assert!(short.needs_refresh(1020));
        let tiny = login(1000, 1005);
        assert!(tiny.needs_refresh(1000));
    }

    #[test]
    fn the_refresh_window_of_extreme_times_needs_no_overflow() {
        // Found by the session fuzz target: a session file with times at the ends of i64.
        let far = login(i64::MIN, i64::MAX);
        assert!(!far.needs_refresh(0));
        assert!(far.needs_refresh(i64::MAX));
        let backwards = login(i64::MAX, i64::MIN);
        assert!(backwards.needs_refresh(i64::MIN));
        assert!(login(i64::MAX - 5, i64::MAX).needs_refresh(i64::MAX - 10));
    }

    #[test]
    fn a_corrupt_file_is_named_on_one_line() {
        // Found by the session fuzz target: serde quotes the unknown login method, line
        // break and all.
        let source = match parse(
            br#"{"api_endpoint":"a","iam_endpoint":"b","login":{"method":"api\nkey","user":"u",
                "iam_id":"i","access_token":"t","token_issued_at":1,"token_expires_at":2,
                "login_at":1,"secrets":{"store":"keyring"}}}"#,
        ) {
            Err(e) => e,
            Ok(_) => panic!("an unknown method was accepted"),
        };
        let e = crate::session::SessionError::Corrupt {
            path: "s.json".into(),
            source,
        };
        let text = e.to_string();
        assert!(!text.contains('\n') && text.contains(r"api\nkey"), "{text}");
    }

    #[test]
    fn logins_of_every_kind_round_trip_and_old_files_still_read() {
        // A session file written before login kinds carried data.
        let old = r#"{"method":"apikey","user":"u","iam_id":"IBMid-1","access_token":"t",
            "token_issued_at":1,"token_expires_at":2,"login_at":1,
            "secrets":{"store":"keyring","refresh_token":true,"apikey":true}}"#;
        let login: Login = serde_json::from_str(old).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(login.kind, LoginKind::Apikey(apikey::ApiKey {}));
        let kept: Vec<&str> = login.secrets.slots().map(|s| s.as_str()).collect();
        assert_eq!(kept, ["apikey", "refresh_token"]);
        let kinds = every_kind();
        for kind in kinds {
            let mut l = login.clone();
            l.kind = kind.clone();
            // The login's own fields must survive beside the kind's.
            l.account = Some(Account {
                guid: "acc".into(),
                name: "A".into(),
                owner: String::new(),
                ims: None,
            });
            let text = serde_json::to_string(&l).unwrap_or_default();
            let back: Login = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(back, l, "{text}");
            assert!(
                text.contains(&format!("\"method\":\"{}\"", kind.name())),
                "{text}"
            );
        }
    }

    mod props {
        use super::*;
        use proptest::collection::btree_map;
        use proptest::option::of;
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            any::<String>()
        }

        fn store() -> impl Strategy<Value = StoreKind> {
            prop_oneof![Just(StoreKind::Keyring), Just(StoreKind::File)]
        }

        fn cached() -> impl Strategy<Value = CachedToken> {
            (text(), any::<i64>(), any::<i64>()).prop_map(|(token, issued_at, expires_at)| {
                CachedToken {
                    token,
                    issued_at,
                    expires_at,
                }
            })
        }

        prop_compose! {
            fn a_login()(
                kind in any_kind(),
                (user, iam_id, sub_type) in (text(), text(), of(text())),
                account in of((text(), text(), text(), of(text())).prop_map(|(guid, name, owner, ims)| {
                    Account { guid, name, owner, ims }
                })),
                resource_group in of((text(), text(), text(), any::<bool>(), text()).prop_map(
                    |(guid, name, state, default, quota_id)| ResourceGroup { guid, name, state, default, quota_id },
                )),
                access_token in text(),
                times in (any::<i64>(), any::<i64>(), of(any::<i64>()), any::<i64>()),
                secrets in (store(), of(text()), proptest::collection::btree_set(any_slot(), 0..4)),
                delegated in btree_map(text(), cached(), 0..3),
            ) -> Login {
                let (store, stored_as, slots) = secrets;
                let mut kept = Kept::none(store);
                kept.iam_id = stored_as;
                for slot in slots {
                    kept.mark(slot);
                }
                Login {
                    kind,
                    user,
                    iam_id,
                    sub_type,
                    account,
                    resource_group,
                    access_token,
                    token_issued_at: times.0,
                    token_expires_at: times.1,
                    refresh_token_expires_at: times.2,
                    login_at: times.3,
                    secrets: kept,
                    delegated,
                }
            }
        }

        prop_compose! {
            fn a_session()(
                endpoints in (text(), text(), text(), text()),
                skip_ssl_validation in any::<bool>(),
                ca_cert in of(text()),
                region in of(text()),
                login in of(a_login()),
                pending_deletes in proptest::collection::vec(
                    (store(), text(), text(), any_slot()).prop_map(|(store, iam_endpoint, iam_id, kind)| {
                        PendingDelete { store, iam_endpoint, iam_id, kind }
                    }),
                    0..3,
                ),
            ) -> Session {
                Session {
                    version: FORMAT_VERSION,
                    api_endpoint: endpoints.0,
                    iam_endpoint: endpoints.1,
                    accounts_endpoint: endpoints.2,
                    resource_controller_endpoint: endpoints.3,
                    skip_ssl_validation,
                    ca_cert: ca_cert.map(Into::into),
                    region,
                    login,
                    pending_deletes,
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            /// Whatever a session holds, the file `save` writes reads back as that session.
            #[test]
            fn every_session_survives_its_file(session in a_session()) {
                let bytes = crate::home::json_bytes(&session).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let back = parse(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(back, session);
            }
        }
    }

    #[test]
    fn pending_deletes_of_older_files_name_the_api_key_slot() {
        let old = r#"{"store":"keyring","iam_endpoint":"i","iam_id":"u","kind":"api_key"}"#;
        let p: PendingDelete = serde_json::from_str(old).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.kind, apikey::SLOT);
        let text = serde_json::to_string(&p).unwrap_or_default();
        assert!(text.contains(r#""kind":"apikey""#), "{text}");
    }

    #[test]
    fn kept_secrets_are_written_as_the_flags_older_files_had() {
        let mut kept = Kept::none(StoreKind::Keyring);
        kept.mark(REFRESH_TOKEN);
        let text = serde_json::to_string(&kept).unwrap_or_default();
        assert_eq!(text, r#"{"store":"keyring","refresh_token":true}"#);
        // Flags set false are no secret; a slot this iamctl has no kind for still is one.
        let old = r#"{"store":"file","refresh_token":true,"apikey":false,"later_slot":true}"#;
        let back: Kept = serde_json::from_str(old).unwrap_or_else(|e| panic!("{e}"));
        let slots: Vec<&str> = back.slots().map(|s| s.as_str()).collect();
        assert_eq!(slots, ["later_slot", "refresh_token"]);
        assert_eq!(back.store, StoreKind::File);
    }

    #[test]
    fn secrets_kept_for_another_identity_name_it_and_read_back() {
        let mut l = login(1, 2);
        assert_eq!(l.secrets_iam_id(), "IBMid-1");
        // The login becomes a profile; its secrets stay the user's.
        l.secrets = l.secrets.moved_to("IBMid-1", "iam-Profile-1");
        l.iam_id = "iam-Profile-1".into();
        assert_eq!(l.secrets_iam_id(), "IBMid-1");
        let text = serde_json::to_string(&l.secrets).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"store":"keyring","iam_id":"IBMid-1","refresh_token":true}"#
        );
        let back: Kept = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, l.secrets);
        assert_eq!(back.slots().count(), 1, "the identity is no slot");
        // Back to the identity they were stored for: the file names none again.
        let home = l.secrets.moved_to("IBMid-1", "IBMid-1");
        assert_eq!(home, login(1, 2).secrets);
    }
}
