//! iam-emulator: a local IBM Cloud IAM that IBM's official SDKs accept.
//!
//! Tests start it in-process on a free port:
//!
//! ```no_run
//! let emu = iam_emulator::spawn(iam_emulator::Config::default()).unwrap();
//! println!("{} {}", emu.url(), emu.info().apikey);
//! drop(emu); // stops the server
//! ```
//!
//! The binary (`iam-emulator`) wraps [`Server`]; its contract and the HTTP API are documented
//! in `docs/emulator.md`.

mod access;
mod accounts;
mod admin;
mod app;
mod crypto;
// Only cargo-fuzz builds (`--cfg fuzzing`) see the targets' entry points.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzz;
mod http;
mod identity;
mod model;
mod persist;
mod tls;
mod token;

/// The seed file format (`--seed FILE`), and the demo world's fixed ids and secrets.
pub mod seed {
    pub use crate::model::access::{CustomRoleProblem, PolicyProblem};
    pub use crate::model::demo::*;
    pub use crate::model::seed::*;
    pub use crate::model::trust::{IdentityError, LinkError};
}

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use serde::Serialize;

use crate::app::App;
use crate::crypto::jwt;
pub use crate::crypto::jwt::KeyError;
use crate::crypto::random::random_token;
use crate::crypto::secret::SecretDigest;
pub use crate::http::limits::Limits;
use crate::http::{limits, router, server};
use crate::model::clock::{Clock, MAX_SPAN};
pub use crate::model::seed::Seed;
pub use crate::model::state::StateError;
use crate::model::world::{self, World};
use crate::model::{state, trust};
pub use crate::tls::{Tls, TlsError};

/// Where the initial world comes from when there is no state file to resume.
#[derive(Debug, Clone)]
pub enum SeedSource {
    File(PathBuf),
    Seed(Box<Seed>),
}

impl From<PathBuf> for SeedSource {
    fn from(p: PathBuf) -> Self {
        SeedSource::File(p)
    }
}

impl From<&Path> for SeedSource {
    fn from(p: &Path) -> Self {
        SeedSource::File(p.to_path_buf())
    }
}

impl From<Seed> for SeedSource {
    fn from(s: Seed) -> Self {
        SeedSource::Seed(Box::new(s))
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The world to start with; `None` is the built-in demo world.
    pub seed: Option<SeedSource>,
    /// Persist everything here (and resume from it when it exists); `None` keeps state in
    /// memory only.
    pub state: Option<PathBuf>,
    /// Access token lifetime in seconds (taken as 1 s to 100 years).
    pub token_ttl: u64,
    /// Refresh token lifetime in seconds (taken as 1 s to 100 years).
    pub refresh_token_ttl: u64,
    /// Decide every call of the emulator's own APIs from the caller's access policies (a
    /// seed's `"enforce_access": true` does the same); off, everyone in an account may manage
    /// its IAM entities, as before.
    pub enforce_access: bool,
    /// Serve HTTPS (`--tls-cert`/`--tls-key`, or `--tls`); `None` serves plain HTTP.
    pub tls: Option<Tls>,
    /// The names clients reach the emulator by (`--hostname`): the first is the host of its
    /// URL (the ready line's, the token issuer's, the `next` links'); all go in a generated
    /// certificate. Empty: the listen address.
    pub hostnames: Vec<String>,
    /// The bearer token the admin API (`/emulator/`) requires. `None`: open on a loopback
    /// address; beyond loopback one is generated (and named in the ready line).
    pub admin_token: Option<String>,
    /// Keep the request journal (`GET /emulator/requests`); `false` is `--no-journal`.
    pub journal: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            seed: None,
            state: None,
            token_ttl: 3600,
            refresh_token_ttl: 30 * 24 * 3600,
            enforce_access: false,
            tls: None,
            hostnames: Vec::new(),
            admin_token: None,
            journal: true,
        }
    }
}

#[derive(Debug)]
pub enum Error {
    /// The listen address could not be bound.
    Bind(SocketAddr, std::io::Error),
    Seed(seed::SeedError),
    State(StateError),
    /// The final write of the state file did not finish: its task panicked or was cancelled.
    FinalWrite(tokio::task::JoinError),
    Key(KeyError),
    Runtime(std::io::Error),
    /// HTTPS cannot be set up: a certificate or key file, a host name, the CA file.
    Tls(TlsError),
    /// The admin token given is no usable bearer token.
    AdminToken(AdminTokenError),
}

