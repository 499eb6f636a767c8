//! `examples/oauth.rs` as an OAuth 2.1 protected resource, against an authorization server this
//! test starts (RFC 8414 metadata and a JWKS endpoint whose keys it can rotate). Tokens are
//! Ed25519 JWTs made with `jsonwebtoken`: valid, for another audience or issuer, expired, not
//! yet valid, badly signed, `alg: none`, signed by a rotated-in key, by an unknown key, and
//! without the scope a tool needs.
#![cfg(feature = "oauth")]

mod common;

use std::sync::{Arc, Mutex};

use common::HttpServer;
use common::http::{Reply, exchange, post};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// An Ed25519 signing key, and the JWK of its public half.
struct Key {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

impl Key {
    fn new(kid: &str) -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        let public = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        // PKCS#8 v1 for an Ed25519 private key (RFC 8410): a fixed prefix, then the seed.
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&seed);
        Self {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_ed_der(&der),
            jwk: json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                "kid": kid, "x": b64url(&public)}),
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
    }
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The authorization server: its metadata and its keys, on a free port, in this process.
struct AuthServer {
    issuer: String,
    jwks: Arc<Mutex<Vec<Value>>>,
    /// What its introspection endpoint answers, by token.
    introspection: Arc<Mutex<std::collections::HashMap<String, Value>>>,
    /// How many times it was asked about each token.
    asked: Arc<Mutex<std::collections::HashMap<String, usize>>>,
    /// The `Authorization` its introspection endpoint requires, if any.
    client: Arc<Mutex<Option<String>>>,
    _runtime: tokio::runtime::Runtime,
}

impl AuthServer {
    fn start(keys: &[&Key]) -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let jwks: Arc<Mutex<Vec<Value>>> =
            Arc::new(Mutex::new(keys.iter().map(|k| k.jwk.clone()).collect()));
        let introspection = Arc::new(Mutex::new(std::collections::HashMap::new()));
        let answers = introspection.clone();
        let asked = Arc::new(Mutex::new(std::collections::HashMap::new()));
        let counted = asked.clone();
        let client: Arc<Mutex<Option<String>>> = Arc::default();
        let required = client.clone();
        let metadata = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks"),
            "introspection_endpoint": format!("{issuer}/introspect"),
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token")});
        let served = jwks.clone();
        let json = |value: Value| {
            let content_type = (axum::http::header::CONTENT_TYPE, "application/json");
            ([content_type], value.to_string())
        };
        let app = axum::Router::new()
            .route(
                "/.well-known/oauth-authorization-server",
                axum::routing::get(move || std::future::ready(json(metadata.clone()))),
            )
            .route(
                "/introspect",
                axum::routing::post(move |headers: axum::http::HeaderMap, form: String| {
                    let token = form
                        .split('&')
                        .find_map(|pair| pair.strip_prefix("token="))
                        .unwrap_or_default()
                        .to_owned();
                    *counted.lock().unwrap().entry(token.clone()).or_default() += 1;
                    let sent = headers.get("authorization").and_then(|v| v.to_str().ok());
                    let answer = match &*required.lock().unwrap() {
                        // RFC 7662 section 2.1: the endpoint authenticates its callers.
                        Some(required) if sent != Some(required.as_str()) => {
                            json!({"error": "invalid_client"})
                        }
                        _ => answers
                            .lock()
                            .unwrap()
                            .get(&token)
                            .cloned()
                            .unwrap_or(json!({"active": false})),
                    };
                    let status = if answer["error"].is_string() {
                        axum::http::StatusCode::UNAUTHORIZED
                    } else {
                        axum::http::StatusCode::OK
                    };
                    std::future::ready((status, json(answer)))
                }),
            )
            .route(
                "/jwks",
                axum::routing::get(move || {
                    let keys = served.lock().unwrap().clone();
                    std::future::ready(json(json!({ "keys": keys })))
                }),
            );
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            issuer,
            jwks,
            introspection,
            asked,
            client,
            _runtime: runtime,
        }
    }

    /// What the introspection endpoint says of `token`.
    fn introspects(&self, token: &str, answer: Value) {
        self.introspection
            .lock()
            .unwrap()
            .insert(token.to_owned(), answer);
    }

    /// How many times the introspection endpoint was asked about `token`.
    fn asked(&self, token: &str) -> usize {
        self.asked.lock().unwrap().get(token).copied().unwrap_or(0)
    }

    /// From now on the introspection endpoint answers only callers that send `authorization`.
    fn require_client(&self, authorization: &str) {
        *self.client.lock().unwrap() = Some(authorization.to_owned());
    }

    /// Publishes `key` besides the others (a rotation).
    fn publish(&self, key: &Key) {
        self.jwks.lock().unwrap().push(key.jwk.clone());
    }
}

