//! The random generator OpenSSL draws our keys and serials from: Hash_DRBG over SHA-256 instead
//! of OpenSSL 3's default CTR_DRBG over AES-256.
//!
//! Both are NIST SP 800-90A deterministic random bit generators of 256-bit security strength,
//! seeded from the same operating-system source, and both are OpenSSL's own (EVP_RAND-HASH-DRBG,
//! EVP_RAND-CTR-DRBG); FIPS 140 approves both. They differ in what their first use costs: the
//! CTR_DRBG fetches AES-256-CTR, and that first cipher fetch builds OpenSSL 3.0's whole cipher
//! table (about 1.3 ms, a tenth of a one-user `add` with a local CA, which uses no cipher at
//! all), while SHA-256 is fetched for signing anyway.
//!
//! It is a default, not an override: an openssl.cnf `[random]` section is read after it and
//! decides. It takes only before OpenSSL's generators are first used, so the command sets it
//! first, and only where it pays (`commands::prefers_hash_drbg`: not for RSA keys, whose prime
//! search draws enough random bytes for the CTR_DRBG's hardware AES to be the faster).

use std::ffi::{c_char, c_int};
use std::ptr;

// In libcrypto since 3.0; openssl-sys does not declare it.
unsafe extern "C" {
    fn RAND_set_DRBG_type(
        ctx: *mut openssl_sys::OSSL_LIB_CTX,
        drbg: *const c_char,
        propq: *const c_char,
        cipher: *const c_char,
        digest: *const c_char,
    ) -> c_int;
}

/// Make Hash_DRBG/SHA-256 the generator of this process. False when OpenSSL's generators are
/// already in use (then they stay as they are, which is just as sound).
pub fn prefer_hash_drbg() -> bool {
    // SAFETY: constant NUL-terminated strings; NULL selects the default library context and
    // no property query or cipher.
    let set = unsafe {
        RAND_set_DRBG_type(
            ptr::null_mut(),
            c"HASH-DRBG".as_ptr(),
            ptr::null(),
            ptr::null(),
            c"SHA256".as_ptr(),
        )
    };
    if set != 1 {
        // A refusal leaves an error on this thread's queue: nobody else's to read. Cleared
        // with the bare call: the openssl crate's error reader would load openssl.cnf and the
        // providers here, on the main thread, when the threads of `add` do it in parallel.
        // SAFETY: no preconditions.
        unsafe { openssl_sys::ERR_clear_error() };
    }
    set == 1
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::process::Command;

    use super::*;
    use crate::pki::{KeyType, PrivateKey};

    unsafe extern "C" {
        fn RAND_get0_private(ctx: *mut openssl_sys::OSSL_LIB_CTX) -> *mut c_void_rand;
        fn EVP_RAND_CTX_get0_rand(ctx: *mut c_void_rand) -> *mut c_void_rand;
        fn EVP_RAND_get0_name(rand: *const c_void_rand) -> *const c_char;
    }
    #[allow(non_camel_case_types)]
    enum c_void_rand {}

    /// The name of the generator our keys come from (OpenSSL's private DRBG).
    fn private_generator() -> String {
        // SAFETY: OpenSSL owns what these return; the name is a static string.
        unsafe {
            let drbg = RAND_get0_private(ptr::null_mut());
            assert!(!drbg.is_null());
            let name = EVP_RAND_get0_name(EVP_RAND_CTX_get0_rand(drbg));
            CStr::from_ptr(name).to_string_lossy().into_owned()
        }
    }

    const CHILD: &str = "CERTUSER_TEST_DRBG_CHILD";

    /// Each case runs in a process of its own (this test binary again, this test alone): the
    /// choice takes only before OpenSSL's first random number, and other tests draw some. The
    /// child is told which generator to expect.
    #[test]
    fn keys_come_from_hash_drbg_unless_openssl_cnf_says_otherwise() {
        if let Some(expected) = std::env::var_os(CHILD) {
            assert!(prefer_hash_drbg(), "chosen before any use");
            PrivateKey::generate(KeyType::EcdsaP256).unwrap();
            assert_eq!(private_generator(), expected.to_string_lossy());
            assert!(!prefer_hash_drbg(), "too late once in use");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("openssl.cnf");
        std::fs::write(
            &conf,
            "openssl_conf = init\n[init]\nrandom = random_section\n\
             [random_section]\nrandom = CTR-DRBG\ncipher = AES-256-CTR\n",
        )
        .unwrap();
        for (expected, openssl_conf) in [("HASH-DRBG", None), ("CTR-DRBG", Some(&conf))] {
            let mut child = Command::new(std::env::current_exe().unwrap());
            child
                .args([
                    "--exact",
                    "pki::random::tests::keys_come_from_hash_drbg_unless_openssl_cnf_says_otherwise",
                    "--test-threads=1",
                ])
                .env(CHILD, expected);
            if let Some(conf) = openssl_conf {
                child.env("OPENSSL_CONF", conf);
            }
            let out = child.output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && text.contains("1 passed"),
                "{expected}: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Without the choice, OpenSSL's default: what the choice changes.
        PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        assert_eq!(private_generator(), "CTR-DRBG");
    }
}
