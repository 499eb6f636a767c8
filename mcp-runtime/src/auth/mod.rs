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

#[cfg(feature = "oauth")]
mod oauth;
#[cfg(feature = "oauth")]
pub(crate) use oauth::declared_scopes;
#[cfg(feature = "oauth")]
pub use oauth::{OAuth, OAuthBuilder, OAuthError, OAuthService, TokenError};

/// An authenticated caller: who it is (a subject, and the issuer that vouches for it, if any),
/// the OAuth scopes it was granted, and the raw claims of its token. Any layer may insert one
/// into a request's extensions.
///
/// Two principals are the same caller when their issuer and subject are; sessions are bound to
/// that, and [`as_str`](Self::as_str) is its stable text (`issuer#subject`, or the subject
/// alone, with `%` and `#` inside either written `%25` and `%23`, so that no two callers share
/// it). Scopes and claims are the current request's.
///
/// ```
/// use mcp_runtime::Principal;
///
/// let caller = Principal::new("alice")
///     .with_issuer("https://auth.example.com")
///     .with_scopes(["notes:read", "notes:write"]);
/// assert_eq!(caller.subject(), "alice");
/// assert!(caller.has_scope("notes:write"));
/// assert_eq!(caller.as_str(), "https://auth.example.com#alice");
/// assert_eq!(caller, Principal::new("alice").with_issuer("https://auth.example.com"));
/// ```
#[derive(Clone)]
pub struct Principal(Arc<Caller>);

#[derive(Clone)]
struct Caller {
    /// `issuer#subject`, or the subject alone, each escaped: what sessions are bound to.
    key: Box<str>,
    subject: Box<str>,
    issuer: Option<Box<str>>,
    scopes: Box<[Box<str>]>,
    claims: serde_json::Value,
}

impl Principal {
    /// A principal with this identity (its subject), no issuer and no scopes.
    pub fn new(identity: impl Into<Arc<str>>) -> Self {
        let identity: Arc<str> = identity.into();
        Self(Arc::new(Caller {
            key: escape(&identity).into(),
            subject: identity.as_ref().into(),
            issuer: None,
            scopes: Box::default(),
            claims: serde_json::Value::Null,
        }))
    }

    /// The caller whose [`as_str`](Self::as_str) is `key`, as a session record keeps it: it
    /// equals the principal it was taken from (its parts are not recovered).
    pub(crate) fn from_key(key: &str) -> Self {
        Self(Arc::new(Caller {
            key: key.into(),
            subject: key.into(),
            issuer: None,
            scopes: Box::default(),
            claims: serde_json::Value::Null,
        }))
    }

    /// The same caller, vouched for by `issuer` (a token's `iss`).
    pub fn with_issuer(self, issuer: impl Into<Box<str>>) -> Self {
        let issuer: Box<str> = issuer.into();
        self.change(|c| {
            c.key = format!("{}#{}", escape(&issuer), escape(&c.subject)).into();
            c.issuer = Some(issuer);
        })
    }

    /// The same caller, granted `scopes` (a token's `scope`, split at spaces).
    pub fn with_scopes<S: Into<Box<str>>>(self, scopes: impl IntoIterator<Item = S>) -> Self {
        let scopes = scopes.into_iter().map(Into::into).collect();
        self.change(|c| c.scopes = scopes)
    }

    /// The same caller, with its token's claims.
    pub fn with_claims(self, claims: serde_json::Value) -> Self {
        self.change(|c| c.claims = claims)
    }

    fn change(self, f: impl FnOnce(&mut Caller)) -> Self {
        let mut caller = Arc::unwrap_or_clone(self.0);
        f(&mut caller);
        Self(Arc::new(caller))
    }

    /// The stable identity sessions are bound to: `issuer#subject`, or the subject alone (`%`
    /// and `#` inside them escaped).
    pub fn as_str(&self) -> &str {
        &self.0.key
    }

    /// Who the caller is (a token's `sub`, an API key's name).
    pub fn subject(&self) -> &str {
        &self.0.subject
    }

    /// Who vouches for it (a token's `iss`), if anyone.
    pub fn issuer(&self) -> Option<&str> {
        self.0.issuer.as_deref()
    }

    /// The OAuth scopes it was granted.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.0.scopes.iter().map(|s| &**s)
    }

    /// Whether it was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    /// Its token's claims (`null` when it had none, as with an API key).
    pub fn claims(&self) -> &serde_json::Value {
        &self.0.claims
    }
}

impl PartialEq for Principal {
    fn eq(&self, other: &Self) -> bool {
        self.0.key == other.0.key
    }
}

