//! `iamctl credential ...`: fresh tokens for other tools, in the form each tool asks for them:
//! kubectl's exec credential plugin and Docker's credential-helper protocol.

pub mod docker;
pub mod kubectl;

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::settings::tokens::Credential;

/// The program asking for a credential could not be given it on stdout.
fn unanswered(e: std::io::Error) -> CliError {
    CliError::failed(format!("Could not write the credential to stdout: {e}"))
}

pub fn run(ctx: &Context, cmd: Credential) -> Result<()> {
    match cmd {
        Credential::Kubectl => kubectl::print_credential(ctx),
        Credential::KubectlInstall {
            cluster,
            kubeconfig,
        } => kubectl::install(ctx, &cluster, &kubeconfig),
        Credential::Docker(action) => docker::serve(ctx, action),
        Credential::DockerInstall { dir, force } => docker::install(&dir, force, &ctx.out),
    }
}
