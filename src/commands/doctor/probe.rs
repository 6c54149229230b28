//! Is the API server there, and does it present a certificate the kubeconfig's CA accepts? A
//! TLS handshake of our own, so the two answers are told apart (kube's client folds both into
//! one connection error).

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::X509;

const TIMEOUT: Duration = Duration::from_secs(10);

pub enum Probe {
    /// No TCP connection: wrong address, firewall, server down.
    Unreachable(String),
    /// Connected, but the server's certificate is not accepted (reason).
    Untrusted(String),
    /// The server's certificate is accepted; its subject.
    Trusted(String),
}

/// `server` is the kubeconfig's `https://host[:port][/path]`; `roots` its CA (None: the system's).
pub fn probe(server: &str, roots: Option<&[X509]>, tls_server_name: Option<&str>) -> Probe {
    let Some((host, port)) = host_port(server) else {
        return Probe::Unreachable(format!("{server:?} is not an https:// URL"));
    };
    let addrs = match (host.trim_matches(['[', ']']), port).to_socket_addrs() {
        Ok(a) => a.collect::<Vec<_>>(),
        Err(e) => return Probe::Unreachable(format!("cannot resolve {host}: {e}")),
    };
    let mut last = format!("{host} has no address");
    let mut tcp = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, TIMEOUT) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    let Some(tcp) = tcp else {
        return Probe::Unreachable(last);
    };
    let _ = tcp.set_read_timeout(Some(TIMEOUT));
    let _ = tcp.set_write_timeout(Some(TIMEOUT));

    let failure: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let subject: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let mut builder = match SslConnector::builder(SslMethod::tls_client()) {
        Ok(b) => b,
        Err(e) => return Probe::Untrusted(e.to_string()),
    };
    if let Some(roots) = roots {
        let store = builder.cert_store_mut();
        for root in roots {
            let _ = store.add_cert(root.clone());
        }
    }
    let (seen_failure, seen_subject) = (failure.clone(), subject.clone());
    builder.set_verify_callback(SslVerifyMode::PEER, move |ok, ctx| {
        if ctx.error_depth() == 0
            && let Some(cert) = ctx.current_cert()
        {
            *seen_subject.lock().unwrap() = Some(crate::pki::one_line_name(cert.subject_name()));
        }
        if !ok && seen_failure.lock().unwrap().is_none() {
            *seen_failure.lock().unwrap() = Some(ctx.error().error_string().to_string());
        }
        ok
    });
    let connector = builder.build();
    let name = tls_server_name.unwrap_or(host.trim_matches(['[', ']']));
    if let Ok(config) = connector.configure() {
        // A handshake that fails after the server's certificate passed is the server refusing
        // to go on without a client certificate: that is the identity check's business.
        let _ = config.connect(name, tcp);
    }
    if let Some(reason) = failure.lock().unwrap().take() {
        return Probe::Untrusted(reason);
    }
    Probe::Trusted(subject.lock().unwrap().clone().unwrap_or_default())
}

fn host_port(server: &str) -> Option<(String, u16)> {
    let rest = server.strip_prefix("https://")?;
    let authority = rest.split('/').next()?;
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = after.strip_prefix(':').map(str::parse).transpose().ok()?;
        return Some((format!("[{host}]"), port.unwrap_or(443)));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_string(), port.parse().ok()?)),
        None => Some((authority.to_string(), 443)),
    }
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn server_urls() {
        assert_eq!(
            host_port("https://10.0.0.1:6443"),
            Some(("10.0.0.1".into(), 6443))
        );
        assert_eq!(
            host_port("https://k8s.example.com/prefix"),
            Some(("k8s.example.com".into(), 443))
        );
        assert_eq!(
            host_port("https://[::1]:8443"),
            Some(("[::1]".into(), 8443))
        );
        assert_eq!(host_port("http://x"), None);
    }
}
