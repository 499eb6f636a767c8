//! An OAuth 2.1 resource server (MCP authorization, 2025-06-18 and 2025-11-25): bearer access
//! tokens that are JWTs signed by the authorization server, verified against its published
//! keys; the protected resource metadata (RFC 9728) that tells clients where to get one; and
//! the `401` challenge that points to it.
//!
//! ```no_run
//! # async fn run(router: axum::Router) -> Result<axum::Router, mcp_runtime::auth::OAuthError> {
//! use mcp_runtime::auth::OAuth;
//!
//! // Discovers the issuer's metadata (RFC 8414, then OpenID Connect) and fetches its keys.
//! let oauth = OAuth::builder("https://auth.example.com", "https://mcp.example.com/mcp")
//!     .scopes(["notes:read", "notes:write"])
//!     .discover()
//!     .await?;
//! // Refuses requests without a valid token (401) and hands the caller, with its scopes and
//! // claims, to every handler.
//! Ok(router.layer(oauth))
//! # }
//! # fn main() { let _ = run; }
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Request, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use super::Principal;
use crate::protocol::{ErrorObject, jsonrpc};

/// The signature algorithms accepted: public-key ones only, never `none` or an HMAC (which
/// would let a public key serve as a shared secret).
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 60;
/// The keys are fetched again for an unknown `kid` at most this often.
const REFRESH_EVERY: Duration = Duration::from_secs(10);
/// How long a request to the authorization server may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest document accepted from it.
const FETCH_LIMIT: usize = 1024 * 1024;
/// How many introspection requests may be in flight at once: tokens nobody has seen (made-up
/// ones among them) cannot make the server flood its authorization server. Beyond it, a token
/// not in the cache gets 503.
const INTROSPECTING_MAX: usize = 16;
/// How long a refused introspected token stays refused without asking again.
const REFUSED_FOR_SECS: u64 = 60;

/// Why the resource server could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// A URL given to it is not an absolute `http` or `https` URL.
    #[error("`{0}` is not an absolute http(s) URL")]
    Url(String),
    /// The authorization server's metadata could not be found or read.
    #[error("the authorization server's metadata: {0}")]
    Discovery(String),
    /// Its keys could not be fetched or read.
    #[error("the authorization server's keys (jwks_uri): {0}")]
    Keys(String),
}

/// Why a token was refused: said in the `401`'s `error_description`, never with the token.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a JWT, or a JWT that does not parse.
    #[error("the access token is not a well-formed JWT")]
    Malformed,
    /// Signed with an algorithm that is not accepted (`none`, HMAC, or unknown).
    #[error("the access token's algorithm is not accepted")]
    Algorithm,
    /// Signed with a key the authorization server does not publish.
    #[error("the access token is signed with an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the access token's signature does not verify")]
    Signature,
    /// Expired.
    #[error("the access token has expired")]
    Expired,
    /// Not valid yet (`nbf`).
    #[error("the access token is not valid yet")]
    NotYetValid,
    /// Issued for another resource (`aud`).
    #[error("the access token was issued for another resource")]
    Audience,
    /// Issued by another authorization server (`iss`).
    #[error("the access token was issued by another authorization server")]
    Issuer,
    /// A claim the server needs (`sub`, `exp`, `iss`, `aud`) is missing or malformed.
    #[error("the access token lacks a required claim")]
    Claims,
    /// The introspection endpoint says the token is not active (revoked, or unknown to it).
    #[error("the access token is not active")]
    Inactive,
    /// The keys could not be refreshed, or the introspection endpoint did not answer.
    #[error("the authorization server is unavailable")]
    Unavailable,
    /// The request carries more than one `Authorization` header: which one counts is not
    /// for the server to guess (a 400, RFC 6750 section 3.1).
    #[error("the request carries more than one Authorization header")]
    Several,
}

