//! `login`'s settings: the endpoints (flag, stored key, previous session, `IAM_ENDPOINT`),
//! the targets, and which credential the login uses, decided from flags, the environment
//! and files before anything is sent or stored: an API key, a password, an SSO one-time code,
//! a stored key, a compute-resource token, the VPC instance identity, and `--profile` to
//! assume a trusted profile with any of the first four. What must still be read from a
//! person or stdin is described here and read by the command (`commands/login_credential.rs`).
//!
//! Also the other direction: which flags log in again when a session's stored credential
//! dies (`expired_hints`), since this is the file that knows each kind's flags.

use crate::auth::kinds::{apikey, assume, cr_token, passcode, password, vpc};
use crate::auth::stored_keys::{self, StoredKey};
use crate::auth::{AccountChoice, Credential, Expired, RegionChoice, Session};
use crate::cli::LoginArgs;
use crate::context::Context;
use crate::endpoints::{DEFAULT_API_ENDPOINT, Endpoints, Reach, is_classic_private, is_private};
use crate::error::{CliError, Result};
use crate::home::read_secret_file;
use crate::iam::trust::{self, Trust};
use crate::iam::{ProfileRef, jwt, metadata};
use std::path::{Path, PathBuf};

/// Where Kubernetes, OpenShift and Code Engine put a workload's compute-resource token, in
/// the order IBM's SDKs try them.
pub const CR_TOKEN_FILES: [&str; 3] = [
    "/var/run/secrets/tokens/vault-token",
    "/var/run/secrets/tokens/sa-token",
    "/var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token",
];

/// Why the login's IAM is not the one its API endpoint implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IamChosen {
    /// The API endpoint's own IAM.
    Implied,
    /// `IAM_ENDPOINT`; `over_flag` when `-a` was given too.
    Variable { over_flag: bool },
    /// The session's earlier login had `IAM_ENDPOINT`, and no `-a` starts over.
    Remembered,
}

pub struct Login {
    /// The session this login replaces (`None`: none, or a corrupt file, see `corrupt`).
    pub previous: Option<Session>,
    pub corrupt: bool,
    pub endpoints: Endpoints,
    pub iam_chosen: IamChosen,
    /// `--skip-ssl-validation` and `--ca-cert`, given or remembered.
    pub trust: Trust,
    pub account: AccountChoice,
    pub region: RegionChoice,
    pub resource_group: Option<String>,
    pub plan: Plan,
    pub no_browser: bool,
}

/// The credential, or what is still to be read to make it.
pub struct Plan {
    pub how: How,
    /// A line to show once the API endpoint is shown (which token file is used).
    pub notice: Option<String>,
}

/// Makes the credential from what was read; refuses what cannot be one.
pub type Make = Box<dyn FnOnce(String) -> Result<Credential>>;

pub enum How {
    Ready(Credential),
    /// A secret to read: on a terminal asked for, hidden, else from stdin.
    Ask {
        ask: Ask,
        make: Make,
    },
    /// No credential given, on a terminal: an email and a password (`typed_user`).
    AskUser {
        assume: Option<ProfileRef>,
        account: Option<String>,
    },
    /// The SSO one-time code, read once the passcode page is shown.
    Sso {
        make: Make,
    },
    /// A key kept with `--keyring`, read once the secret store is open.
    Stored {
        key: StoredKey,
        make: Make,
    },
}

pub struct Ask {
    /// The prompt on a terminal; `None`: always stdin.
    pub prompt: Option<&'static str>,
    /// What is read, for errors: "the API key".
    pub what: &'static str,
    /// A line of stdin (and how to give it when there is none), else all of it.
    pub line_hint: Option<&'static str>,
}

impl Plan {
    fn ready(c: Credential) -> Plan {
        Plan {
            how: How::Ready(c),
            notice: None,
        }
    }

    /// Whether the login spends a one-time code: the secret store is checked before the code
    /// is asked for or sent, and no later choice may fail after it.
    pub fn spends_one_time_code(&self) -> bool {
        match &self.how {
            How::Ready(c) => c.spends_one_time_code(),
            How::Sso { .. } => true,
            _ => false,
        }
    }
}

