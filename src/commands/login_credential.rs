//! What `login`'s plan (`settings::login`) still has to read before it is a credential: a
//! secret asked for on the terminal or read from stdin, the SSO one-time code once the
//! passcode page is shown, an email and password typed in, or a stored key's secret.

use crate::auth::{Credential, Credentials, stored_keys};
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::home::SECRET_FILE_LIMIT;
use crate::iam::Client;
use crate::prompt;
use crate::settings::login::{Ask, How, typed_user};
use dialoguer::console::Term;
use std::io::{BufRead, Read};

/// The credential of the plan, reading what it still needs.
pub fn read(
    how: How,
    ctx: &Context,
    creds: &Credentials,
    client: &Client,
    no_browser: bool,
    term: Option<&Term>,
) -> Result<Credential> {
    match how {
        How::Ready(c) => Ok(c),
        How::Ask { ask, make } => make(ask_for(&ask, term)?),
        How::AskUser { assume, account } => {
            let Some(t) = term else {
                return Err(crate::settings::login::no_credentials_error());
            };
            let username = prompt::text(t, "Email> ", false)?;
            let password = prompt::secret(t, "Password> ")?;
            Ok(typed_user(
                username.trim().to_string(),
                password,
                assume,
                account,
            ))
        }
        How::Sso { make } => make(sso_code(ctx, client, no_browser, term)?),
        How::Stored { key, make } => make(stored_keys::secret_for_login(
            creds.home(),
            ctx.services(),
            &key,
            &client.endpoints.iam,
        )?),
    }
}

/// A secret: asked for, hidden, on a terminal (when the plan may ask), else read from stdin.
fn ask_for(ask: &Ask, term: Option<&Term>) -> Result<String> {
    match (ask.prompt, term) {
        (Some(p), Some(t)) => Ok(prompt::secret(t, p)?),
        _ => match ask.line_hint {
            Some(hint) => read_stdin_line(ask.what, hint),
            None => read_stdin_bounded(ask.what),
        },
    }
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
fn sso_code(
    ctx: &Context,
    client: &Client,
    no_browser: bool,
    term: Option<&Term>,
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
            if !no_browser
                && prompt::has_display()
                && prompt::confirm(t, "Open the URL in the default browser?", true)?
                && let Err(e) = webbrowser::open(&url)
            {
                ctx.out.warn(&format!(
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