/// How to set up an [`OAuth`] resource server; [`OAuth::builder`] starts one.
#[derive(Debug)]
pub struct OAuthBuilder {
    issuer: String,
    resource: String,
    audience: Option<String>,
    scopes: Vec<String>,
    introspection: Option<String>,
    client: Option<(String, super::Secret)>,
}

impl OAuthBuilder {
    /// The audience a token must name, when it is not the resource's URL (RFC 8707).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Where opaque access tokens are checked (RFC 7662), when the issuer's metadata does not
    /// say (`introspection_endpoint`).
    pub fn introspection_endpoint(mut self, url: impl Into<String>) -> Self {
        self.introspection = Some(url.into());
        self
    }

    /// The credentials this resource server authenticates with at the introspection endpoint
    /// (RFC 7662 section 2.1; HTTP Basic, RFC 6749 section 2.3.1), as most authorization
    /// servers require.
    pub fn introspection_client(
        mut self,
        client_id: impl Into<String>,
        client_secret: super::Secret,
    ) -> Self {
        self.client = Some((client_id.into(), client_secret));
        self
    }

    /// The scopes listed in the protected resource metadata (`scopes_supported`).
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self.scopes.sort();
        self.scopes.dedup();
        self
    }

    /// Finds the issuer's metadata (RFC 8414, then OpenID Connect discovery) and its keys.
    pub async fn discover(self) -> Result<OAuth, OAuthError> {
        let resource: Uri = self
            .resource
            .parse()
            .ok()
            .filter(is_http)
            .ok_or_else(|| OAuthError::Url(self.resource.clone()))?;
        let issuer: Uri = self
            .issuer
            .parse()
            .ok()
            .filter(is_http)
            .ok_or_else(|| OAuthError::Url(self.issuer.clone()))?;
        let client = client();
        let metadata = discover(&client, &self.issuer, &issuer).await?;
        let jwks_uri = metadata["jwks_uri"].as_str().map(str::to_owned);
        let introspection = self.introspection.or_else(|| {
            metadata["introspection_endpoint"]
                .as_str()
                .map(str::to_owned)
        });
        if jwks_uri.is_none() && introspection.is_none() {
            return Err(OAuthError::Discovery(
                "it names neither `jwks_uri` (JWT access tokens) nor `introspection_endpoint` \
                 (opaque ones); give the latter with --oauth-introspection"
                    .into(),
            ));
        }
        let keys = match &jwks_uri {
            Some(jwks_uri) => fetch_keys(&client, jwks_uri).await?,
            None => Keys(Vec::new()),
        };
        let path = resource.path().trim_end_matches('/');
        let metadata_path = format!("{WELL_KNOWN}{path}");
        let origin = format!(
            "{}://{}",
            resource.scheme_str().unwrap_or("https"),
            resource.authority().map_or("", |a| a.as_str())
        );
        let document = json!({
            "resource": self.resource,
            "authorization_servers": [self.issuer],
            "scopes_supported": self.scopes,
            "bearer_methods_supported": ["header"],
        });
        Ok(OAuth(Arc::new(Inner {
            audience: self.audience.unwrap_or_else(|| self.resource.clone()),
            issuer: self.issuer,
            metadata_url: format!("{origin}{metadata_path}"),
            metadata_path,
            document: serde_json::to_vec(&document).expect("JSON"),
            jwks_uri,
            introspection,
            introspection_auth: self.client.map(|(id, secret)| basic(&id, secret.expose())),
            introspected: Introspected::default(),
            introspecting: tokio::sync::Semaphore::new(INTROSPECTING_MAX),
            keys: tokio::sync::RwLock::new(keys),
            // The first unknown `kid` may fetch the keys at once.
            refreshed: tokio::sync::Mutex::new((
                Instant::now()
                    .checked_sub(REFRESH_EVERY)
                    .unwrap_or_else(Instant::now),
                true,
            )),
            client,
        })))
    }
}

