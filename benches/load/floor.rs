//! The floor: a bare axum handler that parses the same JSON-RPC `tools/call add` body and
//! returns the same result bytes as the framework, with no MCP machinery (no header checks, no
//! sessions, no dispatch, no schemas). What the framework costs is its throughput against this.
//!
//! It answers `initialize` with a fixed session id and notifications with 202, so the load
//! generator's legacy mode runs against it unchanged.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::serve::ListenerExt;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Call<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow)]
    params: Option<Params<'a>>,
}

#[derive(Deserialize)]
struct Params<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    arguments: Option<AddArguments>,
}

#[derive(Deserialize)]
struct AddArguments {
    a: i64,
    b: i64,
}

/// Serves the floor on `addr` on a runtime shaped like `#[tokio::main]`'s, with
/// `TCP_NODELAY` like the framework. Prints the framework's start-up line format.
pub(crate) fn serve(addr: SocketAddr) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!("floor serving MCP at http://{local}/mcp");
        let router = Router::new().route("/mcp", axum::routing::post(handle));
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, router)
            .await
            .map_err(|e| e.to_string())
    })
}

async fn handle(headers: HeaderMap, body: Bytes) -> Response {
    let Ok(call) = serde_json::from_slice::<Call<'_>>(&body) else {
        return reply(StatusCode::BAD_REQUEST, "{}".into());
    };
    let Some(id) = call.id else {
        return reply(StatusCode::ACCEPTED, String::new());
    };
    let id = id.get();
    let mut out = String::with_capacity(160);
    match (&*call.method, call.params) {
        (
            "tools/call",
            Some(Params {
                name: Some(name),
                arguments: Some(args),
            }),
        ) if name == "add" => {
            let sum = args.a.wrapping_add(args.b);
            let modern = headers
                .get("mcp-protocol-version")
                .is_some_and(|v| v.as_bytes() >= b"2026".as_slice());
            let result_type = if modern {
                r#""resultType":"complete","#
            } else {
                ""
            };
            let _ = write!(
                out,
                r#"{{"jsonrpc":"2.0","id":{id},"result":{{{result_type}"content":[{{"type":"text","text":"{{\"sum\":{sum}}}"}}],"structuredContent":{{"sum":{sum}}}}}}}"#
            );
        }
        ("initialize", _) => {
            let _ = write!(
                out,
                r#"{{"jsonrpc":"2.0","id":{id},"result":{{"protocolVersion":"2025-11-25","capabilities":{{"tools":{{}}}},"serverInfo":{{"name":"floor","version":"0"}}}}}}"#
            );
            let mut res = reply(StatusCode::OK, out);
            res.headers_mut().insert(
                "mcp-session-id",
                HeaderValue::from_static("00000000000000000000000000000001"),
            );
            return res;
        }
        _ => {
            let _ = write!(
                out,
                r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-32601,"message":"the floor only adds"}}}}"#
            );
        }
    }
    reply(StatusCode::OK, out)
}

fn reply(status: StatusCode, body: String) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}
