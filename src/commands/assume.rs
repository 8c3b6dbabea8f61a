//! `trusted-profile-assume` and `trusted-profile-leave`: the session acts as a trusted
//! profile, then as its caller again (the credentials layer does the work:
//! `Credentials::assume`, `Credentials::leave`). Without a profile, `trusted-profile-assume`
//! shows the one the session has assumed, from the session file alone.

use super::errors::login_needed;
use super::{account_label, print_summary};
use crate::auth::kinds::LoginKind;
use crate::auth::{AuthError, Credentials, Login, profile_id};
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::iam::{ProfileRef, jwt};
use crate::settings::session::Assume;
use serde_json::json;

pub fn assume(ctx: &Context, s: Assume) -> Result<()> {
    let creds = ctx.credentials()?;
    let Some(profile) = s.profile else {
        return show(ctx, &creds);
    };
    let out = &ctx.out;
    let (_, before) = creds
        .logged_in()
        .map_err(|e| login_needed(ctx, &creds, e))?;
    let caller = caller_user(&before);
    match &before.kind {
        LoginKind::Assume(_) => out.say(&format!(
            "Switching from trusted profile {} to {} as {}...",
            out.em(&before.user),
            out.em(profile.value()),
            out.em(&caller)
        )),
        _ => out.say(&format!(
            "Assuming trusted profile {} as {}...",
            out.em(profile.value()),
            out.em(&caller)
        )),
    }
    let switched = creds
        .assume(&profile)
        .map_err(|e| refused(ctx, &creds, e, &before, &profile))?;
    let Some(login) = switched.login.as_ref() else {
        return Err(CliError::internal(
            "a profile was assumed and no login saved",
        ));
    };
    if out.json() {
        out.print_json(&assumed_json(login));
        return Ok(());
    }
    out.ok();
    out.blank();
    print_summary(out, &switched);
    Ok(())
}

pub fn leave(ctx: &Context) -> Result<()> {
    let out = &ctx.out;
    let creds = ctx.credentials()?;
    let (_, before) = creds
        .logged_in()
        .map_err(|e| login_needed(ctx, &creds, e))?;
    if matches!(before.kind, LoginKind::Assume(_)) {
        out.say(&format!(
            "Leaving trusted profile {} for {}...",
            out.em(&before.user),
            out.em(&caller_user(&before))
        ));
    }
    let switched = creds.leave().map_err(|e| login_needed(ctx, &creds, e))?;
    out.ok();
    out.blank();
    print_summary(out, &switched);
    Ok(())
}

/// The assumed profile, or that none is.
fn show(ctx: &Context, creds: &Credentials) -> Result<()> {
    let out = &ctx.out;
    let (_, login) = creds.logged_in().map_err(|e| login_needed(ctx, creds, e))?;
    if out.json() {
        out.print_json(&assumed_json(&login));
        return Ok(());
    }
    if !matches!(login.kind, LoginKind::Assume(_)) {
        let text = match login.kind.profile() {
            Some(p) => format!(
                "No trusted profile is assumed: this session logged in as trusted profile {} itself (with a {}).\n",
                p,
                login.kind.describe()
            ),
            None => "No trusted profile is assumed.\n".to_string(),
        };
        out.data(&text);
        return Ok(());
    }
    let (id, name) = profile_of(&login);
    let account = login
        .account
        .as_ref()
        .map(account_label)
        .unwrap_or_default();
    let rows = [
        ("Trusted profile", name),
        ("ID", id),
        ("IAM ID", login.iam_id.clone()),
        ("Account", account),
        ("Caller", caller_user(&login)),
        ("Renewed by", login.kind.renewal()),
    ];
    out.data(&out.key_values(&rows));
    Ok(())
}

/// Who the session acts for: the caller of an assumed profile (its user when known, else
/// its kind of login), or the login itself.
fn caller_user(login: &Login) -> String {
    match &login.kind {
        LoginKind::Assume(a) => match &a.returns_to {
            Some(c) => format!("{} ({})", c.user, a.caller.describe()),
            None => format!("the {} login", a.caller.describe()),
        },
        _ => login.user.clone(),
    }
}

/// The assumed profile's ID and name: from its token's claims, else as the session names it.
fn profile_of(login: &Login) -> (String, String) {
    let claims = jwt::decode(&login.access_token).unwrap_or_default();
    let given = login.kind.profile();
    let id = profile_id(&claims)
        .or_else(|| match given {
            Some(ProfileRef::Id(id)) => Some(id.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let name = claims
        .name
        .filter(|n| !n.is_empty())
        .or_else(|| match given {
            Some(ProfileRef::Name(n)) => Some(n.clone()),
            _ => None,
        })
        .unwrap_or_default();
    (id, name)
}

/// `trusted-profile-assume --output json`: the assumed profile and its caller, each `null`
/// when the session assumed none.
fn assumed_json(login: &Login) -> serde_json::Value {
    let LoginKind::Assume(a) = &login.kind else {
        return json!({ "trusted_profile": null, "caller": null });
    };
    let (id, name) = profile_of(login);
    let back = a.returns_to.as_deref();
    json!({
        "trusted_profile": {
            "id": id,
            "name": name,
            "iam_id": login.iam_id,
            "account_id": login.account.as_ref().map(|a| a.guid.clone()),
        },
        "caller": {
            "method": a.caller.name(),
            "user": back.map(|c| c.user.clone()),
            "iam_id": back.map(|c| c.iam_id.clone()),
        },
    })
}

/// An assume that failed: the session is as it was. IAM refusing the profile gets what to
/// check; a workload's session is told that it is a profile already.
fn refused(
    ctx: &Context,
    creds: &Credentials,
    e: AuthError,
    before: &Login,
    profile: &ProfileRef,
) -> CliError {
    if !matches!(e, AuthError::ProfileRefused { .. }) {
        return login_needed(ctx, creds, e);
    }
    let err = CliError::from(e).hint(format!(
        "nothing changed: the session still acts as {}",
        before.user
    ));
    match (&before.kind, before.kind.profile()) {
        (LoginKind::Assume(_), _) | (_, None) => err.hint(format!(
            "a profile you may assume lists you among its trusted identities: 'iamctl trusted-profile-identities {profile}'"
        )),
        (_, Some(_)) => err.hint(format!(
            "this session is a workload's trusted profile (logged in with a {}), and IAM lets no trusted profile assume another; log in as the profile you need with --profile instead",
            before.kind.describe()
        )),
    }
}
