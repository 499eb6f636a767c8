//! Base64 (RFC 4648): standard with padding for binary contents and `Mcp-Param-*` headers,
//! URL-safe without padding for cursors and sealed states.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Strict decoding: only the alphabet's characters, and padding exactly where it belongs
/// (`padded`) or nowhere.
fn decode(text: &str, alphabet: &[u8; 64], padded: bool) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if padded && !bytes.len().is_multiple_of(4) {
        return None;
    }
    let data = if padded {
        text.trim_end_matches('=').as_bytes()
    } else {
        bytes
    };
    if bytes.len() - data.len() > 2 || data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = alphabet.iter().position(|a| a == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        // The bits a short last group does not use must be zero: otherwise several texts
        // decode to the same bytes, and a sealed state could be altered and still verify.
        let unused = 24 - 8 * (chunk.len() as u32 - 1);
        if n & ((1 << unused) - 1) != 0 {
            return None;
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    Some(out)
}

/// Standard base64 with padding, for binary resource contents.
pub(crate) fn base64(bytes: &[u8]) -> String {
    encode(bytes, STANDARD, true)
}

/// Decodes standard, padded base64; `None` when it is not exactly that.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    decode(text, STANDARD, true)
}

/// URL-safe base64 without padding.
pub(crate) fn base64_url(bytes: &[u8]) -> String {
    encode(bytes, URL_SAFE, false)
}

/// Decodes URL-safe base64 without padding.
pub(crate) fn base64_url_decode(text: &str) -> Option<Vec<u8>> {
    decode(text, URL_SAFE, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded).as_deref(), Some(plain.as_bytes()));
            assert_eq!(
                base64_url_decode(&base64_url(plain.as_bytes())).as_deref(),
                Some(plain.as_bytes())
            );
        }
        assert_eq!(base64_decode("SGVsbG8="), Some(b"Hello".to_vec()));
        assert_eq!(base64_decode("SGVsbG8"), None, "missing padding");
        assert_eq!(base64_decode("SGVs!!!bG8="), None, "bad characters");
        assert_eq!(base64_decode("Zh=="), None, "unused bits set");
        assert_eq!(base64_decode("Zm9="), None, "unused bits set");
        assert_eq!(base64_url_decode("Zh"), None, "unused bits set");
        assert_eq!(base64_url_decode("Zm9"), None, "unused bits set");
    }

    use proptest::prelude::*;

    /// Strings of the alphabet with up to three `=`, so that many decode.
    fn base64ish() -> impl Strategy<Value = String> {
        "[A-Za-z0-9+/_-]{0,14}={0,3}"
    }

    proptest! {
        #[test]
        fn encodings_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(base64_decode(&base64(&bytes)), Some(bytes.clone()));
            prop_assert_eq!(base64_url_decode(&base64_url(&bytes)), Some(bytes.clone()));
            prop_assert_eq!(base64(&bytes).len(), bytes.len().div_ceil(3) * 4);
            prop_assert!(!base64_url(&bytes).contains(['=', '+', '/']));
        }

        // Decoding never panics, and accepts only what encoding writes: one text per byte
        // string, so a sealed state or a header cannot be altered without changing its bytes.
        #[test]
        fn decoding_accepts_only_canonical_text(text in prop_oneof![base64ish(), any::<String>()]) {
            if let Some(bytes) = base64_decode(&text) {
                prop_assert_eq!(base64(&bytes), text.clone());
            }
            if let Some(bytes) = base64_url_decode(&text) {
                prop_assert_eq!(base64_url(&bytes), text);
            }
        }
    }
}
