//! DNS-rebinding protection: `Host` and `Origin` must name an allowed host, and fail closed on
//! anything else.

use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::Response;

use super::{HttpOptions, error};
use crate::protocol::ErrorObject;

/// Why a request's `Host` or `Origin` is refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// A request HTTP/1.1 forbids: no `Host`, or several (400).
    Malformed(&'static str),
    /// A name not allowed, or not readable as one (403).
    NotAllowed(String),
}

impl Refusal {
    pub(super) fn into_response(self) -> Response {
        match self {
            Self::Malformed(reason) => error(
                StatusCode::BAD_REQUEST,
                &ErrorObject::invalid_request(reason),
            ),
            Self::NotAllowed(reason) => {
                error(StatusCode::FORBIDDEN, &ErrorObject::invalid_request(reason))
            }
        }
    }
}

/// DNS-rebinding protection: `Host` and `Origin` must name an allowed host. It fails closed:
/// a request without a host to check, with a header that is not visible ASCII, or with
/// several of one header (which a proxy and this check might read differently) is refused.
pub(super) fn check_host_and_origin(
    options: &HttpOptions,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    check_host(&options.allowed_hosts, uri, headers)?;
    check_origin(&options.allowed_origins, headers)
}

/// HTTP/2 and absolute-form requests name their host in the target: each host given must pass.
pub(super) fn check_host(
    allowed: &[String],
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    let host =
        single(headers, HOST).ok_or(Refusal::Malformed("the `Host` header must appear once"))?;
    let target = uri.authority().map(|a| a.as_str());
    if host.is_none() && target.is_none() {
        return Err(Refusal::Malformed("the `Host` header is required"));
    }
    for host in host.map(visible).into_iter().chain(target.map(Some)) {
        let Some(host) = host else {
            return Err(Refusal::NotAllowed(
                "host not allowed: not visible ASCII".into(),
            ));
        };
        if !host_allowed(allowed, host_name(host)) {
            return Err(Refusal::NotAllowed(format!("host not allowed: {host}")));
        }
    }
    Ok(())
}

/// A request without `Origin` (not from a browser) passes.
pub(super) fn check_origin(allowed: &[String], headers: &HeaderMap) -> Result<(), Refusal> {
    let not_allowed = |reason: String| Err(Refusal::NotAllowed(reason));
    let Some(origin) = single(headers, ORIGIN) else {
        return not_allowed("origin not allowed: several `Origin` headers".into());
    };
    let Some(origin) = origin else {
        return Ok(());
    };
    let Some(origin) = visible(origin) else {
        return not_allowed("origin not allowed: not visible ASCII".into());
    };
    if !origin_allowed(allowed, origin) {
        return not_allowed(format!("origin not allowed: {origin}"));
    }
    Ok(())
}

/// The one value of a header (`Some(None)`: absent); `None` when it appears more than once.
pub(super) fn single(headers: &HeaderMap, name: HeaderName) -> Option<Option<&HeaderValue>> {
    let mut values = headers.get_all(name).into_iter();
    let first = values.next();
    values.next().is_none().then_some(first)
}

/// A header's value, trimmed, when it is visible ASCII.
pub(super) fn visible(value: &HeaderValue) -> Option<&str> {
    value.to_str().ok().map(str::trim)
}

/// The host name of a `host[:port]` authority, without brackets around IPv6 addresses.
/// Anything else after a bracketed address leaves the authority whole, so it matches no name.
pub(super) fn host_name(authority: &str) -> &str {
    let is_port = |port: &str| port.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, "")) => host,
            Some((host, port)) if port.strip_prefix(':').is_some_and(is_port) => host,
            _ => authority,
        };
    }
    authority.rsplit_once(':').map_or(
        authority,
        |(h, port)| if is_port(port) { h } else { authority },
    )
}

pub(super) fn host_allowed(allowed: &[String], host: &str) -> bool {
    allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(host))
}

pub(super) fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    let Some((_, authority)) = origin.split_once("://") else {
        return false;
    };
    let host = host_name(authority.trim_end_matches('/'));
    allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin) || a.eq_ignore_ascii_case(host))
}
