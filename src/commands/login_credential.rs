//! Which credential `iamctl login` uses, decided from flags, the environment, files, stdin
//! and (on a terminal) prompts, before any network traffic: an API key, a password, an SSO
//! one-time code, a stored key, a compute-resource token, the VPC instance identity, and
//! `--profile` to assume a trusted profile with any of the first four.

use crate::auth::Credential;
use crate::cli::LoginArgs;
use crate::error::{CliError, Result};
use crate::home::{SECRET_FILE_LIMIT, read_secret_file};
use crate::iam::{Client, jwt, metadata};
use crate::output::Out;
use crate::prompt;
use crate::session::ProfileRef;
use dialoguer::console::Term;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// Where Kubernetes, OpenShift and Code Engine put a workload's compute-resource token, in
/// the order IBM's SDKs try them.
pub const CR_TOKEN_FILES: [&str; 3] = [
    "/var/run/secrets/tokens/vault-token",
    "/var/run/secrets/tokens/sa-token",
    "/var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token",
];

/// What the login will do.
pub enum Plan {
    /// A credential for the token endpoint; `Sso` asks for the one-time code once the
    /// passcode page is known. Assumed as `assume` when given.
    User {
        source: Source,
        assume: Option<ProfileRef>,
    },
    /// A workload's identity (compute-resource token or VPC instance identity).
    Workload(Credential),
}

pub enum Source {
    Given(Credential),
    Sso,
}

impl Plan {
    /// Whether the login keeps secrets (and so needs the secret store before it goes on).
    pub fn keeps_secrets(&self) -> bool {
        match self {
            Plan::User { .. } => true,
            Plan::Workload(Credential::CrToken { file, .. }) => file.is_none(),
            Plan::Workload(_) => false,
        }
    }
}

/// Decides the login's plan. `stored` is the API key of `--keyring NAME`, already read.
pub fn decide(
    args: &LoginArgs,
    stored: Option<String>,
    term: Option<&Term>,
    out: &Out,
) -> Result<Plan> {
    let assume = args.profile.as_deref().map(ProfileRef::parse);
    let user = |c: Credential| Plan::User {
        source: Source::Given(c),
        assume: assume.clone(),
    };
    if let Some(spec) = &args.cr_token {
        return cr_token_login(spec, "--cr-token", args, term, out);
    }
    if args.vpc_cri {
        return vpc_login(args);
    }
    if let Some(key) = stored {
        return Ok(user(Credential::ApiKey(key)));
    }
    if let Some(spec) = &args.apikey {
        return Ok(user(Credential::ApiKey(read_apikey(
            spec, "--apikey", term,
        )?)));
    }
    if args.sso {
        return Ok(Plan::User {
            source: Source::Sso,
            assume,
        });
    }
    if let Some(username) = &args.username {
        // `-p -` asks for it as an omitted -p does (stdin, or a hidden prompt on a terminal),
        // as `--apikey -` does, so a script keeps the secret out of its argv.
        let password = args.password.as_deref().filter(|p| *p != "-");
        if is_passcode_user(username) {
            return Ok(match password {
                Some(code) if !code.trim().is_empty() => {
                    user(Credential::Passcode(code.trim().to_string()))
                }
                Some(_) => {
                    return Err(CliError::usage("The one-time code given with -p is empty."));
                }
                // No code yet: the --sso flow shows where to get one, then asks for it.
                None => Plan::User {
                    source: Source::Sso,
                    assume,
                },
            });
        }
        let password = match password {
            Some(p) => p.to_string(),
            None => match term {
                Some(t) => prompt::secret(t, "Password> ")?,
                None => read_stdin_line(
                    "the password",
                    "pass -p PASSWORD, or pipe the password in on stdin",
                )?,
            },
        };
        return Ok(user(Credential::Password {
            username: username.clone(),
            password,
        }));
    }
    if let Some(spec) = env("IBMCLOUD_CR_TOKEN") {
        return cr_token_login(&spec, "IBMCLOUD_CR_TOKEN", args, term, out);
    }
    if let Some(env) = env("IBMCLOUD_API_KEY") {
        return Ok(user(Credential::ApiKey(read_apikey(
            &env,
            "IBMCLOUD_API_KEY",
            None,
        )?)));
    }
    // A workload that names its profile and has a platform token mounted logs in with it.
    if (args.profile.is_some() || env("IBMCLOUD_CR_PROFILE").is_some())
        && CR_TOKEN_FILES.iter().any(|f| Path::new(f).is_file())
    {
        return cr_token_login("", "--profile", args, term, out);
    }
    match term {
        Some(t) => {
            let username = prompt::text(t, "Email> ", false)?;
            let password = prompt::secret(t, "Password> ")?;
            Ok(user(Credential::Password {
                username: username.trim().to_string(),
                password,
            }))
        }
        None => Err(no_credentials_error()),
    }
}

/// `-u passcode`: IBM's console hands out `ibmcloud login -u passcode -p CODE`, where the
/// user name `passcode` means that the password is an SSO one-time code.
pub fn is_passcode_user(username: &str) -> bool {
    username.trim().eq_ignore_ascii_case("passcode")
}

