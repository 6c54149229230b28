//! Keys, CSRs, the CA and our signing policy, all with OpenSSL.
//!
//! - [`key`]: generate and read private keys; write them 0600.
//! - [`csr`]: build and parse certificate signing requests.
//! - [`ca`]: load and validate an issuer before it signs anything.
//! - [`sign`]: the certificate we issue, from our policy, never from the CSR's wishes.
//! - [`inspect`]: what a certificate says, for `list` and `inspect`.

mod ca;
mod csr;
mod error;
mod inspect;
mod key;
mod sign;

pub use ca::CertificateAuthority;
pub use csr::{ParsedCsr, Subject, build_csr, parse_csr_pem};
pub use error::PkiError;
pub use inspect::{
    CertInfo, CertSummary, asn1_to_timestamp, inspect_certificate, parse_certificate_pem,
    summarize_certificate,
};
pub use key::{KeyType, PrivateKey, SecretPem, write_private_key, write_public_file};
pub use sign::{Issued, sign_client_certificate};
