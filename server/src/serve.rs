//! The accept loop. axum's own `serve` has no bound on connections and never times out a
//! client that sends half a request head; this one counts connections (in total and per
//! client address), drops what is past either limit at once, times out slow or idle request
//! heads, and stops gracefully.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::{Service, ServiceExt};

/// How many connections the relay holds and from where.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open TCP connections at most (HTTP and WebSocket alike).
    pub total: usize,
    /// Open TCP connections from one client address at most (trusted proxies excepted).
    pub per_address: usize,
    /// A request head must arrive within this, and an idle keep-alive connection closes
    /// after it.
    pub header_timeout: Duration,
}

/// Open connections by address; a guard gives its place back when dropped.
#[derive(Clone, Default)]
pub struct Connections {
    open: Arc<Mutex<Counts>>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

pub struct Place {
    open: Arc<Mutex<Counts>>,
    address: IpAddr,
}

/// A connection's place, in every request's extensions: a WebSocket holds it after the
/// upgrade (when hyper lets go of the connection), so upgraded sockets count too.
#[derive(Clone)]
pub struct ConnectionPlace(#[allow(dead_code)] Arc<Place>);

impl Connections {
    /// Takes a place for a connection from `address`, or `None` past a limit.
    fn enter(&self, address: IpAddr, limits: &Limits, exempt: bool) -> Option<Place> {
        let mut counts = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let here = counts.by_address.get(&address).copied().unwrap_or(0);
        if counts.total >= limits.total || (!exempt && here >= limits.per_address) {
            return None;
        }
        counts.total += 1;
        *counts.by_address.entry(address).or_insert(0) += 1;
        Some(Place {
            open: self.open.clone(),
            address,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut counts = self.open.lock().unwrap_or_else(|e| e.into_inner());
        counts.total -= 1;
        if let Some(n) = counts.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                counts.by_address.remove(&self.address);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown`; then stops accepting, lets requests in
/// flight finish and returns once every connection has closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    trusted_proxies: Arc<[IpAddr]>,
    connections: Connections,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let tasks = tokio_util::task::TaskTracker::new();
    loop {
        let (tcp, remote) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let exempt = trusted_proxies.contains(&remote.ip());
        let Some(place) = connections.enter(remote.ip(), &limits, exempt) else {
            tracing::debug!(%remote, "connection refused: at the connection limit");
            drop(tcp);
            continue;
        };
        // Without TCP_NODELAY a second small frame waits for the peer's delayed ACK (~40 ms).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let service = match make_service.call(remote).await {
            Ok(service) => service,
            Err(never) => match never {},
        };
        let place = ConnectionPlace(Arc::new(place));
        let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
            request.extensions_mut().insert(place.clone());
            service.clone().oneshot(request)
        });
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let connection = builder
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            tokio::pin!(connection);
            let served = tokio::select! {
                served = connection.as_mut() => served,
                () = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tasks.close();
    tasks.wait().await;
    Ok(())
}
