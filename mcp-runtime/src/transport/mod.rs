//! Transports: newline-delimited JSON on stdio, and streamable HTTP.

pub(crate) mod http;
pub(crate) mod stdio;
mod wire_log;

pub(crate) use wire_log::WireLog;
