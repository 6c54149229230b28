//! The system's certificate authorities, trusted when a kubeconfig names none (as kubectl does).
//!
//! OpenSSL looks where it was built to look. A distribution's OpenSSL points there at the
//! distribution's bundle; the OpenSSL built into our own binaries (`--features vendored-openssl`,
//! as the krew archives are made) looks under /usr/local/ssl, which no distribution fills. So:
//! OpenSSL's own places when `SSL_CERT_FILE` / `SSL_CERT_DIR` name them or when they exist, else
//! where this system keeps its bundle (openssl-probe's list: Debian's, Fedora's, Alpine's,
//! macOS's and others).

use std::ffi::CStr;
use std::path::PathBuf;

use openssl::error::ErrorStack;
use openssl::ssl::{SslContextBuilder, SslFiletype};
use openssl::x509::store::X509Lookup;

/// Where the system's certificate authorities are read from.
#[derive(Debug, PartialEq, Eq)]
enum Where {
    /// OpenSSL's defaults: the environment's, else the places it was built with.
    OpenSslDefaults,
    /// What this system has, found by looking (none found: nothing is trusted, and the server's
    /// certificate is refused).
    Found {
        file: Option<PathBuf>,
        dirs: Vec<PathBuf>,
    },
}

/// Trust the system's certificate authorities in `builder`.
pub(super) fn trust_system(builder: &mut SslContextBuilder) -> Result<(), ErrorStack> {
    match choose(
        openssl_probe::has_ssl_cert_env_vars(),
        &built_in(),
        openssl_probe::probe,
    ) {
        Where::OpenSslDefaults => builder.set_default_verify_paths(),
        Where::Found { file, dirs } => trust_found(builder, file, &dirs),
    }
}

fn choose(
    environment_names_them: bool,
    built_in: &[PathBuf],
    probe: impl FnOnce() -> openssl_probe::ProbeResult,
) -> Where {
    if environment_names_them || built_in.iter().any(|p| p.exists()) {
        return Where::OpenSslDefaults;
    }
    let found = probe();
    Where::Found {
        file: found.cert_file,
        dirs: found.cert_dir,
    }
}

fn trust_found(
    builder: &mut SslContextBuilder,
    file: Option<PathBuf>,
    dirs: &[PathBuf],
) -> Result<(), ErrorStack> {
    if let Some(file) = file {
        builder.set_ca_file(file)?;
    }
    let dirs: Vec<&str> = dirs.iter().filter_map(|d| d.to_str()).collect();
    if !dirs.is_empty() {
        // Hashed folders (c_rehash, update-ca-certificates): read on demand, as OpenSSL's own.
        let lookup = builder
            .cert_store_mut()
            .add_lookup(X509Lookup::hash_dir())?;
        for dir in dirs {
            lookup.add_dir(dir, SslFiletype::PEM)?;
        }
    }
    Ok(())
}

/// The file and folder this OpenSSL was built to read.
fn built_in() -> [PathBuf; 2] {
    // SAFETY: both return pointers to static NUL-terminated strings compiled into OpenSSL.
    let path = |p: *const std::os::raw::c_char| {
        PathBuf::from(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    unsafe {
        [
            path(openssl_sys::X509_get_default_cert_file()),
            path(openssl_sys::X509_get_default_cert_dir()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ssl::SslMethod;

    fn probed() -> openssl_probe::ProbeResult {
        openssl_probe::ProbeResult {
            cert_file: Some("/etc/ssl/certs/ca-certificates.crt".into()),
            cert_dir: vec!["/etc/ssl/certs".into()],
        }
    }

    #[test]
    fn openssl_defaults_when_the_environment_names_them_or_they_exist() {
        let dir = tempfile::tempdir().unwrap();
        let there = [dir.path().to_path_buf(), dir.path().join("missing")];
        let nowhere = [dir.path().join("a"), dir.path().join("b")];
        let never = || -> openssl_probe::ProbeResult { panic!("looked for nothing") };
        assert_eq!(choose(false, &there, never), Where::OpenSslDefaults);
        assert_eq!(choose(true, &nowhere, never), Where::OpenSslDefaults);
    }

    /// A vendored OpenSSL's /usr/local/ssl does not exist on a distribution: look for the
    /// system's bundle instead of trusting nothing.
    #[test]
    fn where_the_system_keeps_them_when_openssl_was_built_to_look_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let nowhere = [dir.path().join("cert.pem"), dir.path().join("certs")];
        assert_eq!(
            choose(false, &nowhere, probed),
            Where::Found {
                file: Some("/etc/ssl/certs/ca-certificates.crt".into()),
                dirs: vec!["/etc/ssl/certs".into()],
            }
        );
    }

    #[test]
    fn a_found_bundle_is_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let pem = include_bytes!("../../../tests/fixtures/corpus/good-ca.crt");
        let ca = openssl::x509::X509::from_pem(pem).unwrap();
        let bundle = dir.path().join("bundle.pem");
        std::fs::write(&bundle, pem).unwrap();
        let mut builder = SslContextBuilder::new(SslMethod::tls_client()).unwrap();
        trust_found(&mut builder, Some(bundle), &[dir.path().to_path_buf()]).unwrap();
        let trusted = builder.build().cert_store().all_certificates();
        assert_eq!(trusted.len(), 1);
        assert_eq!(trusted[0].to_der().unwrap(), ca.to_der().unwrap());
    }
}