/// An OAuth 2.1 resource server: a tower layer that lets through requests with a valid bearer
/// JWT (inserting its [`Principal`]: subject, issuer, scopes, claims), answers the others
/// `401` with a challenge that names the protected resource metadata, and serves that
/// metadata at `/.well-known/oauth-protected-resource` (and the path-suffixed form).
#[derive(Clone)]
pub struct OAuth(Arc<Inner>);

struct Inner {
    issuer: String,
    audience: String,
    /// Where clients find the metadata: absolute, and this server's path for it.
    metadata_url: String,
    metadata_path: String,
    document: Vec<u8>,
    /// Where the keys of JWT access tokens are, if the issuer issues them.
    jwks_uri: Option<String>,
    /// Where opaque tokens are checked, if anywhere, and the `Authorization` to send there.
    introspection: Option<String>,
    introspection_auth: Option<HeaderValue>,
    introspected: Introspected,
    introspecting: tokio::sync::Semaphore,
    keys: tokio::sync::RwLock<Keys>,
    /// When the keys were last fetched, for the refresh rate limit, and whether that worked.
    refreshed: tokio::sync::Mutex<(Instant, bool)>,
    client: HttpClient,
}

impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth")
            .field("issuer", &self.0.issuer)
            .field("audience", &self.0.audience)
            .finish_non_exhaustive()
    }
}

/// The issuer's public keys, by `kid`.
struct Keys(Vec<(Option<String>, Option<Algorithm>, DecodingKey)>);

const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

fn client() -> HttpClient {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(https)
}

fn is_http(uri: &Uri) -> bool {
    matches!(uri.scheme_str(), Some("http" | "https")) && uri.authority().is_some()
}

/// GETs `url` as JSON.
async fn fetch(client: &HttpClient, url: &str) -> Result<Value, String> {
    request(client, url, None, None).await
}

/// GETs `url`, or POSTs `form` to it (with `auth` as its `Authorization`), and reads the
/// answer as JSON.
async fn request(
    client: &HttpClient,
    url: &str,
    form: Option<String>,
    auth: Option<&HeaderValue>,
) -> Result<Value, String> {
    let uri: Uri = url.parse().map_err(|_| format!("`{url}` is not a URL"))?;
    let get = async {
        let req = match form {
            None => axum::http::Request::get(uri).body(Full::default()),
            Some(form) => {
                let mut req = axum::http::Request::post(uri)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(axum::http::header::ACCEPT, "application/json");
                if let Some(auth) = auth {
                    req = req.header(AUTHORIZATION, auth.clone());
                }
                req.body(Full::new(Bytes::from(form)))
            }
        }
        .map_err(|e| e.to_string())?;
        let res = client.request(req).await.map_err(|e| e.to_string())?;
        let status = res.status();
        let body = Limited::new(res.into_body(), FETCH_LIMIT)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let json = serde_json::from_slice(&body).map_err(|e| format!("{url} is not JSON: {e}"));
        match json {
            // An introspection endpoint may answer an inactive token with an error status.
            Ok(Value::Object(o)) if o.get("active") == Some(&Value::Bool(false)) => {
                Ok(Value::Object(o))
            }
            _ if !status.is_success() => Err(format!("{url} answered {status}")),
            json => json,
        }
    };
    tokio::time::timeout(FETCH_TIMEOUT, get)
        .await
        .map_err(|_| format!("{url} did not answer within {FETCH_TIMEOUT:?}"))?
}

/// RFC 8414 (the well-known path inserted before the issuer's path), then OpenID Connect
/// discovery (inserted, then appended); the document must name the same issuer.
async fn discover(client: &HttpClient, issuer: &str, uri: &Uri) -> Result<Value, OAuthError> {
    let origin = format!(
        "{}://{}",
        uri.scheme_str().unwrap_or("https"),
        uri.authority().map_or("", |a| a.as_str())
    );
    let path = uri.path().trim_end_matches('/');
    let candidates = [
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}/.well-known/openid-configuration{path}"),
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
    ];
    let mut tried = Vec::new();
    for url in candidates {
        match fetch(client, &url).await {
            Ok(metadata) if metadata["issuer"] == issuer => return Ok(metadata),
            Ok(metadata) => tried.push(format!(
                "{url} names another issuer ({})",
                metadata["issuer"]
            )),
            Err(e) => tried.push(e),
        }
    }
    Err(OAuthError::Discovery(tried.join("; ")))
}

