//! The wire model: JSON-RPC envelope, MCP types, revisions and error codes. No I/O here.

pub mod error;
pub mod jsonrpc;
pub mod types;
pub mod version;

pub use error::{ErrorObject, code};
pub use jsonrpc::{Incoming, InvalidMessage, RequestId};
pub use types::*;
pub use version::{Era, ProtocolVersion, SUPPORTED_VERSIONS};
