//! A TCP proxy on 127.0.0.1 in front of a registry that injects faults into chosen requests.
//!
//! It reads each connection's request line to pick a fault, so the client must open one
//! connection per request (`pool_max_idle_per_host(0)`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Faults the proxy injects, each a limited number of times.
#[derive(Default)]
pub struct Faults {
    /// Blob `GET`s whose response is cut after `drop_after_bytes` bytes.
    pub drop_blob_gets: AtomicUsize,
    /// Bytes of a blob response forwarded before the connection is dropped.
    pub drop_after_bytes: usize,
    /// Manifest `PUT`s that get a 500 response from the proxy without reaching the registry.
    pub fail_manifest_puts: AtomicUsize,
    /// Faults injected so far.
    pub injected: AtomicUsize,
}

fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        })
        .is_ok()
}

/// Starts the proxy in front of `upstream` (host:port) and returns its base URL.
pub async fn start(upstream: String, faults: Arc<Faults>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            let faults = faults.clone();
            tokio::spawn(async move {
                let _ = handle(client, upstream, faults).await;
            });
        }
    });
    url
}

async fn handle(
    mut client: TcpStream,
    upstream: String,
    faults: Arc<Faults>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") && head.len() < 8192 {
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head).to_string();
    if line.starts_with("PUT ") && line.contains("/manifests/") && take(&faults.fail_manifest_puts)
    {
        faults.injected.fetch_add(1, Ordering::SeqCst);
        client
            .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await?;
        return client.shutdown().await;
    }
    let is_blob_get = line.starts_with("GET ") && line.contains("/blobs/sha256:");
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&head).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upload =
        tokio::spawn(async move { tokio::io::copy(&mut client_read, &mut server_write).await });
    let mut forwarded = 0usize;
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = server_read.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        // A fault is used up only by a response long enough to be cut.
        let cut = is_blob_get
            && forwarded + read > faults.drop_after_bytes
            && take(&faults.drop_blob_gets);
        if cut {
            faults.injected.fetch_add(1, Ordering::SeqCst);
            let allowed = faults.drop_after_bytes - forwarded;
            client_write.write_all(&buffer[..allowed]).await?;
            break;
        }
        client_write.write_all(&buffer[..read]).await?;
        forwarded += read;
    }
    upload.abort();
    Ok(())
}