async fn fetch_keys(client: &HttpClient, jwks_uri: &str) -> Result<Keys, OAuthError> {
    let value = fetch(client, jwks_uri).await.map_err(OAuthError::Keys)?;
    let set: JwkSet = serde_json::from_value(value)
        .map_err(|e| OAuthError::Keys(format!("not a JWK set: {e}")))?;
    Ok(Keys(set.keys.iter().filter_map(usable).collect()))
}

/// A public key from the set; symmetric keys and keys that do not parse are left out.
fn usable(jwk: &Jwk) -> Option<(Option<String>, Option<Algorithm>, DecodingKey)> {
    let key = DecodingKey::from_jwk(jwk).ok()?;
    if key.family() == jsonwebtoken::AlgorithmFamily::Hmac {
        return None;
    }
    let alg = jwk
        .common
        .key_algorithm
        .and_then(|a| a.to_string().parse().ok());
    Some((jwk.common.key_id.clone(), alg, key))
}

impl OAuth {
    /// A resource server for tokens issued by `issuer`, protecting the MCP endpoint at
    /// `resource` (its public URL, which tokens must name as their audience).
    pub fn builder(issuer: impl Into<String>, resource: impl Into<String>) -> OAuthBuilder {
        OAuthBuilder {
            issuer: issuer.into(),
            resource: resource.into(),
            audience: None,
            scopes: Vec::new(),
            introspection: None,
            client: None,
        }
    }

    /// The authorization server whose tokens it accepts.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// The URL of the protected resource metadata, as the `401` challenge names it.
    pub fn metadata_url(&self) -> &str {
        &self.0.metadata_url
    }

