//! Which client capabilities a request may use: declared in `initialize` (legacy) or on the
//! request itself (2026-07-28). Both the legacy asker and the input-required rounds read it.

use crate::protocol::ClientCapabilities;

/// Which client capabilities the server acts on were declared: all it needs to know, without
/// keeping the objects the client sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Declared {
    pub sampling: bool,
    pub elicitation: bool,
    pub roots: bool,
    /// The tasks extension (`extensions["io.modelcontextprotocol/tasks"]`).
    pub tasks: bool,
}

impl Declared {
    /// From capabilities a legacy client sent in `initialize`.
    pub(crate) fn from_capabilities(capabilities: &ClientCapabilities) -> Self {
        Self {
            sampling: capabilities.sampling.is_some(),
            elicitation: capabilities.elicitation.is_some(),
            roots: capabilities.roots.is_some(),
            tasks: capabilities
                .extensions
                .as_ref()
                .is_some_and(|e| e.contains_key(super::tasks::EXTENSION)),
        }
    }

    /// Whether `capability` (`sampling`, `elicitation`, `roots`) was declared.
    pub(crate) fn supports(self, capability: &str) -> bool {
        match capability {
            "sampling" => self.sampling,
            "elicitation" => self.elicitation,
            "roots" => self.roots,
            _ => true,
        }
    }
}
