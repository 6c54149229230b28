//! What a file that should be PEM really holds, for errors that say what is wrong and how to fix
//! it, instead of OpenSSL's "no start line".

/// A sentence about `bytes`, given what was expected (`CERTIFICATE` or `PRIVATE KEY`).
pub(crate) fn what_it_holds(bytes: &[u8], expected: &str) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return "the file is empty".into();
    }
    let labels: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
        .collect();
    let Some(first) = labels.first() else {
        if bytes.first() == Some(&0x30) {
            if openssl::x509::X509Req::from_der(bytes).is_ok() {
                return "it is a DER CERTIFICATE REQUEST (a signing request, not yet signed: sign it, or give the signed certificate)".into();
            }
            if expected == "CERTIFICATE" && openssl::pkey::PKey::private_key_from_der(bytes).is_ok()
            {
                return "it is a DER PRIVATE KEY, not a CERTIFICATE (were the certificate and key files swapped?)".into();
            }
            let convert = if expected == "CERTIFICATE" {
                "x509"
            } else {
                "pkey"
            };
            return format!(
                "it is DER (binary), not PEM: convert it with `openssl {convert} -inform DER -in FILE -out FILE.pem`"
            );
        }
        return format!("it has no -----BEGIN {expected}----- line");
    };
    let wanted = |label: &str| {
        if expected == "CERTIFICATE" {
            label == "CERTIFICATE" || label == "X509 CERTIFICATE" || label == "TRUSTED CERTIFICATE"
        } else {
            label.ends_with("PRIVATE KEY")
        }
    };
    if !wanted(first) {
        let why = match *first {
            l if l.ends_with("PRIVATE KEY") => {
                " (a private key: were the certificate and key files swapped?)"
            }
            "CERTIFICATE" => " (a certificate: were the certificate and key files swapped?)",
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
                " (a signing request, not yet signed: sign it, or give the signed certificate)"
            }
            "PUBLIC KEY" => " (a public key, which is only part of a certificate)",
            _ => "",
        };
        return format!("it holds a {first}, not a {expected}{why}");
    }
    if !text.contains(&format!("-----END {first}-----")) {
        return format!("it is cut short: -----BEGIN {first}----- has no END line");
    }
    "its base64 or DER content is damaged: copy the file again from its source".into()
}

#[cfg(test)]
mod tests {
    use super::what_it_holds;

    #[test]
    fn says_what_is_there_instead() {
        let cert = "CERTIFICATE";
        assert_eq!(what_it_holds(b"  \n", cert), "the file is empty");
        assert!(what_it_holds(b"\x30\x82\x01\x0a", cert).contains("DER"));
        assert!(what_it_holds(b"hello", cert).contains("no -----BEGIN CERTIFICATE----- line"));
        let key = b"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n";
        assert!(what_it_holds(key, cert).contains("holds a PRIVATE KEY, not a CERTIFICATE"));
        assert!(what_it_holds(key, cert).contains("swapped"));
        let csr = b"-----BEGIN CERTIFICATE REQUEST-----\nAA==\n";
        assert!(what_it_holds(csr, cert).contains("signing request"));
        let half = b"-----BEGIN CERTIFICATE-----\nMIIB";
        assert!(what_it_holds(half, cert).contains("cut short"));
        let bad = b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n";
        assert!(what_it_holds(bad, cert).contains("damaged"));
        let crt = b"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
        assert!(
            what_it_holds(crt, "PRIVATE KEY").contains("holds a CERTIFICATE, not a PRIVATE KEY")
        );
    }
}
