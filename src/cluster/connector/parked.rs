//! A new user's connection opened before its certificate exists: TCP, and TLS as far as it
//! goes without a client certificate (see `tls/parked.rs`), finished by the first call of the
//! client that presents one.

use std::pin::Pin;

use http::Uri;
use tokio::net::TcpStream;
use tokio_openssl::SslStream;
use tower::Service;

use super::super::tls::{IdentitySlot, TlsSettings, awaits_identity};
use super::{ConnectError, HttpsConnector, handshake_failed, host_of};

/// A connection to a server whose TLS handshake waits for the client certificate it will
/// present (see `tls/parked.rs`): opened while a new user's certificate is being signed.
pub(crate) struct ParkedConnection {
    server: Uri,
    opening: tokio::task::JoinHandle<Result<Waiting, ConnectError>>,
}

/// A parked connection once as far as it goes without a certificate.
struct Waiting {
    stream: SslStream<TcpStream>,
    slot: IdentitySlot,
    /// The server asked for no certificate: the handshake is over already.
    done: bool,
}

impl HttpsConnector {
    /// Open a connection to `server` (an `https://` URL) now, on the current runtime, as far as
    /// it goes without a client certificate; a client presenting one then finishes it
    /// ([`HttpsConnector::with_parked`]). `None` for a plain `http://` server.
    pub fn park(&self, server: &Uri) -> Option<ParkedConnection> {
        if server.scheme() != Some(&http::uri::Scheme::HTTPS) {
            return None;
        }
        let server = Uri::builder()
            .scheme(http::uri::Scheme::HTTPS)
            .authority(server.authority()?.clone())
            .path_and_query("/")
            .build()
            .ok()?;
        let (mut http, tls, timeout) = (self.http.clone(), self.tls.clone(), self.timeout);
        let uri = server.clone();
        let opening = tokio::spawn(async move {
            let attempt = async move {
                let tcp = http
                    .call(uri.clone())
                    .await
                    .map_err(|e| ConnectError::Tcp(e.into()))?;
                let host = host_of(&uri)?;
                let (ssl, slot) = tls
                    .ssl_awaiting_identity(host)
                    .map_err(ConnectError::Setup)?;
                let mut stream =
                    SslStream::new(ssl, tcp.into_inner()).map_err(ConnectError::Setup)?;
                let done = match Pin::new(&mut stream).connect().await {
                    Ok(()) => true,
                    Err(e) if awaits_identity(&e) => false,
                    Err(source) => return Err(handshake_failed(&stream, source)),
                };
                Ok(Waiting { stream, slot, done })
            };
            tokio::time::timeout(timeout, attempt)
                .await
                .unwrap_or(Err(ConnectError::Timeout(timeout)))
        });
        Some(ParkedConnection { server, opening })
    }
}

impl ParkedConnection {
    pub(super) fn is_for(&self, uri: &Uri) -> bool {
        uri.scheme() == self.server.scheme() && uri.authority() == self.server.authority()
    }

    /// Finish the handshake presenting `tls`'s identity.
    pub(super) async fn resume(
        self,
        tls: &TlsSettings,
    ) -> Result<SslStream<TcpStream>, ConnectError> {
        let mut waiting = self
            .opening
            .await
            .map_err(|e| ConnectError::Tcp(e.into()))??;
        if !waiting.done {
            // A TLS 1.3 client's handshake ends with its own flight: on a connection the server
            // has closed meanwhile (Go's read deadline) it would still seem to succeed.
            if hung_up(waiting.stream.get_ref()) {
                return Err(ConnectError::Tcp(
                    "the server closed it while it waited".into(),
                ));
            }
            if !tls.give_identity(&waiting.slot) {
                return Err(ConnectError::NoIdentity);
            }
            if let Err(source) = Pin::new(&mut waiting.stream).connect().await {
                return Err(handshake_failed(&waiting.stream, source));
            }
        }
        Ok(waiting.stream)
    }
}

/// Whether the server has closed `tcp` (its FIN or RST arrived), asked without waiting. Not by
/// reading: the server's records after its CertificateRequest are still unread there (OpenSSL
/// picks the client certificate right after that message).
fn hung_up(tcp: &TcpStream) -> bool {
    use std::os::fd::AsRawFd as _;
    #[cfg(target_os = "linux")]
    const GONE: libc::c_short = libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR;
    #[cfg(not(target_os = "linux"))]
    const GONE: libc::c_short = libc::POLLHUP | libc::POLLERR;
    let mut probe = libc::pollfd {
        fd: tcp.as_raw_fd(),
        events: GONE,
        revents: 0,
    };
    // SAFETY: one valid pollfd for a socket we own, and no wait.
    let ready = unsafe { libc::poll(&mut probe, 1, 0) };
    ready > 0 && probe.revents & GONE != 0
}