    /// Verifies a bearer token: its signature against the issuer's keys (fetched again once
    /// for a `kid` not known yet), its algorithm, issuer, audience, expiry and not-before.
    /// Opaque tokens (and JWTs of an issuer that publishes no keys) go to the introspection
    /// endpoint instead.
    pub async fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let header = match jsonwebtoken::decode_header(token) {
            Ok(header) if self.0.jwks_uri.is_some() => header,
            _ if self.0.introspection.is_some() => return self.introspect(token).await,
            Ok(_) => return Err(TokenError::UnknownKey),
            Err(_) => return Err(TokenError::Malformed),
        };
        if !ALGORITHMS.contains(&header.alg) {
            return Err(TokenError::Algorithm);
        }
        let key = match self.key(header.kid.as_deref(), header.alg).await {
            Some(key) => key,
            None => {
                self.refresh().await?;
                self.key(header.kid.as_deref(), header.alg)
                    .await
                    .ok_or(TokenError::UnknownKey)?
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.0.issuer]);
        // Required here, compared below: scheme and host in any case (MCP authorization,
        // "Canonical Server URI").
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::InvalidAudience => TokenError::Audience,
                ErrorKind::InvalidIssuer => TokenError::Issuer,
                ErrorKind::InvalidSignature => TokenError::Signature,
                ErrorKind::MissingRequiredClaim(_) | ErrorKind::InvalidSubject => {
                    TokenError::Claims
                }
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    TokenError::Algorithm
                }
                _ => TokenError::Malformed,
            }
        })?;
        if !self.names_us(&data.claims["aud"]) {
            return Err(TokenError::Audience);
        }
        principal(data.claims)
    }

    /// The key for `kid` (or the only key, when the token names none) that fits `alg`.
    async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
        let keys = self.0.keys.read().await;
        let fits = |(_, key_alg, key): &&(Option<String>, Option<Algorithm>, DecodingKey)| {
            key.family() == alg.family() && key_alg.is_none_or(|a| a == alg)
        };
        let found = match kid {
            Some(kid) => keys
                .0
                .iter()
                .filter(|(k, _, _)| k.as_deref() == Some(kid))
                .find(fits),
            None if keys.0.len() == 1 => keys.0.iter().find(fits),
            None => None,
        };
        found.map(|(_, _, key)| key.clone())
    }

    /// Fetches the keys again, at most once per [`REFRESH_EVERY`] (a rotated key is found;
    /// made-up `kid`s cannot make the server hammer its authorization server).
    /// Until the next attempt, a failed one answers as it did: the key may well exist.
    async fn refresh(&self) -> Result<(), TokenError> {
        let mut last = self.0.refreshed.lock().await;
        if last.0.elapsed() < REFRESH_EVERY {
            return if last.1 {
                Ok(())
            } else {
                Err(TokenError::Unavailable)
            };
        }
        let Some(jwks_uri) = &self.0.jwks_uri else {
            return Err(TokenError::UnknownKey);
        };
        let fetched = fetch_keys(&self.0.client, jwks_uri).await;
        *last = (Instant::now(), fetched.is_ok());
        match fetched {
            Ok(keys) => {
                *self.0.keys.write().await = keys;
                Ok(())
            }
            Err(e) => {
                tracing::warn!("refreshing the authorization server's keys failed: {e}");
                Err(TokenError::Unavailable)
            }
        }
    }

    /// Asks the introspection endpoint about an opaque token (RFC 7662), or reuses its answer
    /// until the token expires: it must be active, for this resource, from this issuer (when
    /// it says), and not expired.
    async fn introspect(&self, token: &str) -> Result<Principal, TokenError> {
        use sha2::Digest;
        let Some(endpoint) = &self.0.introspection else {
            return Err(TokenError::Malformed);
        };
        let now = jsonwebtoken::get_current_timestamp();
        let key: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        if let Some(known) = self.0.introspected.get(&key, now) {
            return known;
        }
        let Ok(_turn) = self.0.introspecting.try_acquire() else {
            tracing::warn!("token introspection: {INTROSPECTING_MAX} requests in flight already");
            return Err(TokenError::Unavailable);
        };
        let form = format!("token={}&token_type_hint=access_token", form_encode(token));
        let auth = self.0.introspection_auth.as_ref();
        let answer = request(&self.0.client, endpoint, Some(form), auth)
            .await
            .map_err(|e| {
                tracing::warn!("token introspection failed: {e}");
                TokenError::Unavailable
            })?;
        let checked = self.check_introspected(answer, now);
        let until = match &checked {
            Ok((_, until)) => *until,
            Err(_) => now + REFUSED_FOR_SECS,
        };
        let checked = checked.map(|(principal, _)| principal);
        self.0.introspected.put(key, checked.clone(), until, now);
        checked
    }

    /// Whether a token's `aud` (a string or an array) names this resource.
    fn names_us(&self, aud: &Value) -> bool {
        let ours = &self.0.audience;
        match aud {
            Value::String(aud) => same_resource(aud, ours),
            Value::Array(auds) => auds
                .iter()
                .any(|a| a.as_str().is_some_and(|a| same_resource(a, ours))),
            _ => false,
        }
    }

    /// What an introspection answer says of its token: the caller, and until when that holds.
    fn check_introspected(&self, answer: Value, now: u64) -> Result<(Principal, u64), TokenError> {
        if answer["active"] != true {
            return Err(TokenError::Inactive);
        }
        let exp = numeric_date(&answer["exp"]);
        if exp.is_some_and(|exp| exp.saturating_add(LEEWAY_SECS) < now) {
            return Err(TokenError::Expired);
        }
        if numeric_date(&answer["nbf"]).is_some_and(|nbf| nbf > now + LEEWAY_SECS) {
            return Err(TokenError::NotYetValid);
        }
        if !self.names_us(&answer["aud"]) {
            return Err(TokenError::Audience);
        }
        if answer["iss"]
            .as_str()
            .is_some_and(|iss| iss != self.0.issuer)
        {
            return Err(TokenError::Issuer);
        }
        // A token may name no user (a client acting for itself): its client is the subject.
        let mut claims = answer;
        if claims["sub"].as_str().is_none() {
            claims["sub"] = claims["client_id"].clone();
        }
        if claims["iss"].as_str().is_none() {
            claims["iss"] = Value::String(self.0.issuer.clone());
        }
        let until = exp
            .unwrap_or(now + INTROSPECTED_FOR)
            .min(now + INTROSPECTED_FOR * 60);
        Ok((principal(claims)?, until))
    }

    /// The `401` for a request without a usable token (`400` for one with several).
    fn challenge(&self, refused: Option<TokenError>) -> Response {
        let mut challenge = format!("Bearer resource_metadata=\"{}\"", self.0.metadata_url);
        let (status, code) = match refused {
            Some(TokenError::Several) => (StatusCode::BAD_REQUEST, "invalid_request"),
            _ => (StatusCode::UNAUTHORIZED, "invalid_token"),
        };
        let message = match &refused {
            Some(why) => {
                challenge.push_str(&format!(", error=\"{code}\", error_description=\"{why}\""));
                format!("authentication failed: {why}")
            }
            None => "authentication required: send `Authorization: Bearer <access token>`; \
                     the protected resource metadata names the authorization server"
                .to_owned(),
        };
        let e = ErrorObject::invalid_request(message);
        let mut res = Response::new(Body::from(jsonrpc::error_response(None, &e)));
        *res.status_mut() = status;
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            res.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        res
    }

    /// A 403 scope challenge also names the metadata, as the 401 does (a client re-authorizes
    /// from it with the scopes named).
    fn point_to_metadata(&self, res: &mut Response) {
        if res.status() != StatusCode::FORBIDDEN {
            return;
        }
        let Some(challenge) = res
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .filter(|c| c.contains("insufficient_scope"))
        else {
            return;
        };
        let challenge = format!("{challenge}, resource_metadata=\"{}\"", self.0.metadata_url);
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            res.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
    }

    fn metadata(&self) -> Response {
        let mut res = Response::new(Body::from(self.0.document.clone()));
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        res
    }

    fn is_metadata_path(&self, path: &str) -> bool {
        path == WELL_KNOWN || path == self.0.metadata_path
    }
}

