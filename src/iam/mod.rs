//! Typed HTTP client for IAM and the platform APIs iamctl needs: token grants, discovery,
//! accounts, resource groups.
//!
//! Every request goes through `Client::execute`, which applies the deadline
//! (`IBMCLOUD_HTTP_TIMEOUT`, default 60 s), retries what is safe to repeat (connection
//! errors, 429 honouring `Retry-After`, 5xx) with exponential backoff inside that deadline,
//! and is where the HTTP trace (`trace::`, with its redaction) and the spinner
//! (`progress::`) hook in, so every request gets both without its caller doing anything.

pub mod access;
pub mod errors;
pub mod identity;
pub mod jwt;
pub mod metadata;
mod model;
pub mod policy;
pub mod trace;
pub mod trust;

pub use model::{Account, ProfileRef, ResourceGroup};

use crate::endpoints::Endpoints;
use errors::ApiError;
use reqwest::blocking::{Request, RequestBuilder, Response};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The CLI's OAuth client: with it IAM issues refresh tokens.
const CLIENT_ID: &str = "bx";
const CLIENT_SECRET: &str = "bx";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_ATTEMPTS: u32 = 8;
const USER_AGENT: &str = concat!("iamctl/", env!("CARGO_PKG_VERSION"));
/// The most iamctl reads of one answer. IAM's are small (a page of 100 service IDs is some
/// 100 KiB); anything bigger is not IAM speaking, and an endless one must not eat memory.
pub const BODY_LIMIT: u64 = 8 * 1024 * 1024;

pub const GRANT_APIKEY: &str = "urn:ibm:params:oauth:grant-type:apikey";
pub const GRANT_PASSCODE: &str = "urn:ibm:params:oauth:grant-type:passcode";
pub const GRANT_CR_TOKEN: &str = "urn:ibm:params:oauth:grant-type:cr-token";
pub const GRANT_ASSUME: &str = "urn:ibm:params:oauth:grant-type:assume";
pub const GRANT_DELEGATED: &str = "urn:ibm:params:oauth:grant-type:delegated-refresh-token";

/// A failure of an IAM call: IAM answered with an error, could not be reached, or answered
/// something iamctl cannot use.
#[derive(Debug)]
pub enum IamError {
    /// IAM (or the platform API) answered with an error status.
    Rejected(ApiError),
    /// No answer: connection refused, DNS, TLS, or the deadline passed.
    Unreachable {
        url: String,
        /// The innermost cause, or "timed out".
        cause: String,
        /// TLS failed, and how: `None` when it was not TLS that failed.
        tls: Option<TlsFailure>,
        source: reqwest::Error,
    },
    /// A 3xx, which iamctl never follows.
    Redirected {
        url: String,
        location: String,
        status: u16,
    },
    /// A success status with a body iamctl cannot read.
    Unexpected { what: String, detail: String },
    /// The request could not be made at all (TLS set-up, an invalid URL).
    Setup(String),
    /// `IBMCLOUD_HTTP_TIMEOUT` is not a positive number of seconds (up to a day).
    BadTimeout(String),
    /// A CA certificate file to trust cannot be used (checked before anything is sent).
    Ca(trust::CaError),
}

/// How a TLS handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// The server's certificate did not verify: signed by a CA iamctl does not trust, not for
    /// the host asked, expired.
    Certificate,
    /// Anything else: most often a server speaking plain http behind `https://`.
    Protocol,
}

impl std::fmt::Display for IamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IamError::Rejected(api) => f.write_str(&api.line()),
            IamError::Unreachable { url, cause, .. } => write!(f, "Could not reach {url}: {cause}"),
            IamError::Redirected {
                url,
                location,
                status,
            } => write!(
                f,
                "{url} redirected to {location} (HTTP {status}); iamctl does not follow redirects, so credentials are sent only to the endpoint you chose"
            ),
            IamError::Unexpected { what, detail } => write!(
                f,
                "Unexpected answer from {what}: {}",
                crate::error::one_line(detail)
            ),
            IamError::Setup(what) => f.write_str(what),
            IamError::Ca(e) => write!(f, "{e}"),
            IamError::BadTimeout(v) => write!(
                f,
                "IBMCLOUD_HTTP_TIMEOUT must be a positive number of seconds, not '{v}'."
            ),
        }
    }
}

