//! Byte-level mutations, driven by arbtest's random bytes: start from a seed (or nothing) and
//! flip, insert, delete, duplicate or splice, with tokens that matter to the parser under test.

use arbitrary::{Result, Unstructured};

const YAML: &[&[u8]] = &[
    b"\n",
    b": ",
    b"- ",
    b"  ",
    b"\t",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"!!binary ",
    b"!!str ",
    b"!tag ",
    b"? ",
    b"|",
    b">-",
    b"'",
    b"\"",
    b"\\u202e",
    b"#",
    b"---",
    b"...",
    b"~",
    b"null",
    b"yes",
    b"0x1F",
    b"1e999",
    b"%YAML 1.1\n",
    b"name: ",
    b"users:",
    b"contexts:",
    b"clusters:",
    b"current-context: ",
    b"user:",
    b"context:",
    b"cluster:",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\x00",
    b"\r\n",
];

const PEM: &[&[u8]] = &[
    b"-----BEGIN CERTIFICATE-----\n",
    b"-----END CERTIFICATE-----\n",
    b"-----BEGIN CERTIFICATE REQUEST-----\n",
    b"-----END CERTIFICATE REQUEST-----\n",
    b"-----BEGIN PRIVATE KEY-----\n",
    b"-----END PRIVATE KEY-----\n",
    b"-----BEGIN EC PRIVATE KEY-----\n",
    b"-----BEGIN RSA PRIVATE KEY-----\n",
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
    b"Proc-Type: 4,ENCRYPTED\n",
    b"=",
    b"==",
    b"\n",
    b"\x30\x82",
    b"\x30\x80",
    b"\x02\x01\x00",
    b"\x06\x03\x55\x1d\x13",
    b"\xff\xff\xff\xff",
];

pub fn dictionary(target: &str) -> &'static [&'static [u8]] {
    match target {
        "pem" => PEM,
        _ => YAML,
    }
}

pub fn mutate(u: &mut Unstructured<'_>, seeds: &[Vec<u8>], words: &[&[u8]]) -> Result<Vec<u8>> {
    let mut data = u.choose(seeds)?.clone();
    let rounds = u.int_in_range(1..=8)?;
    for _ in 0..rounds {
        let at = if data.is_empty() {
            0
        } else {
            u.choose_index(data.len() + 1)?
        };
        match u.int_in_range(0..=6)? {
            0 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                data[i] ^= 1 << u.int_in_range(0..=7)?;
            }
            1 => {
                let word = u.choose(words)?;
                data.splice(at..at, word.iter().copied());
            }
            2 if !data.is_empty() => {
                let end = (at + u.int_in_range(1..=64)?).min(data.len());
                data.drain(at.min(end)..end);
            }
            3 if !data.is_empty() => {
                let start = u.choose_index(data.len())?;
                let end = (start + u.int_in_range(1..=256)?).min(data.len());
                let piece = data[start..end].to_vec();
                data.splice(at..at, piece);
            }
            4 => {
                let other = u.choose(seeds)?;
                if !other.is_empty() {
                    let start = u.choose_index(other.len())?;
                    let end = (start + u.int_in_range(1..=512)?).min(other.len());
                    data.splice(at..at, other[start..end].iter().copied());
                }
            }
            5 => {
                let bytes: Vec<u8> = (0..u.int_in_range(1..=16)?)
                    .map(|_| u.arbitrary::<u8>())
                    .collect::<Result<_>>()?;
                data.splice(at..at, bytes);
            }
            _ => data.truncate(at),
        }
    }
    Ok(data)
}