/// The example, protected by `auth`'s tokens, at a public URL it knows.
fn resource(auth: &AuthServer) -> HttpServer {
    resource_with(auth, &[], &[])
}

/// [`resource`], with more flags and environment variables.
fn resource_with(auth: &AuthServer, flags: &[&str], env: &[(&str, &str)]) -> HttpServer {
    let port = common::free_port();
    let public = format!("http://127.0.0.1:{port}/mcp");
    let mut args = vec!["--oauth-issuer", &auth.issuer, "--public-url", &public];
    args.extend_from_slice(flags);
    HttpServer::start_on("oauth", port, &args, env)
}

fn claims(auth: &AuthServer, server: &HttpServer, scope: &str) -> Value {
    json!({"iss": auth.issuer, "aud": server.url, "sub": "ada", "scope": scope,
        "exp": now() + 300, "iat": now()})
}

/// A 2026-07-28 `tools/call` with `token`.
fn call(server: &HttpServer, token: &str, tool: &str, arguments: Value) -> Reply {
    let (authority, path) = (server.authority(), server.path());
    common::http::bearer_tool_call(authority, path, token, tool, &arguments)
}

fn structured(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer: Value = serde_json::from_str(&reply.body).expect("JSON");
    answer["result"]["structuredContent"].clone()
}

/// 401 with the challenge that names the metadata, and `invalid_token` when `why` is given.
fn assert_refused(reply: &Reply, server: &HttpServer, why: Option<&str>) {
    assert_eq!(reply.status, 401, "{}", reply.body);
    let challenge = reply.header("www-authenticate").expect("a challenge");
    let metadata = format!(
        "resource_metadata=\"http://{}/.well-known/oauth-protected-resource/mcp\"",
        server.authority()
    );
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains(&metadata), "{challenge}");
    match why {
        Some(why) => {
            assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
            assert!(reply.body.contains(why), "{why}: {}", reply.body);
        }
        None => assert!(!challenge.contains("error="), "{challenge}"),
    }
}

