//! The kinds of login, one module each: what the user gives (`Credential`), what the session
//! file records (`LoginKind`), the first grant, the renewal rule, the secret the kind keeps
//! and the typed reasons its renewal can fail. This file is the list of kinds: adding one is
//! a module here, a variant in `Credential`, `LoginKind` and `Expired`, and its arm in each
//! match below.

pub mod apikey;
pub mod assume;
pub mod cr_token;
pub mod passcode;
pub mod password;
pub mod vpc;

use super::AuthError;
use super::vault::Slots;
use crate::iam::errors::ApiError;
use crate::iam::{Account, Client, Grant, IamError, ProfileRef, TokenResponse, jwt};
use crate::secrets::Slot;
use serde::{Deserialize, Serialize};

/// The slot of the refresh token, which every kind that gets one keeps.
pub const REFRESH_TOKEN: Slot = Slot::new("refresh_token");

/// What the user logs in with.
pub enum Credential {
    ApiKey(apikey::Given),
    Password(password::Given),
    /// An SSO one-time code.
    Passcode(passcode::Given),
    CrToken(cr_token::Given),
    VpcCri(vpc::VpcCri),
    Assume(assume::Given),
}

/// How a session logged in, as its file records it (`method` plus the kind's own fields).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum LoginKind {
    Apikey(apikey::ApiKey),
    Password(password::Password),
    Sso(passcode::Sso),
    CrToken(cr_token::CrToken),
    VpcCri(vpc::VpcCri),
    Assume(assume::Assume),
}

/// Why a session's stored credential no longer gives tokens: log in again, or do what the
/// command layer says for this reason.
#[derive(Debug)]
pub enum Expired {
    /// No refresh token is stored for the session.
    NoRefreshToken,
    /// IAM refused the stored refresh token (expired, revoked).
    RefreshRefused(ApiError),
    ApiKey(apikey::Dead),
    CrToken(cr_token::Dead),
    VpcCri(vpc::Dead),
    Assume(assume::Dead),
}

impl std::fmt::Display for Expired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expired::NoRefreshToken => f.write_str("No refresh token is stored for this session."),
            Expired::RefreshRefused(api) => f.write_str(&api.line()),
            Expired::ApiKey(d) => d.fmt(f),
            Expired::CrToken(d) => d.fmt(f),
            Expired::VpcCri(d) => d.fmt(f),
            Expired::Assume(d) => d.fmt(f),
        }
    }
}

/// Why a renewal stopped.
pub(super) enum Stop {
    /// The stored credential no longer works.
    Dead(Box<Expired>),
    /// IAM answered with a server error or not at all: the cached token may still do.
    Unavailable(IamError),
    Failed(AuthError),
}

impl Stop {
    fn dead(e: Expired) -> Stop {
        Stop::Dead(Box::new(e))
    }
}

impl From<AuthError> for Stop {
    fn from(e: AuthError) -> Self {
        Stop::Failed(e)
    }
}

/// A new token, and the refresh token to keep from now on (if the rule got a new one).
pub(super) struct Renewed {
    pub tokens: TokenResponse,
    pub refresh_token: Option<String>,
}

impl Renewed {
    fn own(tokens: TokenResponse) -> Renewed {
        let refresh_token = tokens.usable_refresh_token().map(str::to_string);
        Renewed {
            tokens,
            refresh_token,
        }
    }
}

/// What a renewal works with: the session's IAM, its secrets, and its account (which a
/// login made again returns to).
pub(super) struct Renewal<'a> {
    pub client: &'a Client,
    pub slots: &'a Slots<'a>,
    pub account: Option<&'a Account>,
}

/// What the first grant gave.
pub struct Authenticated {
    /// The session's tokens.
    pub tokens: TokenResponse,
    /// For an assumed profile, the caller's tokens: its refresh token renews the session.
    pub caller: Option<TokenResponse>,
}

