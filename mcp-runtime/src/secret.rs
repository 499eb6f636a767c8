//! The deployment secret: one value from which every key the runtime seals or tags with is
//! derived, so that processes that share it (a restarted server, the replicas behind a load
//! balancer) accept what each other issued: `requestState` values and session ids.
//!
//! Where the secret comes from, in order: `MCP_STATE_KEY` when it is set and not empty (the
//! operator shares it); else the one a shared session store holds (created once by whichever
//! process came first, and [adopted](adopt) by every process at start-up, before any key is
//! derived); else 32 random bytes made when first needed, which nothing outside this process
//! can verify.

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
    /// Created once and kept in the shared session store: the same in every process that uses
    /// the store.
    Store,
    /// Random, made by this process: nothing it sealed or issued survives a restart.
    Process,
}

struct Secret {
    bytes: Vec<u8>,
    origin: Origin,
}

static SECRET: OnceLock<Secret> = OnceLock::new();

fn operator_secret() -> Option<Secret> {
    let text = std::env::var(ENV).ok().filter(|t| !t.is_empty())?;
    Some(Secret {
        bytes: text.into_bytes(),
        origin: Origin::Operator,
    })
}

/// Takes the secret a shared store holds, unless the operator set one. Call it before any key
/// is derived; `false` when it came too late (or the operator's secret wins), which the caller
/// reports.
pub(crate) fn adopt(bytes: Vec<u8>) -> bool {
    if operator_secret().is_some() {
        return false;
    }
    SECRET
        .set(Secret {
            bytes,
            origin: Origin::Store,
        })
        .is_ok()
}

fn secret() -> &'static Secret {
    SECRET.get_or_init(|| {
        if let Some(secret) = operator_secret() {
            return secret;
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