#[test]
fn tokens_are_verified_and_the_caller_reaches_the_tools() {
    let key = Key::new("k1");
    let auth = AuthServer::start(&[&key]);
    let server = resource(&auth);

    // The metadata names the authorization server and the scopes the tools declare.
    let metadata = exchange(
        server.authority(),
        "GET",
        "/.well-known/oauth-protected-resource/mcp",
        &[],
        "",
    );
    assert_eq!(metadata.status, 200, "{}", metadata.body);
    let metadata: Value = serde_json::from_str(&metadata.body).unwrap();
    assert_eq!(metadata["resource"], server.url.as_str());
    assert_eq!(metadata["authorization_servers"], json!([auth.issuer]));
    assert_eq!(
        metadata["scopes_supported"],
        json!(["notes:read", "notes:write"]),
        "the scopes of the tools, resources and prompts"
    );

    // The metadata is read, not written; other metadata is not here (404, not 401).
    for (method, status) in [("HEAD", 200), ("POST", 405), ("DELETE", 405)] {
        let reply = exchange(
            server.authority(),
            method,
            "/.well-known/oauth-protected-resource/mcp",
            &[],
            "",
        );
        assert_eq!(reply.status, status, "{method}: {}", reply.body);
    }
    let elsewhere = "/.well-known/oauth-authorization-server";
    let reply = exchange(server.authority(), "GET", elsewhere, &[], "");
    assert_eq!(reply.status, 404, "{}", reply.body);

    // No token: 401 with the link to the metadata.
    let headers = [("mcp-protocol-version", "2026-07-28")];
    let anonymous = post(server.authority(), server.path(), &headers, "{}");
    assert_refused(&anonymous, &server, None);
    // Credentials of another scheme are none for this server: the same, without an error.
    let basic = [headers[0], ("authorization", "Basic czNjcmV0")];
    let other_scheme = post(server.authority(), server.path(), &basic, "{}");
    assert_refused(&other_scheme, &server, None);

    // A valid token: the caller, with its scopes, in the handler.
    let token = key.sign(&claims(&auth, &server, "notes:read notes:write"));
    let me = structured(&call(&server, &token, "whoami", json!({})));
    assert_eq!(me["subject"], "ada");
    assert_eq!(me["issuer"], auth.issuer.as_str());
    assert_eq!(me["scopes"], json!(["notes:read", "notes:write"]));
    let page = structured(&call(&server, &token, "add_note", json!({"text": "one"})));
    assert_eq!(page["notes"], json!(["one"]));
    // A caller's state stays bounded: an overlong note is a tool error, and nothing is kept.
    let long = json!({"text": "x".repeat(4097)});
    let reply = call(&server, &token, "add_note", long);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer: Value = serde_json::from_str(&reply.body).expect("JSON");
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(
        reply.body.contains("at most 4096 characters"),
        "{}",
        reply.body
    );
    let page = structured(&call(&server, &token, "notes", json!({})));
    assert_eq!(page["notes"], json!(["one"]));

    // Refused tokens, each with the reason in the answer (never the token).
    let refused = |claims: Value, why: &str| {
        let token = key.sign(&claims);
        let reply = call(&server, &token, "whoami", json!({}));
        assert_refused(&reply, &server, Some(why));
        assert!(!reply.body.contains(&token));
    };
    let mut other_audience = claims(&auth, &server, "");
    other_audience["aud"] = json!("https://elsewhere.example/mcp");
    refused(other_audience, "issued for another resource");
    let mut other_issuer = claims(&auth, &server, "");
    other_issuer["iss"] = json!("https://evil.example");
    refused(other_issuer, "issued by another authorization server");
    let mut expired = claims(&auth, &server, "");
    expired["exp"] = json!(now() - 3600);
    refused(expired, "has expired");
    let mut early = claims(&auth, &server, "");
    early["nbf"] = json!(now() + 3600);
    refused(early, "not valid yet");
    let mut no_subject = claims(&auth, &server, "");
    no_subject.as_object_mut().unwrap().remove("sub");
    refused(no_subject, "lacks a required claim");
    let mut empty_subject = claims(&auth, &server, "");
    empty_subject["sub"] = json!("");
    refused(empty_subject, "lacks a required claim");

    // Scopes as an array under `scope`, as some issuers send them; the audience with its
    // scheme in capitals (the same server, MCP authorization's "Canonical Server URI").
    let mut listed = claims(&auth, &server, "");
    listed["scope"] = json!(["notes:read", "notes:write"]);
    listed["aud"] = json!(server.url.replacen("http://", "HTTP://", 1));
    let me = structured(&call(&server, &key.sign(&listed), "whoami", json!({})));
    assert_eq!(me["scopes"], json!(["notes:read", "notes:write"]));

    // Two `Authorization` headers: which one counts is not guessed (400, invalid_request).
    let other = key.sign(&claims(&auth, &server, ""));
    let (first, second) = (format!("Bearer {token}"), format!("Bearer {other}"));
    let both = [
        headers[0],
        ("authorization", first.as_str()),
        ("authorization", second.as_str()),
    ];
    let reply = post(server.authority(), server.path(), &both, "{}");
    assert_eq!(reply.status, 400, "{}", reply.body);
    let challenge = reply.header("www-authenticate").expect("a challenge");
    assert!(
        challenge.contains("error=\"invalid_request\""),
        "{challenge}"
    );

    // Signed by a key the server does not know, under a known kid: the signature fails.
    let impostor = Key::new("k1");
    let forged = impostor.sign(&claims(&auth, &server, "notes:write"));
    let reply = call(&server, &forged, "whoami", json!({}));
    assert_refused(&reply, &server, Some("signature does not verify"));

    // `alg: none`: refused before any key is looked at.
    let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64url(claims(&auth, &server, "notes:write").to_string().as_bytes());
    let unsigned = format!("{header}.{payload}.");
    let reply = call(&server, &unsigned, "whoami", json!({}));
    assert_refused(&reply, &server, Some("the access token"));

    // Not a JWT at all: an opaque token, which the introspection endpoint does not know.
    let reply = call(&server, "not-a-jwt", "whoami", json!({}));
    assert_refused(&reply, &server, Some("is not active"));
}