/// How long an introspection answer without `exp` is reused.
const INTROSPECTED_FOR: u64 = 60;
/// How many introspection answers are kept.
const INTROSPECTED_MAX: usize = 10_000;

/// Introspection answers (RFC 7662) by the SHA-256 of their token, until they expire.
#[derive(Default)]
struct Introspected(std::sync::Mutex<HashMap<[u8; 32], (Checked, u64)>>);

/// What introspection said of a token: its caller, or why it is refused.
type Checked = Result<Principal, TokenError>;

impl Introspected {
    fn get(&self, key: &[u8; 32], now: u64) -> Option<Checked> {
        let cached = self.0.lock().expect("introspected");
        cached
            .get(key)
            .filter(|(_, until)| *until > now)
            .map(|(p, _)| p.clone())
    }

    fn put(&self, key: [u8; 32], checked: Checked, until: u64, now: u64) {
        let mut cached = self.0.lock().expect("introspected");
        if cached.len() >= INTROSPECTED_MAX {
            cached.retain(|_, (_, until)| *until > now);
        }
        if cached.len() >= INTROSPECTED_MAX {
            // Still full of live answers: forget an arbitrary half rather than grow.
            let drop: Vec<[u8; 32]> = cached.keys().take(INTROSPECTED_MAX / 2).copied().collect();
            for key in drop {
                cached.remove(&key);
            }
        }
        cached.insert(key, (checked, until));
    }
}

