//! A TLS-terminating TCP proxy on 127.0.0.1 whose certificate is signed by a CA made for the
//! test, so only a client given that CA trusts it. It forwards the decrypted bytes to a plain
//! HTTP server, such as a registry started by `cargo xtask test`.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

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

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "harbor-azure test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(server_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

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
        ca_pem: ca.pem(),
    }
}
