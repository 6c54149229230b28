//! Keys, CSRs, the CA and our signing policy, with OpenSSL (and, for `list`, a small DER reader).
//!
//! - [`key`]: generate and read private keys; write them 0600 ([`key_pem`]: the usual CA
//!   key formats read without OpenSSL 3's decoder set-up).
//! - [`keygen`]: keys that can be abandoned; one RSA key raced across the idle cores.
//! - [`csr`]: build and parse certificate signing requests.
//! - [`ca`]: load and validate an issuer before it signs anything ([`ca_facts`]: what the
//!   checks read of its certificate, by our [`cert_der`] walk or from OpenSSL's parse).
//! - [`basic_constraints`]: whether a certificate is a CA, read from its extension.
//! - [`sign`]: the certificate we issue, from our policy, never from the CSR's wishes.
//! - [`serial`]: random serial numbers, one rule for the CA and what it signs.
//! - [`inspect`]: what a certificate says, for `inspect`; every certificate of a file.
//! - [`summary`]: what `list` shows of a certificate, read by our own [`der`] walk (with
//!   [`base64`]) in microseconds, OpenSSL for anything unusual.
//! - [`names`]: what a user name (the certificate's CN) and a group may be; privileged groups.
//! - [`pem`]: what a file that should be PEM holds instead, for errors that say so.
//! - [`chain`]: whether a certificate chains to a CA.
//! - [`random`]: the random generator keys and serials are drawn from (Hash_DRBG).
//! - [`spki`]: a certificate's public key bytes, cut out by the [`der`] walk.

mod base64;
mod basic_constraints;
mod ca;
mod ca_facts;
mod cert_der;
mod chain;
mod csr;
mod der;
mod error;
mod inspect;
mod key;
mod key_pem;
mod keygen;
pub mod names;
mod pem;
mod random;
mod serial;
mod sign;
mod spki;
mod summary;

pub use ca::CertificateAuthority;
pub use ca_facts::{CaFacts, ca_facts_without_openssl};
pub use chain::{issued_by, verify_against};
pub use csr::{BuiltCsr, ParsedCsr, Subject, build_csr, build_csr_with_key_info, parse_csr_pem};
pub use error::PkiError;
pub(crate) use inspect::one_line_name;
pub use inspect::{
    CertInfo, asn1_to_timestamp, inspect_certificate, parse_certificate_pem, read_certificates,
};
pub use key::{
    KeyType, PrivateKey, SecretPem, describe_public_key, write_private_file, write_private_key,
    write_public_file,
};
pub use keygen::{generate_unless_abandoned, idle_cores};
pub use random::prefer_hash_drbg;
pub use sign::{
    MIN_LIFETIME, POLICY_LIFETIME, SignedCertificate, check_lifetime, sign_client_certificate,
};
pub use summary::{
    CertSummary, summarize_certificate, summarize_certificate_pem, summary_without_openssl,
};

#[cfg(test)]
pub(crate) mod testing {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    /// Run the `openssl` CLI as the independent judge and return what it printed, once it
    /// has said yes (its stderr is the failure's message).
    pub(crate) fn judge(command: &mut Command) -> Output {
        let out = command.output().expect("openssl is installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `openssl req -x509 -newkey NEWKEY.. -nodes -subj SUBJECT -days DAYS EXTRA..`, judged: a
    /// self-signed certificate `DIR/NAME.crt` and its key `DIR/NAME.key`, made by the CLI.
    pub(crate) fn openssl_self_signed(
        dir: &Path,
        name: &str,
        newkey: &[&str],
        subject: &str,
        days: &str,
        extra: &[&str],
    ) -> (PathBuf, PathBuf) {
        let (crt, key) = (
            dir.join(format!("{name}.crt")),
            dir.join(format!("{name}.key")),
        );
        judge(
            Command::new("openssl")
                .args(["req", "-x509", "-newkey"])
                .args(newkey)
                .args(["-nodes", "-subj", subject, "-days", days, "-keyout"])
                .arg(&key)
                .arg("-out")
                .arg(&crt)
                .args(extra),
        );
        (crt, key)
    }

    /// `openssl ARGS[0] -out DIR/NAME ARGS[1..]`, judged, and the file it wrote.
    pub(crate) fn openssl_file(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
        let path = dir.join(name);
        judge(
            Command::new("openssl")
                .arg(args[0])
                .arg("-out")
                .arg(&path)
                .args(&args[1..]),
        );
        std::fs::read(path).unwrap()
    }
}