impl std::error::Error for IamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IamError::Unreachable { source, .. } => Some(source),
            IamError::Ca(e) => Some(e),
            _ => None,
        }
    }
}

type Result<T, E = IamError> = std::result::Result<T, E>;

/// Something the client went on despite; the command layer says it in words.
#[derive(Debug)]
pub enum Warning {
    /// TLS certificates are not verified (`--skip-ssl-validation`).
    SkipSslValidation,
    /// The HTTP trace file cannot be opened: no trace.
    TraceUnopenable { path: String, error: std::io::Error },
    /// A write to the HTTP trace file failed: the trace is cut short.
    TraceIncomplete { path: String, error: std::io::Error },
    /// A request failed for a passing reason (`why`) and is sent again after `wait`, as
    /// attempt `attempt` of at most `of` within the deadline.
    Retrying {
        url: String,
        why: String,
        wait: Duration,
        attempt: u32,
        of: u32,
    },
}

/// What every client of a run shares: where its warnings go, and how long a request may
/// take with its retries (`IBMCLOUD_HTTP_TIMEOUT`, else 60 s, resolved before any command).
#[derive(Clone)]
pub struct ClientOptions {
    pub warn: Arc<dyn Fn(Warning) + Send + Sync>,
    pub timeout: Duration,
}

