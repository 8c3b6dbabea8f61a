//! `iamctl credential ...`: fresh tokens for other tools, in the form each tool asks for them:
//! kubectl's exec credential plugin and Docker's credential-helper protocol.

pub mod docker;
pub mod kubectl;

use crate::cli::CredentialCommand;
use crate::error::Result;
use crate::output::Out;

pub fn run(cmd: &CredentialCommand, out: &Out) -> Result<()> {
    match cmd {
        CredentialCommand::Kubectl(args) => kubectl::run(args, out),
        CredentialCommand::Docker(args) => docker::run(args, out),
    }
}
