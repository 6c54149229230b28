//! Private keys: generated here, written 0600 into 0700 folders, never printed.

use std::fmt;
use std::path::Path;

use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, PKeyRef, Private};
use openssl::rsa::Rsa;

use super::PkiError;

/// The key algorithms `--key-type` offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyType {
    /// As the seed recipe and kubeadm.
    #[default]
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EcdsaP256,
    EcdsaP384,
    Ed25519,
}

impl KeyType {
    pub const ALL: [KeyType; 6] = [
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::Ed25519,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa-2048",
            KeyType::Rsa3072 => "rsa-3072",
            KeyType::Rsa4096 => "rsa-4096",
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
            KeyType::Ed25519 => "ed25519",
        }
    }

    /// RSA keys may also encipher keys (TLS key transport), so their certificates say so.
    pub fn is_rsa(self) -> bool {
        matches!(self, KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096)
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for KeyType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyType::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = KeyType::ALL.iter().map(|k| k.name()).collect();
                format!("unknown key type {s:?}: use one of {}", names.join(", "))
            })
    }
}

impl KeyType {
    /// The type of an existing key, for re-issuing with the same kind; None for kinds we do not
    /// generate (RSA 1024, P-521, ...).
    pub fn of<T: openssl::pkey::HasPublic>(key: &PKeyRef<T>) -> Option<KeyType> {
        let described = describe(key);
        KeyType::ALL
            .into_iter()
            .find(|k| PrivateKey::describe_kind(*k) == described)
    }
}

/// A private key. `Debug` never shows it and there is no `Display`.
pub struct PrivateKey(PKey<Private>);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey([REDACTED])")
    }
}

impl PrivateKey {
    pub fn generate(kind: KeyType) -> Result<Self, PkiError> {
        let ssl = PkiError::ssl("generating a key");
        let key = match kind {
            KeyType::Rsa2048 => PKey::from_rsa(Rsa::generate(2048).map_err(ssl)?),
            KeyType::Rsa3072 => PKey::from_rsa(Rsa::generate(3072).map_err(ssl)?),
            KeyType::Rsa4096 => PKey::from_rsa(Rsa::generate(4096).map_err(ssl)?),
            KeyType::EcdsaP256 => ec(Nid::X9_62_PRIME256V1),
            KeyType::EcdsaP384 => ec(Nid::SECP384R1),
            KeyType::Ed25519 => PKey::generate_ed25519(),
        };
        Ok(PrivateKey(key.map_err(PkiError::ssl("generating a key"))?))
    }

    /// Read a PEM key (PKCS#8, PKCS#1 RSA or SEC1 EC). An encrypted key needs `passphrase`;
    /// without one we fail instead of letting OpenSSL prompt on the terminal.
    pub fn from_pem(pem: &[u8], what: &str, passphrase: Option<&[u8]>) -> Result<Self, PkiError> {
        let text = String::from_utf8_lossy(pem);
        let encrypted =
            text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED");
        let key = match (encrypted, passphrase) {
            (true, None) => return Err(PkiError::EncryptedKey { what: what.into() }),
            (true, Some(pass)) => PKey::private_key_from_pem_passphrase(pem, pass)
                .map_err(|_| PkiError::WrongPassphrase { what: what.into() })?,
            (false, _) if let Some(key) = super::key_pem::read_plain(pem) => key,
            // A callback that offers no passphrase: OpenSSL's default would read the terminal.
            (false, _) => PKey::private_key_from_pem_callback(pem, |_| Ok(0)).map_err(|_| {
                PkiError::BadKey {
                    what: what.into(),
                    found: super::pem::what_it_holds(pem, "PRIVATE KEY"),
                }
            })?,
        };
        Ok(PrivateKey(key))
    }

    pub fn from_pkey(key: PKey<Private>) -> Self {
        PrivateKey(key)
    }

    /// PKCS#8 PEM, which openssl, kubectl and client-go all read.
    pub fn to_pem(&self) -> Result<SecretPem, PkiError> {
        self.0
            .private_key_to_pem_pkcs8()
            .map(SecretPem)
            .map_err(PkiError::ssl("encoding a key"))
    }

