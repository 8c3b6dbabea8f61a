//! What one client may make the server hold: the size of a request, the number of connections
//! served at once, and how long a silent connection is kept. The defaults are documented in
//! `docs/emulator.md` (Limits); the binary's flags and `Server::with_limits` change them.

use std::time::Duration;

/// Bounds on requests and connections. `Limits::default()` is what the binary uses unless told
/// otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body accepted, in bytes. A larger one (by `Content-Length`, or
    /// counted as a chunked body arrives) is answered `413` with the endpoint's error body.
    pub max_body_bytes: usize,
    /// The largest request head (request line and headers), in bytes; a larger one is
    /// answered `431` and the connection closed.
    pub max_header_bytes: usize,
    /// The most headers a request may have; more are answered `431`.
    pub max_headers: usize,
    /// Connections served at once. Further connections wait in the listen queue until one
    /// closes; the emulator never holds more sockets than this (it lowers the bound to fit
    /// the process's file descriptor limit).
    pub max_connections: usize,
    /// A connection on which no byte moves for this long, while no request on it is being
    /// answered, is closed: an idle keep-alive connection, a stalled request head or body, a
    /// client that stopped reading its answer.
    pub idle_timeout: Duration,
}

/// 256 KiB: a token form is well under 4 KiB, the largest IAM Identity bodies (a trusted
/// profile's identities) a few tens of KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// 32 KiB: a request line and headers with a bearer token need about 3 KiB.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// hyper's default, far above what IBM's SDKs and iamctl send (about ten).
pub const MAX_HEADERS: usize = 100;
pub const MAX_CONNECTIONS: usize = 512;
/// A minute, like common load balancers' keep-alive idle timeout.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: MAX_BODY_BYTES,
            max_header_bytes: MAX_HEADER_BYTES,
            max_headers: MAX_HEADERS,
            max_connections: MAX_CONNECTIONS,
            idle_timeout: IDLE_TIMEOUT,
        }
    }
}

impl Limits {
    /// The limits made usable: at least one connection, a head of at least 1 KiB and one
    /// header, an idle timeout of at least 10 ms.
    pub(crate) fn sane(self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            max_header_bytes: self.max_header_bytes.max(1024),
            max_headers: self.max_headers.max(1),
            max_connections: self.max_connections.max(1),
            idle_timeout: self.idle_timeout.max(Duration::from_millis(10)),
        }
    }
}

/// How many connections fit in the process's file descriptor limit, keeping some for the
/// listener, the runtime, stdio and state-file writes; `None` when there is no such limit or
/// it cannot be read.
#[cfg(unix)]
pub(crate) fn fd_budget() -> Option<usize> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct we own.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    if rc != 0 || lim.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    let soft = usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX);
    Some(soft.saturating_sub(RESERVED_FDS).max(1))
}

#[cfg(not(unix))]
pub(crate) fn fd_budget() -> Option<usize> {
    None
}

/// File descriptors kept for everything but client connections.
#[cfg(unix)]
const RESERVED_FDS: usize = 32;