pub fn resolve(args: LoginArgs, ctx: &Context) -> Result<Login> {
    let creds = ctx.credentials()?;
    let (previous, corrupt) = creds.previous()?;
    let has_terminal = ctx.terminal().is_some();
    let stored = match &args.keyring {
        Some(name) => Some(stored_keys::find(creds.home(), name)?),
        None => None,
    };
    let api_input = args
        .api_endpoint
        .clone()
        .or_else(|| stored.as_ref().map(|k| k.api_endpoint.clone()))
        .or_else(|| previous.as_ref().map(|s| s.api_endpoint.clone()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_API_ENDPOINT.to_string());
    // IAM_ENDPOINT is remembered by the session: a later login that leaves out -a (and
    // IAM_ENDPOINT) keeps talking to the same IAM; -a starts over from the IAM it implies.
    let remembered_iam = previous
        .as_ref()
        .filter(|_| args.api_endpoint.is_none() && stored.is_none())
        .map(|s| s.iam_endpoint.clone())
        .filter(|s| !s.is_empty());
    let variable = env("IAM_ENDPOINT");
    let iam_chosen = match (&variable, &remembered_iam) {
        (Some(_), _) => IamChosen::Variable {
            over_flag: args.api_endpoint.is_some(),
        },
        (None, Some(_)) => IamChosen::Remembered,
        (None, None) => IamChosen::Implied,
    };
    let iam_override = variable.or(remembered_iam);
    let given_region = match &args.region {
        Some(r) if !args.no_region => Some(super::region(r, ctx)?),
        _ => None,
    };
    // IBM's private endpoints: from a VPC (--vpc, or a session that used it) global, from
    // Classic infrastructure per region, so a region is needed before the first request.
    let previous_reach = previous
        .as_ref()
        .filter(|_| args.api_endpoint.is_none())
        .map(|s| is_classic_private(&s.api_endpoint, &s.iam_endpoint));
    let reach_region = match (&given_region, args.no_region) {
        (Some(r), _) => Some(r.clone()),
        (None, false) => previous.as_ref().and_then(|s| s.region.clone()),
        (None, true) => None,
    };
    let reach = match (args.vpc, previous_reach) {
        (true, _) => Reach::Vpc,
        (false, Some(false)) if is_private(&api_input) => Reach::Vpc,
        _ => Reach::Classic {
            region: reach_region.as_deref(),
        },
    };
    let endpoints = Endpoints::resolve_on(&api_input, iam_override.as_deref(), reach)?;
    let classic_private = is_classic_private(&endpoints.api, &endpoints.iam);
    // Said before anything is sent: a local server on plain http fails TLS, which used to
    // show only as a protocol error once every retry had run.
    if args
        .api_endpoint
        .as_deref()
        .is_some_and(crate::endpoints::https_assumed_on_loopback)
    {
        ctx.out.warn(&format!(
            "no scheme in -a: using {}; a local server that speaks plain http needs -a {}",
            endpoints.api,
            endpoints.api.replacen("https://", "http://", 1)
        ));
    }
    // The same IAM, however it was named, is no override worth a word.
    let iam_chosen = match Endpoints::resolve_on(&api_input, None, reach) {
        Ok(implied) if implied.iam == endpoints.iam => IamChosen::Implied,
        _ => iam_chosen,
    };
    let skip_ssl_validation = args.skip_ssl_validation
        || (args.api_endpoint.is_none()
            && previous.as_ref().is_some_and(|s| s.skip_ssl_validation));
    // Remembered like --skip-ssl-validation: a later login without -a keeps it.
    let ca_cert = match &args.ca_cert {
        Some(path) => Some(ca_cert(path)?),
        None => previous
            .as_ref()
            .filter(|_| args.api_endpoint.is_none())
            .and_then(|s| s.ca_cert.clone()),
    };
    let region = if args.no_region {
        RegionChoice::None
    } else if let Some(r) = given_region {
        RegionChoice::Given(r)
    } else if let (true, Some(r)) = (classic_private, reach_region) {
        // The endpoints are that region's: asking for another would leave them wrong.
        RegionChoice::Given(r)
    } else {
        RegionChoice::Ask {
            otherwise: previous.as_ref().and_then(|s| s.region.clone()),
        }
    };
    if args.no_account && args.resource_group.is_some() {
        return Err(CliError::usage(
            "-g needs an account, but --no-account was given.",
        ));
    }
    let account = match (&args.account, args.no_account) {
        (_, true) => AccountChoice::None,
        (Some(a), false) => AccountChoice::Given(a.clone()),
        (None, false) => AccountChoice::Choose,
    };
    let plan = plan(&args, stored, has_terminal)?;
    Ok(Login {
        previous,
        corrupt,
        endpoints,
        iam_chosen,
        trust: Trust {
            skip_validation: skip_ssl_validation,
            ca_cert,
        },
        account,
        region,
        resource_group: args.resource_group.clone(),
        plan,
        no_browser: args.no_browser,
    })
}

/// `--ca-cert FILE` (or `IAMCTL_CA_CERT`): read and checked now, so a file that cannot be used
/// stops the login before anything is sent; remembered as an absolute path, so the session
/// finds it from any directory.
fn ca_cert(given: &Path) -> Result<PathBuf> {
    let refuse = |why: String| {
        CliError::failed(format!(
            "Could not use the CA certificate file {} given with --ca-cert: {why}",
            crate::error::one_line(given.display())
        ))
        .hint("give a PEM file of CA certificates (iam-emulator's ready line names its own in ca_file)")
    };
    let path = std::path::absolute(given).map_err(|e| refuse(e.to_string()))?;
    if path.to_str().is_none() {
        return Err(refuse("its path is not UTF-8".into()));
    }
    trust::read_ca_file(&path).map_err(|problem| refuse(problem.to_string()))?;
    Ok(path)
}

/// Decides the login's credential.
fn plan(args: &LoginArgs, stored: Option<StoredKey>, has_terminal: bool) -> Result<Plan> {
    let assume = args.profile.as_deref().map(ProfileRef::parse);
    let account = args.account.clone();
    // The caller credential, assumed as the profile when one is given.
    let user = {
        let assume = assume.clone();
        move |c: Credential| match assume {
            Some(profile) => Credential::Assume(assume::Given {
                caller: Box::new(c),
                profile,
                account,
            }),
            None => c,
        }
    };
    if let Some(spec) = &args.cr_token {
        return cr_token_plan(spec, "--cr-token", args);
    }
    if args.vpc_cri {
        return vpc_plan(args);
    }
    if let Some(key) = stored {
        return Ok(Plan {
            how: How::Stored {
                key,
                make: Box::new(move |key| Ok(user(api_key(key)))),
            },
            notice: None,
        });
    }
    if let Some(spec) = &args.apikey {
        return apikey_plan(spec, "--apikey", true, user);
    }
    if args.sso {
        return Ok(Plan {
            how: How::Sso {
                make: Box::new(move |code| Ok(user(one_time_code(code)))),
            },
            notice: None,
        });
    }
    if let Some(username) = &args.username {
        // `-p -` asks for it as an omitted -p does (stdin, or a hidden prompt on a terminal),
        // as `--apikey -` does, so a script keeps the secret out of its argv.
        let given = args.password.as_deref().filter(|p| *p != "-");
        if is_passcode_user(username) {
            return match given {
                Some(code) if !code.trim().is_empty() => {
                    Ok(Plan::ready(user(one_time_code(code.trim().to_string()))))
                }
                Some(_) => Err(CliError::usage("The one-time code given with -p is empty.")),
                // No code yet: the --sso flow shows where to get one, then asks for it.
                None => Ok(Plan {
                    how: How::Sso {
                        make: Box::new(move |code| Ok(user(one_time_code(code)))),
                    },
                    notice: None,
                }),
            };
        }
        let username = username.clone();
        let with = move |password: String| {
            user(Credential::Password(password::Given { username, password }))
        };
        return Ok(match given {
            Some(p) => Plan::ready(with(p.to_string())),
            None => Plan {
                how: How::Ask {
                    ask: Ask {
                        prompt: Some("Password> "),
                        what: "the password",
                        line_hint: Some("pass -p PASSWORD, or pipe the password in on stdin"),
                    },
                    make: Box::new(move |p| Ok(with(p))),
                },
                notice: None,
            },
        });
    }
    if let Some(spec) = env("IBMCLOUD_CR_TOKEN") {
        return cr_token_plan(&spec, "IBMCLOUD_CR_TOKEN", args);
    }
    if let Some(spec) = env("IBMCLOUD_API_KEY") {
        return apikey_plan(&spec, "IBMCLOUD_API_KEY", false, user);
    }
    // A workload that names its profile and has a platform token mounted logs in with it.
    if (args.profile.is_some() || env("IBMCLOUD_CR_PROFILE").is_some())
        && CR_TOKEN_FILES.iter().any(|f| Path::new(f).is_file())
    {
        return cr_token_plan("", "--profile", args);
    }
    if has_terminal {
        return Ok(Plan {
            how: How::AskUser {
                assume,
                account: args.account.clone(),
            },
            notice: None,
        });
    }
    Err(no_credentials_error())
}

fn api_key(key: String) -> Credential {
    Credential::ApiKey(apikey::Given { key })
}

fn one_time_code(code: String) -> Credential {
    Credential::Passcode(passcode::Given { code })
}

/// The login of an email and a password typed on the terminal, assuming the profile that
/// `AskUser` names.
pub fn typed_user(
    username: String,
    password: String,
    assume: Option<ProfileRef>,
    account: Option<String>,
) -> Credential {
    let c = Credential::Password(password::Given { username, password });
    match assume {
        Some(profile) => Credential::Assume(assume::Given {
            caller: Box::new(c),
            profile,
            account,
        }),
        None => c,
    }
}

/// `KEY`, `@FILE` (any of IBM's key files, or the bare key), or `-` (stdin; asked for on a
/// terminal when `may_prompt`).
fn apikey_plan(
    spec: &str,
    source: &'static str,
    may_prompt: bool,
    user: impl FnOnce(Credential) -> Credential + 'static,
) -> Result<Plan> {
    let checked = move |key: String| -> Result<Credential> {
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err(CliError::usage(format!(
                "The API key given with {source} is empty."
            )));
        }
        Ok(user(api_key(key)))
    };
    if spec == "-" {
        return Ok(Plan {
            how: How::Ask {
                ask: Ask {
                    prompt: may_prompt.then_some("API key> "),
                    what: "the API key",
                    line_hint: None,
                },
                make: Box::new(checked),
            },
            notice: None,
        });
    }
    let key = match spec.strip_prefix('@') {
        Some(given) => {
            let path = at_path(given);
            // A file that cannot be used is a failed read (exit 1), whatever is wrong with it.
            let unusable = |why: String| {
                CliError::failed(format!(
                    "Could not read the API key file '{}' ({source}): {why}",
                    path.display()
                ))
            };
            let text = read_secret_file(&path).map_err(|e| unusable(e.source.to_string()))?;
            key_in_file(&text).map_err(|why| unusable(why.to_string()))?
        }
        None => spec.to_string(),
    };
    Ok(Plan::ready(checked(key)?))
}

