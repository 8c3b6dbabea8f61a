//! `iamctl login`: API key, password or SSO one-time code; then account, region and
//! resource group; secrets into the secret store; the session file written last, so a
//! failed login leaves the previous session byte-identical.

use super::{
    REGIONS, account_label, apply_tokens, login_grant_error, print_summary, secret_id,
    validate_region,
};
use crate::cli::LoginArgs;
use crate::completion;
use crate::endpoints::{DEFAULT_API_ENDPOINT, Endpoints};
use crate::error::{CliError, Result};
use crate::iam::{Client, Grant, IamError, jwt};
use crate::output::Out;
use crate::prompt;
use crate::secrets::{self, SecretKind, SecretStore};
use crate::session::{Account, Login, LoginMethod, SecretsMeta, Session, SessionStore, now};
use dialoguer::console::Term;
use std::io::Read;

/// How the user authenticates, decided before any network traffic.
enum Credential {
    ApiKey(String),
    Password { username: String, password: String },
    Sso,
}

pub fn run(args: &LoginArgs, out: &Out) -> Result<()> {
    let store = SessionStore::open()?;
    let (previous, corrupt) = store.load_lenient()?;
    if corrupt {
        out.warn(&format!(
            "the session file {} was corrupt; this login replaces it",
            store.path().display()
        ));
    }
    let term = prompt::terminal();

    // Everything that can be a usage error is checked before IAM is contacted.
    let stored = match &args.keyring {
        Some(name) => Some(super::stored_keys::find(&store.home, name)?),
        None => None,
    };
    let api_input = args
        .api_endpoint
        .clone()
        .or_else(|| stored.as_ref().map(|k| k.api_endpoint.clone()))
        .or_else(|| previous.as_ref().map(|s| s.api_endpoint.clone()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_API_ENDPOINT.to_string());
    let iam_override = std::env::var("IAM_ENDPOINT").ok();
    let endpoints = Endpoints::resolve(&api_input, iam_override.as_deref())?;
    let skip_ssl = args.skip_ssl_validation
        || (args.api_endpoint.is_none()
            && previous.as_ref().is_some_and(|s| s.skip_ssl_validation));
    let region_flag = match &args.region {
        Some(r) => Some(validate_region(r, "-r")?),
        None => None,
    };
    if args.no_account && args.resource_group.is_some() {
        return Err(CliError::usage(
            "-g needs an account, but --no-account was given.",
        ));
    }
    // A stored key (--keyring) is a credential source of its own.
    if stored.is_none() && term.is_none() && !has_credential_source(args) {
        return Err(no_credentials_error());
    }

    // Fail closed if there is nowhere safe to keep the secrets. Connecting to the keyring
    // takes a D-Bus handshake; without a terminal, for reusable credentials (API key,
    // password), it runs alongside the first requests to IAM and is awaited before anything
    // is stored. Whenever the user would type something, or spend a one-time code, the
    // keyring is checked first. Either way it is awaited before `OK` is printed.
    let store_kind = secrets::configured_kind(&store.home)?;
    let home = store.home.clone();
    let opening = std::thread::spawn(move || secrets::open(store_kind, &home));
    let (secret_store, mut opening) = if term.is_some() || args.sso {
        (Some(join_store(opening)?), None)
    } else {
        (None, Some(opening))
    };

    out.say(&format!("API endpoint: {}", endpoints.api));
    let credential = match &stored {
        Some(k) => Credential::ApiKey(super::stored_keys::secret_for_login(
            &store.home,
            k,
            &endpoints.iam,
        )?),
        None => credential(args, term.as_ref())?,
    };
    let client = Client::new(endpoints.clone(), skip_ssl)?;

    let (method, mut tokens, apikey) = match credential {
        Credential::ApiKey(key) => {
            out.say("Authenticating...");
            let t = client
                .token(Grant::ApiKey(&key))
                .map_err(login_grant_error)?;
            (LoginMethod::Apikey, t, Some(key))
        }
        Credential::Password { username, password } => {
            out.say("Authenticating...");
            let t = client
                .token(Grant::Password {
                    username: &username,
                    password: &password,
                })
                .map_err(login_grant_error)?;
            (LoginMethod::Password, t, None)
        }
        Credential::Sso => {
            let code = sso_code(args, &client, term.as_ref(), out)?;
            out.say("Authenticating...");
            let t = client
                .token(Grant::Passcode(&code))
                .map_err(login_grant_error)?;
            (LoginMethod::Sso, t, None)
        }
    };
    // Before saying OK: a login that cannot keep its secrets must not look like a success.
    let secret_store = match (secret_store, opening.take()) {
        (Some(s), _) => s,
        (None, Some(handle)) => join_store(handle)?,
        (None, None) => return Err(CliError::failed("internal error: no secret store")),
    };
    out.ok();
    let mut claims = jwt::decode(&tokens.access_token).ok_or_else(|| {
        CliError::failed("IAM returned an access token that is not a JWT; iamctl cannot use it.")
    })?;
    if claims.iam_id.is_empty() {
        return Err(CliError::failed(
            "IAM returned an access token without an iam_id claim.",
        ));
    }

    // Account: -c, the API key's own account, the only one, or the user's choice. The token's
    // own account's resource groups are fetched alongside the account list: it is usually
    // the account that ends up targeted.
    let mut prefetched_groups = None;
    // What TAB offers later (-c, -g), remembered once the login has succeeded.
    let mut seen_accounts = None;
    let mut seen_groups = None;
    let account = if args.no_account {
        None
    } else {
        let token_account = claims.account_bss().map(str::to_string);
        let (accounts, groups) = std::thread::scope(|scope| {
            let groups = token_account.as_deref().map(|bss| {
                let token = tokens.access_token.as_str();
                let client = &client;
                scope.spawn(move || client.resource_groups(token, bss).ok())
            });
            let accounts = client.accounts(&tokens.access_token);
            let groups = groups.and_then(|h| h.join().ok().flatten());
            (accounts, groups)
        });
        if let (Some(bss), Some(groups)) = (token_account, groups) {
            prefetched_groups = Some((bss, groups));
        }
        let accounts = accounts.map_err(|e| e.into_cli("Could not list your accounts"))?;
        seen_accounts = Some(accounts.clone());
        choose_account(args, method, &claims, accounts, term.as_ref())?
    };
    if let Some(acct) = &account {
        if claims.account_bss() != Some(acct.guid.as_str()) {
            let rt = tokens.usable_refresh_token().ok_or_else(|| {
                CliError::failed(
                    "IAM issued no refresh token, so the session cannot be scoped to an account.",
                )
            })?;
            tokens = client
                .token(Grant::Refresh {
                    refresh_token: rt,
                    account: Some(&acct.guid),
                    ims_account: acct.ims.as_deref(),
                })
                .map_err(|e| match e {
                    IamError::Rejected(api) if api.is_client_error() => CliError::failed(format!(
                        "IAM did not let this session switch to account {}: {}",
                        acct.guid,
                        api.line()
                    )),
                    other => other.into_cli("Could not switch to the account"),
                })?;
            claims = jwt::decode(&tokens.access_token).unwrap_or(claims);
        }
        out.blank();
        out.say(&format!(
            "Targeted account {}",
            out.em(&account_label(acct))
        ));
    }

    // Region: -r, --no-region, a choice on a terminal, else the remembered one.
    let region = if args.no_region {
        None
    } else if region_flag.is_some() {
        region_flag
    } else if let Some(term) = term.as_ref() {
        out.blank();
        let items: Vec<String> = super::region_names().map(str::to_string).collect();
        prompt::choose(
            term,
            "Select a region (or press enter to skip):",
            &items,
            true,
        )?
        .map(|i| REGIONS[i].0.to_string())
    } else {
        previous.as_ref().and_then(|s| s.region.clone())
    };
    if let Some(r) = &region {
        out.blank();
        out.say(&format!("Targeted region {}", out.em(r)));
    }

    // Resource group: -g, else the account's default.
    let resource_group = match &account {
        Some(acct) => match prefetched_groups
            .take()
            .filter(|(bss, _)| bss == &acct.guid)
            .map(|(_, groups)| Ok(groups))
            .unwrap_or_else(|| client.resource_groups(&tokens.access_token, &acct.guid))
        {
            Ok(groups) => {
                let chosen = match &args.resource_group {
                    Some(want) => Some(super::find_resource_group(&groups, want, &acct.guid)?),
                    None => groups.iter().find(|g| g.default).cloned(),
                };
                seen_groups = Some((acct.guid.clone(), groups));
                chosen
            }
            Err(e) if args.resource_group.is_some() => {
                return Err(e.into_cli("Could not list resource groups"));
            }
            Err(e) => {
                out.warn(&format!(
                    "no resource group targeted: {}",
                    e.into_cli("could not list resource groups").message
                ));
                None
            }
        },
        None => None,
    };
    if let Some(g) = &resource_group {
        out.blank();
        out.say(&format!("Targeted resource group {}", out.em(&g.name)));
    }

    // The new session (written only after the secrets are safely stored).
    let mut session = Session {
        version: 0,
        api_endpoint: endpoints.api.clone(),
        iam_endpoint: endpoints.iam.clone(),
        accounts_endpoint: endpoints.accounts.clone(),
        resource_controller_endpoint: endpoints.resource_controller.clone(),
        skip_ssl_validation: skip_ssl,
        region,
        login: None,
        // Secrets an earlier logout could not delete stay listed for the next logout.
        pending_deletes: previous
            .as_ref()
            .map(|s| s.pending_deletes.clone())
            .unwrap_or_default(),
    };
    let mut login = Login {
        method,
        user: claims.display_user(),
        iam_id: claims.iam_id.clone(),
        sub_type: claims.sub_type.clone(),
        account,
        resource_group,
        access_token: String::new(),
        token_issued_at: 0,
        token_expires_at: 0,
        refresh_token_expires_at: None,
        login_at: now(),
        secrets: SecretsMeta {
            store: secret_store.kind(),
            refresh_token: false,
            apikey: false,
        },
    };
    apply_tokens(&mut login, &tokens);

    forget_previous_secrets(
        out,
        &store,
        previous.as_ref(),
        &session,
        &login,
        &*secret_store,
    );
    if let Some(rt) = tokens.usable_refresh_token() {
        secret_store.set(
            &secret_id(&session, &store, &login.iam_id, SecretKind::RefreshToken),
            rt,
        )?;
        login.secrets.refresh_token = true;
    }
    if let Some(key) = &apikey {
        secret_store.set(
            &secret_id(&session, &store, &login.iam_id, SecretKind::ApiKey),
            key,
        )?;
        login.secrets.apikey = true;
    }
    session.login = Some(login);
    let lock = store.lock()?;
    store.save(&lock, &session)?;
    drop(lock);
    completion::remember_targets(
        &store.home,
        &session.iam_endpoint,
        &claims.iam_id,
        seen_accounts.as_deref(),
        seen_groups.as_ref(),
    );

    if !out.json() {
        out.blank();
    }
    print_summary(out, &session);
    Ok(())
}

/// Secrets of the previous login that the new one does not overwrite: another identity or
/// IAM endpoint, or an API key no longer needed. Best effort: a failure only warns.
fn forget_previous_secrets(
    out: &Out,
    store: &SessionStore,
    previous: Option<&Session>,
    new_session: &Session,
    new_login: &Login,
    new_store: &dyn SecretStore,
) {
    let Some(prev) = previous else { return };
    let Some(old) = prev.login.as_ref() else {
        return;
    };
    let same_identity = old.iam_id == new_login.iam_id
        && prev.iam_endpoint == new_session.iam_endpoint
        && old.secrets.store == new_store.kind();
    let mut stale = Vec::new();
    if !same_identity {
        stale.push(SecretKind::RefreshToken);
    }
    if old.secrets.apikey && (!same_identity || new_login.method != LoginMethod::Apikey) {
        stale.push(SecretKind::ApiKey);
    }
    if stale.is_empty() {
        return;
    }
    let result = if old.secrets.store == new_store.kind() {
        stale
            .iter()
            .try_for_each(|k| new_store.delete(&secret_id(prev, store, &old.iam_id, *k)))
    } else {
        secrets::open(old.secrets.store, &store.home).and_then(|s| {
            stale
                .iter()
                .try_for_each(|k| s.delete(&secret_id(prev, store, &old.iam_id, *k)))
        })
    };
    if let Err(e) = result {
        out.warn(&format!(
            "could not delete the previous login's secrets: {}",
            e.message
        ));
    }
}

fn join_store(
    handle: std::thread::JoinHandle<Result<Box<dyn SecretStore + Send>>>,
) -> Result<Box<dyn SecretStore + Send>> {
    handle
        .join()
        .map_err(|_| CliError::secret_store("The keyring connection failed unexpectedly."))?
}

/// Decides the credential from flags, `IBMCLOUD_API_KEY`, stdin and prompts.
fn credential(args: &LoginArgs, term: Option<&Term>) -> Result<Credential> {
    if let Some(spec) = &args.apikey {
        return Ok(Credential::ApiKey(read_apikey(spec, "--apikey", term)?));
    }
    if args.sso {
        return Ok(Credential::Sso);
    }
    if let Some(username) = &args.username {
        let password = match &args.password {
            Some(p) => p.clone(),
            None => match term {
                Some(t) => prompt::secret(t, "Password> ")?,
                None => read_stdin_line(
                    "the password",
                    "pass -p PASSWORD, or pipe the password in on stdin",
                )?,
            },
        };
        return Ok(Credential::Password {
            username: username.clone(),
            password,
        });
    }
    if let Ok(env) = std::env::var("IBMCLOUD_API_KEY")
        && !env.trim().is_empty()
    {
        return Ok(Credential::ApiKey(read_apikey(
            &env,
            "IBMCLOUD_API_KEY",
            None,
        )?));
    }
    match term {
        Some(t) => {
            let username = prompt::text(t, "Email> ", false)?;
            let password = prompt::secret(t, "Password> ")?;
            Ok(Credential::Password {
                username: username.trim().to_string(),
                password,
            })
        }
        None => Err(no_credentials_error()),
    }
}

/// Whether the flags or the environment name a credential (so no prompt is needed to pick one).
fn has_credential_source(args: &LoginArgs) -> bool {
    args.apikey.is_some()
        || args.sso
        || args.username.is_some()
        || std::env::var("IBMCLOUD_API_KEY").is_ok_and(|v| !v.trim().is_empty())
}

fn no_credentials_error() -> CliError {
    CliError::usage("No credentials given, and there is no terminal to ask for them.")
        .hint("use --apikey @FILE (or --apikey - to read it from stdin, or IBMCLOUD_API_KEY)")
        .hint("or 'echo CODE | iamctl login --sso', or -u USER -p PASSWORD")
}

/// `KEY`, `@FILE` (plain, or IBM's JSON key file), or `-` (stdin).
fn read_apikey(spec: &str, source: &str, term: Option<&Term>) -> Result<String> {
    let key = if spec == "-" {
        match term {
            Some(t) => prompt::secret(t, "API key> ")?,
            None => {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).map_err(|e| {
                    CliError::failed(format!("Could not read the API key from stdin: {e}"))
                })?;
                s
            }
        }
    } else if let Some(path) = spec.strip_prefix('@') {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!(
                "Could not read the API key file '{path}' ({source}): {e}"
            ))
        })?;
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => match v.get("apikey").and_then(|k| k.as_str()) {
                Some(k) => k.to_string(),
                None => text,
            },
            Err(_) => text,
        }
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

