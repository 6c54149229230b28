//! The connections under a client: TCP (hyper-util's connector), then TLS with our own
//! [`TlsSettings`], the whole of it (name lookup, connect, handshake) bounded by one timeout.
//! A plain `http://` server gets a plain connection, as with kube. Over TLS, HTTP/2 when ALPN
//! chose it (see [`TlsSettings::new`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_openssl::SslStream;
use tower::Service;

use super::one_connection::Http2Chosen;
use super::tls::TlsSettings;

mod parked;

pub(crate) use parked::ParkedConnection;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a connection could not be made, as a sentence (the cause in `source`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    #[error("no connection within {}s", .0.as_secs())]
    Timeout(Duration),
    #[error("cannot connect")]
    Tcp(#[source] BoxError),
    #[error("the URL has no host")]
    NoHost,
    #[error("TLS setup failed")]
    Setup(#[source] openssl::error::ErrorStack),
    #[error("no client certificate to present")]
    NoIdentity,
    /// `verify` is OpenSSL's verdict on the server's certificate when that is what failed
    /// ("certificate verify failed: unable to get local issuer certificate").
    #[error("TLS handshake failed{verify}")]
    Handshake {
        verify: String,
        #[source]
        source: openssl::ssl::Error,
    },
}

#[derive(Clone)]
pub(crate) struct HttpsConnector {
    http: HttpConnector,
    tls: Arc<TlsSettings>,
    timeout: Duration,
    /// Told of every connection that chose HTTP/2 (see [`super::one_connection`]).
    http2_chosen: Http2Chosen,
    /// A connection opened before this client's certificate existed, for its first call.
    parked: Arc<std::sync::Mutex<Option<ParkedConnection>>>,
}

impl HttpsConnector {
    pub fn new(tls: TlsSettings, timeout: Duration) -> HttpsConnector {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        HttpsConnector {
            http,
            tls: Arc::new(tls),
            timeout,
            http2_chosen: Http2Chosen::default(),
            parked: Arc::default(),
        }
    }

    /// Tell `chosen` when a handshake chose HTTP/2.
    pub fn announcing(mut self, chosen: Http2Chosen) -> HttpsConnector {
        self.http2_chosen = chosen;
        self
    }

    /// Use `parked` for the first connection to its server.
    pub fn with_parked(self, parked: Option<ParkedConnection>) -> HttpsConnector {
        *self.parked.lock().unwrap() = parked;
        self
    }
}

/// The URL's host as TLS checks it: without an IPv6 literal's brackets.
pub(super) fn host_of(uri: &Uri) -> Result<&str, ConnectError> {
    let host = uri.host().ok_or(ConnectError::NoHost)?;
    Ok(host.trim_start_matches('[').trim_end_matches(']'))
}

/// The handshake's failure, with OpenSSL's verdict on the server's certificate when that is it.
pub(super) fn handshake_failed(
    stream: &SslStream<TcpStream>,
    source: openssl::ssl::Error,
) -> ConnectError {
    let result = stream.ssl().verify_result();
    let verify = if result == openssl::x509::X509VerifyResult::OK {
        String::new()
    } else {
        format!(": certificate verify failed: {}", result.error_string())
    };
    ConnectError::Handshake { verify, source }
}

impl Service<Uri> for HttpsConnector {
    type Response = Stream;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, ConnectError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ConnectError>> {
        self.http
            .poll_ready(cx)
            .map_err(|e| ConnectError::Tcp(e.into()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let parked = {
            let mut parked = self.parked.lock().unwrap();
            parked.take_if(|p| p.is_for(&uri))
        };
        let mut http = self.http.clone();
        let (tls, timeout, chosen) = (self.tls.clone(), self.timeout, self.http2_chosen.clone());
        Box::pin(async move {
            let attempt = async move {
                let resumed = match parked {
                    Some(parked) => match parked.resume(&tls).await {
                        Ok(stream) => Some(stream),
                        // Fails the same way again, or not at all (a server that dropped a
                        // handshake left waiting too long): either way, a connection of our own.
                        Err(why) => {
                            tracing::debug!(
                                "the connection opened early cannot be used ({why}): connecting again"
                            );
                            None
                        }
                    },
                    None => None,
                };
                let stream = match resumed {
                    Some(stream) => stream,
                    None => {
                        let tcp = http
                            .call(uri.clone())
                            .await
                            .map_err(|e| ConnectError::Tcp(e.into()))?;
                        if uri.scheme() != Some(&http::uri::Scheme::HTTPS) {
                            return Ok(Stream::Plain(tcp));
                        }
                        let ssl = tls.ssl_for(host_of(&uri)?).map_err(ConnectError::Setup)?;
                        let mut stream =
                            SslStream::new(ssl, tcp.into_inner()).map_err(ConnectError::Setup)?;
                        if let Err(source) = Pin::new(&mut stream).connect().await {
                            return Err(handshake_failed(&stream, source));
                        }
                        stream
                    }
                };
                if stream.ssl().selected_alpn_protocol() == Some(b"h2") {
                    chosen.announce();
                }
                Ok(Stream::Tls(TokioIo::new(stream)))
            };
            tokio::time::timeout(timeout, attempt)
                .await
                .unwrap_or(Err(ConnectError::Timeout(timeout)))
        })
    }
}

/// One connection, plain or TLS, as hyper reads and writes it.
pub(crate) enum Stream {
    Plain(TokioIo<TcpStream>),
    Tls(TokioIo<SslStream<TcpStream>>),
}

impl Connection for Stream {
    /// hyper-util's client speaks HTTP/2 on a connection marked so, and shares it between
    /// requests; anything else is HTTP/1.1, one request at a time.
    fn connected(&self) -> Connected {
        match self {
            Stream::Plain(tcp) => tcp.inner().connected(),
            Stream::Tls(tls) => {
                let connected = tls.inner().get_ref().connected();
                if tls.inner().ssl().selected_alpn_protocol() == Some(b"h2") {
                    connected.negotiated_h2()
                } else {
                    connected
                }
            }
        }
    }
}

impl Read for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl Write for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
}