/// `-u passcode`: IBM's console hands out `ibmcloud login -u passcode -p CODE`, where the
/// user name `passcode` means that the password is an SSO one-time code.
fn is_passcode_user(username: &str) -> bool {
    username.trim().eq_ignore_ascii_case("passcode")
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn no_credentials_error() -> CliError {
    CliError::usage("No credentials given, and there is no terminal to ask for them.")
        .hint("use --apikey @FILE (or --apikey - to read it from stdin, or IBMCLOUD_API_KEY)")
        .hint("or 'echo CODE | iamctl login --sso', or -u USER -p PASSWORD")
        .hint("or, in a workload, --cr-token @FILE --profile PROFILE, or --vpc-cri")
}

/// The profile of a compute-resource or VPC login: `--profile`, else `IBMCLOUD_CR_PROFILE`.
fn workload_profile(args: &LoginArgs) -> Option<ProfileRef> {
    args.profile
        .clone()
        .or_else(|| env("IBMCLOUD_CR_PROFILE"))
        .map(|p| ProfileRef::parse(&p))
}

/// `TOKEN`, `@FILE`, `-` (stdin), or empty for the platform's default token files.
fn cr_token_plan(spec: &str, source: &'static str, args: &LoginArgs) -> Result<Plan> {
    let profile = workload_profile(args).ok_or_else(|| {
        CliError::usage("A compute-resource token login needs the trusted profile to log in as.")
            .hint("pass --profile ID|NAME|CRN (or set IBMCLOUD_CR_PROFILE)")
    })?;
    let checked = move |token: String, file: Option<PathBuf>| -> Result<Credential> {
        if token.is_empty() {
            return Err(CliError::usage(format!(
                "The compute-resource token given with {source} is empty."
            )));
        }
        if jwt::decode(&token).is_none() {
            return Err(CliError::usage(format!(
                "The compute-resource token given with {source} is not a JWT."
            ))
            .hint("pass the token your platform mounts (Kubernetes: a service account token), with --cr-token @FILE"));
        }
        Ok(Credential::CrToken(cr_token::Given {
            token,
            profile,
            file,
        }))
    };
    if spec == "-" {
        return Ok(Plan {
            how: How::Ask {
                ask: Ask {
                    prompt: Some("Compute-resource token> "),
                    what: "the compute-resource token",
                    line_hint: None,
                },
                make: Box::new(move |token| checked(token.trim().to_string(), None)),
            },
            notice: None,
        });
    }
    if spec.is_empty() {
        let path = CR_TOKEN_FILES
            .iter()
            .map(Path::new)
            .find(|p| p.is_file())
            .ok_or_else(|| {
                CliError::usage(format!(
                    "No compute-resource token found: none of {} exists.",
                    CR_TOKEN_FILES.join(", ")
                ))
                .hint("pass --cr-token @FILE with the token your platform mounts")
            })?;
        let token = read_token_file(path, source)?;
        return Ok(Plan {
            how: How::Ready(checked(token, Some(path.to_path_buf()))?),
            notice: Some(format!(
                "Using the compute-resource token in {}",
                path.display()
            )),
        });
    }
    Ok(Plan::ready(match spec.strip_prefix('@') {
        Some(path) => {
            let path = absolute(&at_path(path));
            let token = read_token_file(&path, source)?;
            checked(token, Some(path))?
        }
        None => checked(spec.trim().to_string(), None)?,
    }))
}

/// `@FILE` relative to where the user is, kept absolute because renewals read it again
/// from wherever iamctl runs then.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn read_token_file(path: &Path, source: &str) -> Result<String> {
    read_secret_file(path).map_err(|e| {
        CliError::failed(format!(
            "Could not read the compute-resource token file '{}' ({source}): {}",
            path.display(),
            e.source
        ))
        .hint("pass --cr-token @FILE with the token your platform mounts")
    })
}

