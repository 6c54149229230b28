//! A small, strict DER reader: tag, length, body, nothing more. Enough to walk a certificate's
//! structure and read its names and dates without OpenSSL 3's decoder machinery, which costs
//! about a millisecond per certificate (`list` over 1,000 users spent most of its time there).
//!
//! Strict on purpose: indefinite lengths (BER), non-minimal lengths, high tag numbers and
//! truncation are all `None`, so a caller can fall back to OpenSSL for anything unusual instead
//! of guessing. It never panics, whatever the bytes (see the fuzz tests).

pub(super) const BOOLEAN: u8 = 0x01;
pub(super) const INTEGER: u8 = 0x02;
pub(super) const BIT_STRING: u8 = 0x03;
pub(super) const OCTET_STRING: u8 = 0x04;
pub(super) const OID: u8 = 0x06;
pub(super) const UTF8_STRING: u8 = 0x0c;
pub(super) const PRINTABLE_STRING: u8 = 0x13;
pub(super) const IA5_STRING: u8 = 0x16;
pub(super) const UTC_TIME: u8 = 0x17;
pub(super) const GENERALIZED_TIME: u8 = 0x18;
pub(super) const SEQUENCE: u8 = 0x30;
pub(super) const SET: u8 = 0x31;
/// `[0] EXPLICIT`, as the certificate's version is written.
pub(super) const CONTEXT_0: u8 = 0xa0;

/// One element: its tag byte and its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Tlv<'a> {
    pub tag: u8,
    pub body: &'a [u8],
}

/// The elements of one level, in order.
#[derive(Clone, Copy, Debug)]
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element, or `None` at the end or at anything that is not well-formed DER.
    pub fn next_tlv(&mut self) -> Option<Tlv<'a>> {
        let (&tag, rest) = self.rest.split_first()?;
        if tag & 0x1f == 0x1f {
            return None; // a high tag number: nothing we read uses one
        }
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return None; // indefinite (BER), or longer than any certificate
            }
            let (bytes, after) = rest.split_at_checked(count)?;
            if bytes[0] == 0 {
                return None; // DER: no leading zero bytes
            }
            let len = bytes
                .iter()
                .fold(0usize, |len, &b| (len << 8) | usize::from(b));
            if len < 0x80 {
                return None; // DER: the short form when it fits
            }
            rest = after;
            len
        };
        let (body, after) = rest.split_at_checked(len)?;
        self.rest = after;
        Some(Tlv { tag, body })
    }

    /// The next element with its tag and length bytes too: what a hash of the element covers.
    pub fn next_whole(&mut self) -> Option<(Tlv<'a>, &'a [u8])> {
        let before = self.rest;
        let tlv = self.next_tlv()?;
        Some((tlv, &before[..before.len() - self.rest.len()]))
    }

    /// The next element's body if it has this tag.
    pub fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        let tlv = self.next_tlv()?;
        (tlv.tag == tag).then_some(tlv.body)
    }
}

/// One element's DER: the tag, the length in its shortest form, the body. The inverse of
/// [`Reader::next_whole`], for the few elements we write ourselves.
pub(super) fn element(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = header(tag, body.len());
    out.extend_from_slice(body);
    out
}

/// The tag and the length of an element of `length` bytes, in the shortest form.
pub(super) fn header(tag: u8, length: usize) -> Vec<u8> {
    let mut out = vec![tag];
    match u32::try_from(length) {
        Ok(len @ 0..0x80) => out.push(len as u8),
        _ => {
            let len = length.to_be_bytes();
            let significant = &len[len.iter().take_while(|&&b| b == 0).count()..];
            out.push(0x80 | significant.len() as u8);
            out.extend_from_slice(significant);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths_and_refuses_what_der_forbids() {
        let mut r = Reader::new(&[0x02, 0x01, 0x05, 0x04, 0x81, 0x80]);
        assert_eq!(
            r.next_tlv(),
            Some(Tlv {
                tag: 0x02,
                body: &[5]
            })
        );
        assert_eq!(r.next_tlv(), None, "long form promises 128 bytes, has none");

        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        let mut r = Reader::new(&long);
        assert_eq!(r.next_tlv().unwrap().body.len(), 0x80);
        assert!(r.is_empty());

        for bad in [
            &[0x30, 0x80, 0x00, 0x00][..],      // indefinite length
            &[0x04, 0x81, 0x05, 1, 2, 3, 4, 5], // long form for a short length
            &[0x04, 0x82, 0x00, 0x80],          // leading zero in the length
            &[0x1f, 0x01, 0x00],                // high tag number
            &[0x30],                            // no length
            &[0x30, 0x85, 1, 1, 1, 1, 1],       // five length bytes
        ] {
            assert_eq!(Reader::new(bad).next_tlv(), None, "{bad:02x?}");
        }
        assert_eq!(Reader::new(&[0x30, 0x00]).expect(SET), None);
        let mut r = Reader::new(&[0x30, 0x01, 0x05, 0x02, 0x00]);
        let (tlv, whole) = r.next_whole().unwrap();
        assert_eq!((tlv.body, whole), (&[5][..], &[0x30, 0x01, 0x05][..]));
        assert_eq!(r.next_whole().unwrap().1, &[0x02, 0x00]);
        assert_eq!(Reader::new(&[0x30, 0x00]).expect(SEQUENCE), Some(&[][..]));
    }

    #[test]
    fn written_elements_read_back_whole_in_the_shortest_form() {
        for len in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0x1_0000] {
            let body = vec![0x5a; len];
            let written = element(OCTET_STRING, &body);
            let mut r = Reader::new(&written);
            let (tlv, whole) = r.next_whole().expect("our own DER reads back");
            assert_eq!(
                (tlv.tag, tlv.body, whole),
                (OCTET_STRING, &body[..], &written[..])
            );
            assert!(r.is_empty());
        }
        assert_eq!(element(SEQUENCE, &[1, 2]), [0x30, 2, 1, 2]);
        assert_eq!(element(SEQUENCE, &[0; 0x80])[..3], [0x30, 0x81, 0x80]);
    }
}
