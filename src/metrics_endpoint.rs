//! The Prometheus endpoint (`--metrics-listen 127.0.0.1:9187`): the lock's metrics
//! (see `turnstile::metrics`) in Prometheus's text format at `GET /metrics`.
//!
//! It is a minimal HTTP/1.1 server, enough for a scraper and `curl`: one request
//! per connection, answered and closed. It reads no more than a request head
//! (8 KiB) and gives a silent client 5 seconds, and it never
//! touches the database lock: the metrics are atomics read from any thread.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::turnstile::TurnstileStatus;

/// The most bytes of a request head read before answering 431.
const REQUEST_HEAD_MAX: usize = 8 << 10;
/// How long a client may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause after a failed accept before trying again.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);
/// Scrapes served at once; more wait for a turn.
const CONNECTIONS_MAX: usize = 16;

/// Binds `addr` and serves the endpoint on a task of its own until the returned
/// handle is aborted.
pub async fn start(addr: SocketAddr, status: TurnstileStatus) -> io::Result<JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("--metrics-listen {addr}: cannot listen there: {e}"),
        )
    })?;
    tracing::info!(addr = %listener.local_addr()?, "serving lock metrics at /metrics");
    let status = Arc::new(status);
    let turns = Arc::new(Semaphore::new(CONNECTIONS_MAX));
    Ok(tokio::spawn(async move {
        loop {
            let tcp = match listener.accept().await {
                Ok((tcp, _)) => tcp,
                Err(error) => {
                    // Out of file descriptors, say: back off rather than spin.
                    tracing::warn!(%error, "metrics endpoint: accept failed");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            };
            let Ok(turn) = turns.clone().acquire_owned().await else {
                return;
            };
            let status = status.clone();
            tokio::spawn(async move {
                if let Err(error) = serve(tcp, &status).await {
                    tracing::debug!(%error, "a metrics request failed");
                }
                drop(turn);
            });
        }
    }))
}

/// Answers the one request on `tcp`.
async fn serve(mut tcp: TcpStream, status: &TurnstileStatus) -> io::Result<()> {
    let response = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut tcp)).await {
        Err(_) => return Ok(()),
        Ok(head) => respond(head?.as_deref(), status),
    };
    tcp.write_all(response.as_bytes()).await?;
    tcp.shutdown().await
}

/// Reads until the blank line that ends a request head; None if it is too long
/// or the client stops sending first.
async fn read_head(tcp: &mut TcpStream) -> io::Result<Option<String>> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > REQUEST_HEAD_MAX {
            return Ok(None);
        }
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(String::from_utf8_lossy(&head).into_owned()))
}

/// The whole HTTP response to a request head.
fn respond(head: Option<&str>, status: &TurnstileStatus) -> String {
    let Some(head) = head else {
        return response("431 Request Header Fields Too Large", "text/plain", "");
    };
    let mut request_line = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, target) = (request_line.next(), request_line.next());
    let path = target.map(|t| t.split('?').next().unwrap_or(t));
    match (method, path) {
        (Some("GET"), Some("/metrics")) => response(
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            &status.lock_metrics().encode_text(),
        ),
        (Some("GET"), _) => response(
            "404 Not Found",
            "text/plain",
            "Turnstile serves its metrics at /metrics\n",
        ),
        _ => response("405 Method Not Allowed", "text/plain", "use GET /metrics\n"),
    }
}

fn response(status_line: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status_line}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}
