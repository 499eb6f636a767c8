//! The checks a 2026-07-28 request passes before it is served: its `_meta`, and on HTTP the
//! headers that must agree with its body, in the order the spec's probes expect.

use serde_json::json;
use serde_json::value::RawValue;

use super::params::{MetaView, Params};
use super::reply::Failure;
use super::request::HeaderView;
use crate::protocol::base64::base64_decode;
use crate::protocol::{Era, ErrorObject, ProtocolVersion, SUPPORTED_VERSIONS, code};

/// Checks a request's `_meta` against its header and returns the revision it speaks.
/// `headers` is `None` on stdio, which has none.
pub(crate) fn check_meta(
    meta: Option<&MetaView<'_>>,
    headers: Option<&HeaderView<'_>>,
) -> Result<ProtocolVersion, Failure> {
    let header = headers.map(|h| h.protocol_version);
    if let (Some(_), Some(None)) = (meta, header) {
        return Err(Failure::bad_request(ErrorObject::header_mismatch(
            "the `MCP-Protocol-Version` header is required with `_meta`",
        )));
    }
    let requested = meta
        .filter(|m| m.client_capabilities.is_some())
        .and_then(|m| m.protocol_version.as_deref())
        .ok_or_else(|| {
            Failure::bad_request(ErrorObject::invalid_params(
                "`params._meta` must carry `io.modelcontextprotocol/protocolVersion` and `io.modelcontextprotocol/clientCapabilities`",
            ))
        })?;
    if let Some(Some(header)) = header
        && header != requested
    {
        return Err(Failure::bad_request(ErrorObject::header_mismatch(format!(
            "the `MCP-Protocol-Version` header ({header}) does not match `_meta` ({requested})"
        ))));
    }
    match ProtocolVersion::parse(requested).filter(|v| v.era() == Era::Modern) {
        Some(v) => Ok(v),
        None => Err(Failure::bad_request(
            ErrorObject::new(
                code::UNSUPPORTED_PROTOCOL_VERSION,
                format!("unsupported protocol version: {requested}"),
            )
            .with_data(json!({ "supported": SUPPORTED_VERSIONS, "requested": requested })),
        )),
    }
}

/// `Mcp-Method` must equal the body's method, and `Mcp-Name` the name it acts on.
pub(crate) fn check_headers(
    headers: &HeaderView<'_>,
    method: &str,
    params: &Params<'_>,
) -> Result<(), Failure> {
    let mismatch = |what: String| Err(Failure::bad_request(ErrorObject::header_mismatch(what)));
    match headers.method {
        None => return mismatch("the `Mcp-Method` header is required".into()),
        Some(h) if h != method => {
            return mismatch(format!(
                "the `Mcp-Method` header ({h}) does not match the body's method ({method})"
            ));
        }
        Some(_) => {}
    }
    match (params.header_name(method), headers.name) {
        (Some(_), None) => mismatch(format!("the `Mcp-Name` header is required for `{method}`")),
        (Some(body), Some(h)) if h != body => mismatch(format!(
            "the `Mcp-Name` header ({h}) does not match the body ({body})"
        )),
        _ => Ok(()),
    }
}

/// A parameter mirrored in `Mcp-Param-{Name}` must be there whenever the arguments carry it,
/// and say the same (literally, or as `=?base64?...?=`).
pub(crate) fn check_param_headers(
    headers: &HeaderView<'_>,
    mirrored: &[(&str, &str)],
    arguments: Option<&RawValue>,
) -> Result<(), Failure> {
    if mirrored.is_empty() {
        return Ok(());
    }
    let mismatch = |what: String| Err(Failure::bad_request(ErrorObject::header_mismatch(what)));
    let arguments: serde_json::Map<String, serde_json::Value> = arguments
        .and_then(|a| serde_json::from_str(a.get()).ok())
        .unwrap_or_default();
    for (param, name) in mirrored {
        let header = format!("mcp-param-{}", name.to_ascii_lowercase());
        let body = arguments.get(*param).filter(|v| !v.is_null());
        let value = headers.all.value(&header).map(|v| v.map(str::trim));
        let expected = body.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
        match (value, expected) {
            (None, None) => {}
            (None, Some(_)) => {
                return mismatch(format!(
                    "the `Mcp-Param-{name}` header is required: the arguments carry `{param}`"
                ));
            }
            (Some(Err(())), _) => {
                return mismatch(format!(
                    "the `Mcp-Param-{name}` header is not visible ASCII"
                ));
            }
            (Some(Ok(raw)), expected) => {
                let decoded = decode_param_header(raw).ok_or_else(|| {
                    Failure::bad_request(ErrorObject::header_mismatch(format!(
                        "the `Mcp-Param-{name}` header is not valid `=?base64?...?=`"
                    )))
                })?;
                if expected.as_deref() != Some(decoded.as_str()) {
                    return mismatch(format!(
                        "the `Mcp-Param-{name}` header does not match the argument `{param}`"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A header value: `=?base64?...?=` decodes (strictly) to UTF-8; anything else is literal.
fn decode_param_header(raw: &str) -> Option<String> {
    match raw
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(encoded) => String::from_utf8(base64_decode(encoded)?).ok(),
        None => Some(raw.to_owned()),
    }
}
