//! The private keys a CA usually has (RSA as PKCS#1 or PKCS#8, EC as SEC1), read from an
//! unencrypted PEM without OpenSSL 3's decoder: its set-up (gathering every provider's decoders)
//! costs a few milliseconds per process, more than the rest of signing a certificate. Anything
//! else, or anything unusual, is `None`, and the caller asks OpenSSL's PEM reader, which then
//! decides (and words the error) as it always did.

use openssl::ec::EcKey;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;

use super::der::{self, Reader};

/// rsaEncryption, 1.2.840.113549.1.1.1: the algorithm of an RSA key in PKCS#8.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The key of the first PEM block, when that block is one of the plain cases above.
pub(super) fn read_plain(pem: &[u8]) -> Option<PKey<Private>> {
    let (label, der) = first_block(pem)?;
    let der = Wiped(der);
    let key = match label {
        b"RSA PRIVATE KEY" => PKey::from_rsa(Rsa::private_key_from_der(&der.0).ok()?),
        b"EC PRIVATE KEY" => PKey::from_ec_key(EcKey::private_key_from_der(&der.0).ok()?),
        b"PRIVATE KEY" => PKey::from_rsa(Rsa::private_key_from_der(pkcs8_rsa(&der.0)?).ok()?),
        _ => return None,
    };
    key.ok()
}

/// The label and the decoded body of the first PEM block, a block without headers (an
/// encrypted key's `Proc-Type:` is not base64, so it is `None` here).
fn first_block(pem: &[u8]) -> Option<(&[u8], Vec<u8>)> {
    let start = find(pem, b"-----BEGIN ")?;
    if start > 0 && pem[start - 1] != b'\n' {
        return None; // OpenSSL only sees a marker at the start of a line
    }
    let rest = &pem[start + b"-----BEGIN ".len()..];
    let label_end = find(rest, b"-----")?;
    let (label, rest) = (&rest[..label_end], &rest[label_end + 5..]);
    let end = find(rest, b"-----END ")?;
    let after = rest[end + b"-----END ".len()..].strip_prefix(label)?;
    after.starts_with(b"-----").then_some(())?;
    Some((label, super::base64::decode(&rest[..end])?))
}

/// PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier, privateKey OCTET STRING }: the
/// RSAPrivateKey inside, for rsaEncryption with NULL parameters and no attributes.
fn pkcs8_rsa(der: &[u8]) -> Option<&[u8]> {
    let mut outer = Reader::new(der);
    let mut info = Reader::new(outer.expect(der::SEQUENCE)?);
    if !outer.is_empty() || info.expect(der::INTEGER)? != [0] {
        return None;
    }
    let mut algorithm = Reader::new(info.expect(der::SEQUENCE)?);
    // 0x05: NULL, the parameters rsaEncryption always has.
    if algorithm.expect(der::OID)? != RSA_ENCRYPTION || !algorithm.expect(0x05)?.is_empty() {
        return None;
    }
    let key = info.expect(der::OCTET_STRING)?;
    (algorithm.is_empty() && info.is_empty()).then_some(key)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Key bytes, overwritten when dropped.
struct Wiped(Vec<u8>);

impl Drop for Wiped {
    fn drop(&mut self) {
        for byte in self.0.iter_mut() {
            // Volatile so the compiler cannot drop the wipe as a dead store.
            unsafe { std::ptr::write_volatile(byte, 0) };
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    use crate::pki::testing::openssl_file as openssl;

    /// Each plain format is read here, and is the key OpenSSL's own reader sees; the others go
    /// to OpenSSL.
    #[test]
    fn reads_the_plain_formats_as_openssl_does_and_leaves_the_rest_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let plain = [
            openssl(d, "pkcs1.key", &["genrsa", "-traditional", "2048"]),
            openssl(d, "pkcs8.key", &["genrsa", "2048"]),
            openssl(
                d,
                "sec1.key",
                &["ecparam", "-name", "prime256v1", "-genkey", "-noout"],
            ),
        ];
        for pem in &plain {
            let ours = read_plain(pem).expect("a plain key");
            let theirs = PKey::private_key_from_pem(pem).unwrap();
            assert!(ours.public_eq(&theirs));
            assert_eq!(
                ours.private_key_to_pkcs8().unwrap(),
                theirs.private_key_to_pkcs8().unwrap()
            );
        }
        let elsewhere = [
            openssl(
                d,
                "ec8.key",
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                ],
            ),
            openssl(d, "ed.key", &["genpkey", "-algorithm", "ed25519"]),
            openssl(
                d,
                "params.key",
                &["ecparam", "-name", "prime256v1", "-genkey"],
            ),
            openssl(
                d,
                "enc.key",
                &["genrsa", "-aes256", "-passout", "pass:x", "2048"],
            ),
            openssl(
                d,
                "enc1.key",
                &[
                    "genrsa",
                    "-traditional",
                    "-aes256",
                    "-passout",
                    "pass:x",
                    "2048",
                ],
            ),
        ];
        for pem in &elsewhere {
            assert!(
                read_plain(pem).is_none(),
                "{}",
                String::from_utf8_lossy(pem)
            );
        }
        let mut cut = plain[0].clone();
        cut.truncate(cut.len() / 2);
        assert!(read_plain(&cut).is_none());
        assert!(read_plain(b"junk").is_none());
    }
}