/// Whether `aud` names the resource `ours`: the same string, or the same URL with its scheme
/// and host in another case, or with a `/` for an empty path (MCP authorization, "Canonical
/// Server URI": both are the same server).
fn same_resource(aud: &str, ours: &str) -> bool {
    // `Uri` compares schemes and authorities without case, and reads an empty path as `/`.
    aud == ours
        || match (aud.parse::<Uri>(), ours.parse::<Uri>()) {
            (Ok(a), Ok(b)) => {
                a.scheme().is_some()
                    && (a.scheme(), a.authority(), a.path(), a.query())
                        == (b.scheme(), b.authority(), b.path(), b.query())
            }
            _ => false,
        }
}

/// A JSON NumericDate (RFC 7519: seconds, possibly fractional) as whole seconds.
fn numeric_date(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        let secs = value.as_f64()?;
        // Saturating: a date past u64 is "never", one before 1970 is "long ago".
        (secs.is_finite() && secs >= 0.0).then_some(secs as u64)
    })
}

/// HTTP Basic credentials for a client (RFC 6749 section 2.3.1: each part form-encoded first).
fn basic(client_id: &str, client_secret: &str) -> HeaderValue {
    let pair = format!("{}:{}", form_encode(client_id), form_encode(client_secret));
    let encoded = crate::protocol::base64::base64(pair.as_bytes());
    let mut value =
        HeaderValue::from_str(&format!("Basic {encoded}")).expect("base64 is a header value");
    value.set_sensitive(true);
    value
}

/// `value` as an `application/x-www-form-urlencoded` value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// 404 for metadata this server does not have.
fn not_found() -> Response {
    let mut res = Response::new(Body::from(
        "not found: this server is an OAuth protected resource; its authorization server's \
         metadata is at that server",
    ));
    *res.status_mut() = StatusCode::NOT_FOUND;
    res
}

/// 405 for the metadata asked for with a method other than `GET` or `HEAD`.
fn not_allowed() -> Response {
    let mut res = Response::new(Body::from(
        "the protected resource metadata is read with GET or HEAD",
    ));
    *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    res.headers_mut().insert(
        axum::http::header::ALLOW,
        HeaderValue::from_static("GET, HEAD"),
    );
    res
}

/// 503: the token could not be checked now (the authorization server did not answer).
fn unavailable() -> Response {
    let e = ErrorObject::internal("the authorization server is unavailable; try again later");
    let mut res = Response::new(Body::from(jsonrpc::error_response(None, &e)));
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from_static("5"),
    );
    res
}

