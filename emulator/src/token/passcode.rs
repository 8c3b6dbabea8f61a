//! `GET/POST /identity/passcode`: the page where a person signs in (playing the identity
//! provider for federated users too) and is shown a one-time passcode for `login --sso`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::{App, read};

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - IBM Cloud IAM emulator</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f4f4f4; margin: 0; }}
main {{ max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem; border-top: 4px solid #0f62fe; }}
h1 {{ font-size: 1.4rem; font-weight: 400; margin-top: 0; }}
label {{ display: block; margin: 1rem 0 .3rem; font-size: .9rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; }}
button {{ margin-top: 1.5rem; padding: .7rem 1.2rem; background: #0f62fe; color: #fff; border: 0; font-size: 1rem; cursor: pointer; }}
.error {{ color: #da1e28; margin: 1rem 0 0; }}
#passcode {{ display: block; font-size: 2rem; letter-spacing: .15rem; padding: 1rem; background: #edf5ff; margin: 1rem 0; text-align: center; user-select: all; }}
.note {{ color: #525252; font-size: .9rem; }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"#
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

fn form(error: Option<&str>, username: &str) -> Response {
    let error = error
        .map(|e| {
            format!(
                r#"<p class="error" id="error" role="alert">{}</p>"#,
                escape(e)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<h1>Log in to IBM Cloud</h1>
<p class="note">Sign in to get a one-time passcode for the command line (<code>login --sso</code>).</p>
{error}
<form method="post" action="/identity/passcode">
<label for="username">IBMid or email</label>
<input id="username" name="username" type="text" autocomplete="username" value="{}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="submit" type="submit">Log in</button>
</form>"#,
        escape(username)
    );
    html(StatusCode::OK, "Log in", &body)
}

pub async fn page() -> Response {
    form(None, "")
}

pub async fn sign_in(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let username = fields.get("username").map(|s| s.trim()).unwrap_or("");
    let password = fields.get("password").map(String::as_str).unwrap_or("");
    if username.is_empty() || password.is_empty() {
        return form(Some("Enter your IBMid and password."), username);
    }
    let user = {
        let world = read(&app.world);
        world
            .user_by_login(username)
            .filter(|u| u.password.as_deref() == Some(password))
            .map(|u| (u.iam_id.clone(), u.email.clone()))
    };
    let Some((iam_id, email)) = user else {
        return form(Some("The IBMid or password is incorrect."), username);
    };
    let Ok(code) = app.new_passcode(&iam_id) else {
        return html(
            StatusCode::TOO_MANY_REQUESTS,
            "Log in",
            r#"<h1>Log in to IBM Cloud</h1>
<p class="error" id="error" role="alert">Too many one-time passcodes are waiting to be used. Use one, or try again once some have expired.</p>"#,
        );
    };
    let body = format!(
        r#"<h1>Your one-time passcode</h1>
<p class="note">Signed in as <span id="user">{}</span>. Enter this code at the command line prompt.</p>
<code id="passcode">{}</code>
<p class="note">The code can be used once and expires in {}.</p>"#,
        escape(&email),
        escape(&code),
        match app.passcode_ttl() {
            t if t % 60 == 0 => format!("{} minutes", t / 60),
            t => format!("{t} seconds"),
        }
    );
    html(StatusCode::OK, "One-time passcode", &body)
}
