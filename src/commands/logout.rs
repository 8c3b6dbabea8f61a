//! `iamctl logout`: deletes the session's secrets and forgets the login; the API endpoint
//! and region stay, like IBM's CLI. Also the way out of a corrupt session file. The
//! credentials layer does the work (`auth::end`).

use crate::context::Context;
use crate::error::Result;

pub fn run(ctx: &Context) -> Result<()> {
    let out = &ctx.out;
    let creds = ctx.credentials()?;
    out.say("Logging out...");
    let ended = creds.logout()?;
    if ended.corrupt_removed {
        out.warn(&format!(
            "removed the corrupt session file {}; secrets it referred to may remain in the keyring",
            creds.path().display()
        ));
    }
    out.ok();
    Ok(())
}
