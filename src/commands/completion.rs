//! `iamctl completion SHELL`: prints the registration script (see `crate::complete`).

use crate::complete::CompletionShell;
use crate::error::{CliError, Result};
use std::io::Write;

pub fn run(shell: CompletionShell) -> Result<()> {
    let script = crate::complete::registration(shell);
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&script).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        // `iamctl completion bash | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::failed(format!(
            "Could not write the completion script: {e}"
        ))),
    }
}
