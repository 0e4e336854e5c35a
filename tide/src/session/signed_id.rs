//! Session ids and their signed cookie form: `ID.MAC`, where `ID` is 32 random bytes and
//! `MAC` their HMAC-SHA256 under the app's secret, both base64url without padding. A cookie
//! whose MAC does not verify (tampered, forged, signed with another key) names no session.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Random bytes in a session id.
const ID_BYTES: usize = 32;

/// Shortest secret accepted: as many bytes as the MAC.
pub(crate) const MIN_SECRET_BYTES: usize = 32;

/// A fresh session id, from the operating system's random source.
pub(crate) fn new_id() -> String {
    let mut bytes = [0u8; ID_BYTES];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs session ids and checks signed ones.
#[derive(Clone)]
pub(crate) struct Signer {
    key: Hmac<Sha256>,
}

impl Signer {
    pub(crate) fn new(secret: &[u8]) -> Signer {
        Signer {
            key: Hmac::new_from_slice(secret).expect("HMAC takes a key of any length"),
        }
    }

    /// `id` in its cookie form.
    pub(crate) fn sign(&self, id: &str) -> String {
        let mut mac = self.key.clone();
        mac.update(id.as_bytes());
        format!(
            "{id}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    /// The id in a cookie value, if its signature verifies (compared in constant time).
    pub(crate) fn verify<'v>(&self, value: &'v str) -> Option<&'v str> {
        let (id, signature) = value.split_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = self.key.clone();
        mac.update(id.as_bytes());
        mac.verify_slice(&signature).ok()?;
        Some(id)
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_id_verifies_and_any_change_does_not() {
        let signer = Signer::new(&[7; 32]);
        let id = new_id();
        assert_eq!(id.len(), 43);
        assert_ne!(id, new_id());
        let signed = signer.sign(&id);
        assert_eq!(signer.verify(&signed), Some(id.as_str()));
        // Each byte changed, dropped or added breaks it.
        for at in 0..signed.len() {
            let mut bytes = signed.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            assert_eq!(signer.verify(&tampered), None, "{tampered}");
        }
        assert_eq!(signer.verify(&signed[..signed.len() - 1]), None);
        assert_eq!(signer.verify(&format!("{signed}A")), None);
        assert_eq!(signer.verify(&id), None);
        assert_eq!(signer.verify(""), None);
        // Another key's signature.
        assert_eq!(Signer::new(&[8; 32]).verify(&signed), None);
    }
}