/// Whether the login spends a one-time code (`--sso`, `-u passcode`): the secret store is
/// checked before the code is asked for or sent, and no later choice may fail after it.
pub fn uses_one_time_code(args: &LoginArgs) -> bool {
    args.sso || args.username.as_deref().is_some_and(is_passcode_user)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether the flags or the environment name a credential (so no prompt is needed to pick one).
pub fn has_credential_source(args: &LoginArgs) -> bool {
    args.apikey.is_some()
        || args.sso
        || args.username.is_some()
        || args.cr_token.is_some()
        || args.vpc_cri
        || ["IBMCLOUD_API_KEY", "IBMCLOUD_CR_TOKEN"]
            .iter()
            .any(|v| env(v).is_some())
        || (args.profile.is_some() || env("IBMCLOUD_CR_PROFILE").is_some())
            && CR_TOKEN_FILES.iter().any(|f| Path::new(f).is_file())
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
fn cr_token_login(
    spec: &str,
    source: &str,
    args: &LoginArgs,
    term: Option<&Term>,
    out: &Out,
) -> Result<Plan> {
    let profile = workload_profile(args).ok_or_else(|| {
        CliError::usage("A compute-resource token login needs the trusted profile to log in as.")
            .hint("pass --profile ID|NAME|CRN (or set IBMCLOUD_CR_PROFILE)")
    })?;
    let (token, file) = if spec.is_empty() {
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
        out.say(&format!(
            "Using the compute-resource token in {}",
            path.display()
        ));
        (read_token_file(path, source)?, Some(path.to_path_buf()))
    } else if spec == "-" {
        let token = match term {
            Some(t) => prompt::secret(t, "Compute-resource token> ")?,
            None => read_stdin_bounded("the compute-resource token")?,
        };
        (token.trim().to_string(), None)
    } else if let Some(path) = spec.strip_prefix('@') {
        let path = absolute(&at_path(path));
        (read_token_file(&path, source)?, Some(path))
    } else {
        (spec.trim().to_string(), None)
    };
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
    Ok(Plan::Workload(Credential::CrToken {
        token,
        profile,
        file,
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
fn vpc_login(args: &LoginArgs) -> Result<Plan> {
    let profile = workload_profile(args);
    if let Some(ProfileRef::Name(name)) = &profile {
        return Err(CliError::usage(format!(
            "--vpc-cri takes a trusted profile's ID or CRN, not its name ('{name}')."
        ))
        .hint("find the ID with 'iamctl trusted-profile NAME --id'"));
    }
    let url = match env("IBMCLOUD_CR_VPC_URL") {
        Some(u) => crate::endpoints::metadata_url(&u)?,
        None => metadata::DEFAULT_URL.to_string(),
    };
    Ok(Plan::Workload(Credential::VpcCri {
        profile,
        metadata_url: url,
    }))
}

/// `KEY`, `@FILE` (any of IBM's key files, or the bare key), or `-` (stdin).
pub fn read_apikey(spec: &str, source: &str, term: Option<&Term>) -> Result<String> {
    let key = if spec == "-" {
        match term {
            Some(t) => prompt::secret(t, "API key> ")?,
            None => read_stdin_bounded("the API key")?,
        }
    } else if let Some(given) = spec.strip_prefix('@') {
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
    } else {
        spec.to_string()
    };
    let key = key.trim().to_string();
    if key.is_empty() {
        return Err(CliError::usage(format!(
            "The API key given with {source} is empty."
        )));
    }
    Ok(key)
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

/// All of stdin, up to the secret-file limit (`login`'s secrets, `token decode -`).
pub fn read_stdin_bounded(what: &str) -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(SECRET_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::failed(format!("Could not read {what} from stdin: {e}")))?;
    if bytes.len() as u64 > SECRET_FILE_LIMIT {
        return Err(CliError::usage(format!(
            "More than {} KiB on stdin where {what} was expected.",
            SECRET_FILE_LIMIT / 1024
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| CliError::usage(format!("{what} on stdin is not UTF-8 text.")))
}

fn read_stdin_line(what: &str, hint: &str) -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(SECRET_FILE_LIMIT)
        .read_line(&mut line)
        .map_err(|e| CliError::failed(format!("Could not read {what} from stdin: {e}")))?;
    let line = line.trim_end_matches(['\r', '\n']).trim().to_string();
    if line.is_empty() {
        return Err(CliError::usage(format!(
            "No terminal to ask for {what}, and nothing on stdin."
        ))
        .hint(hint.to_string()));
    }
    Ok(line)
}

/// The SSO flow up to the one-time code.
pub fn sso_code(
    args: &LoginArgs,
    client: &Client,
    term: Option<&Term>,
    out: &Out,
) -> Result<String> {
    let url = client
        .passcode_url()
        .map_err(|e| e.into_cli("Could not find the one-time code page"))?;
    let line = format!("Get a one-time code from {url} to proceed.");
    match term {
        Some(t) => {
            // The URL is always shown, even with -q: it is what the user must act on.
            let _ = t.write_line("");
            let _ = t.write_line(&line);
            if !args.no_browser
                && prompt::has_display()
                && prompt::confirm(t, "Open the URL in the default browser?", true)?
                && let Err(e) = webbrowser::open(&url)
            {
                out.warn(&format!(
                    "could not open a browser ({e}); open the URL yourself"
                ));
            }
            let code = prompt::secret(t, "One-time code > ")?;
            let code = code.trim().to_string();
            if code.is_empty() {
                return Err(CliError::usage("No one-time code entered."));
            }
            Ok(code)
        }
        None => {
            eprintln!("{line}");
            read_stdin_line(
                "the one-time code",
                "open the URL above in a browser, then pipe the code in: echo CODE | iamctl login --sso",
            )
        }
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
