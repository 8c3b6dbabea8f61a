//! The accept loop, hand-rolled rather than `axum::serve` so that a `drop` fault can cut a
//! connection without answering, so that connections are bounded in number and idle time, and
//! so that HTTPS is the same loop with a TLS handshake first.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use super::limits::Limits;

/// Lets a handler end its own connection without a response (the `drop` fault).
#[derive(Clone)]
pub(super) struct ConnKill(Arc<Notify>);

impl ConnKill {
    pub(super) fn kill(&self) {
        self.0.notify_one();
    }
}

/// When bytes last moved on a connection, and whether a request on it is being answered.
struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` of the last read or write that moved bytes.
    last: AtomicU64,
    /// Requests on the connection that are being answered slowly on purpose (a delay fault).
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            last: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        let since_open = self.opened.elapsed();
        since_open.saturating_sub(Duration::from_millis(self.last.load(Ordering::Relaxed)))
    }

    fn busy(self: &Arc<Self>) -> BusyGuard {
        self.busy.fetch_add(1, Ordering::AcqRel);
        BusyGuard(self.clone())
    }

    /// Completes once the connection has been quiet for `idle` while not busy.
    async fn idle(&self, idle: Duration) {
        loop {
            let quiet = self.quiet_for();
            if quiet >= idle && self.busy.load(Ordering::Acquire) == 0 {
                return;
            }
            tokio::time::sleep(idle.saturating_sub(quiet).max(idle / 4)).await;
        }
    }
}

pub(super) struct BusyGuard(Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
        // The delay was the emulator's, not the client's silence.
        self.0.touch();
    }
}

/// The connection's activity, for handlers that keep it busy on purpose.
#[derive(Clone)]
pub(super) struct ConnActivity(Arc<Activity>);

impl ConnActivity {
    /// The connection is busy answering, not idle, until the guard is dropped.
    pub(super) fn busy(&self) -> BusyGuard {
        self.0.busy()
    }
}

/// A socket that records when bytes move through it.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Serves one connection until it ends, the handler kills it (a `drop` fault), the server
/// stops, or nothing moves on it for `idle`.
async fn until_closed(
    conn: impl Future,
    kill: &Notify,
    stop: &mut watch::Receiver<bool>,
    activity: &Activity,
    idle: Duration,
) {
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {}
        _ = stop.changed() => {}
        _ = activity.idle(idle) => {}
    }
}

/// Serves connections (over TLS when `tls` is given) until `shutdown` completes; open
/// connections are closed then. At most `limits.max_connections` are served at once: the next
/// is accepted when one closes, so clients beyond the bound wait in the listen queue and the
/// process never runs out of file descriptors on their account.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_header_size(limits.max_header_bytes)
        .max_headers(limits.max_headers)
        .header_read_timeout(limits.idle_timeout);
    let http = Arc::new(http);
    let mut last_accept_error: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot,
        };
        // The semaphore is never closed.
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning, and say
                // so at most once a second.
                if last_accept_error.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    eprintln!("iam-emulator: accept failed: {e}");
                    last_accept_error = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let http = http.clone();
        let mut stop = stop_rx.clone();
        let idle = limits.idle_timeout;
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let kill = Arc::new(Notify::new());
            let activity = Arc::new(Activity::new());
            let handles = (ConnKill(kill.clone()), ConnActivity(activity.clone()));
            let svc = router.map_request(move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut().insert(handles.0.clone());
                req.extensions_mut().insert(handles.1.clone());
                req
            });
            let svc = TowerToHyperService::new(svc);
            let io = Tracked {
                stream,
                activity: activity.clone(),
            };
            let Some(tls) = tls else {
                let conn = http.serve_connection(TokioIo::new(io), svc);
                return until_closed(conn, &kill, &mut stop, &activity, idle).await;
            };
            // The handshake is bounded like any silence: a client that connects and says
            // nothing (or speaks plain HTTP and waits) is dropped after the idle timeout.
            let handshake = tokio::select! {
                done = tokio::time::timeout(idle, tls.accept(io)) => done,
                _ = stop.changed() => return,
            };
            let Ok(Ok(io)) = handshake else { return };
            let conn = http.serve_connection(TokioIo::new(io), svc);
            until_closed(conn, &kill, &mut stop, &activity, idle).await;
        });
    }
    let _ = stop_tx.send(true);
}
