//! Named sessions side by side: `sessions` lists them, `session-switch` changes which one is
//! active by default, `session-delete` logs out of one and removes it.
//!
//! A session is `sessions/<name>.json` with its own login, account and keyring entries, so
//! switching needs no network and no new login. Which one a command uses: `--session`,
//! else `IAMCTL_SESSION`, else the `current` file, else `default`. Parallel jobs pin theirs
//! with the flag or the variable and never depend on `current`.

use super::errors::no_such_session;
use super::{login_json, short_account_label, summary};
use crate::auth::Session;
use crate::context::Context;
use crate::error::Result;
use crate::home::Home;
use crate::session::{Selection, SessionStore, now};
use serde_json::json;

/// One row of the listing.
struct Entry {
    name: String,
    active: bool,
    /// `None` when the file could not be read or parsed (shown, not fatal: one broken
    /// session must not hide the others).
    session: Option<Session>,
    problem: Option<String>,
}

fn entries(ctx: &Context, home: &Home) -> Result<(Vec<Entry>, String, Selection)> {
    let (active, selection) = ctx.active_session(home)?;
    let mut names = home.session_names()?;
    // A session chosen by flag or variable but not created yet is still worth showing.
    if !names.contains(&active) && selection != Selection::Default {
        names.push(active.clone());
        names.sort();
    }
    let list = names
        .into_iter()
        .map(|name| {
            let store = SessionStore {
                home: home.clone(),
                name: name.clone(),
            };
            let (session, problem) = match store.load() {
                Ok(s) => (s, None),
                Err(e) => (None, Some(e.to_string())),
            };
            Entry {
                active: name == active,
                name,
                session,
                problem,
            }
        })
        .collect();
    Ok((list, active, selection))
}

/// `valid 42m`, `expired`, `logged out`, ... for the Token column.
fn token_state(entry: &Entry, at: i64) -> String {
    if entry.problem.is_some() {
        return "unreadable".to_string();
    }
    match entry.session.as_ref().and_then(|s| s.login.as_ref()) {
        None if entry.session.is_none() => "no session".to_string(),
        None => "logged out".to_string(),
        Some(l) if l.expired(at) => "expired (renews on use)".to_string(),
        Some(l) => {
            let left = (l.token_expires_at - at).max(0);
            format!("valid {}m", left / 60)
        }
    }
}

pub fn list(ctx: &Context) -> Result<()> {
    let out = &ctx.out;
    let home = ctx.home()?;
    let (list, active, selection) = entries(ctx, &home)?;
    let at = now();
    if out.json() {
        let items: Vec<_> = list
            .iter()
            .map(|e| {
                let s = e.session.as_ref();
                let l = s.and_then(|s| s.login.as_ref());
                json!({
                    "name": e.name,
                    "active": e.active,
                    "logged_in": l.is_some(),
                    "user": l.map(|l| l.user.clone()),
                    "iam_id": l.map(|l| l.iam_id.clone()),
                    "account": l.and_then(|l| l.account.as_ref()).map(|a| json!({
                        "guid": a.guid, "name": a.name, "ims_account_id": a.ims,
                    })),
                    "api_endpoint": s.map(|s| s.api_endpoint.clone()),
                    "region": s.and_then(|s| s.region.clone()),
                    "token_expires_at": l.map(|l| l.token_expires_at),
                    "token_valid": l.is_some_and(|l| !l.expired(at)),
                    "login": l.map(login_json),
                    "error": e.problem,
                })
            })
            .collect();
        out.print_json(&items);
        return Ok(());
    }
    if list.is_empty() {
        out.say("No sessions yet. Log in with 'iamctl login' (or 'iamctl --session NAME login').");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|e| {
            let s = e.session.as_ref();
            let l = s.and_then(|s| s.login.as_ref());
            vec![
                format!("{} {}", if e.active { "*" } else { " " }, e.name),
                l.map(|l| l.user.clone()).unwrap_or_default(),
                l.and_then(|l| l.account.as_ref())
                    .map(short_account_label)
                    .unwrap_or_default(),
                s.map(|s| s.api_endpoint.clone()).unwrap_or_default(),
                token_state(e, at),
            ]
        })
        .collect();
    out.data(&out.table(
        &["  Name", "User", "Account", "API endpoint", "Token"],
        &rows,
    ));
    if !out.quiet {
        let why = match selection {
            Selection::Flag => "--session",
            Selection::Env => "IAMCTL_SESSION",
            Selection::Current => "'iamctl session-switch'",
            Selection::Default => "the default",
        };
        out.say(&format!("\nActive: {active} ({why})"));
    }
    Ok(())
}

fn existing(home: &Home, name: &str) -> Result<SessionStore> {
    let store = home.store(name)?;
    if store.path().is_file() {
        return Ok(store);
    }
    Err(no_such_session(home, name))
}

/// `session-switch NAME` (validated).
pub fn switch(ctx: &Context, name: String) -> Result<()> {
    let out = &ctx.out;
    let home = ctx.home()?;
    let store = existing(&home, &name)?;
    let session: Option<Session> = store.load()?;
    home.set_current(&name)?;
    out.say(&format!("Switched to session '{name}'."));
    match session.as_ref().filter(|s| s.login.is_some()) {
        Some(s) => {
            out.blank();
            if !out.quiet {
                out.data(&summary(s));
            }
        }
        None => out.warn(&format!(
            "session '{name}' is not logged in; run 'iamctl login' to log in"
        )),
    }
    // `current` is the weakest choice: say so when something in this shell overrides it.
    if let Ok(v) = std::env::var("IAMCTL_SESSION")
        && !v.is_empty()
        && v != name
    {
        out.warn(&format!(
            "IAMCTL_SESSION={v} is set in this environment and takes precedence over '{name}'"
        ));
    }
    Ok(())
}

/// `session-delete NAME` (validated).
pub fn delete(ctx: &Context, name: String) -> Result<()> {
    let out = &ctx.out;
    let home = ctx.home()?;
    existing(&home, &name)?;
    // A corrupt file is removed anyway: deleting is a way out of it.
    ctx.credentials_named(&home, &name)?.delete()?;
    if home.current_file_name()?.as_deref() == Some(name.as_str()) {
        home.clear_current()?;
        out.say(&format!(
            "Removed session '{name}'; the 'default' session is active again."
        ));
    } else {
        out.say(&format!("Removed session '{name}'."));
    }
    out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(login: Option<(i64, i64)>, exists: bool) -> Entry {
        let session = exists.then(|| Session {
            login: login.map(|(iat, exp)| crate::auth::record::tests::login(iat, exp)),
            ..Session::default()
        });
        Entry {
            name: "n".into(),
            active: false,
            session,
            problem: None,
        }
    }

    #[test]
    fn token_states() {
        assert_eq!(token_state(&entry(Some((0, 3600)), true), 60), "valid 59m");
        assert_eq!(
            token_state(&entry(Some((0, 3600)), true), 3600),
            "expired (renews on use)"
        );
        assert_eq!(token_state(&entry(None, true), 0), "logged out");
        assert_eq!(token_state(&entry(None, false), 0), "no session");
    }
}
