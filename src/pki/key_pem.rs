//! The private keys a CA or a kubeconfig usually has (RSA as PKCS#1 or PKCS#8, EC as SEC1 or as
//! PKCS#8, the form we write ourselves), read from an unencrypted PEM without OpenSSL 3's
//! decoder: its set-up (gathering every provider's decoders) costs a few milliseconds per
//! process, more than the rest of signing a certificate. Anything
//! else, or anything unusual, is `None`, and the caller asks OpenSSL's PEM reader, which then
//! decides (and words the error) as it always did.

use openssl::ec::EcKey;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;

use super::der::{self, Reader};

/// rsaEncryption, 1.2.840.113549.1.1.1: the algorithm of an RSA key in PKCS#8.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey, 1.2.840.10045.2.1: the algorithm of an EC key in PKCS#8.
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// The key of the first PEM block, when that block is one of the plain cases above.
pub(super) fn read_plain(pem: &[u8]) -> Option<PKey<Private>> {
    let (label, der) = first_block(pem)?;
    let der = Wiped(der);
    let key = match label {
        b"RSA PRIVATE KEY" => PKey::from_rsa(Rsa::private_key_from_der(&der.0).ok()?),
        b"EC PRIVATE KEY" => PKey::from_ec_key(EcKey::private_key_from_der(&der.0).ok()?),
        b"PRIVATE KEY" => match pkcs8_key(&der.0)? {
            Pkcs8::Rsa(rsa) => PKey::from_rsa(Rsa::private_key_from_der(rsa).ok()?),
            Pkcs8::Ec(sec1) => PKey::from_ec_key(EcKey::private_key_from_der(&sec1.0).ok()?),
        },
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

/// The key a PKCS#8 PrivateKeyInfo holds, in the form OpenSSL's legacy readers take.
enum Pkcs8<'a> {
    /// The RSAPrivateKey inside.
    Rsa(&'a [u8]),
    /// The ECPrivateKey inside, with the curve of the AlgorithmIdentifier written into it (SEC1
    /// makes it optional there, and OpenSSL leaves it out of PKCS#8).
    Ec(Wiped),
}

/// PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier, privateKey OCTET STRING }, with
/// no attributes: rsaEncryption with NULL parameters, or id-ecPublicKey with a named curve.
fn pkcs8_key(der: &[u8]) -> Option<Pkcs8<'_>> {
    let mut outer = Reader::new(der);
    let mut info = Reader::new(outer.expect(der::SEQUENCE)?);
    if !outer.is_empty() || info.expect(der::INTEGER)? != [0] {
        return None;
    }
    let mut algorithm = Reader::new(info.expect(der::SEQUENCE)?);
    let oid = algorithm.expect(der::OID)?;
    let key = match oid {
        // 0x05: NULL, the parameters rsaEncryption always has.
        RSA_ENCRYPTION if algorithm.expect(0x05)?.is_empty() => {
            Pkcs8::Rsa(info.expect(der::OCTET_STRING)?)
        }
        EC_PUBLIC_KEY => {
            let curve = algorithm.expect(der::OID)?;
            Pkcs8::Ec(with_curve(info.expect(der::OCTET_STRING)?, curve)?)
        }
        _ => return None,
    };
    (algorithm.is_empty() && info.is_empty()).then_some(key)
}

/// ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] parameters OPTIONAL,
/// [1] publicKey OPTIONAL }, with `[0] curve` in it unless it names a curve itself.
fn with_curve(sec1: &[u8], curve: &[u8]) -> Option<Wiped> {
    let mut outer = Reader::new(sec1);
    let mut key = Reader::new(outer.expect(der::SEQUENCE)?);
    let (version, version_der) = key.next_whole()?;
    let (secret, secret_der) = key.next_whole()?;
    if !outer.is_empty()
        || version.tag != der::INTEGER
        || version.body != [1]
        || secret.tag != der::OCTET_STRING
    {
        return None;
    }
    match key.peek_tag() {
        // Its own curve decides, as in OpenSSL's reader, which reads the AlgorithmIdentifier's
        // first and lets this one replace it.
        Some(der::CONTEXT_0) => return Some(Wiped(sec1.to_vec())),
        Some(PUBLIC_KEY) | None => {}
        Some(_) => return None,
    }
    let named = der::element(der::CONTEXT_0, &der::element(der::OID, curve));
    let public = match key.peek_tag() {
        Some(PUBLIC_KEY) => key.next_whole()?.1,
        _ => &[],
    };
    key.is_empty().then_some(())?;
    // In one allocation: a growing buffer would leave unwiped copies of the secret behind.
    let parts = [version_der, secret_der, named.as_slice(), public];
    let length = parts.iter().map(|part| part.len()).sum();
    let head = der::header(der::SEQUENCE, length);
    let mut whole = Wiped(Vec::with_capacity(head.len() + length));
    whole.0.extend_from_slice(&head);
    for part in parts {
        whole.0.extend_from_slice(part);
    }
    Some(whole)
}

/// ECPrivateKey's `[1] publicKey`.
const PUBLIC_KEY: u8 = 0xa1;

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
            // PKCS#8 EC, as we write our users' keys: the curve only in the AlgorithmIdentifier.
            openssl(
                d,
                "ec8.key",
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-384",
                ],
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
        // PKCS#8 around a SEC1 key (here a P-256 one), as other tools may write it.
        let (_, sec1) = first_block(&plain[2]).unwrap();
        let pkcs8 = |curve: &[u8], inner: &[u8]| {
            let algorithm = [
                der::element(der::OID, EC_PUBLIC_KEY),
                der::element(der::OID, curve),
            ]
            .concat();
            let info = [
                der::element(der::INTEGER, &[0]),
                der::element(der::SEQUENCE, &algorithm),
                der::element(der::OCTET_STRING, inner),
            ]
            .concat();
            format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                openssl::base64::encode_block(&der::element(der::SEQUENCE, &info))
            )
        };
        let read_alike = |pem: &str| {
            let theirs = PKey::private_key_from_pem(pem.as_bytes()).unwrap();
            let ours = read_plain(pem.as_bytes()).expect("a plain key");
            assert_eq!(
                ours.private_key_to_pkcs8().unwrap(),
                theirs.private_key_to_pkcs8().unwrap()
            );
        };
        // Naming another curve than its wrapper: its own wins, as in OpenSSL.
        let p384 = [0x2b, 0x81, 0x04, 0x00, 0x22];
        read_alike(&pkcs8(&p384, &sec1));
        // Only version and secret (no public key to copy): the public key is derived.
        let mut fields = Reader::new(Reader::new(&sec1).expect(der::SEQUENCE).unwrap());
        let bare = [
            fields.next_whole().unwrap().1,
            fields.next_whole().unwrap().1,
        ]
        .concat();
        let p256 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        read_alike(&pkcs8(&p256, &der::element(der::SEQUENCE, &bare)));

        let mut cut = plain[0].clone();
        cut.truncate(cut.len() / 2);
        assert!(read_plain(&cut).is_none());
        assert!(read_plain(b"junk").is_none());
    }
}
