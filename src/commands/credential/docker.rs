//! The Docker credential-helper protocol (docker, podman, skopeo, buildah): `get` reads a
//! registry on stdin and answers `{"ServerURL", "Username": "iambearer", "Secret": <access
//! token>}` for IBM Container Registry (icr.io, *.icr.io) and the hosts added with `iamctl
//! config registries add`. Anything else, or no login, gets the protocol's "credentials not
//! found" answer (on stdout, exit 1), which clients take as "try without". `store` and
//! `erase` accept and keep nothing: the token comes from the session. Clients run the helper
//! as `docker-credential-iamctl`, a link to iamctl that `--install DIR` makes.

use crate::context::Context;
use crate::error::{CliError, ErrorKind, Result};
use crate::home::SECRET_FILE_LIMIT;
use crate::output::{Out, answer};
use crate::settings::session::registry_host;
use crate::settings::tokens::HelperAction;
use std::io::Read;
use std::path::Path;

/// The name clients call (`credHelpers` / `credsStore` value `iamctl`).
pub const HELPER_NAME: &str = "docker-credential-iamctl";
/// What the protocol's clients recognise as "no credentials for this server".
const NOT_FOUND: &str = "credentials not found in native keychain";
/// IBM Container Registry's username for an IAM access token.
const USERNAME: &str = "iambearer";

/// Runs one protocol action; called directly when iamctl runs as docker-credential-iamctl.
pub fn serve(ctx: &Context, action: HelperAction) -> Result<()> {
    match action {
        HelperAction::Get => get(ctx).inspect_err(|e| {
            // The protocol reads an error on stdout ("credentials not found" above all); if
            // stdout takes nothing, the exit status still says it.
            let _ = answer(&e.message);
        }),
        // Nothing is kept: the input is read (the client writes it) and dropped.
        HelperAction::Store | HelperAction::Erase => read_stdin().map(|_| ()),
        HelperAction::List => answer("{}").map_err(super::unanswered),
        HelperAction::Version => answer(concat!(
            "docker-credential-iamctl (iamctl) ",
            env!("CARGO_PKG_VERSION")
        ))
        .map_err(super::unanswered),
    }
}

fn get(ctx: &Context) -> Result<()> {
    let server = read_stdin()?;
    let server = server.trim();
    let Some(host) = registry_host(server) else {
        return Err(not_found());
    };
    let home = ctx.home()?;
    let known = is_ibm_registry(&host) || crate::config::registries(&home)?.contains(&host);
    if !known {
        return Err(not_found());
    }
    let login = match ctx.credentials().and_then(|c| c.fresh()) {
        Ok((_, login)) => login,
        Err(crate::auth::AuthError::NotLoggedIn) => {
            eprintln!("iamctl: not logged in; run 'iamctl login' to give {host} a token");
            return Err(not_found());
        }
        Err(e) => return Err(e.into()),
    };
    let credential = Credential {
        server_url: server,
        username: USERNAME,
        secret: &login.access_token,
    };
    let text = serde_json::to_string(&credential)
        .map_err(|e| CliError::failed(format!("Could not write the credential: {e}")))?;
    answer(&text).map_err(super::unanswered)
}

/// The helper protocol's answer, its keys in the order docker's own helpers print them.
#[derive(serde::Serialize)]
struct Credential<'a> {
    #[serde(rename = "ServerURL")]
    server_url: &'a str,
    #[serde(rename = "Username")]
    username: &'a str,
    #[serde(rename = "Secret")]
    secret: &'a str,
}

/// The protocol's answer for a server the helper has nothing for: that exact text on stdout.
fn not_found() -> CliError {
    CliError::new(ErrorKind::Failed, NOT_FOUND)
}

/// What the helper was given on stdin, bounded.
fn read_stdin() -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(SECRET_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::failed(format!("Could not read stdin: {e}")))?;
    if bytes.len() as u64 > SECRET_FILE_LIMIT {
        return Err(CliError::usage(
            "Too much input on stdin for a credential helper.",
        ));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// IBM Container Registry: `icr.io` and its regional and private hosts (`us.icr.io`,
/// `private.de.icr.io`), on any port.
pub fn is_ibm_registry(host: &str) -> bool {
    let name = host.split(':').next().unwrap_or(host);
    name == "icr.io" || name.ends_with(".icr.io")
}

/// Makes `DIR/docker-credential-iamctl`, a link to the running iamctl.
pub fn install(dir: &Path, force: bool, out: &Out) -> Result<()> {
    let link = dir.join(HELPER_NAME);
    let exe = std::env::current_exe()
        .map_err(|e| CliError::failed(format!("Could not find the iamctl binary: {e}")))?;
    if !dir.exists() {
        return Err(
            CliError::usage(format!("{} does not exist.", dir.display())).hint(format!(
                "create it first ('mkdir -p {}') and make sure it is on PATH, or give another directory on your PATH",
                dir.display()
            )),
        );
    }
    if !dir.is_dir() {
        return Err(
            CliError::usage(format!("{} is not a directory.", dir.display()))
                .hint("give a directory on your PATH, such as ~/.local/bin"),
        );
    }
    if std::fs::symlink_metadata(&link).is_ok() {
        if !force {
            return Err(
                CliError::failed(format!("{} already exists.", link.display()))
                    .hint("pass -f to replace it"),
            );
        }
        std::fs::remove_file(&link)
            .map_err(|e| CliError::from(crate::home::FileError::new("remove", &link, e)))?;
    }
    make_link(&exe, &link)
        .map_err(|e| CliError::from(crate::home::FileError::new("create", &link, e)))?;
    out.ok();
    out.say(&format!(
        "{} runs iamctl's Docker credential helper. Make sure {} is on PATH, then add to ~/.docker/config.json (or containers' auth.json):",
        link.display(),
        dir.display()
    ));
    out.data("  \"credHelpers\": { \"icr.io\": \"iamctl\", \"us.icr.io\": \"iamctl\", \"de.icr.io\": \"iamctl\" }\n");
    Ok(())
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(target, link).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibm_container_registry_is_icr_io_and_its_subdomains_only() {
        assert!(is_ibm_registry("icr.io"));
        assert!(is_ibm_registry("private.de.icr.io:443"));
        assert!(!is_ibm_registry("evilicr.io"));
        assert!(!is_ibm_registry("icr.io.example.com"));
    }
}