/// `--vpc-cri`: the metadata service at `IBMCLOUD_CR_VPC_URL` or IBM's default, as a
/// profile named by ID or CRN (the metadata service knows no names).
fn vpc_plan(args: &LoginArgs) -> Result<Plan> {
    let profile = workload_profile(args);
    if let Some(ProfileRef::Name(name)) = &profile {
        return Err(CliError::usage(format!(
            "--vpc-cri takes a trusted profile's ID or CRN, not its name ('{name}')."
        ))
        .hint("find the ID with 'iamctl trusted-profile NAME --id'"));
    }
    let metadata_url = match env("IBMCLOUD_CR_VPC_URL") {
        Some(u) => crate::endpoints::metadata_url(&u)?,
        None => metadata::DEFAULT_URL.to_string(),
    };
    Ok(Plan::ready(Credential::VpcCri(vpc::VpcCri {
        profile,
        metadata_url,
    })))
}

/// The path after an `@`: a leading `~/` is the home directory, since no shell expands `~`
/// there and IBM's users write `--apikey @~/.ibmcloud/apikey.json`.
fn at_path(given: &str) -> PathBuf {
    let rest = given
        .strip_prefix("~/")
        .or_else(|| given.strip_prefix("~\\").filter(|_| cfg!(windows)));
    match (rest, directories::BaseDirs::new()) {
        (Some(rest), Some(dirs)) => dirs.home_dir().join(rest),
        _ => PathBuf::from(given),
    }
}