impl Authenticated {
    fn own(tokens: TokenResponse) -> Authenticated {
        Authenticated {
            tokens,
            caller: None,
        }
    }

    /// The refresh token the session keeps: its own, or its caller's.
    pub fn refresh_token(&self) -> Option<&str> {
        match &self.caller {
            Some(c) => c.usable_refresh_token(),
            None => self.tokens.usable_refresh_token(),
        }
    }
}

impl Credential {
    /// The record the session file keeps of this login. `claims` are the session token's.
    pub fn kind(&self, claims: &jwt::Claims) -> LoginKind {
        match self {
            Credential::ApiKey(_) => LoginKind::Apikey(apikey::ApiKey {}),
            Credential::Password(_) => LoginKind::Password(password::Password {}),
            Credential::Passcode(_) => LoginKind::Sso(passcode::Sso {}),
            Credential::CrToken(g) => LoginKind::CrToken(g.kind()),
            Credential::VpcCri(v) => LoginKind::VpcCri(v.clone()),
            Credential::Assume(g) => LoginKind::Assume(g.kind(claims)),
        }
    }

    /// The secret kept beside the refresh token, so the session can log in again by itself.
    pub fn kept(&self) -> Option<(Slot, &str)> {
        match self {
            Credential::ApiKey(g) => Some(g.kept()),
            Credential::CrToken(g) => g.kept(),
            Credential::Assume(g) => g.caller.kept(),
            Credential::Password(_) | Credential::Passcode(_) | Credential::VpcCri(_) => None,
        }
    }

    /// Whether the login keeps secrets (and so needs the secret store before it goes on).
    pub fn keeps_secrets(&self) -> bool {
        match self {
            Credential::CrToken(g) => g.kept().is_some(),
            Credential::VpcCri(_) => false,
            Credential::ApiKey(_)
            | Credential::Password(_)
            | Credential::Passcode(_)
            | Credential::Assume(_) => true,
        }
    }

    /// Whether the login spends a one-time code, which a failure after it cannot give back.
    pub fn spends_one_time_code(&self) -> bool {
        match self {
            Credential::Passcode(_) => true,
            Credential::Assume(g) => g.caller.spends_one_time_code(),
            _ => false,
        }
    }

    /// Whether the token names the one account the identity belongs to (API keys and
    /// trusted profiles), rather than one of a user's several.
    pub fn bound_to_token_account(&self) -> bool {
        !matches!(self, Credential::Password(_) | Credential::Passcode(_))
    }

    /// The trusted profile the login becomes, if any.
    pub fn profile(&self) -> Option<&ProfileRef> {
        match self {
            Credential::CrToken(g) => Some(&g.profile),
            Credential::VpcCri(v) => v.profile.as_ref(),
            Credential::Assume(g) => Some(&g.profile),
            _ => None,
        }
    }

    /// The first grant: IAM refusing the credential is `Refused` (the user's to fix), a
    /// server error or no answer is `Unavailable`.
    pub fn authenticate(&self, client: &Client) -> Result<Authenticated, AuthError> {
        let grant = match self {
            Credential::ApiKey(g) => g.grant(),
            Credential::Password(g) => g.grant(),
            Credential::Passcode(g) => g.grant(),
            Credential::CrToken(g) => g.grant(),
            Credential::VpcCri(v) => return v.authenticate(client).map(Authenticated::own),
            Credential::Assume(g) => return g.authenticate(client),
        };
        client
            .token(grant)
            .map(Authenticated::own)
            .map_err(refused_at_login)
    }
}

/// IAM's answer to a first grant that failed.
fn refused_at_login(e: IamError) -> AuthError {
    match e {
        IamError::Rejected(api) if api.is_client_error() => AuthError::Refused(api),
        other => AuthError::Unavailable(other),
    }
}

