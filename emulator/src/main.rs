//! The `iam-emulator` binary: prints the ready line (one JSON object) on stdout once listening
//! and its signal handlers are in place, logs on stderr, stops on SIGTERM/SIGINT after
//! writing its state file.

use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::{CommandFactory as _, FromArgMatches as _, Parser};

/// A local IBM Cloud IAM that IBM's official SDKs accept.
#[derive(Parser, Debug)]
#[command(name = "iam-emulator", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "IAM_EMULATOR_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:0"
    )]
    listen: SocketAddr,
    /// JSON file describing the world (accounts, users, service IDs, API keys, resource
    /// groups); default: the built-in demo world.
    #[arg(long, env = "IAM_EMULATOR_SEED", value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Persist everything (signing key included) in FILE and resume from it on start.
    #[arg(long, env = "IAM_EMULATOR_STATE", value_name = "FILE")]
    state: Option<PathBuf>,
    /// Access token lifetime (at most 100 years are used).
    #[arg(long, env = "IAM_EMULATOR_TOKEN_TTL", value_name = "SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    token_ttl: u64,
    /// Refresh token lifetime (at most 100 years are used).
    #[arg(long, env = "IAM_EMULATOR_REFRESH_TOKEN_TTL", value_name = "SECONDS", default_value_t = 30 * 24 * 3600, value_parser = clap::value_parser!(u64).range(1..))]
    refresh_token_ttl: u64,
    /// Decide every call of IAM Identity, policies and access groups from the caller's
    /// access policies (the account owner may do everything).
    #[arg(long, env = "IAM_EMULATOR_ENFORCE_ACCESS")]
    enforce_access: bool,
    /// Largest request body accepted; larger ones are answered 413.
    #[arg(long, env = "IAM_EMULATOR_MAX_BODY_BYTES", value_name = "BYTES", default_value_t = iam_emulator::Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Largest request line and headers accepted; larger ones are answered 431.
    #[arg(long, env = "IAM_EMULATOR_MAX_HEADER_BYTES", value_name = "BYTES", default_value_t = iam_emulator::Limits::default().max_header_bytes, value_parser = clap::value_parser!(u32).range(1024..).map(|n| n as usize))]
    max_header_bytes: usize,
    /// Connections served at once; more wait until one closes.
    #[arg(long, env = "IAM_EMULATOR_MAX_CONNECTIONS", value_name = "N", default_value_t = iam_emulator::Limits::default().max_connections, value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_connections: usize,
    /// Close a connection on which nothing moved for this long.
    #[arg(long, env = "IAM_EMULATOR_IDLE_TIMEOUT", value_name = "SECONDS", default_value_t = iam_emulator::Limits::default().idle_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout: u64,
    /// Serve HTTPS with a CA made at start and a certificate it signs for the --hostname
    /// names, localhost, 127.0.0.1 and ::1; the ready line's ca_file names the CA's
    /// certificate.
    #[arg(long, env = "IAM_EMULATOR_TLS")]
    tls: bool,
    /// Serve HTTPS with this certificate chain (PEM, the server's certificate first); wins
    /// over IAM_EMULATOR_TLS (the container image's default), not over --tls.
    #[arg(
        long,
        env = "IAM_EMULATOR_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        env = "IAM_EMULATOR_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    tls_key: Option<PathBuf>,
    /// Where --tls writes its CA's certificate (default: ca.pem in a new private temporary
    /// directory, removed when the emulator stops).
    #[arg(
        long,
        env = "IAM_EMULATOR_TLS_CA_OUT",
        value_name = "FILE",
        requires = "tls"
    )]
    tls_ca_out: Option<PathBuf>,
    /// A name clients reach the emulator by (repeatable; the variable takes a comma-separated
    /// list): the first is the host of its URL, and --tls's certificate names them all.
    #[arg(
        long = "hostname",
        env = "IAM_EMULATOR_HOSTNAME",
        value_name = "NAME",
        value_delimiter = ','
    )]
    hostnames: Vec<String>,
    /// Require `Authorization: Bearer TOKEN` on the admin API (/emulator/). Without it the
    /// admin API is open on loopback, and beyond loopback gets a generated token (printed in
    /// the ready line as admin_token). Prefer the environment variable: arguments are visible
    /// to other users.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "IAM_EMULATOR_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// Keep no journal of the requests answered (GET /emulator/requests answers 404).
    #[arg(long, env = "IAM_EMULATOR_NO_JOURNAL")]
    no_journal: bool,
}

fn main() -> ExitCode {
    let matches = Args::command().get_matches();
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // A certificate of one's own replaces the image's IAM_EMULATOR_TLS=true, but --tls and
    // --tls-cert on one command line contradict each other.
    if args.tls
        && args.tls_cert.is_some()
        && matches.value_source("tls") == Some(clap::parser::ValueSource::CommandLine)
    {
        Args::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--tls (a generated CA) and --tls-cert (your certificate) cannot be used together",
            )
            .exit();
    }
    let config = iam_emulator::Config {
        listen: args.listen,
        seed: args.seed.map(Into::into),
        state: args.state,
        token_ttl: args.token_ttl,
        refresh_token_ttl: args.refresh_token_ttl,
        enforce_access: args.enforce_access,
        tls: match (args.tls, args.tls_cert, args.tls_key) {
            // --tls-cert requires --tls-key: clap refuses one without the other.
            (_, Some(cert), Some(key)) => Some(iam_emulator::Tls::Files { cert, key }),
            (true, _, _) => Some(iam_emulator::Tls::Generate {
                ca_out: args.tls_ca_out,
            }),
            _ => None,
        },
        hostnames: args.hostnames,
        admin_token: args.admin_token,
        journal: !args.no_journal,
    };
    let limits = iam_emulator::Limits {
        max_body_bytes: args.max_body_bytes,
        max_header_bytes: args.max_header_bytes,
        max_connections: args.max_connections,
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
        ..iam_emulator::Limits::default()
    };
    let server = match iam_emulator::Server::bind(config) {
        Ok(s) => s.with_limits(limits),
        Err(e) => {
            eprintln!("iam-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("iam-emulator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Before the ready line: a script may send SIGTERM the moment it has read the line, and
    // until a handler is in place SIGTERM kills the process (143) without writing the state.
    let shutdown = {
        let _runtime = runtime.enter();
        match shutdown_signal() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("iam-emulator: cannot install the SIGTERM/SIGINT handlers: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let line = server.info().to_json_line();
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            eprintln!("iam-emulator: cannot write the ready line to stdout");
            return ExitCode::FAILURE;
        }
    }
    eprintln!("iam-emulator: listening on {}", server.url());
    let result = runtime.block_on(server.run(shutdown));
    match result {
        Ok(()) => {
            eprintln!("iam-emulator: stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("iam-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Installs the handlers now (inside the runtime) and returns what completes on the first
/// SIGTERM or SIGINT.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(windows)]
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    let mut ctrl_c = tokio::signal::windows::ctrl_c()?;
    Ok(async move {
        ctrl_c.recv().await;
    })
}