    /// The SubjectPublicKeyInfo in DER: what a CSR or certificate must carry to be ours.
    pub fn public_key_der(&self) -> Result<Vec<u8>, PkiError> {
        self.0
            .public_key_to_der()
            .map_err(PkiError::ssl("encoding a public key"))
    }

    pub fn describe(&self) -> String {
        describe(&self.0)
    }

    /// What [`describe`] says of a key of this kind.
    fn describe_kind(kind: KeyType) -> &'static str {
        match kind {
            KeyType::Rsa2048 => "RSA 2048",
            KeyType::Rsa3072 => "RSA 3072",
            KeyType::Rsa4096 => "RSA 4096",
            KeyType::EcdsaP256 => "ECDSA P-256",
            KeyType::EcdsaP384 => "ECDSA P-384",
            KeyType::Ed25519 => "Ed25519",
        }
    }

    /// True when `cert_public_der` (a certificate's SubjectPublicKeyInfo) is this key's.
    pub fn matches(&self, cert_public_der: &[u8]) -> bool {
        self.public_key_der()
            .is_ok_and(|mine| mine.as_slice() == cert_public_der)
    }

    pub fn pkey(&self) -> &PKeyRef<Private> {
        &self.0
    }
}

fn ec(curve: Nid) -> Result<PKey<Private>, openssl::error::ErrorStack> {
    let group = EcGroup::from_curve_name(curve)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

/// "RSA 2048", "ECDSA P-256", "Ed25519", of a public key (a CSR's, a certificate's).
pub fn describe_public_key(key: &PKeyRef<openssl::pkey::Public>) -> String {
    describe(key)
}

/// "RSA 2048", "ECDSA P-256", "Ed25519": for any key, public or private.
pub(crate) fn describe<T: openssl::pkey::HasPublic>(key: &PKeyRef<T>) -> String {
    match key.id() {
        Id::RSA => format!("RSA {}", key.bits()),
        Id::EC => {
            let curve = key.ec_key().ok().and_then(|k| k.group().curve_name());
            match curve {
                Some(Nid::X9_62_PRIME256V1) => "ECDSA P-256".into(),
                Some(Nid::SECP384R1) => "ECDSA P-384".into(),
                Some(Nid::SECP521R1) => "ECDSA P-521".into(),
                _ => format!("ECDSA {}", key.bits()),
            }
        }
        Id::ED25519 => "Ed25519".into(),
        Id::ED448 => "Ed448".into(),
        other => format!("key type {}", other.as_raw()),
    }
}

/// PEM bytes of a private key. `Debug` is redacted and the bytes are overwritten on drop.
pub struct SecretPem(Vec<u8>);

impl SecretPem {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretPem([REDACTED])")
    }
}

impl Drop for SecretPem {
    fn drop(&mut self) {
        for byte in self.0.iter_mut() {
            // Volatile so the compiler cannot drop the wipe as a dead store.
            unsafe { std::ptr::write_volatile(byte, 0) };
        }
    }
}

/// Write a private key: created 0600 from the first byte (never chmod after), parents we create
/// 0700, through a temp file and rename so a crash never leaves half a key.
pub fn write_private_key(path: &Path, pem: &SecretPem) -> Result<(), PkiError> {
    write_atomic(path, pem.as_bytes(), 0o600)
}

/// Write a file only its owner may read (a certificate kept beside its key, a pending
/// request): 0600, same atomic path.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), PkiError> {
    write_atomic(path, bytes, 0o600)
}

/// Write a certificate (public): 0644, same atomic path.
pub fn write_public_file(path: &Path, bytes: &[u8]) -> Result<(), PkiError> {
    write_atomic(path, bytes, 0o644)
}