#[test]
fn a_rotated_key_is_fetched_and_an_unknown_one_refused() {
    let old = Key::new("old");
    let auth = AuthServer::start(&[&old]);
    let server = resource(&auth);
    // The authorization server rotates to a new key; the resource server has not seen it.
    let new = Key::new("new");
    auth.publish(&new);
    let token = new.sign(&claims(&auth, &server, ""));
    let me = structured(&call(&server, &token, "whoami", json!({})));
    assert_eq!(me["subject"], "ada");
    // A kid nobody publishes: refused (and the keys are not fetched again at once).
    let stranger = Key::new("stranger");
    let token = stranger.sign(&claims(&auth, &server, ""));
    let reply = call(&server, &token, "whoami", json!({}));
    assert_refused(&reply, &server, Some("signed with an unknown key"));
}

#[test]
fn a_token_without_the_scope_gets_the_step_up_challenge() {
    let key = Key::new("k1");
    let auth = AuthServer::start(&[&key]);
    let server = resource(&auth);
    let reader = key.sign(&claims(&auth, &server, "notes:read"));
    let reply = call(&server, &reader, "add_note", json!({"text": "x"}));
    assert_eq!(reply.status, 403, "{}", reply.body);
    let metadata = format!(
        "http://{}/.well-known/oauth-protected-resource/mcp",
        server.authority()
    );
    assert_eq!(
        reply.header("www-authenticate"),
        Some(
            format!(
                r#"Bearer error="insufficient_scope", scope="notes:write", resource_metadata="{metadata}""#
            )
            .as_str()
        )
    );
    // What needs no scope still serves it, and its notes are its own.
    let page = structured(&call(&server, &reader, "notes", json!({})));
    assert_eq!(page["notes"], json!([]));
}

// ---- the official TypeScript SDK: its client's OAuth flow, its authorization server -----------

/// The authorization server the TypeScript SDK ships for its examples (opaque tokens, checked
/// by introspection), run by node on `port` for `resource`; killed on drop.
struct SdkAuthServer(std::process::Child);