/// The grants `login`, `target` and the refresh logic use.
pub enum Grant<'a> {
    ApiKey(&'a str),
    Password {
        username: &'a str,
        password: &'a str,
    },
    Passcode(&'a str),
    Refresh {
        refresh_token: &'a str,
        /// Re-scope the session to this BSS account (and its linked IMS account).
        account: Option<&'a str>,
        ims_account: Option<&'a str>,
    },
    /// A compute-resource token traded for a trusted profile's token.
    CrToken {
        cr_token: &'a str,
        profile: &'a ProfileRef,
    },
    /// A delegated refresh token for `receivers`, made from the session's refresh token.
    Delegate {
        refresh_token: &'a str,
        receivers: &'a str,
    },
    /// A delegated refresh token redeemed by its receiver client (`client`, whose secret
    /// IBM documents as equal to its name for `kube`).
    Redeem {
        delegated_refresh_token: &'a str,
        client: &'a str,
    },
    /// A caller's access token traded for a trusted profile's token.
    Assume {
        access_token: &'a str,
        profile: &'a ProfileRef,
        /// The profile's account, needed when it is named by name.
        account: Option<&'a str>,
    },
}

/// The form field that names a trusted profile in a grant.
fn profile_field(profile: &ProfileRef) -> (&'static str, &str) {
    match profile {
        ProfileRef::Id(v) => ("profile_id", v),
        ProfileRef::Crn(v) => ("profile_crn", v),
        ProfileRef::Name(v) => ("profile_name", v),
    }
}

/// A token endpoint answer. No `Debug`: it holds secrets.
#[derive(Deserialize, Default)]
pub struct TokenResponse {
    /// Absent only when a delegated refresh token alone was asked for.
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub expiration: Option<i64>,
    #[serde(default)]
    pub refresh_token_expiration: Option<i64>,
    /// With `response_type=delegated_refresh_token`: a refresh token only the named
    /// receiver clients can redeem.
    #[serde(default)]
    pub delegated_refresh_token: Option<String>,
    /// For a receiver client's token: the OpenID Connect ID token (what Kubernetes
    /// clusters of IBM Cloud accept).
    #[serde(default)]
    pub id_token: Option<String>,
}

impl TokenResponse {
    /// The refresh token, unless IAM said it issues none.
    pub fn usable_refresh_token(&self) -> Option<&str> {
        self.refresh_token
            .as_deref()
            .filter(|t| !t.is_empty() && *t != "not_supported")
    }

    /// (issued at, expires at) from the JWT, falling back to the response fields.
    pub fn times(&self, claims: &jwt::Claims) -> (i64, i64) {
        let now = crate::session::now();
        let exp = claims
            .exp
            .or(self.expiration)
            // IAM's lifetime is trusted to be sane, not to be small: saturate, never wrap.
            .or(self.expires_in.map(|s| now.saturating_add(s)))
            .unwrap_or(now + 3600);
        let iat = claims.iat.unwrap_or(now).min(exp);
        (iat, exp)
    }
}

/// Where a request's bearer token comes from. A 401 on a token that looked valid locally
/// means IAM's clock is ahead or the token was revoked; `renewed` then gives another token to
/// send the request with once more, or `None` to let the 401 stand.
pub trait Bearer {
    fn token(&self) -> String;
    fn renewed(&self, rejected: &str) -> Option<String>;
}

/// A token just issued: nothing to renew it with.
impl Bearer for String {
    fn token(&self) -> String {
        self.clone()
    }

    fn renewed(&self, _rejected: &str) -> Option<String> {
        None
    }
}

pub struct Client {
    http: reqwest::blocking::Client,
    pub endpoints: Endpoints,
    timeout: Duration,
    warn: Arc<dyn Fn(Warning) + Send + Sync>,
}

/// `IBMCLOUD_HTTP_TIMEOUT` in seconds (default 60).
pub fn timeout_from_env() -> Result<Duration> {
    match std::env::var("IBMCLOUD_HTTP_TIMEOUT") {
        Ok(v) if !v.trim().is_empty() => match v.trim().parse::<f64>() {
            // Up to a day: beyond that a value is a mistake, not a deadline.
            Ok(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
            _ => Err(IamError::BadTimeout(v)),
        },
        _ => Ok(DEFAULT_TIMEOUT),
    }
}

/// The proxies the environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, in either
/// case, lower case first; `NO_PROXY` honoured), none of them for loopback destinations.
fn proxies_from_env() -> Vec<reqwest::Proxy> {
    let var = |name: &str| {
        std::env::var(name.to_ascii_lowercase())
            .or_else(|_| std::env::var(name))
            .ok()
            .filter(|v| !v.trim().is_empty())
    };
    let no_proxy = match var("NO_PROXY") {
        Some(list) => format!("{list},{LOOPBACK}"),
        None => LOOPBACK.to_string(),
    };
    let mut proxies = Vec::new();
    type Make = fn(String) -> reqwest::Result<reqwest::Proxy>;
    let made: [(&str, Make); 3] = [
        ("HTTPS_PROXY", reqwest::Proxy::https),
        ("HTTP_PROXY", reqwest::Proxy::http),
        ("ALL_PROXY", reqwest::Proxy::all),
    ];
    for (name, make) in made {
        // A malformed proxy URL is left out, as reqwest's own reading of them does.
        if let Some(Ok(proxy)) = var(name).map(make) {
            proxies.push(proxy.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
        }
    }
    proxies
}

/// What never goes through a proxy, in `NO_PROXY`'s syntax.
const LOOPBACK: &str = "localhost,.localhost,127.0.0.0/8,::1";

fn network_error(url: &str, err: reqwest::Error) -> IamError {
    // The reqwest message names the URL; add the innermost cause (refused, DNS, TLS).
    let mut cause = String::new();
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&err);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    let cause = if err.is_timeout() {
        "timed out".to_string()
    } else if cause.is_empty() {
        err.to_string()
    } else {
        cause
    };
    IamError::Unreachable {
        url: url.to_string(),
        cause,
        tls: tls_failure(&err),
        source: err,
    }
}

/// Whether a failed request failed in TLS, which trying again does not mend.
fn is_tls_failure(err: &reqwest::Error) -> bool {
    tls_failure(err).is_some()
}

/// How a failed request failed in TLS, if it did.
fn tls_failure(err: &reqwest::Error) -> Option<TlsFailure> {
    /// The error itself, or one an io::Error wraps (an io::Error's `source` skips it; the
    /// TLS stream's errors come wrapped twice).
    fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        e.downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| rustls_error(inner))
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(s) = src {
        if let Some(tls) = rustls_error(s) {
            return Some(match tls {
                rustls::Error::InvalidCertificate(_) => TlsFailure::Certificate,
                _ => TlsFailure::Protocol,
            });
        }
        src = s.source();
    }
    None
}

/// Redirects are never followed: the request carries an API key, a password or a token, and
/// a redirect could hand it to a host the user never chose.
fn redirect_error(url: &str, resp: &Response) -> IamError {
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|l| l.split('?').next().unwrap_or(""))
        .unwrap_or("elsewhere");
    IamError::Redirected {
        url: url.to_string(),
        location: location.to_string(),
        status: resp.status().as_u16(),
    }
}

