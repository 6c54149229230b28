//! Certificate serial numbers, for the CA we create and the certificates we sign.

use openssl::asn1::Asn1Integer;
use openssl::bn::{BigNum, MsbOption};

use super::PkiError;

/// Random bits in a serial. RFC 5280 4.1.2.2: a positive integer of at most 20 octets; the
/// CA/Browser Forum asks for at least 64 bits from a CSPRNG. 128 bits is 17 octets in DER at most
/// (a leading zero when the top bit is set), and a collision is out of reach.
const SERIAL_BITS: i32 = 128;

/// A fresh random serial number, never zero.
pub(crate) fn random_serial() -> Result<Asn1Integer, PkiError> {
    let ssl = || PkiError::ssl("making a serial number");
    let mut serial = BigNum::new().map_err(ssl())?;
    loop {
        serial
            .rand(SERIAL_BITS, MsbOption::MAYBE_ZERO, false)
            .map_err(ssl())?;
        if serial.num_bits() > 0 {
            return serial.to_asn1_integer().map_err(ssl());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_positive_random_and_at_most_20_octets() {
        let serials: Vec<BigNum> = (0..64)
            .map(|_| random_serial().unwrap().to_bn().unwrap())
            .collect();
        for serial in &serials {
            assert!(!serial.is_negative() && serial.num_bits() > 0);
            assert!(serial.num_bits() <= SERIAL_BITS);
            // DER adds a zero octet when the top bit is set: still within RFC 5280's 20.
            assert!(serial.num_bytes() < 20, "{serial}");
        }
        // 64 draws of 128 bits: some reach the full width, and none repeats.
        assert!(serials.iter().any(|s| s.num_bits() > 120));
        let mut unique: Vec<String> = serials.iter().map(|s| s.to_string()).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), serials.len());
    }
}