impl Eq for Principal {}

impl std::hash::Hash for Principal {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.key.hash(state);
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Principal({:?})", &*self.0.key)
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.key)
    }
}

/// Static API keys, sent as `Authorization: Bearer <key>`: a tower layer. Each key is
/// `name=secret`, `name(scope scope..)=secret` (a caller granted those OAuth scopes, for tools
/// declared with `#[tool(scopes = [..])]`), or a bare `secret`; a bare secret's principal is
/// `key-` plus a fingerprint of it, so that the secret itself is never stored with a session.
/// An entry is split at its first `=`, unless that leaves no name, or a secret that is empty or
/// starts with `=`: then the whole entry is a bare secret, so a base64 secret's padding
/// (`…=`, `…==`) is never read as a name and an empty or `=` secret.
///
/// ```
/// use mcp_runtime::auth::ApiKeys;
///
/// let keys = ApiKeys::parse("alice(notes:read notes:write)=k1,bob=k2");
/// let mut headers = axum::http::HeaderMap::new();
/// headers.insert("authorization", "Bearer k1".parse().unwrap());
/// let alice = keys.authenticate(&headers).unwrap();
/// assert_eq!(alice.subject(), "alice");
/// assert!(alice.has_scope("notes:write"));
/// ```
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
                // A base64 secret's padding is not a name's `=`: `abc=` and `abc==` are bare.
                Some((name, secret))
                    if !name.trim().is_empty()
                        && !secret.is_empty()
                        && !secret.starts_with('=') =>
                {
                    (secret.as_bytes().into(), named(name))
                }
                _ => (
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
        let token = bearer(headers)??.as_bytes();
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

/// The bearer token in `headers`: `None` without one (no `Authorization`, or another scheme:
/// no credentials for this server, RFC 6750 section 3.1), `Some(None)` for a malformed one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<Option<&str>> {
    let value = headers.get(AUTHORIZATION)?;
    let Ok(value) = value.to_str() else {
        return Some(None);
    };
    let value = value.trim();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    Some((!token.is_empty()).then_some(token))
}

/// `name` or `name(scope scope..)`.
fn named(name: &str) -> Principal {
    match name.strip_suffix(')').and_then(|n| n.split_once('(')) {
        Some((name, scopes)) => Principal::new(name.trim()).with_scopes(scopes.split_whitespace()),
        None => Principal::new(name),
    }
}

/// A secret value (API keys, a client secret): its `Debug` never shows it, so neither does the
/// `Debug` of what holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret holding `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

/// `%` and `#` percent-encoded, so `#` in a key always separates the issuer from the subject.
fn escape(part: &str) -> std::borrow::Cow<'_, str> {
    if part.contains(['%', '#']) {
        part.replace('%', "%25").replace('#', "%23").into()
    } else {
        part.into()
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

    #[test]
    fn no_two_callers_share_a_key() {
        let alice = Principal::new("alice").with_issuer("https://idp");
        let forged = Principal::new("https://idp#alice");
        assert_ne!(alice, forged);
        assert_ne!(alice.as_str(), forged.as_str());
        let split = Principal::new("b#c").with_issuer("a");
        assert_ne!(split, Principal::new("c").with_issuer("a#b"));
        assert_eq!(split.subject(), "b#c");
        assert_eq!(split.issuer(), Some("a"));
        assert_eq!(Principal::from_key(split.as_str()), split);
        assert_eq!(Principal::from_key(forged.as_str()), forged);
    }

    #[test]
    fn base64_padding_is_not_a_name() {
        // `openssl rand -base64 32` (one `=`) and `-base64 16` (two), given bare or named.
        let one = "q0yYr3Z5pDq3Rkq1mCkE0mJc8q2xvY0HkqX1nL0sZ2E=";
        let two = "3q2+7wAAAAAAAAAAAAAAAA==";
        let keys = ApiKeys::parse(&format!("{one},{two},ci={one}x"));
        assert_eq!(keys.len(), 3);
        for secret in [one, two] {
            let p = keys.authenticate(&bearer(secret)).expect("the whole entry");
            assert!(p.as_str().starts_with("key-"), "{p:?}");
        }
        for fragment in ["=", "==", "q0yYr3Z5pDq3Rkq1mCkE0mJc8q2xvY0HkqX1nL0sZ2E"] {
            assert_eq!(keys.authenticate(&bearer(fragment)), None, "{fragment}");
        }
        let named = keys.authenticate(&bearer(&format!("{one}x"))).unwrap();
        assert_eq!(named.subject(), "ci");
    }
}
