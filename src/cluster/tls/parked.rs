//! A TLS handshake started before the client certificate it will present exists: a new user's
//! connection opened while the signer is still at work.
//!
//! A client sends its certificate only in its second flight, after the server's Finished. So
//! the TCP connection, the ClientHello and the server's whole flight can travel while the CSR
//! waits for the signer. OpenSSL suspends the handshake where it picks the certificate, right
//! after the server's CertificateRequest (`SSL_set_cert_cb` returning -1:
//! `SSL_ERROR_WANT_X509_LOOKUP`); given the certificate, it reads the rest of that flight
//! (already arrived), checks the server's certificate and answers. On a remote cluster that
//! takes the connection's two round trips (TCP and TLS) out of the wait after the certificate
//! arrives.
//!
//! Nothing secret is in a parked handshake: the key and certificate reach the connection only
//! when it resumes, exactly as for a connection made then.

use std::ffi::{c_int, c_void};
use std::sync::{Arc, Mutex, OnceLock};

use foreign_types::ForeignTypeRef;
use openssl::ex_data::Index;
use openssl::ssl::{Ssl, SslRef};

use super::{Presented, TlsSettings};

/// Where a suspended handshake finds the identity it presents once it is given.
pub(crate) type IdentitySlot = Arc<Mutex<Option<Arc<Presented>>>>;

unsafe extern "C" {
    // In libssl since 1.0.2; the openssl crates do not bind it.
    fn SSL_set_cert_cb(
        ssl: *mut openssl_sys::SSL,
        cb: Option<unsafe extern "C" fn(*mut openssl_sys::SSL, *mut c_void) -> c_int>,
        arg: *mut c_void,
    );
}

/// The connection's slot, kept by the SSL itself (freed with it).
fn slot_index() -> Option<Index<Ssl, IdentitySlot>> {
    static INDEX: OnceLock<Option<Index<Ssl, IdentitySlot>>> = OnceLock::new();
    *INDEX.get_or_init(|| Ssl::new_ex_index().ok())
}

/// OpenSSL asks for the client certificate: present the identity if it has been given,
/// suspend the handshake (-1) if not. Never unwinds: a panic cannot cross into C.
unsafe extern "C" fn present_when_given(ssl: *mut openssl_sys::SSL, _: *mut c_void) -> c_int {
    // SAFETY: OpenSSL calls this with the live SSL of the handshake under way.
    let ssl = unsafe { SslRef::from_ptr_mut(ssl) };
    let given = slot_index()
        .and_then(|index| ssl.ex_data(index))
        .and_then(|slot| slot.lock().ok().and_then(|given| given.clone()));
    match given {
        None => -1,
        Some(presented) => match presented.install(ssl) {
            Ok(()) => 1,
            Err(_) => 0,
        },
    }
}

impl TlsSettings {
    /// One connection's TLS state for `host` that suspends where it would present a client
    /// certificate, until one is put in the returned slot. These settings present none
    /// themselves (a new user's shared settings).
    pub fn ssl_awaiting_identity(
        &self,
        host: &str,
    ) -> Result<(Ssl, IdentitySlot), openssl::error::ErrorStack> {
        let Some(index) = slot_index() else {
            return Err(openssl::error::ErrorStack::get());
        };
        let mut ssl = self.ssl_for(host)?;
        let slot = IdentitySlot::default();
        ssl.set_ex_data(index, slot.clone());
        // SAFETY: a valid SSL we own; the callback reads only the SSL it is called with.
        unsafe { SSL_set_cert_cb(ssl.as_ptr(), Some(present_when_given), std::ptr::null_mut()) };
        Ok((ssl, slot))
    }

    /// Give a suspended handshake these settings' identity. False when they present none.
    pub fn give_identity(&self, slot: &IdentitySlot) -> bool {
        let Some(presented) = &self.presented else {
            return false;
        };
        match slot.lock() {
            Ok(mut given) => {
                *given = Some(presented.clone());
                true
            }
            Err(_) => false,
        }
    }
}

/// Whether a handshake stopped to wait for its certificate (not an error).
pub(crate) fn awaits_identity(err: &openssl::ssl::Error) -> bool {
    err.code().as_raw() == openssl_sys::SSL_ERROR_WANT_X509_LOOKUP
}