fn read_stdin_line(what: &str, hint: &str) -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
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
fn sso_code(args: &LoginArgs, client: &Client, term: Option<&Term>, out: &Out) -> Result<String> {
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

fn choose_account(
    args: &LoginArgs,
    method: LoginMethod,
    claims: &jwt::Claims,
    accounts: Vec<Account>,
    term: Option<&Term>,
) -> Result<Option<Account>> {
    if let Some(want) = &args.account {
        return super::find_account(&accounts, want).map(Some);
    }
    if method == LoginMethod::Apikey
        && let Some(bss) = claims.account_bss()
        && let Some(a) = accounts.iter().find(|a| a.guid == bss)
    {
        return Ok(Some(a.clone()));
    }
    match accounts.len() {
        0 => Ok(None),
        1 => Ok(accounts.into_iter().next()),
        _ => match term {
            Some(t) => {
                let _ = t.write_line("");
                let items: Vec<String> = accounts.iter().map(account_label).collect();
                let idx = prompt::choose(t, "Select an account:", &items, false)?;
                Ok(idx.and_then(|i| accounts.get(i).cloned()))
            }
            None => Err(CliError::usage(format!(
                "This user can use {} accounts; without a terminal iamctl cannot ask which one.",
                accounts.len()
            ))
            .hint("choose one with -c ACCOUNT_ID (or --no-account)")
            .hint(super::accounts_hint(&accounts))),
        },
    }
}
