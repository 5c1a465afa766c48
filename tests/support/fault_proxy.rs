//! A TCP proxy on 127.0.0.1 in front of a registry that fails chosen manifest `PUT`s and
//! counts the manifest `PUT`s it forwards.
//!
//! It reads each connection's request line to pick a fault, so the client must open one
//! connection per request (`pool_max_idle_per_host(0)`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Default)]
struct State {
    /// Path substrings whose next manifest `PUT`s get a 500, with the number left.
    failing: BTreeMap<String, usize>,
    /// Request paths of the manifest `PUT`s forwarded to the registry.
    forwarded_puts: Vec<String>,
}

/// The proxy's faults and its record of forwarded manifest `PUT`s.
#[derive(Debug, Clone, Default)]
pub struct FaultProxy {
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream` (`http://host:port`) and returns its base URL.
    pub async fn start(upstream: &str) -> (Self, String) {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("the test registries use http")
            .trim_end_matches('/')
            .to_owned();
        let proxy = Self::default();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepting = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let proxy = accepting.clone();
                tokio::spawn(async move {
                    let _ = proxy.handle(client, upstream).await;
                });
            }
        });
        (proxy, url)
    }

    /// Makes the next `times` manifest `PUT`s whose path contains `path_part` fail with 500.
    pub fn fail_manifest_puts(&self, path_part: &str, times: usize) {
        self.state
            .lock()
            .unwrap()
            .failing
            .insert(path_part.to_owned(), times);
    }

    /// Returns the paths of the manifest `PUT`s forwarded so far.
    pub fn forwarded_manifest_puts(&self) -> Vec<String> {
        self.state.lock().unwrap().forwarded_puts.clone()
    }

    /// Decides the fate of a manifest `PUT` to `path`: true when it fails.
    fn take_fault(&self, path: &str) -> bool {
        let mut state = self.state.lock().unwrap();
        let fault = state
            .failing
            .iter_mut()
            .find(|(part, left)| path.contains(part.as_str()) && **left > 0);
        match fault {
            Some((_, left)) => {
                *left -= 1;
                true
            }
            None => {
                state.forwarded_puts.push(path.to_owned());
                false
            }
        }
    }

    async fn handle(&self, mut client: TcpStream, upstream: String) -> std::io::Result<()> {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n") && head.len() < 8192 {
            if client.read(&mut byte).await? == 0 {
                return Ok(());
            }
            head.push(byte[0]);
        }
        let line = String::from_utf8_lossy(&head).to_string();
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default();
        let path = parts.next().unwrap_or_default();
        if method == "PUT" && path.contains("/manifests/") && self.take_fault(path) {
            client
                .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await?;
            return client.shutdown().await;
        }
        let mut server = TcpStream::connect(upstream).await?;
        server.write_all(&head).await?;
        let (mut client_read, mut client_write) = client.into_split();
        let (mut server_read, mut server_write) = server.into_split();
        let upload =
            tokio::spawn(async move { tokio::io::copy(&mut client_read, &mut server_write).await });
        tokio::io::copy(&mut server_read, &mut client_write).await?;
        upload.abort();
        Ok(())
    }
}
