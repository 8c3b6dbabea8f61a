//! The credentials layer: the one place that knows what a login is.
//!
//! A login has a kind (`kinds/`: API key, password, SSO one-time code, compute-resource
//! token, VPC instance identity, an assumed trusted profile), secrets it keeps in the secret
//! store (a refresh token, and what the kind keeps to log in again) and one rule for
//! renewing its token. Commands go through [`Credentials`] to log in (`flow.rs`, which saves
//! with `start.rs`), to get a fresh token (`renew.rs`), to re-scope it to an account, to act
//! as a trusted profile and back (`profile.rs`), and to end it (`end.rs`: logout and
//! session-delete share one path). They never build a secret's
//! name or touch the secret store: `vault.rs` does, and so does `stored_keys.rs` for keys
//! kept with `--keyring`. What a session file holds is `record.rs`.
//!
//! Nothing here prints: failures are `AuthError`s and warnings are `Warning`s handed to the
//! sink the command layer gives, which alone puts them into words.

mod delegate;
mod end;
mod flow;
pub mod kinds;
mod profile;
pub mod record;
mod renew;
mod start;
pub mod stored_keys;
mod vault;

#[cfg(test)]
mod tests;

pub use crate::secrets::StoreKind;
pub use end::Ending;
pub use flow::{
    AccountChoice, LoginRequest, LoginUi, RegionChoice, Store, Targeted, find_account,
    find_resource_group,
};
pub use kinds::{Credential, Expired};
pub use profile::profile_id;
pub use record::{Login, Session};
pub use start::rescope;
pub use vault::{Vault, VaultOpening};

use crate::config::ConfigError;
use crate::home::{Home, NoHome};
use crate::iam::errors::ApiError;
use crate::iam::{Account, Client, IamError, ResourceGroup, TokenResponse, jwt};
use crate::secrets::{SecretError, SecretStore};
use crate::session::{SessionError, SessionLock, SessionStore};
use std::path::PathBuf;
use std::sync::Arc;