/// Why an admin token (`--admin-token`, `Config::admin_token`) is refused at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminTokenError {
    /// Shorter than `MIN_ADMIN_TOKEN` characters: guessable.
    TooShort,
    /// A character that cannot travel in an `Authorization: Bearer` header unchanged (only
    /// visible ASCII is taken).
    NotPrintable,
}

/// The shortest admin token taken.
pub const MIN_ADMIN_TOKEN: usize = 16;

impl std::fmt::Display for AdminTokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminTokenError::TooShort => write!(
                f,
                "the admin token must be at least {MIN_ADMIN_TOKEN} characters long"
            ),
            AdminTokenError::NotPrintable => f.write_str(
                "the admin token may hold only visible ASCII characters (no spaces), as it travels in an Authorization header",
            ),
        }
    }
}

impl std::error::Error for AdminTokenError {}

fn check_admin_token(token: &str) -> Result<(), AdminTokenError> {
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AdminTokenError::NotPrintable);
    }
    if token.len() < MIN_ADMIN_TOKEN {
        return Err(AdminTokenError::TooShort);
    }
    Ok(())
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            Error::Seed(e) => write!(f, "seed: {e}"),
            // Every state error already names the state file.
            Error::State(e) => write!(f, "{e}"),
            Error::FinalWrite(e) => write!(f, "{e}"),
            Error::Key(e) => write!(f, "signing key: {e}"),
            Error::Runtime(e) => write!(f, "cannot start the async runtime: {e}"),
            Error::Tls(e) => write!(f, "TLS: {e}"),
            Error::AdminToken(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind(_, e) | Error::Runtime(e) => Some(e),
            Error::Key(e) => Some(e),
            Error::Seed(e) => Some(e),
            Error::State(e) => Some(e),
            Error::FinalWrite(e) => Some(e),
            Error::Tls(e) => Some(e),
            Error::AdminToken(e) => Some(e),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AccountInfo {
    pub id: String,
    pub name: String,
}

/// The ready line: what a test or script needs to use the emulator. Fields that the world
/// has no value for (a seed without a federated user, say) are empty strings.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReadyInfo {
    /// `http://HOST:PORT` (`https://` with TLS), no trailing slash: the IAM, account and
    /// resource-controller URL. HOST is the first `--hostname`, else the listen address.
    pub url: String,
    /// With `--tls` (a generated CA): the absolute path of the CA certificate (PEM) clients
    /// must trust. Empty otherwise.
    pub ca_file: String,
    /// API key of the password user `username`, scoped to that user's first account.
    pub apikey: String,
    pub username: String,
    pub password: String,
    /// A federated (SSO-only) user: log in with a passcode.
    pub sso_user: String,
    /// The password the passcode page accepts for `sso_user`.
    pub sso_password: String,
    /// An API key of a service ID.
    pub service_apikey: String,
    pub accounts: Vec<AccountInfo>,
    /// The CRN of the virtual server whose VPC instance metadata service the emulator plays
    /// (on `url`: `PUT /instance_identity/v1/token`, `/identity/v1/token`, ...).
    pub vpc_instance_crn: String,
    /// A trusted profile for workload logins: the first with a Kubernetes service-account
    /// link (else the first profile). In the demo world `demo-workload`.
    pub profile_id: String,
    pub profile_name: String,
    /// That profile's first IKS_SA or ROKS_SA link: the cluster's CRN, the namespace and the
    /// service account a compute-resource token (`POST /emulator/cr-tokens`) must name.
    pub iks_cluster_crn: String,
    pub iks_namespace: String,
    pub iks_service_account: String,
    /// The bearer token the admin API (`/emulator/`) requires when the emulator generated it
    /// (a listener beyond loopback given none); empty when the admin API is open or the token
    /// was given, which is never echoed.
    pub admin_token: String,
}

