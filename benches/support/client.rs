//! A minimal MCP client over streamable HTTP for the benchmarks: one keep-alive HTTP/1.1
//! connection per virtual client, bodies written by the caller, replies read whole.
//!
//! It speaks to any URL, so servers written with other SDKs are measured the same way.

use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The legacy revision the benchmarks negotiate.
pub(crate) const LEGACY_VERSION: &str = "2025-11-25";
/// The stateless revision.
pub(crate) const MODERN_VERSION: &str = "2026-07-28";

pub(crate) const SESSION: HeaderName = HeaderName::from_static("mcp-session-id");
pub(crate) const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
pub(crate) const METHOD: HeaderName = HeaderName::from_static("mcp-method");
pub(crate) const NAME: HeaderName = HeaderName::from_static("mcp-name");

/// Where a server listens: `http://host:port/path`.
#[derive(Debug)]
pub(crate) struct Endpoint {
    authority: String,
    host: HeaderValue,
    path: String,
}

impl Endpoint {
    /// Parses an `http://` URL; `https` is not spoken here.
    pub(crate) fn parse(url: &str) -> Result<Arc<Self>, String> {
        let uri: Uri = url.parse().map_err(|e| format!("bad URL `{url}`: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("only http:// URLs are supported, got `{url}`"));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("no host in `{url}`"))?
            .to_string();
        let authority = if authority.contains(':') {
            authority
        } else {
            format!("{authority}:80")
        };
        let host = HeaderValue::from_str(&authority).map_err(|e| e.to_string())?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        Ok(Arc::new(Self {
            authority,
            host,
            path,
        }))
    }
}

/// A reply, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    /// The `Mcp-Session-Id` header, if any.
    pub session: Option<HeaderValue>,
    /// Whether the body is an SSE stream.
    pub is_sse: bool,
    pub body: Bytes,
}

/// One keep-alive connection.
pub(crate) struct Conn {
    endpoint: Arc<Endpoint>,
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Conn {
    /// Connects, with `TCP_NODELAY` like the servers under test.
    pub(crate) async fn open(endpoint: Arc<Endpoint>) -> Result<Self, String> {
        let tcp = TcpStream::connect(&endpoint.authority)
            .await
            .map_err(|e| format!("connect {}: {e}", endpoint.authority))?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) = http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            // Ends when the connection closes; the next send reports why.
            let _ = connection.await;
        });
        Ok(Self { endpoint, sender })
    }

    /// POSTs a JSON-RPC message with the headers every MCP POST carries, plus `extra`.
    pub(crate) async fn post(
        &mut self,
        extra: &[(HeaderName, HeaderValue)],
        body: Vec<u8>,
    ) -> Result<Reply, String> {
        let mut req = Request::post(self.endpoint.path.as_str())
            .header(HOST, self.endpoint.host.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                ACCEPT,
                HeaderValue::from_static("application/json, text/event-stream"),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        for (name, value) in extra {
            req.headers_mut().insert(name, value.clone());
        }
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let res = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = res.status();
        let session = res.headers().get(&SESSION).cloned();
        let is_sse = res
            .headers()
            .get(CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok(Reply {
            status,
            session,
            is_sse,
            body,
        })
    }

    /// Opens a legacy session: `initialize`, then `notifications/initialized`, each with the
    /// `extra` headers (say, `Authorization`). Returns the session's own headers, which every
    /// later request on it carries.
    pub(crate) async fn initialize(
        &mut self,
        extra: &[(HeaderName, HeaderValue)],
    ) -> Result<[(HeaderName, HeaderValue); 2], String> {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{LEGACY_VERSION}","capabilities":{{}},"clientInfo":{{"name":"mcp-bench","version":"0.1.0"}}}}}}"#
        );
        let reply = self.post(extra, body.into_bytes()).await?;
        if reply.status != StatusCode::OK {
            return Err(format!("initialize: HTTP {}", reply.status));
        }
        let session = reply
            .session
            .ok_or("initialize: no `Mcp-Session-Id` in the reply")?;
        let headers = [
            (SESSION, session),
            (PROTOCOL_VERSION, HeaderValue::from_static(LEGACY_VERSION)),
        ];
        let note = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_vec();
        let with_extra: Vec<_> = headers.iter().chain(extra).cloned().collect();
        let reply = self.post(&with_extra, note).await?;
        if reply.status != StatusCode::ACCEPTED {
            return Err(format!("notifications/initialized: HTTP {}", reply.status));
        }
        Ok(headers)
    }
}

/// The `data:` payloads of an SSE body, one per event. Events without data (a server's
/// priming event that only sets an id or a retry) are skipped, as an SSE client does.
pub(crate) fn sse_messages(body: &[u8]) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut data: Option<Vec<u8>> = None;
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            messages.extend(data.take().filter(|d| !d.is_empty()));
        } else if let Some(rest) = line.strip_prefix(b"data:") {
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            let buf = data.get_or_insert_with(Vec::new);
            if !buf.is_empty() {
                buf.push(b'\n');
            }
            buf.extend_from_slice(rest);
        }
    }
    messages.extend(data.filter(|d| !d.is_empty()));
    messages
}
