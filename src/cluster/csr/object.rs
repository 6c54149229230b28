//! The CertificateSigningRequest object we create: its name nobody can guess, its lifetime field,
//! its body (the dry run serialises this same object).

use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestSpec,
};
use kube::api::ObjectMeta;

use super::super::{ClusterError, MANAGED_BY};
use super::SIGNER;

/// The API's own minimum for `spec.expirationSeconds`.
const MIN_EXPIRATION: u64 = 600;

/// `spec.expirationSeconds` as the API takes it; less than the API's minimum is refused here,
/// before any object exists.
pub fn expiration_seconds(expiration: Duration) -> Result<i32, ClusterError> {
    let seconds = expiration.as_secs();
    if seconds < MIN_EXPIRATION {
        return Err(ClusterError::ExpirationTooShort { seconds });
    }
    Ok(i32::try_from(seconds).unwrap_or(i32::MAX))
}

/// `certuser-<user>-<16 random hex>`: a valid object name nobody can guess in advance.
pub(super) fn unique_name(user: &str) -> String {
    let mut random = [0u8; 8];
    openssl::rand::rand_bytes(&mut random).expect("the system random source works");
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    csr_name(user, &suffix)
}

/// `certuser-<user>-<suffix>`, the user lower-cased and cut to what an object name may hold.
/// The dry run passes a placeholder suffix; the real run a random one.
pub fn csr_name(user: &str, suffix: &str) -> String {
    let mut clean: String = user
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    clean.truncate(40);
    let clean = clean.trim_matches(|c| c == '-' || c == '.');
    if clean.is_empty() {
        format!("certuser-{suffix}")
    } else {
        format!("certuser-{clean}-{suffix}")
    }
}

/// The CertificateSigningRequest object we create: the dry run serialises this same object.
pub fn request_object(
    name: &str,
    csr_pem: &[u8],
    rsa: bool,
    expiration_seconds: i32,
) -> CertificateSigningRequest {
    let mut usages = vec!["client auth".to_string(), "digital signature".to_string()];
    if rsa {
        usages.push("key encipherment".to_string());
    }
    CertificateSigningRequest {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())].into()),
            ..Default::default()
        },
        spec: CertificateSigningRequestSpec {
            request: ByteString(csr_pem.to_vec()),
            signer_name: SIGNER.to_string(),
            expiration_seconds: Some(expiration_seconds),
            usages: Some(usages),
            ..Default::default()
        },
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_and_unpredictable() {
        let a = unique_name("John.Doe@Example.com");
        let b = unique_name("John.Doe@Example.com");
        assert_ne!(a, b);
        assert!(a.starts_with("certuser-john.doe-example.com-"), "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        );
        assert_eq!(a.rsplit('-').next().unwrap().len(), 16);
        assert!(unique_name("@@@").starts_with("certuser-"));
    }
}