impl ReadyInfo {
    fn from_world(url: &str, ca_file: &str, w: &World) -> ReadyInfo {
        let user = w
            .users
            .iter()
            .find(|u| !u.federated && u.password.is_some());
        let sso = w.users.iter().find(|u| u.federated);
        let apikey = user
            .and_then(|u| {
                w.api_keys
                    .values()
                    .filter(|k| k.iam_id == u.iam_id && !k.disabled)
                    .min_by_key(|k| k.seq)
            })
            .map(|k| k.value.clone())
            .unwrap_or_default();
        let service_apikey = w
            .api_keys
            .values()
            .filter(|k| k.iam_id.starts_with("iam-ServiceId-") && !k.disabled)
            .min_by_key(|k| k.seq)
            .map(|k| k.value.clone())
            .unwrap_or_default();
        let service_account_link = |p: &world::TrustedProfile| {
            p.links
                .iter()
                .find(|l| trust::is_service_account(&l.cr_type))
                .cloned()
        };
        let mut profiles: Vec<&world::TrustedProfile> = w.profiles.values().collect();
        profiles.sort_by_key(|p| p.seq);
        let workload = profiles
            .iter()
            .find(|p| service_account_link(p).is_some())
            .or(profiles.first());
        let sa = workload.and_then(|p| service_account_link(p));
        ReadyInfo {
            url: url.to_owned(),
            ca_file: ca_file.to_owned(),
            apikey,
            username: user.map(|u| u.username.clone()).unwrap_or_default(),
            password: user.and_then(|u| u.password.clone()).unwrap_or_default(),
            sso_user: sso.map(|u| u.username.clone()).unwrap_or_default(),
            sso_password: sso.and_then(|u| u.password.clone()).unwrap_or_default(),
            service_apikey,
            accounts: w
                .accounts
                .iter()
                .map(|a| AccountInfo {
                    id: a.id.clone(),
                    name: a.name.clone(),
                })
                .collect(),
            vpc_instance_crn: w.vpc_instance_crn.clone(),
            profile_id: workload.map(|p| p.id.clone()).unwrap_or_default(),
            profile_name: workload.map(|p| p.name.clone()).unwrap_or_default(),
            iks_cluster_crn: sa
                .as_ref()
                .map(|l| l.target.crn.clone())
                .unwrap_or_default(),
            iks_namespace: sa
                .as_ref()
                .and_then(|l| l.target.namespace.clone())
                .unwrap_or_default(),
            iks_service_account: sa
                .as_ref()
                .and_then(|l| l.target.name.clone())
                .unwrap_or_default(),
            admin_token: String::new(),
        }
    }

    /// The ready line the binary prints: one line of JSON.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// A bound, loaded emulator that has not started serving yet.
pub struct Server {
    app: Arc<App>,
    listener: std::net::TcpListener,
    info: ReadyInfo,
    limits: Limits,
    tls: Option<tls::ServerTls>,
}

impl Server {
    /// Loads the state file (or the seed, or the demo world), prepares the signing key and
    /// binds the listen address.
    pub fn bind(config: Config) -> Result<Server, Error> {
        // Beyond loopback anyone who reaches the port could mint tokens and move the clock:
        // the admin API then needs a token, one of ours if none was given.
        let admin_token = match &config.admin_token {
            Some(t) => {
                check_admin_token(t).map_err(Error::AdminToken)?;
                Some(t.clone())
            }
            None if !config.listen.ip().is_loopback() => Some(random_token(32)),
            None => None,
        };
        let resumed = match &config.state {
            Some(path) => state::load(path).map_err(Error::State)?,
            None => None,
        };
        let (world, signer, sessions, delegations, clock, fresh) = match resumed {
            Some(state::Loaded {
                mut snapshot,
                signer,
                clock,
            }) => {
                let sessions = snapshot.sessions();
                let delegations = snapshot.delegations();
                (snapshot.world, signer, sessions, delegations, clock, false)
            }
            None => {
                let seed = match &config.seed {
                    None => Seed::demo(),
                    Some(SeedSource::Seed(s)) => (**s).clone(),
                    Some(SeedSource::File(p)) => Seed::from_file(p).map_err(Error::Seed)?,
                };
                let mut world = World::from_seed(&seed).map_err(|problem| {
                    let file = match &config.seed {
                        Some(SeedSource::File(p)) => Some(p.clone()),
                        _ => None,
                    };
                    Error::Seed(seed::SeedError::Invalid { file, problem })
                })?;
                world.reindex();
                let signer = Arc::new(jwt::Signer::generate().map_err(Error::Key)?);
                let (sessions, delegations) = (HashMap::new(), HashMap::new());
                (world, signer, sessions, delegations, Clock::default(), true)
            }
        };
        let hosts = config
            .hostnames
            .iter()
            .map(|n| tls::Host::parse(n))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Tls)?;
        // Before the port is bound: a bad certificate leaves nothing listening.
        let server_tls = match &config.tls {
            Some(t) => Some(tls::ServerTls::prepare(t, &hosts).map_err(Error::Tls)?),
            None => None,
        };
        let listener = std::net::TcpListener::bind(config.listen)
            .map_err(|e| Error::Bind(config.listen, e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::Bind(config.listen, e))?;
        let mut addr = listener
            .local_addr()
            .map_err(|e| Error::Bind(config.listen, e))?;
        // A wildcard bind is reachable on loopback; "0.0.0.0" is no URL to hand a client.
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        let scheme = if server_tls.is_some() {
            "https"
        } else {
            "http"
        };
        let url = match hosts.first() {
            Some(host) => format!("{scheme}://{}:{}", host.in_url(), addr.port()),
            None => format!("{scheme}://{addr}"),
        };
        let ca_file = server_tls
            .as_ref()
            .and_then(|t| t.ca_file.as_ref())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let mut info = ReadyInfo::from_world(&url, &ca_file, &world);
        // Only a token of ours: one the operator chose is a secret they already hold, and the
        // ready line ends up in container and CI logs.
        if config.admin_token.is_none() {
            info.admin_token = admin_token.clone().unwrap_or_default();
        }
        let app = Arc::new(
            App::new(
                url,
                signer,
                world,
                sessions,
                clock,
                config.token_ttl.clamp(1, MAX_SPAN as u64),
                config.refresh_token_ttl.clamp(1, MAX_SPAN as u64),
                config.state.clone(),
            )
            .with_delegations(delegations)
            .with_enforcement(config.enforce_access)
            .with_admin_token(admin_token.as_deref().map(SecretDigest::of))
            .with_journal(config.journal),
        );
        app.remember_start();
        if fresh && config.state.is_some() {
            // Persist the new key before any token signed with it leaves the process.
            persist::flush(&app, true).map_err(Error::State)?;
        }
        Ok(Server {
            app,
            listener,
            info,
            limits: Limits::default(),
            tls: server_tls,
        })
    }

