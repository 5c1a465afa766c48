//! TLS: extra CA bundles, the insecure switch, and TLS failures that are not retried.
//!
//! Each test starts a small HTTPS server on 127.0.0.1 whose certificate is signed by a CA made
//! for the test, so the system roots never trust it.

mod transport_support;

#[path = "transport_support/test_ca.rs"]
mod test_ca;

use harbor_client::{Client, Error};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use transport_support::{Sleeps, get};

/// A test CA and an HTTPS server whose certificate it signed.
struct TlsServer {
    url: String,
    ca_pem: String,
}

/// Starts an HTTPS server that responds to every request with `200` and `[]`.
async fn start_tls_server() -> TlsServer {
    let (acceptor, ca_pem) = test_ca::localhost_acceptor("harbor-client test CA");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate ends the handshake, so there is no request.
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buffer = [0_u8; 1024];
                while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                    match tls.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let response = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                content-length: 2\r\nconnection: close\r\n\r\n[]";
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });

    TlsServer {
        url: format!("https://127.0.0.1:{port}"),
        ca_pem,
    }
}

fn list_projects() -> harbor_client::Request {
    get("listProjects", "/projects", "/projects")
}

#[tokio::test]
async fn extra_ca_bundle_is_trusted() {
    let server = start_tls_server().await;
    let client = Client::builder(&server.url)
        .add_root_certificates_pem(server.ca_pem.as_bytes())
        .build()
        .unwrap();

    let result: Result<Vec<Value>, Error> = client.execute_json(list_projects()).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn unknown_ca_fails_without_retry() {
    let server = start_tls_server().await;
    let sleeps = Sleeps::default();
    let client = Client::builder(&server.url)
        .sleeper(sleeps.sleeper())
        .build()
        .unwrap();

    let error = client
        .execute_json::<Vec<Value>>(list_projects())
        .await
        .unwrap_err();

    assert!(
        matches!(error, Error::Transport { attempts: 1, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert!(sleeps.recorded().is_empty(), "a TLS failure is not retried");
    assert!(
        error
            .to_string()
            .contains("TLS handshake with Harbor failed"),
        "{error}"
    );
}

#[tokio::test]
async fn insecure_switch_accepts_unknown_ca() {
    let server = start_tls_server().await;
    let client = Client::builder(&server.url)
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();

    let result: Result<Vec<Value>, Error> = client.execute_json(list_projects()).await;

    assert!(result.is_ok(), "{result:?}");
    assert!(client.accepts_invalid_certs());
}

#[test]
fn invalid_pem_is_a_clear_builder_error() {
    let error = Client::builder("https://harbor.example.test")
        .add_root_certificates_pem("not a certificate")
        .build()
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        "invalid client setting root_certificates_pem: PEM bundle 0 contains no \
         \"BEGIN CERTIFICATE\" block"
    );
}