/// What each kind of recorded login knows about itself.
trait Kind {
    /// In a few words: "API key", "SSO", ...
    fn describe(&self) -> &'static str;
    /// How the token is renewed, in a few words for `sessions` and `target`.
    fn renewal(&self) -> String;
    /// A token in place of the session's, by this kind's rule.
    fn renew(&self, r: &Renewal<'_>) -> Result<Renewed, Stop>;
    /// The trusted profile the session acts as.
    fn profile(&self) -> Option<&ProfileRef> {
        None
    }
    /// Whether the login has a refresh token of its own, which can be delegated (an
    /// assumed profile keeps its caller's, which would delegate the caller).
    fn own_refresh_token(&self) -> bool {
        false
    }
}

impl LoginKind {
    fn rule(&self) -> &dyn Kind {
        match self {
            LoginKind::Apikey(k) => k,
            LoginKind::Password(k) => k,
            LoginKind::Sso(k) => k,
            LoginKind::CrToken(k) => k,
            LoginKind::VpcCri(k) => k,
            LoginKind::Assume(k) => k,
        }
    }

    /// The trusted profile the session acts as, if any.
    pub fn profile(&self) -> Option<&ProfileRef> {
        self.rule().profile()
    }

    /// How the token is renewed, in a few words for `sessions` and `target`.
    pub fn renewal(&self) -> String {
        self.rule().renewal()
    }

    pub fn describe(&self) -> &'static str {
        self.rule().describe()
    }

    pub fn own_refresh_token(&self) -> bool {
        self.rule().own_refresh_token()
    }

    /// The kind's name as stored (`apikey`, `sso`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            LoginKind::Apikey(_) => "apikey",
            LoginKind::Password(_) => "password",
            LoginKind::Sso(_) => "sso",
            LoginKind::CrToken(_) => "cr_token",
            LoginKind::VpcCri(_) => "vpc_cri",
            LoginKind::Assume(_) => "assume",
        }
    }

    pub(super) fn renew(&self, r: &Renewal<'_>) -> Result<Renewed, Stop> {
        self.rule().renew(r)
    }
}