/// The API key in a key file: the JSON file IBM's CLI writes (`apikey`, beside `name`,
/// `createdAt`, `uuid`, ... since 2024), the whole API object older CLIs wrote (`apikey`
/// too), or the bare key as plain text. Other spellings (`apiKey`, `api_key`) and a key
/// nested under `entity`, as IAM's pre-v1 API objects nested their fields, are accepted as
/// well, so that no JSON is ever sent to IAM as if it were the key.
pub fn key_in_file(text: &str) -> std::result::Result<String, &'static str> {
    // Editors on Windows may start a UTF-8 file with a byte-order mark.
    let text = text.trim_start_matches('\u{feff}').trim();
    if !text.starts_with('{') {
        if text.is_empty() {
            return Err("the file is empty");
        }
        return Ok(text.to_string());
    }
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|_| "it starts like JSON but is not valid JSON")?;
    [&v, &v["entity"]]
        .into_iter()
        .flat_map(|o| ["apikey", "apiKey", "api_key"].map(|name| o.get(name)))
        .filter_map(|k| k?.as_str())
        .map(str::trim)
        .find(|k| !k.is_empty())
        .map(str::to_string)
        .ok_or("it is JSON without an 'apikey' field")
}

/// What logs a session in again when its stored credential gives no more tokens, beyond
/// "log in again" (empty: nothing more to say).
pub fn expired_hints(e: &Expired) -> Vec<String> {
    match e {
        Expired::NoRefreshToken | Expired::RefreshRefused(_) | Expired::ApiKey(_) => Vec::new(),
        Expired::CrToken(d) => vec![match d {
            cr_token::Dead::Unreadable { path, .. } | cr_token::Dead::Empty { path } => format!(
                "the platform keeps the token in {}: check that the workload still mounts it, or log in again with 'iamctl login --cr-token @FILE --profile PROFILE'",
                path.display()
            ),
            cr_token::Dead::Refused {
                profile,
                file: Some(_),
                ..
            } => format!(
                "check that the compute resource is still linked to the profile ('iamctl trusted-profile-links {profile}') and that its token is rotated"
            ),
            cr_token::Dead::Refused { file: None, .. } | cr_token::Dead::NotStored => {
                "a token given inline cannot be renewed once it expires: log in with --cr-token @FILE so iamctl re-reads the token the platform rotates".into()
            }
        }],
        Expired::VpcCri(vpc::Dead::Refused { .. }) => vec![
            "check that this virtual server is still linked to the trusted profile, then 'iamctl login --vpc-cri'".into(),
        ],
        Expired::Assume(assume::Dead::Refused { profile, .. }) => vec![
            format!(
                "check that the profile still trusts this identity: 'iamctl trusted-profile-identities {profile}'"
            ),
            "or act as that identity again: 'iamctl trusted-profile-leave'".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An API key as IAM makes them: no whitespace, never empty.
    fn a_key() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_-]{1,60}"
    }

    /// Another field of a key file, none of them named like the key.
    fn other_fields() -> impl Strategy<Value = serde_json::Map<String, serde_json::Value>> {
        proptest::collection::btree_map("[a-z_]{1,10}", any::<String>(), 0..4).prop_map(|m| {
            m.into_iter()
                .filter(|(k, _)| !["apikey", "api_key", "entity"].contains(&k.as_str()))
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any file, text or not, gives a key or a reason, never a panic.
        #[test]
        fn any_text_gives_a_key_or_a_reason(text in any::<String>()) {
            match key_in_file(&text) {
                Ok(key) => prop_assert!(!key.is_empty() && key.trim() == key),
                Err(why) => prop_assert!(!why.is_empty()),
            }
        }

        /// Every key file IBM's tools write (the key under any of its spellings, at the top or
        /// under `entity`, beside other fields, with a byte-order mark and blank lines) gives
        /// its key; so does the bare key.
        #[test]
        fn every_valid_key_file_gives_its_key(
            key in a_key(),
            spelling in prop::sample::select(vec!["apikey", "apiKey", "api_key"]),
            nested in any::<bool>(),
            fields in other_fields(),
            bom in any::<bool>(),
            pretty in any::<bool>(),
            bare in any::<bool>(),
        ) {
            let text = if bare {
                format!("{key}\n")
            } else {
                let mut inner = fields.clone();
                inner.insert(spelling.to_string(), serde_json::Value::String(key.clone()));
                let doc = if nested {
                    let mut outer = fields;
                    outer.insert("entity".into(), serde_json::Value::Object(inner));
                    serde_json::Value::Object(outer)
                } else {
                    serde_json::Value::Object(inner)
                };
                let json = if pretty {
                    serde_json::to_string_pretty(&doc).unwrap_or_default()
                } else {
                    doc.to_string()
                };
                format!("\n{json}\n")
            };
            let text = if bom { format!("\u{feff}{text}") } else { text };
            prop_assert_eq!(key_in_file(&text), Ok(key));
        }
    }
}