/// What can stop the credentials layer.
#[derive(Debug)]
pub enum AuthError {
    NotLoggedIn,
    /// The session's token expired and its stored credential gives no new one.
    Expired(Box<Expired>),
    /// A session switches accounts with its refresh token, and none is stored.
    NoRefreshTokenToSwitch,
    /// IAM refused the credentials given to `login` (the first grant).
    Refused(ApiError),
    /// IAM would not let the caller assume this trusted profile.
    ProfileRefused {
        profile: String,
        source: ApiError,
    },
    /// `trusted-profile-leave` in a session that assumed no profile: it is its own identity,
    /// or (`acts_as`) a workload's trusted profile, logged in by `how`, with no caller.
    NotAssumed {
        acts_as: Option<crate::iam::ProfileRef>,
        how: &'static str,
    },
    /// IAM would not re-scope the session to this account.
    AccountRefused {
        account: String,
        source: ApiError,
    },
    /// IAM gave no refresh token, so the session cannot change accounts.
    NoRefreshToken,
    /// Delegated refresh tokens come from a refresh token, which this session does not have
    /// (it renews another way, said in `renewal`).
    NoDelegation {
        renewal: String,
    },
    /// IAM answered with a server error or could not be reached while renewing or logging in.
    Unavailable(IamError),
    /// Another IAM failure, with what iamctl was doing.
    Iam {
        doing: &'static str,
        source: IamError,
    },
    /// The HTTP client could not be set up (`IBMCLOUD_HTTP_TIMEOUT`, TLS).
    Http(IamError),
    /// Ending a login could not delete every secret; doing the same again finishes it.
    SecretsLeft {
        source: Box<AuthError>,
        ending: end::Ending,
    },
    Session(SessionError),
    Secrets(SecretError),
    Config(ConfigError),
    NoHome(NoHome),
    /// IAM's token is not a JWT, or names no identity: iamctl cannot use it.
    UnusableToken(&'static str),
    /// The account asked for is not one the identity can use.
    NoSuchAccount {
        want: String,
        accounts: Vec<Account>,
    },
    /// Several accounts, no choice given, and no way to ask.
    AccountChoiceNeeded {
        accounts: Vec<Account>,
    },
    /// A trusted profile's session stays in the profile's account.
    ProfileInOtherAccount {
        own: String,
        want: String,
    },
    /// The resource group asked for is not in the account.
    NoSuchResourceGroup {
        want: String,
        account: String,
        groups: Vec<ResourceGroup>,
    },
    /// A state iamctl should never reach.
    Internal(&'static str),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::NotLoggedIn => f.write_str("Not logged in."),
            AuthError::Expired(why) => {
                write!(f, "Session expired and could not be renewed: {why}")
            }
            AuthError::NoRefreshTokenToSwitch => write!(
                f,
                "Session expired and could not be renewed: no refresh token is stored to switch accounts with"
            ),
            AuthError::Refused(api) => write!(f, "Unable to authenticate: {}", api.line()),
            AuthError::ProfileRefused { profile, source } => write!(
                f,
                "IAM did not let this identity assume trusted profile {profile}: {}",
                source.line()
            ),
            AuthError::NotAssumed { acts_as: None, .. } => f.write_str(
                "This session has not assumed a trusted profile, so there is none to leave.",
            ),
            AuthError::NotAssumed {
                acts_as: Some(profile),
                how,
            } => write!(
                f,
                "This session logged in as trusted profile {profile} itself (with a {how}); it assumed no profile and has no other identity to return to."
            ),
            AuthError::AccountRefused { account, source } => write!(
                f,
                "IAM did not let this session switch to account {account}: {}",
                source.line()
            ),
            AuthError::NoDelegation { renewal } => write!(
                f,
                "Tokens for other clients come from a delegated refresh token, and this session has no refresh token (it renews by {renewal})."
            ),
            AuthError::NoRefreshToken => f.write_str(
                "IAM issued no refresh token, so the session cannot be scoped to an account.",
            ),
            AuthError::Unavailable(IamError::Rejected(api)) => {
                write!(f, "IAM is unavailable: {}", api.line())
            }
            AuthError::Unavailable(e) => e.fmt(f),
            AuthError::Iam { doing, source } => write!(f, "{doing}: {source}"),
            AuthError::Http(e) => e.fmt(f),
            AuthError::SecretsLeft { source, .. } => source.fmt(f),
            AuthError::Session(e) => e.fmt(f),
            AuthError::Secrets(e) => e.fmt(f),
            AuthError::Config(e) => e.fmt(f),
            AuthError::NoHome(e) => e.fmt(f),
            AuthError::UnusableToken(why) => f.write_str(why),
            AuthError::NoSuchAccount { want, .. } => {
                write!(f, "Account '{want}' is not one this identity can use.")
            }
            AuthError::AccountChoiceNeeded { accounts } => write!(
                f,
                "This identity can use {} accounts, and none was chosen.",
                accounts.len()
            ),
            AuthError::ProfileInOtherAccount { own, want } => write!(
                f,
                "The trusted profile belongs to account {own}; its session cannot move to account {want}."
            ),
            AuthError::NoSuchResourceGroup { want, account, .. } => write!(
                f,
                "Resource group '{want}' was not found in account {account}."
            ),
            AuthError::Internal(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthError::Unavailable(e) | AuthError::Http(e) | AuthError::Iam { source: e, .. } => {
                Some(e)
            }
            AuthError::SecretsLeft { source, .. } => Some(&**source),
            AuthError::Secrets(e) => Some(e),
            AuthError::Session(e) => Some(e),
            AuthError::Config(e) => Some(e),
            AuthError::NoHome(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SessionError> for AuthError {
    fn from(e: SessionError) -> Self {
        AuthError::Session(e)
    }
}

impl From<SecretError> for AuthError {
    fn from(e: SecretError) -> Self {
        AuthError::Secrets(e)
    }
}

impl From<ConfigError> for AuthError {
    fn from(e: ConfigError) -> Self {
        AuthError::Config(e)
    }
}

impl From<NoHome> for AuthError {
    fn from(e: NoHome) -> Self {
        AuthError::NoHome(e)
    }
}

pub type Result<T, E = AuthError> = std::result::Result<T, E>;

/// Something the credentials layer went on despite: the command layer says it in words.
#[derive(Debug)]
pub enum Warning {
    /// Secrets are kept in the plain file store (said on every use).
    PlainFileStore { path: PathBuf },
    /// Renewing failed for a passing reason; the cached token, still valid, is used.
    CachedTokenKept { cause: AuthError, valid_for: i64 },
    /// IAM renewed the refresh token and the store would not keep the new one.
    RenewedRefreshTokenLost(AuthError),
    /// A new login could not delete the previous login's secrets; they stay listed for the
    /// next logout.
    PreviousSecretsLeft(AuthError),
    /// A stored key replaced under another endpoint or store kept its old secret.
    ReplacedStoredKeyLeft { name: String, cause: AuthError },
    /// A login spent a one-time code and could not ask which of several accounts: it
    /// targeted the token's own (`chosen`), or none.
    AccountGuessed {
        chosen: Option<Account>,
        accounts: Vec<Account>,
    },
    /// The account's resource groups could not be listed, so none is targeted.
    NoResourceGroup(IamError),
    /// What the IAM client went on despite.
    Iam(crate::iam::Warning),
}

/// Where warnings go.
pub type Warn = Arc<dyn Fn(Warning) + Send + Sync>;

/// Opens secret stores: the OS keyring or the file store, or in unit tests memory.
pub trait OpenStore: Send + Sync {
    fn open(
        &self,
        kind: StoreKind,
        home: &Home,
    ) -> std::result::Result<Box<dyn SecretStore + Send>, SecretError>;
}

/// The stores of this machine (`secrets::open`), each keyring call bounded by
/// `keyring_timeout`.
pub struct SystemStores {
    pub keyring_timeout: std::time::Duration,
}

impl OpenStore for SystemStores {
    fn open(
        &self,
        kind: StoreKind,
        home: &Home,
    ) -> std::result::Result<Box<dyn SecretStore + Send>, SecretError> {
        crate::secrets::open(kind, home, self.keyring_timeout)
    }
}

/// What the credentials layer is given by the command layer: where its warnings go, how
/// it opens secret stores, and how its HTTP clients behave.
#[derive(Clone)]
pub struct Services {
    pub warn: Warn,
    pub stores: Arc<dyn OpenStore>,
    pub http: crate::iam::ClientOptions,
}

/// The login of one named session.
#[derive(Clone)]
pub struct Credentials {
    store: SessionStore,
    services: Services,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The session called `name` in `home` (which need not exist yet).
    pub fn named(home: &Home, name: &str, services: Services) -> Result<Credentials> {
        Ok(Credentials {
            store: home.store(name)?,
            services,
        })
    }

    pub fn home(&self) -> &Home {
        &self.store.home
    }

    pub fn name(&self) -> &str {
        &self.store.name
    }

    /// The session file.
    pub fn path(&self) -> PathBuf {
        self.store.path()
    }

    /// The logged-in session as it is on disk, even with an expired token (no renewal).
    pub fn logged_in(&self) -> Result<(Session, Login)> {
        logged_in(self.store.load()?)
    }

    /// The session before a new login replaces it; a corrupt file counts as none (`true`).
    pub fn previous(&self) -> Result<(Option<Session>, bool)> {
        Ok(self.store.load_lenient()?)
    }

    /// The logged-in session under the session lock, for a change that is saved with
    /// [`Edit::save`]. The token should be fresh first ([`Credentials::fresh`]).
    pub fn edit(&self) -> Result<Edit> {
        let lock = self.store.lock()?;
        let (session, login) = self.logged_in()?;
        Ok(Edit {
            creds: self.clone(),
            lock,
            session,
            login,
        })
    }

    fn warn(&self, w: Warning) {
        (self.services.warn)(w)
    }

    /// An HTTP client for the session's endpoints.
    pub fn client(&self, session: &Session) -> Result<Client> {
        self.client_for(session.endpoints(), &session.trust())
    }

    /// An HTTP client for the session's endpoints whose requests, retries included, take at
    /// most `limit` (or the run's own deadline, if shorter).
    pub fn client_within(&self, session: &Session, limit: std::time::Duration) -> Result<Client> {
        let options = crate::iam::ClientOptions {
            timeout: self.services.http.timeout.min(limit),
            ..self.services.http.clone()
        };
        Client::new(session.endpoints(), &session.trust(), &options).map_err(AuthError::Http)
    }

    /// An HTTP client for `endpoints`, its warnings reported as the layer's own.
    pub fn client_for(
        &self,
        endpoints: crate::endpoints::Endpoints,
        trust: &crate::iam::trust::Trust,
    ) -> Result<Client> {
        Client::new(endpoints, trust, &self.services.http).map_err(AuthError::Http)
    }

    /// The secret store of `kind`.
    fn vault(&self, kind: StoreKind) -> Result<Vault> {
        Vault::open(kind, self.home(), &self.services)
    }

    /// The store the user chose (`IAMCTL_SECRET_STORE`, `config.json`, else the keyring),
    /// opened on another thread: connecting to the keyring takes a D-Bus handshake, which
    /// `login` overlaps with its first requests to IAM.
    pub fn open_vault_in_background(&self) -> VaultOpening {
        VaultOpening::start(self.home().clone(), self.services.clone())
    }
}

/// Puts a new token into a login (identity fields stay).
fn apply_tokens(login: &mut Login, tokens: &TokenResponse) {
    let claims = jwt::decode(&tokens.access_token).unwrap_or_default();
    let (iat, exp) = tokens.times(&claims);
    login.access_token = tokens.access_token.clone();
    login.token_issued_at = iat;
    login.token_expires_at = exp;
    if tokens.refresh_token_expiration.is_some() {
        login.refresh_token_expires_at = tokens.refresh_token_expiration;
    }
}

/// The session and its login, or `NotLoggedIn`.
fn logged_in(session: Option<Session>) -> Result<(Session, Login)> {
    match session {
        Some(s) => match s.login.clone() {
            Some(l) => Ok((s, l)),
            None => Err(AuthError::NotLoggedIn),
        },
        None => Err(AuthError::NotLoggedIn),
    }
}

/// A logged-in session being changed under its lock (by `target`).
pub struct Edit {
    creds: Credentials,
    lock: SessionLock,
    pub session: Session,
    pub login: Login,
}

impl Edit {
    /// Writes the change; the lock is released afterwards.
    pub fn save(mut self) -> Result<Session> {
        self.session.login = Some(self.login);
        self.creds.store.save(&self.lock, &self.session)?;
        Ok(self.session)
    }

    /// A new token in place of the login's, which IAM refused (401) although it looked
    /// valid. Only before `switch_account`: the token must still be the saved one. Changes
    /// made so far stay; the renewal itself is saved at once, as `fresh` saves its own.
    pub fn renew_refused(&mut self) -> Result<()> {
        let rejected = self.login.access_token.clone();
        let (_, renewed) = self.creds.renew_locked(&self.lock, Some(&rejected))?;
        let login = &mut self.login;
        login.access_token = renewed.access_token;
        login.token_issued_at = renewed.token_issued_at;
        login.token_expires_at = renewed.token_expires_at;
        login.refresh_token_expires_at = renewed.refresh_token_expires_at;
        login.secrets = renewed.secrets;
        Ok(())
    }
}