impl SdkAuthServer {
    fn start(port: u16, resource: &str) -> Self {
        use std::io::{BufRead, BufReader};
        let cache = common::clients_cache();
        let mut child = std::process::Command::new("node")
            .arg(common::root().join("tests/clients/ts_auth_server.mjs"))
            .arg(port.to_string())
            .arg(resource)
            .env("MCP_CLIENT_NODE_MODULES", cache.join("node/node_modules"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start the SDK's authorization server");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        loop {
            let mut line = String::new();
            if out.read_line(&mut line).expect("read") == 0 {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the SDK's authorization server exited");
            }
            // Its own log line comes first; the metadata is the JSON one.
            if line.starts_with('{') {
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Self(child)
    }
}

impl Drop for SdkAuthServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_typescript_client_authorizes_with_the_sdks_authorization_server() {
    let (auth_port, port) = (common::free_port(), common::free_port());
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let _auth = SdkAuthServer::start(auth_port, &resource);
    // Its metadata names no introspection endpoint; it serves one at /introspect.
    let issuer = format!("http://127.0.0.1:{auth_port}/");
    let introspection = format!("{issuer}introspect");
    let server = HttpServer::start_on(
        "oauth",
        port,
        &[
            "--oauth-issuer",
            &issuer,
            "--public-url",
            &resource,
            "--oauth-introspection",
            &introspection,
        ],
        &[],
    );
    let ops = json!([
        {"op": "call", "name": "whoami"},
        {"op": "call", "name": "add_note", "args": {"text": "from the flow"}},
        {"op": "call", "name": "notes"}
    ]);
    let lines = common::run_client_with(
        common::Client::TypeScript,
        common::Target::Http(&server.url),
        &[("--oauth", "http://127.0.0.1:1/callback")],
        ops,
    );
    assert_eq!(lines[0]["ok"], true, "{}", lines[0]);
    assert_eq!(
        lines[0]["authorized"], true,
        "it went through the flow: {}",
        lines[0]
    );
    // The client asked for the scopes the metadata lists, and its token carries them.
    let me = &lines[1]["result"]["structuredContent"];
    assert_eq!(me["issuer"], issuer.as_str(), "{me}");
    assert_eq!(me["scopes"], json!(["notes:read", "notes:write"]), "{me}");
    assert!(
        me["subject"].as_str().is_some_and(|s| !s.is_empty()),
        "{me}"
    );
    let notes = &lines[3]["result"]["structuredContent"]["notes"];
    assert_eq!(notes, &json!(["from the flow"]), "{}", lines[3]);
    // A made-up opaque token: the introspection endpoint says it is not active.
    let reply = call(&server, "not-a-real-token", "whoami", json!({}));
    assert_refused(&reply, &server, Some("is not active"));
}

#[test]
fn opaque_tokens_are_introspected() {
    let key = Key::new("k1");
    let auth = AuthServer::start(&[&key]);
    let server = resource(&auth);
    let active = |aud: &str, exp: u64| {
        json!({"active": true, "sub": "grace", "client_id": "app", "scope": "notes:write",
            "aud": aud, "exp": exp, "iss": auth.issuer})
    };
    auth.introspects("good", active(&server.url, now() + 300));
    auth.introspects(
        "elsewhere",
        active("https://elsewhere.example/mcp", now() + 300),
    );
    auth.introspects("expired", active(&server.url, now() - 3600));
    let me = structured(&call(&server, "good", "whoami", json!({})));
    assert_eq!(me["subject"], "grace");
    assert_eq!(me["scopes"], json!(["notes:write"]));
    // Answers are reused until the token expires: revoking it at the server takes effect then.
    auth.introspects("good", json!({"active": false}));
    let me = structured(&call(&server, "good", "whoami", json!({})));
    assert_eq!(me["subject"], "grace");
    let refused = |token: &str, why: &str| {
        let reply = call(&server, token, "whoami", json!({}));
        assert_refused(&reply, &server, Some(why));
    };
    refused("elsewhere", "issued for another resource");
    refused("expired", "has expired");
    refused("unknown", "is not active");
}

#[test]
fn introspection_authenticates_this_server_and_remembers_refusals() {
    let key = Key::new("k1");
    let auth = AuthServer::start(&[&key]);
    // base64("mcp-notes:s3cret")
    auth.require_client("Basic bWNwLW5vdGVzOnMzY3JldA==");
    let server = resource_with(
        &auth,
        &["--oauth-client-id", "mcp-notes"],
        &[("MCP_OAUTH_CLIENT_SECRET", "s3cret")],
    );
    auth.introspects(
        "good",
        json!({"active": true, "sub": "grace", "aud": server.url, "exp": now() + 300}),
    );
    let me = structured(&call(&server, "good", "whoami", json!({})));
    assert_eq!(me["subject"], "grace");
    // A refused token is refused again without asking: made-up tokens sent over and over
    // reach the authorization server once each.
    for _ in 0..3 {
        let reply = call(&server, "made-up", "whoami", json!({}));
        assert_refused(&reply, &server, Some("is not active"));
    }
    assert_eq!(auth.asked("made-up"), 1);
    // Without its credentials the endpoint refuses this server: the token cannot be checked,
    // which is 503 (try again), not 401 (the token is bad).
    let anonymous = resource(&auth);
    let reply = call(&anonymous, "good", "whoami", json!({}));
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.header("retry-after"), Some("5"));
}

#[test]
fn an_issuer_that_does_not_answer_leaves_new_keys_unchecked_not_refused() {
    let key = Key::new("k1");
    let auth = AuthServer::start(&[&key]);
    let server = resource(&auth);
    let claims = claims(&auth, &server, "notes:read");
    drop(auth);
    // A key rotated in while the issuer is down: every try says "try again", also those
    // within the refresh interval that do not fetch again.
    let rotated = Key::new("k2");
    for _ in 0..3 {
        let reply = call(&server, &rotated.sign(&claims), "whoami", json!({}));
        assert_eq!(reply.status, 503, "{}", reply.body);
    }
}

/// A legacy message with `token`, on `session` when one is given.
fn legacy(server: &HttpServer, token: &str, session: Option<&str>, body: &Value) -> Reply {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("authorization", bearer.as_str())];
    if let Some(session) = session {
        headers.push(("mcp-session-id", session));
        headers.push(("mcp-protocol-version", "2025-11-25"));
    }
    post(
        server.authority(),
        server.path(),
        &headers,
        &body.to_string(),
    )
}

/// A legacy session opened with `token`: its id.
fn open_legacy(server: &HttpServer, token: &str) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}});
    let opened = legacy(server, token, None, &init);
    assert_eq!(opened.status, 200, "{}", opened.body);
    let session = opened.header("mcp-session-id").expect("a session");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    legacy(server, token, Some(session), &initialized);
    session.to_owned()
}