fn retry_after(resp: &Response) -> Option<Duration> {
    let v = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl Client {
    /// Builds the HTTP client. Only commands that talk to IBM call this: the `oauth-tokens`
    /// hot path never does.
    pub fn new(
        endpoints: Endpoints,
        trust: &trust::Trust,
        options: &ClientOptions,
    ) -> Result<Client> {
        let skip_ssl_validation = trust.skip_validation;
        let timeout = options.timeout;
        if let Some((open, limit)) = crate::home::descriptors_short() {
            return Err(IamError::Setup(crate::home::descriptors_message(
                "IBM Cloud",
                open,
                limit,
            )));
        }
        if skip_ssl_validation {
            (options.warn)(Warning::SkipSslValidation);
        }
        let mut builder = reqwest::blocking::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(timeout.min(Duration::from_secs(15)))
            .danger_accept_invalid_certs(skip_ssl_validation)
            .redirect(reqwest::redirect::Policy::none());
        let all_plain = [
            &endpoints.iam,
            &endpoints.accounts,
            &endpoints.resource_controller,
        ]
        .iter()
        .all(|u| u.starts_with("http://"));
        if all_plain {
            // Only loopback hosts may be plain http (endpoints.rs), and redirects are off, so
            // this client never speaks TLS: skip loading the system's CA certificates, which
            // costs several milliseconds per run.
            builder = builder.tls_certs_only(std::iter::empty());
        } else if !skip_ssl_validation {
            // Checked here, before any request: a broken CA file is the user's to fix, not a
            // handshake failure to puzzle over.
            trust::check_ssl_cert_file().map_err(IamError::Ca)?;
            if let Some(path) = &trust.ca_cert {
                let certs = trust::read_ca_file(path).map_err(|problem| {
                    IamError::Ca(trust::CaError {
                        path: path.clone(),
                        source: trust::CaSource::Session,
                        problem,
                    })
                })?;
                let certs = certs
                    .iter()
                    .filter_map(|der| reqwest::Certificate::from_der(der).ok());
                builder = builder.tls_certs_merge(certs);
            }
        }
        // Loopback never goes through a proxy: a proxy set for the outside world would be
        // handed a local IAM's traffic, API keys included, in clear.
        builder = builder.no_proxy();
        for proxy in proxies_from_env() {
            builder = builder.proxy(proxy);
        }
        for url in [
            &endpoints.iam,
            &endpoints.accounts,
            &endpoints.resource_controller,
        ] {
            if let Some((host, port)) = crate::endpoints::loopback_name(url) {
                let loopback = [
                    std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                    std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
                ];
                builder = builder.resolve_to_addrs(&host, &loopback);
            }
        }
        let http = builder
            .build()
            .map_err(|e| IamError::Setup(format!("Could not set up HTTPS: {e}")))?;
        Ok(Client {
            http,
            endpoints,
            timeout,
            warn: options.warn.clone(),
        })
    }

    /// Sends a request; retries connection errors, 429 and 5xx when `retryable`, within
    /// the deadline. Returns the last response (even an error status) when retries end.
    fn execute(&self, builder: RequestBuilder, retryable: bool) -> Result<Response> {
        let request: Request = builder
            .build()
            .map_err(|e| IamError::Setup(format!("Could not build a request: {e}")))?;
        let url = request
            .url()
            .as_str()
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        let deadline = Instant::now() + self.timeout;
        let _spinner = crate::progress::start(format!(
            "Waiting for {}",
            request.url().host_str().unwrap_or("IBM Cloud")
        ));
        let tracing = trace::enabled();
        self.report_trace_problem();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let Some(mut req) = request.try_clone() else {
                return Err(IamError::Setup(
                    "Could not repeat a streaming request.".into(),
                ));
            };
            *req.timeout_mut() = Some(remaining.max(Duration::from_millis(1)));
            if tracing {
                trace::request(&req, USER_AGENT);
            }
            let started = Instant::now();
            let mut outcome = self.http.execute(req);
            if tracing {
                // Buffers the body to print it; the caller gets an equivalent response.
                outcome = match outcome {
                    Ok(resp) => trace::response(resp, started.elapsed()),
                    Err(e) => {
                        trace::failure(&e, started.elapsed());
                        Err(e)
                    }
                };
                self.report_trace_problem();
            }
            let backoff = Duration::from_millis(250u64 << (attempt - 1).min(4));
            match outcome {
                Ok(resp) if resp.status().is_redirection() => {
                    return Err(redirect_error(&url, &resp));
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let transient = status == 429 || (500..600).contains(&status);
                    if !(retryable && transient) || attempt >= MAX_ATTEMPTS {
                        return Ok(resp);
                    }
                    let wait = retry_after(&resp).unwrap_or(backoff);
                    if Instant::now() + wait >= deadline {
                        return Ok(resp);
                    }
                    drop(resp);
                    self.say_retry(&url, format!("HTTP {status}"), wait, attempt);
                    std::thread::sleep(wait);
                }
                Err(e) => {
                    let again = retryable
                        && e.is_connect()
                        && !is_tls_failure(&e)
                        && attempt < MAX_ATTEMPTS
                        && Instant::now() + backoff < deadline;
                    if !again {
                        return Err(network_error(&url, e));
                    }
                    let why = match network_error(&url, e) {
                        IamError::Unreachable { cause, .. } => cause,
                        other => other.to_string(),
                    };
                    self.say_retry(&url, why, backoff, attempt);
                    std::thread::sleep(backoff);
                }
            }
        }
    }

    /// A request about to be repeated: said, so that a wait has a reason on the screen.
    fn say_retry(&self, url: &str, why: String, wait: Duration, attempt: u32) {
        (self.warn)(Warning::Retrying {
            url: url.to_string(),
            why,
            wait,
            attempt: attempt + 1,
            of: MAX_ATTEMPTS,
        });
    }

    /// A trace that cannot be written is said once, and the command goes on.
    fn report_trace_problem(&self) {
        if let Some(w) = trace::take_problem() {
            (self.warn)(w);
        }
    }

    /// Reads a JSON body of a successful answer, or turns the answer into an `IamError`.
    fn json<T: for<'de> Deserialize<'de>>(resp: Response, what: &str) -> Result<T, IamError> {
        let status = resp.status().as_u16();
        let url = url_of(&resp);
        let body = read_body(resp)?;
        if !(200..300).contains(&status) {
            return Err(IamError::Rejected(ApiError::parse(status, &body)));
        }
        serde_json::from_slice(&body).map_err(|e| IamError::Unexpected {
            what: format!("{url} ({what})"),
            detail: e.to_string(),
        })
    }

    /// `POST {iam}/identity/token` with client `bx`, so IAM issues a refresh token.
    pub fn token(&self, grant: Grant<'_>) -> Result<TokenResponse> {
        let mut form: Vec<(&str, &str)> = Vec::with_capacity(5);
        match &grant {
            Grant::ApiKey(key) => {
                form.push(("grant_type", GRANT_APIKEY));
                form.push(("apikey", key));
            }
            Grant::Password { username, password } => {
                form.push(("grant_type", "password"));
                form.push(("username", username));
                form.push(("password", password));
            }
            Grant::Passcode(code) => {
                form.push(("grant_type", GRANT_PASSCODE));
                form.push(("passcode", code));
            }
            Grant::Refresh {
                refresh_token,
                account,
                ims_account,
            } => {
                form.push(("grant_type", "refresh_token"));
                form.push(("refresh_token", refresh_token));
                if let Some(a) = account {
                    form.push(("account", a));
                }
                if let Some(i) = ims_account {
                    form.push(("ims_account", i));
                }
            }
            Grant::CrToken { cr_token, profile } => {
                form.push(("grant_type", GRANT_CR_TOKEN));
                form.push(("cr_token", cr_token));
                form.push(profile_field(profile));
            }
            Grant::Delegate {
                refresh_token,
                receivers,
            } => {
                form.push(("grant_type", "refresh_token"));
                form.push(("refresh_token", refresh_token));
                form.push(("response_type", "delegated_refresh_token"));
                form.push(("receiver_client_ids", receivers));
            }
            Grant::Redeem {
                delegated_refresh_token,
                ..
            } => {
                form.push(("grant_type", GRANT_DELEGATED));
                form.push(("refresh_token", delegated_refresh_token));
            }
            Grant::Assume {
                access_token,
                profile,
                account,
            } => {
                form.push(("grant_type", GRANT_ASSUME));
                form.push(("access_token", access_token));
                form.push(profile_field(profile));
                if let Some(a) = account {
                    form.push(("account", a));
                }
            }
        }
        // IBM's assume token manager sends neither a response type nor client credentials;
        // a receiver redeems its delegated token as itself; every other grant is the CLI's.
        let client = match &grant {
            Grant::Assume { .. } => None,
            Grant::Redeem { client, .. } => Some((*client, *client)),
            _ => Some((CLIENT_ID, CLIENT_SECRET)),
        };
        if !matches!(grant, Grant::Assume { .. } | Grant::Delegate { .. }) {
            form.push(("response_type", "cloud_iam"));
        }
        let url = format!("{}/identity/token", self.endpoints.iam);
        let mut builder = self
            .http
            .post(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form);
        if let Some((id, secret)) = client {
            builder = builder.basic_auth(id, Some(secret));
        }
        let resp = self.execute(builder, true)?;
        let delegate_only = matches!(grant, Grant::Delegate { .. });
        let tokens: TokenResponse = Self::json(resp, "token")?;
        if tokens.access_token.is_empty() && !delegate_only {
            return Err(IamError::Unexpected {
                what: format!("{url} (token)"),
                detail: "the answer has no access_token".into(),
            });
        }
        Ok(tokens)
    }

    /// The SSO passcode page, from IAM's discovery document.
    pub fn passcode_url(&self) -> Result<String, IamError> {
        #[derive(Deserialize)]
        struct Discovery {
            #[serde(default)]
            passcode_endpoint: Option<String>,
        }
        let url = format!(
            "{}/identity/.well-known/openid-configuration",
            self.endpoints.iam
        );
        let resp = self.execute(
            self.http.get(&url).header("Accept", "application/json"),
            true,
        )?;
        let d: Discovery = Self::json(resp, "discovery document")?;
        Ok(d.passcode_endpoint
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("{}/identity/passcode", self.endpoints.iam)))
    }

    /// The request `build` makes with the bearer's token and, after a 401, once more with the
    /// token the bearer renews: IAM did not act on the first, so even a create is safe to
    /// repeat.
    fn send_as(
        &self,
        bearer: &dyn Bearer,
        build: impl Fn(&str) -> RequestBuilder,
        retryable: bool,
    ) -> Result<Response> {
        let token = bearer.token();
        let resp = self.execute(build(&token), retryable)?;
        if resp.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        match bearer.renewed(&token) {
            Some(renewed) => self.execute(build(&renewed), retryable),
            None => Ok(resp),
        }
    }

    /// Every account the token's user can use (follows `next_url`).
    pub fn accounts(&self, bearer: &dyn Bearer) -> Result<Vec<Account>, IamError> {
        let mut out = Vec::new();
        let mut url = format!("{}/coe/v2/accounts", self.endpoints.accounts);
        for _ in 0..100 {
            let resp = self.send_as(bearer, |t| self.http.get(&url).bearer_auth(t), true)?;
            let page: AccountsPage = Self::json(resp, "accounts")?;
            let (accounts, next) = page.accounts();
            out.extend(accounts);
            match next {
                Some(next) => url = next_page_url(&url, &next)?,
                None => break,
            }
        }
        Ok(out)
    }

    /// The account's resource groups.
    pub fn resource_groups(
        &self,
        bearer: &dyn Bearer,
        account_id: &str,
    ) -> Result<Vec<ResourceGroup>, IamError> {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("account_id", account_id)
            .finish();
        let url = format!(
            "{}/v2/resource_groups?{query}",
            self.endpoints.resource_controller
        );
        let resp = self.send_as(bearer, |t| self.http.get(&url).bearer_auth(t), true)?;
        let page: GroupsPage = Self::json(resp, "resource groups")?;
        Ok(page.groups())
    }
}

