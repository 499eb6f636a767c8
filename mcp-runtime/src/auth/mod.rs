//! Who is calling. Authentication runs in front of MCP, as a tower layer that puts a
//! [`Principal`] into the request's extensions; sessions are bound to it, and the
//! re-initialization policy sees it.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::Response;
use futures_util::future::{Either, Ready, ready};

use crate::protocol::{ErrorObject, jsonrpc};

/// An authenticated caller's identity. Any layer may insert one into a request's extensions.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Principal(Arc<str>);

impl Principal {
    /// A principal with this identity.
    pub fn new(identity: impl Into<Arc<str>>) -> Self {
        Self(identity.into())
    }

    /// The identity.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Principal({:?})", &*self.0)
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Static API keys, sent as `Authorization: Bearer <key>`: a tower layer. Each key is `name=secret` or a bare
/// `secret`; a bare secret's principal is `key-` plus a fingerprint of it, so that the secret
/// itself is never stored with a session.
#[derive(Clone)]
pub struct ApiKeys {
    keys: Arc<[(Box<[u8]>, Principal)]>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|(_, p)| p))
            .finish()
    }
}

impl ApiKeys {
    /// Keys from a comma-separated list; empty entries are skipped.
    pub fn parse(list: &str) -> Self {
        let keys = list
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|entry| match entry.split_once('=') {
                Some((name, secret)) => (secret.as_bytes().into(), Principal::new(name)),
                None => (
                    entry.as_bytes().into(),
                    Principal::new(format!("key-{}", fingerprint(entry))),
                ),
            })
            .collect();
        Self { keys }
    }

    /// Keys from an environment variable (none when it is unset).
    pub fn from_env(var: &str) -> Self {
        Self::parse(&std::env::var(var).unwrap_or_default())
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none (every request is then refused).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The principal of the bearer key in `headers`, if it is one of ours.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<Principal> {
        let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let token = token.trim().as_bytes();
        // Compare against every key in constant time per key, so timing says nothing.
        let mut found = None;
        for (secret, principal) in self.keys.iter() {
            if constant_time_eq(secret, token) {
                found = Some(principal.clone());
            }
        }
        found
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// FNV-1a: stable across processes and releases, which a principal must be.
fn fingerprint(secret: &str) -> String {
    let hash = secret.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// As a tower layer, `ApiKeys` refuses requests without a valid key (401) and inserts the
/// key's [`Principal`] into the others.
impl<S> tower::Layer<S> for ApiKeys {
    type Service = ApiKeyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ApiKeyService {
            inner,
            keys: self.clone(),
        }
    }
}

/// The service [`ApiKeys`] wraps around the MCP router: named by the `Layer` impl, never by
/// users, so it stays out of the docs.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct ApiKeyService<S> {
    inner: S,
    keys: ApiKeys,
}

impl<S, B> tower::Service<Request<B>> for ApiKeyService<S>
where
    S: tower::Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        match self.keys.authenticate(req.headers()) {
            Some(principal) => {
                req.extensions_mut().insert(principal);
                Either::Right(self.inner.call(req))
            }
            None => Either::Left(ready(Ok(unauthorized()))),
        }
    }
}

fn unauthorized() -> Response {
    let e = ErrorObject::invalid_request(
        "authentication required: send `Authorization: Bearer <key>` with a valid key",
    );
    let mut res = Response::new(Body::from(jsonrpc::error_response(None, &e)));
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res.headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        h
    }

    #[test]
    fn keys_map_to_principals() {
        let keys = ApiKeys::parse("alice=s3cret, k2 ,,");
        assert_eq!(keys.len(), 2);
        assert_eq!(
            keys.authenticate(&bearer("s3cret")),
            Some(Principal::new("alice"))
        );
        let p = keys.authenticate(&bearer("k2")).unwrap();
        assert!(p.as_str().starts_with("key-") && !p.as_str().contains("k2"));
        assert_eq!(
            keys.authenticate(&bearer("k2")),
            Some(p),
            "fingerprints are stable"
        );
        assert_eq!(keys.authenticate(&bearer("nope")), None);
        assert_eq!(keys.authenticate(&HeaderMap::new()), None);
        let mut basic = HeaderMap::new();
        basic.insert(AUTHORIZATION, HeaderValue::from_static("Basic czNjcmV0"));
        assert_eq!(keys.authenticate(&basic), None);
    }
}