/// A refresh grant with the stored refresh token: the rule of every kind that has one.
fn refresh(r: &Renewal<'_>) -> Result<TokenResponse, Stop> {
    let Some(rt) = r.slots.get(&REFRESH_TOKEN)? else {
        return Err(Stop::dead(Expired::NoRefreshToken));
    };
    r.client
        .token(Grant::Refresh {
            refresh_token: &rt,
            account: None,
            ims_account: None,
        })
        .map_err(|e| match e {
            IamError::Rejected(api) if api.is_client_error() => {
                Stop::dead(Expired::RefreshRefused(api))
            }
            other => Stop::Unavailable(other),
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::option::of;
    use proptest::prelude::*;
    use std::path::PathBuf;

    /// One login of each kind, with the fields each kind has.
    pub(crate) fn every_kind() -> Vec<LoginKind> {
        vec![
            LoginKind::Apikey(apikey::ApiKey {}),
            LoginKind::Password(password::Password {}),
            LoginKind::Sso(passcode::Sso {}),
            LoginKind::CrToken(cr_token::CrToken {
                profile: ProfileRef::parse("ci-workload"),
                token_file: Some("/var/run/secrets/tokens/sa-token".into()),
            }),
            LoginKind::VpcCri(vpc::VpcCri {
                profile: Some(ProfileRef::parse("Profile-1")),
                metadata_url: "http://127.0.0.1:1".into(),
            }),
            LoginKind::Assume(assume::Assume {
                profile: ProfileRef::parse("crn:v1:x"),
                account: None,
                caller: Box::new(LoginKind::Sso(passcode::Sso {})),
                returns_to: None,
            }),
            LoginKind::Assume(assume::Assume {
                profile: ProfileRef::parse("deployer"),
                account: Some("acc".into()),
                caller: Box::new(LoginKind::Apikey(apikey::ApiKey {})),
                returns_to: None,
            }),
            // Assumed by a logged-in session, which it returns to.
            LoginKind::Assume(assume::Assume {
                profile: ProfileRef::parse("Profile-1"),
                account: None,
                caller: Box::new(LoginKind::Password(password::Password {})),
                returns_to: Some(Box::new(assume::Caller {
                    user: "a@b.c".into(),
                    iam_id: "IBMid-1".into(),
                    account: Some(Account {
                        guid: "acc".into(),
                        name: "A".into(),
                        owner: "IBMid-1".into(),
                        ims: None,
                    }),
                    resource_group: None,
                })),
            }),
        ]
    }

    /// Any login of any kind, whatever its fields hold.
    pub(crate) fn any_kind() -> impl Strategy<Value = LoginKind> {
        let text = any::<String>;
        let profile = move || {
            prop_oneof![
                text().prop_map(ProfileRef::Id),
                text().prop_map(ProfileRef::Crn),
                text().prop_map(ProfileRef::Name),
            ]
        };
        let leaf = prop_oneof![
            Just(LoginKind::Apikey(apikey::ApiKey {})),
            Just(LoginKind::Password(password::Password {})),
            Just(LoginKind::Sso(passcode::Sso {})),
            (profile(), of(text().prop_map(PathBuf::from))).prop_map(|(profile, token_file)| {
                LoginKind::CrToken(cr_token::CrToken {
                    profile,
                    token_file,
                })
            }),
            (of(profile()), text()).prop_map(|(profile, metadata_url)| {
                LoginKind::VpcCri(vpc::VpcCri {
                    profile,
                    metadata_url,
                })
            }),
        ];
        let returns_to = move || {
            of((text(), text(), of((text(), text())))).prop_map(|c| {
                c.map(|(user, iam_id, account)| {
                    Box::new(assume::Caller {
                        user,
                        iam_id,
                        account: account.map(|(guid, name)| Account {
                            guid,
                            name,
                            owner: String::new(),
                            ims: None,
                        }),
                        resource_group: None,
                    })
                })
            })
        };
        // An assumed profile's caller is any other login, assumed ones included.
        leaf.prop_recursive(3, 4, 1, move |caller| {
            (profile(), of(text()), caller, returns_to()).prop_map(
                |(profile, account, caller, returns_to)| {
                    LoginKind::Assume(assume::Assume {
                        profile,
                        account,
                        caller: Box::new(caller),
                        returns_to,
                    })
                },
            )
        })
    }

    /// Any slot a login keeps, and names no kind has (yet).
    pub(crate) fn any_slot() -> impl Strategy<Value = Slot> {
        prop_oneof![
            Just(REFRESH_TOKEN),
            Just(apikey::SLOT),
            Just(cr_token::SLOT),
            "[a-z_]{1,12}"
                .prop_filter("the store's own fields", |s| s != "store" && s != "iam_id")
                .prop_map(Slot::named),
        ]
    }

    #[test]
    fn each_kind_is_stored_under_its_name() {
        for kind in every_kind() {
            let text = serde_json::to_string(&kind).unwrap_or_default();
            assert!(
                text.starts_with(&format!("{{\"method\":\"{}\"", kind.name())),
                "{text}"
            );
            let back: LoginKind =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(back, kind);
        }
    }

    #[test]
    fn only_users_and_service_ids_delegate_their_own_refresh_token() {
        assert!(LoginKind::Apikey(apikey::ApiKey {}).own_refresh_token());
        assert!(LoginKind::Sso(passcode::Sso {}).own_refresh_token());
        let assumed = LoginKind::Assume(assume::Assume {
            profile: ProfileRef::parse("p"),
            account: None,
            caller: Box::new(LoginKind::Apikey(apikey::ApiKey {})),
            returns_to: None,
        });
        assert!(!assumed.own_refresh_token());
        assert_eq!(assumed.profile(), Some(&ProfileRef::parse("p")));
    }
}