/// A legacy `tools/call` on `session`: its structured content.
fn legacy_call(
    server: &HttpServer,
    token: &str,
    session: &str,
    tool: &str,
    arguments: Value,
) -> Value {
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments}});
    structured(&legacy(server, token, Some(session), &call))
}

/// A token of `subject` for `server`, with both scopes.
fn token_of(key: &Key, auth: &AuthServer, server: &HttpServer, subject: &str) -> String {
    let mut claims = claims(auth, server, "notes:read notes:write");
    claims["sub"] = json!(subject);
    key.sign(&claims)
}

#[test]
fn a_legacy_session_stays_bound_to_the_token_subject_that_opened_it() {
    let key = Key::new("k1");
    let auth = AuthServer::start(&[&key]);
    let server = resource(&auth);
    let session = open_legacy(&server, &token_of(&key, &auth, &server, "ada"));
    let whoami = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "whoami", "arguments": {}}});
    // A new token of the same subject keeps the session; another subject's is refused.
    let ada = token_of(&key, &auth, &server, "ada");
    let again = legacy(&server, &ada, Some(&session), &whoami);
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains("\"subject\":\"ada\""), "{}", again.body);
    let mallory = token_of(&key, &auth, &server, "mallory");
    let other = legacy(&server, &mallory, Some(&session), &whoami);
    assert_eq!(other.status, 404, "{}", other.body);
}

#[test]
fn user_state_follows_the_subject_in_both_eras_and_no_one_else() {
    let key = Key::new("k1");
    let auth = AuthServer::start(&[&key]);
    let server = resource(&auth);
    let ada = token_of(&key, &auth, &server, "ada");

    // A 2026-07-28 call (no session) writes ada's notes ...
    let page = structured(&call(&server, &ada, "add_note", json!({"text": "modern"})));
    assert_eq!(page["notes"], json!(["modern"]));
    // ... which her legacy session sees, and adds to ...
    let session = open_legacy(&server, &ada);
    let page = legacy_call(&server, &ada, &session, "notes", json!({}));
    assert_eq!(page["notes"], json!(["modern"]));
    let page = legacy_call(
        &server,
        &ada,
        &session,
        "add_note",
        json!({"text": "legacy"}),
    );
    assert_eq!(page["notes"], json!(["modern", "legacy"]));
    // ... and a 2026-07-28 call sees that, as a tool and as her resource.
    let page = structured(&call(&server, &ada, "notes", json!({})));
    assert_eq!(page["notes"], json!(["modern", "legacy"]));
    let read = request(
        &server,
        &ada,
        "resources/read",
        json!({"uri": "notes://mine"}),
    );
    assert_eq!(read.status, 200, "{}", read.body);
    let read: Value = serde_json::from_str(&read.body).unwrap();
    let text = read["result"]["contents"][0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap()["notes"],
        json!(["modern", "legacy"])
    );

    // Another subject of the same issuer sees none of it, in either era, and has its own.
    let grace = token_of(&key, &auth, &server, "grace");
    let page = structured(&call(&server, &grace, "notes", json!({})));
    assert_eq!(page["notes"], json!([]));
    let theirs = open_legacy(&server, &grace);
    let page = legacy_call(
        &server,
        &grace,
        &theirs,
        "add_note",
        json!({"text": "mine"}),
    );
    assert_eq!(page["notes"], json!(["mine"]));
    let page = structured(&call(&server, &ada, "notes", json!({})));
    assert_eq!(page["notes"], json!(["modern", "legacy"]));
}

#[test]
fn user_state_needs_authentication_at_start_up() {
    for args in [&["--http", "127.0.0.1:0"][..], &["--stdio"][..]] {
        let output = std::process::Command::new(common::example("oauth"))
            .args(args)
            .env_remove("MCP_OAUTH_ISSUER")
            .env_remove("MCP_API_KEYS")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run the example");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr
                .contains("keeps state per caller (`User<T>`), which needs authenticated callers"),
            "{args:?}: {stderr}"
        );
    }
    // API keys are authentication enough.
    let server = HttpServer::start("oauth", &[], &[("MCP_API_KEYS", "ada(notes:write)=k1")]);
    let page = structured(&call(&server, "k1", "add_note", json!({"text": "by key"})));
    assert_eq!(page["notes"], json!(["by key"]));
}

