//! A TLS-terminating TCP proxy on 127.0.0.1 whose certificate is signed by a CA made for the
//! test, so only a client given that CA trusts it. It forwards the decrypted bytes to a plain
//! HTTP server, such as a registry started by `cargo xtask test`.

use tokio::net::{TcpListener, TcpStream};

/// A running proxy: its `https://127.0.0.1:PORT` URL and the PEM of the CA that signed its
/// certificate. The proxy stops with the test's runtime.
#[derive(Debug)]
pub struct TlsProxy {
    pub url: String,
    pub ca_pem: String,
}

/// Starts a proxy that forwards every TLS connection to `upstream` (`http://host:port`).
pub async fn start(upstream: &str) -> TlsProxy {
    let upstream = url::Url::parse(upstream).expect("the upstream is a URL");
    let upstream = format!(
        "{}:{}",
        upstream.host_str().expect("the upstream has a host"),
        upstream
            .port_or_known_default()
            .expect("the upstream has a port")
    );

    let (acceptor, ca_pem) = super::test_ca::localhost_acceptor("harbor-azure test CA");

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate ends the handshake here.
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });

    TlsProxy {
        url: format!("https://127.0.0.1:{port}"),
        ca_pem,
    }
}