/// An answer's URL without its query (which may carry tokens), for messages.
fn url_of(resp: &Response) -> String {
    resp.url()
        .as_str()
        .split('?')
        .next()
        .unwrap_or("")
        .to_string()
}

/// An answer's body, at most `BODY_LIMIT` bytes of it: more is refused, not read.
pub(crate) fn read_body(resp: Response) -> Result<Vec<u8>, IamError> {
    use std::io::Read;
    let url = url_of(&resp);
    let mut body = Vec::new();
    let mut capped = resp.take(BODY_LIMIT + 1);
    if let Err(e) = capped.read_to_end(&mut body) {
        return Err(IamError::Unexpected {
            what: url,
            detail: format!("the answer could not be read: {e}"),
        });
    }
    if body.len() as u64 > BODY_LIMIT {
        return Err(IamError::Unexpected {
            what: url,
            detail: format!(
                "the answer is larger than {} MiB, more than any IAM answer; iamctl stopped reading it",
                BODY_LIMIT / 1024 / 1024
            ),
        });
    }
    Ok(body)
}

/// A page of the accounts API (`/coe/v2/accounts`).
/// The next page: `next` resolved as a URL against the page it came from. A link that
/// leaves that page's origin (another scheme, host or port, or credentials in it) is
/// refused: the request it would send carries the bearer token.
fn next_page_url(page: &str, next: &str) -> Result<String, IamError> {
    let refused = |why: &str| IamError::Unexpected {
        what: crate::error::one_line(page.split('?').next().unwrap_or(page)),
        detail: format!(
            "its next-page link '{}' {why}; iamctl follows links only to where it asked",
            crate::error::one_line(next)
        ),
    };
    let here = reqwest::Url::parse(page).map_err(|_| refused("has no page to resolve against"))?;
    let there = here.join(next).map_err(|_| refused("is not a URL"))?;
    if there.origin() != here.origin() || !there.username().is_empty() || there.password().is_some()
    {
        return Err(refused("leads to another origin"));
    }
    Ok(there.to_string())
}