/// Our files through the crate's one atomic writer; only the key-bearing folders it creates
/// are ours to make 0700.
fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), PkiError> {
    let err = |source| PkiError::Write {
        path: path.to_path_buf(),
        source,
    };
    crate::atomic_file::create_private_dir(&crate::atomic_file::folder_of(path)).map_err(err)?;
    crate::atomic_file::replace(path, bytes, mode, |_| Ok(())).map_err(err)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_valid_ones() {
        for kind in KeyType::ALL {
            assert_eq!(kind.name().parse::<KeyType>().unwrap(), kind);
        }
        let err = "dsa".parse::<KeyType>().unwrap_err();
        assert!(err.contains("rsa-2048") && err.contains("ed25519"), "{err}");
    }

    #[test]
    fn the_kind_of_a_key_is_recognised_and_a_key_matches_only_its_own_certificate_key() {
        for kind in KeyType::ALL.into_iter().filter(|k| *k != KeyType::Rsa4096) {
            let key = PrivateKey::generate(kind).unwrap();
            assert_eq!(KeyType::of(key.pkey()), Some(kind));
            assert!(key.matches(&key.public_key_der().unwrap()));
        }
        let p521 = PKey::from_ec_key(
            EcKey::generate(&EcGroup::from_curve_name(Nid::SECP521R1).unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(KeyType::of(&p521), None, "we do not generate P-521");
        let other = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        assert!(!other.matches(&PrivateKey::from_pkey(p521).public_key_der().unwrap()));
    }

    #[test]
    fn every_key_type_is_read_back_by_openssl_and_by_us() {
        let dir = tempfile::tempdir().unwrap();
        for kind in KeyType::ALL.into_iter().filter(|k| *k != KeyType::Rsa4096) {
            let key = PrivateKey::generate(kind).unwrap();
            let pem = key.to_pem().unwrap();
            let path = dir.path().join(format!("{kind}.key"));
            write_private_key(&path, &pem).unwrap();
            crate::pki::testing::judge(
                Command::new("openssl")
                    .args(["pkey", "-noout", "-in"])
                    .arg(&path),
            );
            let back = PrivateKey::from_pem(pem.as_bytes(), "test", None).unwrap();
            assert_eq!(
                back.public_key_der().unwrap(),
                key.public_key_der().unwrap()
            );
            assert_eq!(back.describe(), key.describe());
        }
        assert_eq!(
            PrivateKey::generate(KeyType::EcdsaP384).unwrap().describe(),
            "ECDSA P-384"
        );
        assert_eq!(
            PrivateKey::generate(KeyType::Rsa2048).unwrap().describe(),
            "RSA 2048"
        );
    }

    #[test]
    fn reads_keys_made_by_openssl_in_every_format() {
        let dir = tempfile::tempdir().unwrap();
        let make =
            |name: &str, args: &[&str]| crate::pki::testing::openssl_file(dir.path(), name, args);
        let pkcs1 = make("pkcs1.key", &["genrsa", "-traditional", "2048"]);
        assert!(String::from_utf8_lossy(&pkcs1).contains("BEGIN RSA PRIVATE KEY"));
        let sec1 = make(
            "sec1.key",
            &["ecparam", "-name", "prime256v1", "-genkey", "-noout"],
        );
        assert!(String::from_utf8_lossy(&sec1).contains("BEGIN EC PRIVATE KEY"));
        let pkcs8 = make("pkcs8.key", &["genpkey", "-algorithm", "ed25519"]);
        for pem in [&pkcs1, &sec1, &pkcs8] {
            PrivateKey::from_pem(pem, "test", None).unwrap();
        }
        let encrypted = make(
            "enc.key",
            &["genrsa", "-aes256", "-passout", "pass:s3cret", "2048"],
        );
        assert!(matches!(
            PrivateKey::from_pem(&encrypted, "ca.key", None),
            Err(PkiError::EncryptedKey { .. })
        ));
        assert!(matches!(
            PrivateKey::from_pem(&encrypted, "ca.key", Some(b"wrong")),
            Err(PkiError::WrongPassphrase { .. })
        ));
        PrivateKey::from_pem(&encrypted, "ca.key", Some(b"s3cret")).unwrap();
        assert!(matches!(
            PrivateKey::from_pem(b"junk", "x", None),
            Err(PkiError::BadKey { .. })
        ));
    }

    #[test]
    fn key_files_are_private_from_the_start_and_folders_0700() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/john.key");
        let pem = PrivateKey::generate(KeyType::EcdsaP256)
            .unwrap()
            .to_pem()
            .unwrap();
        write_private_key(&path, &pem).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        assert_eq!(
            fs::read_dir(dir.path().join("a/b")).unwrap().count(),
            1,
            "no temp file left"
        );
        assert_eq!(format!("{pem:?}"), "SecretPem([REDACTED])");
        let key = PrivateKey::generate(KeyType::Ed25519).unwrap();
        assert_eq!(format!("{key:?}"), "PrivateKey([REDACTED])");
    }
}
