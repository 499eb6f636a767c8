//! Transports: newline-delimited JSON on stdio, and streamable HTTP.

pub mod http;
pub mod stdio;
mod wire_log;

pub use wire_log::WireLog;
