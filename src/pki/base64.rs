//! Standard base64 (RFC 4648, with padding), decoded in Rust: for the PEM bodies `list` reads by
//! the thousand, where a call into OpenSSL per line costs more than the decoding itself.

/// The bytes of `text`, ignoring ASCII whitespace (PEM wraps lines); `None` for any other
/// character outside the alphabet, missing or misplaced padding, or a dangling character.
pub(super) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut quad = [0u8; 4];
    let mut filled = 0;
    let mut padding = 0;
    for &c in text {
        if c.is_ascii_whitespace() {
            continue;
        }
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' if filled >= 2 => {
                padding += 1;
                0
            }
            _ => return None,
        };
        if padding > 0 && c != b'=' {
            return None; // data after padding
        }
        quad[filled] = value;
        filled += 1;
        if filled == 4 {
            let n = (u32::from(quad[0]) << 18)
                | (u32::from(quad[1]) << 12)
                | (u32::from(quad[2]) << 6)
                | u32::from(quad[3]);
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - padding]);
            filled = 0;
            if padding > 0 {
                padding = 3; // closed: any further character is refused above
            }
        }
    }
    (filled == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_openssl_and_refuses_what_it_refuses() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = openssl::base64::encode_block(&bytes);
            assert_eq!(
                decode(text.as_bytes()).as_deref(),
                Some(&bytes[..]),
                "{text}"
            );
            let wrapped: String = text
                .as_bytes()
                .chunks(5)
                .map(|c| String::from_utf8_lossy(c) + "\n")
                .collect();
            assert_eq!(decode(wrapped.as_bytes()).as_deref(), Some(&bytes[..]));
        }
        for bad in [
            "QQ", "QQ=", "Q===", "QQ==QQ==", "QQ==Q", "QU*D", "=QUJ", "QUJD=",
        ] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad}");
        }
    }
}
