//! How results are written in the shape of each revision, and how a call that ended early (for
//! input, for a capability, or cancelled) is answered.

use serde::Serialize;

use super::dispatch::respond;
use super::reply::{Encoded, Fault};
use super::rounds::Outcome;
use crate::protocol::jsonrpc::{self, RequestId};
use crate::protocol::{
    CacheScope, CallToolResult, Era, ErrorObject, Modern, ProtocolVersion, code,
};

/// The error code of a request the client cancelled (as JSON-RPC peers such as LSP use it).
const REQUEST_CANCELLED: i32 = -32800;

/// How a 2026-07-28 result may be cached.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cache {
    /// Not a cacheable result.
    None,
    /// Cacheable only by the caller, and not for long: resource contents may change.
    Private,
}

/// Writes a result in the shape of the revision: 2026-07-28 adds `resultType`, and the caching
/// fields where the result is cacheable.
pub(crate) fn write_result<T: Serialize>(
    buf: &mut Vec<u8>,
    result: &T,
    version: ProtocolVersion,
    cache: Cache,
) {
    let written = match (version.era(), cache) {
        (Era::Legacy, _) => serde_json::to_writer(buf, result),
        (Era::Modern, Cache::None) => serde_json::to_writer(buf, &Modern::complete(result)),
        (Era::Modern, Cache::Private) => {
            serde_json::to_writer(buf, &Modern::cacheable(result, 0, CacheScope::Private))
        }
    };
    written.expect("results serialize");
}

/// Writes a tool result in the shape of the revision: no structured content before 2025-06-18.
pub(crate) fn write_call_result(
    buf: &mut Vec<u8>,
    result: &CallToolResult,
    version: ProtocolVersion,
) {
    let written = match version.era() {
        Era::Modern => serde_json::to_writer(buf, &Modern::complete(result)),
        Era::Legacy if !version.has_structured_output() && result.structured_content.is_some() => {
            serde_json::to_writer(
                buf,
                &CallToolResult {
                    structured_content: None,
                    ..result.clone()
                },
            )
        }
        Era::Legacy => serde_json::to_writer(buf, result),
    };
    written.expect("tool results serialize");
}

/// The response for how a tool call ended.
pub(crate) fn encode_call(
    id: &RequestId,
    version: ProtocolVersion,
    outcome: &Outcome<CallToolResult>,
) -> Encoded {
    match outcome {
        Outcome::Done(result) => (
            None,
            respond(id, |buf| write_call_result(buf, result, version)),
        ),
        other => encode_interrupted(id, other),
    }
}

/// The response of a call that ended for want of input or of a capability, or was cancelled.
pub(crate) fn encode_interrupted<T>(id: &RequestId, outcome: &Outcome<T>) -> Encoded {
    match outcome {
        Outcome::InputRequired(requests, state) => {
            let result = serde_json::json!({
                "resultType": "input_required",
                "inputRequests": requests,
                "requestState": state,
            });
            (
                None,
                respond(id, |buf| {
                    serde_json::to_writer(buf, &result).expect("results serialize")
                }),
            )
        }
        Outcome::MissingCapability(capability) => {
            let e = ErrorObject::new(
                code::MISSING_REQUIRED_CLIENT_CAPABILITY,
                format!("this request needs the client capability `{capability}`"),
            )
            .with_data(serde_json::json!({ "requiredCapabilities": { *capability: {} } }));
            (Some(Fault::Invalid), jsonrpc::error_response(Some(id), &e))
        }
        Outcome::Cancelled => {
            let e = ErrorObject::new(REQUEST_CANCELLED, "the client cancelled this request");
            (None, jsonrpc::error_response(Some(id), &e))
        }
        Outcome::DuplicateId => {
            let e = ErrorObject::invalid_request(format!(
                "request id {id} is already in use on this session"
            ));
            (Some(Fault::Invalid), jsonrpc::error_response(Some(id), &e))
        }
        Outcome::Done(_) => unreachable!("completed calls are answered by their own writer"),
    }
}