/// Two replicas of the example on one Redis: a subject's state is the same on both, in both
/// eras; concurrent updates through both are all kept; a restarted replica still has it.
#[cfg(feature = "redis")]
#[test]
fn user_state_is_shared_by_replicas_and_outlives_a_restart() {
    let key = Key::new("k1");
    let auth = AuthServer::start(&[&key]);
    let redis = common::RedisServer::start();
    let replica = |port: u16| {
        let public = format!("http://127.0.0.1:{port}/mcp");
        let args = [
            "--oauth-issuer",
            &auth.issuer,
            "--public-url",
            &public,
            "--store",
            &redis.url,
        ];
        HttpServer::start_on("oauth", port, &args, &[])
    };
    let (a, b) = (replica(common::free_port()), replica(common::free_port()));
    let (ada_a, ada_b) = (
        token_of(&key, &auth, &a, "ada"),
        token_of(&key, &auth, &b, "ada"),
    );
    let session = open_legacy(&b, &ada_b);
    const EACH: usize = 10;
    std::thread::scope(|s| {
        s.spawn(|| {
            for n in 0..EACH {
                let text = format!("modern {n}");
                structured(&call(&a, &ada_a, "add_note", json!({ "text": text })));
            }
        });
        s.spawn(|| {
            for n in 0..EACH {
                let text = format!("legacy {n}");
                legacy_call(&b, &ada_b, &session, "add_note", json!({ "text": text }));
            }
        });
    });
    let notes = |server: &HttpServer, token: &str| -> Vec<String> {
        let page = structured(&call(server, token, "notes", json!({})));
        serde_json::from_value(page["notes"].clone()).unwrap()
    };
    let mut seen = notes(&a, &ada_a);
    assert_eq!(seen, notes(&b, &ada_b), "both replicas see the same state");
    seen.sort();
    let mut expected: Vec<String> = (0..EACH)
        .flat_map(|n| [format!("modern {n}"), format!("legacy {n}")])
        .collect();
    expected.sort();
    assert_eq!(seen, expected, "no update lost");

    // Another subject sees none of it on either replica.
    let grace = token_of(&key, &auth, &a, "grace");
    assert!(notes(&a, &grace).is_empty());

    // A replica restarted (a deploy) still has it: it is in the store, not in the process.
    let port = a.port();
    a.terminate();
    let a = replica(port);
    assert_eq!(notes(&a, &ada_a).len(), 2 * EACH);
}

/// A 2026-07-28 request of `method` on `name` (a URI or a prompt's name) with `token`.
fn request(server: &HttpServer, token: &str, method: &str, params: Value) -> Reply {
    let name = params["uri"]
        .as_str()
        .or(params["name"].as_str())
        .unwrap_or_default()
        .to_owned();
    let bearer = format!("Bearer {token}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", method),
        ("mcp-name", name.as_str()),
    ];
    let mut params = params;
    params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}});
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    post(
        server.authority(),
        server.path(),
        &headers,
        &body.to_string(),
    )
}

#[test]
fn resources_and_prompts_need_their_scopes_too() {
    let key = Key::new("k1");
    let auth = AuthServer::start(&[&key]);
    let server = resource(&auth);
    let writer = key.sign(&claims(&auth, &server, "notes:write"));
    let reader = key.sign(&claims(&auth, &server, "notes:read"));
    let read = json!({"uri": "notes://mine"});
    let get = json!({"name": "review", "arguments": {}});
    for (method, params) in [("resources/read", &read), ("prompts/get", &get)] {
        let refused = request(&server, &writer, method, params.clone());
        assert_eq!(refused.status, 403, "{method}: {}", refused.body);
        let challenge = refused.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.contains(r#"error="insufficient_scope", scope="notes:read""#),
            "{challenge}"
        );
        let served = request(&server, &reader, method, params.clone());
        assert_eq!(served.status, 200, "{method}: {}", served.body);
        assert!(!served.body.contains("\"error\""), "{}", served.body);
    }
}
