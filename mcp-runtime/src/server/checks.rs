//! The checks a 2026-07-28 request passes before it is served: its `_meta`, and on HTTP the
//! headers that must agree with its body, in the order the spec's probes expect.

use std::borrow::Cow;
use std::collections::HashMap;

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
    if let (Some(_), Some(h), Some(None)) = (meta, headers, header) {
        return Err(absent(
            h,
            "MCP-Protocol-Version",
            "the `MCP-Protocol-Version` header is required with `_meta`".into(),
        ));
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
        None => {
            let required = "the `Mcp-Method` header is required".into();
            return Err(absent(headers, "Mcp-Method", required));
        }
        Some(h) if h != method => {
            return mismatch(format!(
                "the `Mcp-Method` header ({h}) does not match the body's method ({method})"
            ));
        }
        Some(_) => {}
    }
    match (params.header_name(method), headers.name) {
        (Some(_), None) => {
            let required = format!("the `Mcp-Name` header is required for `{method}`");
            Err(absent(headers, "Mcp-Name", required))
        }
        (Some(body), Some(h)) if h != body => mismatch(format!(
            "the `Mcp-Name` header ({h}) does not match the body ({body})"
        )),
        _ => Ok(()),
    }
}

/// The error for a header the view does not have: `required` when it was not sent; sent with
/// bytes that are not visible ASCII (which the view leaves out), it says so instead.
fn absent(headers: &HeaderView<'_>, name: &str, required: String) -> Failure {
    let what = match headers.all.value(&name.to_ascii_lowercase()) {
        Some(Err(())) => format!("the `{name}` header is not visible ASCII"),
        _ => required,
    };
    Failure::bad_request(ErrorObject::header_mismatch(what))
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
    // Only the top-level keys, with values left raw: whatever the values hold (numbers out of
    // range, deep nesting), the keys are read and the check holds.
    let arguments: HashMap<Cow<'_, str>, &RawValue> = match arguments {
        Some(a) => serde_json::from_str(a.get()).map_err(|_| {
            Failure::bad_request(ErrorObject::invalid_params("`arguments` must be an object"))
        })?,
        None => HashMap::new(),
    };
    for (param, name) in mirrored {
        let header = format!("mcp-param-{}", name.to_ascii_lowercase());
        let body = arguments.get(*param).filter(|v| v.get() != "null");
        let value = headers.all.value(&header).map(|v| v.map(str::trim));
        let expected = body.map(|v| header_text(v));
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

/// What a header mirroring `value` carries: a string's text, or any other value's JSON.
fn header_text(value: &RawValue) -> String {
    if let Ok(text) = serde_json::from_str::<Cow<'_, str>>(value.get()) {
        return text.into_owned();
    }
    // Numbers as serde_json writes them (`1e2` is `100.0`); text serde_json cannot represent
    // (`1e400`) stays as sent, which no header mirrors.
    serde_json::from_str::<serde_json::Value>(value.get())
        .map_or_else(|_| value.get().to_owned(), |v| v.to_string())
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