#[derive(Deserialize)]
pub struct AccountsPage {
    #[serde(default)]
    next_url: Option<String>,
    #[serde(default)]
    resources: Vec<AccountResource>,
}

#[derive(Deserialize)]
struct AccountResource {
    metadata: AccountMetadata,
    entity: AccountEntity,
}

#[derive(Deserialize)]
struct AccountMetadata {
    guid: String,
    #[serde(default)]
    linked_accounts: Vec<LinkedAccount>,
}

#[derive(Deserialize)]
struct LinkedAccount {
    #[serde(default)]
    origin: String,
    #[serde(default)]
    id: serde_json::Value,
}

#[derive(Deserialize)]
struct AccountEntity {
    #[serde(default)]
    name: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    owner_userid: Option<String>,
}

impl AccountsPage {
    /// The page's accounts, and the next page's URL (absolute or relative) if any.
    pub fn accounts(self) -> (Vec<Account>, Option<String>) {
        let accounts = self
            .resources
            .into_iter()
            .map(|r| {
                let ims = r
                    .metadata
                    .linked_accounts
                    .iter()
                    .find(|l| l.origin.eq_ignore_ascii_case("IMS"))
                    .map(|l| match &l.id {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .filter(|s| !s.is_empty() && s != "null");
                Account {
                    guid: r.metadata.guid,
                    name: r.entity.name,
                    owner: r.entity.owner.or(r.entity.owner_userid).unwrap_or_default(),
                    ims,
                }
            })
            .collect();
        (accounts, self.next_url.filter(|n| !n.is_empty()))
    }
}

/// A page of the resource controller's resource groups.
#[derive(Deserialize)]
pub struct GroupsPage {
    #[serde(default)]
    resources: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    id: String,
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    quota_id: Option<String>,
}

impl GroupsPage {
    pub fn groups(self) -> Vec<ResourceGroup> {
        self.resources
            .into_iter()
            .map(|g| ResourceGroup {
                guid: g.id,
                name: g.name,
                state: g.state,
                default: g.default,
                quota_id: g.quota_id.unwrap_or_default(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_accounts_page_stays_on_our_endpoint() {
        let page = "https://accounts.cloud.ibm.com/coe/v2/accounts";
        for (next, want) in [
            (
                "/coe/v2/accounts?next_docid=x",
                "https://accounts.cloud.ibm.com/coe/v2/accounts?next_docid=x",
            ),
            (
                "?next_docid=x",
                "https://accounts.cloud.ibm.com/coe/v2/accounts?next_docid=x",
            ),
            (
                "https://accounts.cloud.ibm.com/coe/v2/accounts?next_docid=x",
                "https://accounts.cloud.ibm.com/coe/v2/accounts?next_docid=x",
            ),
        ] {
            assert_eq!(
                next_page_url(page, next).ok().as_deref(),
                Some(want),
                "{next}"
            );
        }
        // Glued onto the base as text, these sent the bearer token as userinfo to localhost
        // and to a subdomain of the attacker's; resolved as links, they stay on the page's
        // host.
        for next in ["@localhost:9/steal", ".attacker.example/x"] {
            let url = next_page_url(page, next).unwrap_or_default();
            assert!(
                url.starts_with("https://accounts.cloud.ibm.com/coe/v2/"),
                "{next}: {url}"
            );
        }
        // A link to another origin is refused.
        for next in [
            "https://attacker.example/steal?t=1",
            "http://accounts.cloud.ibm.com/coe/v2/accounts",
            "https://accounts.cloud.ibm.com:8443/coe/v2/accounts",
            "https://user:pw@accounts.cloud.ibm.com/coe/v2/accounts",
            "//attacker.example/x",
        ] {
            match next_page_url(page, next) {
                Err(e) => assert!(e.to_string().contains("another origin"), "{e}"),
                Ok(url) => panic!("{next} led to {url}"),
            }
        }
    }

    #[test]
    fn an_answer_quoted_in_an_error_stays_on_one_line() {
        // Found by the iam_body fuzz target: a metadata answer's expires_at with a line break.
        let token: metadata::IamToken =
            serde_json::from_str(r#"{"access_token":"t","expires_at":"2026\n\u001b[2J"}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        let Err(e) = token.into_response("http://169.254.169.254") else {
            panic!("a broken time was accepted")
        };
        let text = e.to_string();
        assert!(!text.contains(['\n', '\u{1b}']), "{text}");
        assert!(text.contains(r"'2026\n\u{1b}[2J'"), "{text}");
    }

    #[test]
    fn a_huge_expires_in_saturates() {
        // Found by the iam_body fuzz target: `expires_in` near i64::MAX overflowed.
        for s in [i64::MAX, i64::MIN] {
            let tokens = TokenResponse {
                expires_in: Some(s),
                ..TokenResponse::default()
            };
            let (iat, exp) = tokens.times(&jwt::Claims::default());
            assert!(iat <= exp);
        }
    }
}
