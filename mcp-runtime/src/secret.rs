//! The deployment secret: one value from which every key the runtime seals or tags with is
//! derived, so that processes that share it (a restarted server, the replicas behind a load
//! balancer) accept what each other issued: `requestState` values and session ids.
//!
//! Where the secret comes from, in order: `MCP_STATE_KEY` when it is set and not empty (the
//! operator shares it); otherwise 32 random bytes made when first needed, which nothing
//! outside this process can verify. A secret created once and shared through the session store
//! would be a third source: it has to be in place before the first key is derived, so it
//! belongs in [`secret`] below, chosen before the random fallback.

use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The environment variable that holds an operator-chosen secret.
pub(crate) const ENV: &str = "MCP_STATE_KEY";

/// Where the secret came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `MCP_STATE_KEY`: the same in every process started with it.
    Operator,
    /// Random, made by this process: nothing it sealed or issued survives a restart.
    Process,
}

struct Secret {
    bytes: Vec<u8>,
    origin: Origin,
}

fn secret() -> &'static Secret {
    static SECRET: OnceLock<Secret> = OnceLock::new();
    SECRET.get_or_init(|| {
        if let Ok(text) = std::env::var(ENV)
            && !text.is_empty()
        {
            return Secret {
                bytes: text.into_bytes(),
                origin: Origin::Operator,
            };
        }
        let mut bytes = vec![0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        Secret {
            bytes,
            origin: Origin::Process,
        }
    })
}

/// Where this process's secret came from.
pub(crate) fn origin() -> Origin {
    secret().origin
}

/// A key for one purpose. Keys for different labels are independent: knowing the session-id
/// key tells nothing about the `requestState` key, and neither reveals the secret.
pub(crate) fn derive(label: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret().bytes).expect("HMAC takes any key");
    mac.update(b"mcp-runtime key for ");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_give_independent_stable_keys() {
        assert_eq!(derive("session-id"), derive("session-id"));
        assert_ne!(derive("session-id"), derive("requestState"));
        assert_ne!(derive("session-id"), [0; 32]);
    }
}