/// The caller a verified token names: its subject and issuer, its scopes (`scope`, space
/// separated, or `scp`, an array), and every claim.
fn principal(claims: Value) -> Result<Principal, TokenError> {
    // An empty subject names no one: every such token would share one caller.
    let subject = claims["sub"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or(TokenError::Claims)?
        .to_owned();
    let issuer = claims["iss"].as_str().ok_or(TokenError::Claims)?.to_owned();
    let mut scopes: Vec<String> = match (&claims["scope"], &claims["scp"]) {
        (Value::String(s), _) => s.split_whitespace().map(str::to_owned).collect(),
        // Some issuers send `scope` as an array, as others send `scp`.
        (Value::Array(a), _) | (_, Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        (_, Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    scopes.dedup();
    Ok(Principal::new(subject)
        .with_issuer(issuer)
        .with_scopes(scopes)
        .with_claims(claims))
}

/// As a tower layer, `OAuth` serves its metadata, refuses requests without a valid token (401,
/// with the challenge), and inserts the token's [`Principal`] into the others.
impl<S> tower::Layer<S> for OAuth {
    type Service = OAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        OAuthService {
            inner,
            oauth: self.clone(),
        }
    }
}

/// The service [`OAuth`] wraps around the MCP router.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct OAuthService<S> {
    inner: S,
    oauth: OAuth,
}

impl<S> tower::Service<Request<Body>> for OAuthService<S>
where
    S: tower::Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        let oauth = self.oauth.clone();
        let path = req.uri().path();
        if oauth.is_metadata_path(path) {
            let method = req.method();
            let res = if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
                oauth.metadata()
            } else {
                not_allowed()
            };
            return Box::pin(async move { Ok(res) });
        }
        if path.starts_with("/.well-known/") {
            // Other metadata (an authorization server's, which 2025-03-26 clients look for
            // here): not here (404), rather than "send a token". Answered here, never by the
            // service behind, whatever it serves under that path.
            return Box::pin(async move { Ok(not_found()) });
        }
        // The service that was made ready goes with this request; a fresh clone stays.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let several = req.headers().get_all(AUTHORIZATION).iter().nth(1).is_some();
        let token = super::bearer(req.headers()).map(|t| t.map(str::to_owned));
        Box::pin(async move {
            let refused = match token {
                _ if several => Some(TokenError::Several),
                None => None,
                Some(None) => Some(TokenError::Malformed),
                Some(Some(token)) => match oauth.verify(&token).await {
                    Ok(principal) => {
                        req.extensions_mut().insert(principal);
                        let mut res = inner.call(req).await?;
                        oauth.point_to_metadata(&mut res);
                        return Ok(res);
                    }
                    Err(why) => Some(why),
                },
            };
            if let Some(why) = &refused {
                tracing::debug!("refused a bearer token: {why}");
            }
            if refused == Some(TokenError::Unavailable) {
                return Ok(unavailable());
            }
            Ok(oauth.challenge(refused))
        })
    }
}

/// The scopes a server's tools, resources and prompts declare, for `scopes_supported`.
pub(crate) fn declared_scopes(desc: &crate::server::ServerDescription) -> Vec<String> {
    let tools = desc.tools.iter().flat_map(|t| t.scopes);
    let resources = desc.resources.iter().flat_map(|r| r.scopes);
    let prompts = desc.prompts.iter().flat_map(|p| p.scopes);
    // The builder sorts them and drops repeats.
    tools
        .chain(resources)
        .chain(prompts)
        .map(|s| (*s).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_come_from_scope_or_scp() {
        let p = principal(json!({"sub": "u", "iss": "i", "scope": "a b"})).unwrap();
        assert_eq!(p.scopes().collect::<Vec<_>>(), ["a", "b"]);
        let p = principal(json!({"sub": "u", "iss": "i", "scp": ["c"]})).unwrap();
        assert!(p.has_scope("c"));
        assert_eq!(p.as_str(), "i#u");
        assert_eq!(p.claims()["scp"], json!(["c"]));
        assert_eq!(
            principal(json!({"iss": "i"})).unwrap_err(),
            TokenError::Claims
        );
    }

    #[test]
    fn a_resource_is_named_in_any_case_of_its_scheme_and_host() {
        let ours = "https://mcp.example.com/mcp";
        assert!(same_resource(ours, ours));
        assert!(same_resource("HTTPS://MCP.Example.com/mcp", ours));
        assert!(
            !same_resource("https://mcp.example.com/MCP", ours),
            "the path is exact"
        );
        assert!(!same_resource("https://mcp.example.com/mcp/", ours));
        assert!(!same_resource("https://mcp.example.com", ours));
        assert!(!same_resource("https://mcp.example.com.evil/mcp", ours));
        assert!(same_resource(
            "https://mcp.example.com/",
            "https://mcp.example.com"
        ));
        assert!(same_resource(
            "https://MCP.example.com:8443",
            "https://mcp.example.com:8443/"
        ));
        assert!(!same_resource("mcp.example.com", "https://mcp.example.com"));
    }
}
