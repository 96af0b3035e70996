//! Check-in tickets (入场凭证): the code a member's phone shows as a QR code at the
//! door. It holds the registration's number, the activity's and the places, signed with
//! the server's Ed25519 key, so that a phone at the door checks it offline with the
//! public key alone (as pretix's signed tickets do). It holds no name or phone: a
//! photographed code tells nothing about the person.
//!
//! The text: `TX1.` then base64url (no padding) of 81 bytes: version (1), registration
//! (8, big-endian), activity (8), places (1), and the Ed25519 signature (64) of the 18
//! bytes before it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};

const PREFIX: &str = "TX1.";
const VERSION: u8 = 1;
const SIGNED: usize = 18;
const LENGTH: usize = SIGNED + 64;
/// Longest text read as a ticket: a typed or scanned code is bounded before decoding.
pub const TICKET_TEXT_MAX: usize = 200;

/// What a ticket says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub registration: i64,
    pub activity: i64,
    pub places: u8,
}

/// Why a code is not a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// Not a ticket of this system (another QR code, a typo).
    #[error("not a ticket")]
    Malformed,
    /// A ticket whose signature does not hold: altered, or signed by another server.
    #[error("the signature does not hold")]
    BadSignature,
}

/// The key tickets are signed with (its public half checks them).
pub type TicketKey = SigningKey;

/// The signing key from its 32 secret bytes.
pub fn signing_key(secret: &[u8; 32]) -> SigningKey {
    SigningKey::from_bytes(secret)
}

/// The public key a door phone checks tickets with, in base64url.
pub fn public_key_text(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())
}

/// The public key from its base64url text.
pub fn public_key(text: &str) -> Result<VerifyingKey, TicketError> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(TicketError::Malformed)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| TicketError::Malformed)
}

impl Ticket {
    fn signed_bytes(&self) -> [u8; SIGNED] {
        let mut b = [0u8; SIGNED];
        b[0] = VERSION;
        b[1..9].copy_from_slice(&self.registration.to_be_bytes());
        b[9..17].copy_from_slice(&self.activity.to_be_bytes());
        b[17] = self.places;
        b
    }

    /// The ticket's text, signed with `key`.
    pub fn sign(&self, key: &SigningKey) -> String {
        let body = self.signed_bytes();
        let signature = key.sign(&body);
        let mut all = Vec::with_capacity(LENGTH);
        all.extend_from_slice(&body);
        all.extend_from_slice(&signature.to_bytes());
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(all))
    }

    /// Reads a ticket's text and checks its signature with `key`. Spaces and line
    /// breaks around the code (a scanner's, a paste's) are ignored.
    pub fn verify(text: &str, key: &VerifyingKey) -> Result<Ticket, TicketError> {
        let text = text.trim();
        if text.len() > TICKET_TEXT_MAX {
            return Err(TicketError::Malformed);
        }
        let encoded = text.strip_prefix(PREFIX).ok_or(TicketError::Malformed)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| TicketError::Malformed)?;
        if bytes.len() != LENGTH || bytes[0] != VERSION {
            return Err(TicketError::Malformed);
        }
        let (body, signature) = bytes.split_at(SIGNED);
        let signature = Signature::from_slice(signature).map_err(|_| TicketError::Malformed)?;
        key.verify(body, &signature).map_err(|_| TicketError::BadSignature)?;
        let number = |at: usize| {
            let mut n = [0u8; 8];
            n.copy_from_slice(&body[at..at + 8]);
            i64::from_be_bytes(n)
        };
        Ok(Ticket {
            registration: number(1),
            activity: number(9),
            places: body[17],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(b: u8) -> SigningKey {
        signing_key(&[b; 32])
    }

    #[test]
    fn a_signed_ticket_reads_back_with_the_public_key_alone() {
        let t = Ticket {
            registration: 4711,
            activity: 17,
            places: 2,
        };
        let text = t.sign(&key(7));
        assert!(text.starts_with("TX1."));
        let public = public_key(&public_key_text(&key(7))).expect("key");
        assert_eq!(Ticket::verify(&format!("  {text}\n"), &public), Ok(t));
    }

    #[test]
    fn another_server_s_ticket_does_not_hold() {
        let t = Ticket {
            registration: 1,
            activity: 1,
            places: 1,
        };
        let other = key(8).verifying_key();
        assert_eq!(Ticket::verify(&t.sign(&key(7)), &other), Err(TicketError::BadSignature));
    }

    #[test]
    fn other_codes_are_not_tickets() {
        let public = key(7).verifying_key();
        for text in ["", "TX1.", "https://example.com/", "TX1.!!!!", &"TX1.".repeat(100)] {
            assert_eq!(Ticket::verify(text, &public), Err(TicketError::Malformed), "{text}");
        }
    }

    proptest! {
        /// Changing any one byte of a ticket (its number, its activity, its places, its
        /// signature) makes it fail: no altered ticket gets in.
        #[test]
        fn any_altered_byte_is_refused(reg in any::<i64>(), act in any::<i64>(), places in 1u8..=10,
                                       at in 0usize..LENGTH, flip in 1u8..=255) {
            let k = key(3);
            let text = Ticket { registration: reg, activity: act, places }.sign(&k);
            let mut bytes = URL_SAFE_NO_PAD.decode(&text[PREFIX.len()..]).expect("b64");
            bytes[at] ^= flip;
            let altered = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
            prop_assert!(Ticket::verify(&altered, &k.verifying_key()).is_err());
        }

        /// Whatever is typed into the scan page, reading it never panics.
        #[test]
        fn any_text_reads_without_panic(text in ".{0,300}") {
            let _ = Ticket::verify(&text, &key(3).verifying_key());
        }
    }
}