    /// Serves with these bounds on requests and connections instead of the defaults.
    pub fn with_limits(mut self, limits: Limits) -> Server {
        self.limits = limits.sane();
        self
    }

    /// The bounds it will serve with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn url(&self) -> &str {
        &self.info.url
    }

    pub fn info(&self) -> &ReadyInfo {
        &self.info
    }

    /// Serves until `shutdown` completes, then writes the state file one last time. Must run
    /// inside a Tokio runtime.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
        let listener = tokio::net::TcpListener::from_std(self.listener)
            .map_err(|e| Error::Bind(self.info.url.parse().unwrap_or(UNSPECIFIED), e))?;
        let mut limits = self.limits;
        if let Some(budget) = limits::fd_budget()
            && budget < limits.max_connections
        {
            eprintln!(
                "iam-emulator: serving at most {budget} connections at once (not {}): the file descriptor limit is low",
                limits.max_connections
            );
            limits.max_connections = budget;
        }
        let flusher = tokio::spawn(persist::flusher(self.app.clone()));
        let router = router::router(self.app.clone(), &limits);
        let acceptor = self
            .tls
            .as_ref()
            .map(|t| tokio_rustls::TlsAcceptor::from(t.config.clone()));
        server::serve(listener, router, limits, acceptor, shutdown).await;
        flusher.abort();
        // The generated CA's temporary directory, if any, goes with the server.
        drop(self.tls);
        let app = self.app.clone();
        tokio::task::spawn_blocking(move || persist::flush(&app, false))
            .await
            .map_err(Error::FinalWrite)?
            .map_err(Error::State)
    }
}

const UNSPECIFIED: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);

/// An emulator serving on its own thread and runtime; dropping it stops the server.
pub struct Running {
    info: ReadyInfo,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts an emulator on its own thread with its own Tokio runtime and returns once it is
/// listening.
pub fn spawn(config: Config) -> Result<Running, Error> {
    spawn_server(Server::bind(config)?)
}

/// Starts a bound server (`Server::bind(config)?.with_limits(...)`) on its own thread with its
/// own Tokio runtime.
pub fn spawn_server(server: Server) -> Result<Running, Error> {
    let info = server.info().clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("iam-emulator")
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("iam-emulator".into())
        .spawn(move || {
            let result = runtime.block_on(server.run(async {
                let _ = stopped.await;
            }));
            if let Err(e) = result {
                eprintln!("iam-emulator: {e}");
            }
            runtime.shutdown_timeout(std::time::Duration::from_secs(2));
        })
        .map_err(Error::Runtime)?;
    Ok(Running {
        info,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl Running {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> &str {
        &self.info.url
    }

    pub fn info(&self) -> &ReadyInfo {
        &self.info
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
