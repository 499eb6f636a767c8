//! The JSON-RPC 2.0 envelope: parsing incoming messages without touching their params, and
//! writing responses and notifications straight into byte buffers.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use super::error::ErrorObject;

/// A request id: a string or an integer (MCP forbids `null`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(Box<str>),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl Serialize for RequestId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Number(n) => s.serialize_i64(*n),
            Self::String(v) => s.serialize_str(v),
        }
    }
}

impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = RequestId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RequestId, E> {
                Ok(RequestId::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RequestId, E> {
                i64::try_from(v)
                    .map(RequestId::Number)
                    .map_err(|_| E::custom("request id out of range"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RequestId, E> {
                Ok(RequestId::String(v.into()))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

/// The envelope of one incoming message; `params`, `result` and `error` stay raw so that each
/// method parses its own params straight into its own type.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a JSON-RPC message object")]
pub struct Envelope<'a> {
    /// Must be `"2.0"`; escapes are allowed (`"2\u002e0"`), as in any JSON string.
    #[serde(borrow)]
    pub jsonrpc: Option<Cow<'a, str>>,
    /// Present on requests and responses; `Some(None)` is an explicit `null`.
    #[serde(default, deserialize_with = "present")]
    pub id: Option<Option<RequestId>>,
    /// Present on requests and notifications.
    #[serde(borrow)]
    pub method: Option<std::borrow::Cow<'a, str>>,
    /// The request's params, unparsed.
    #[serde(borrow)]
    pub params: Option<&'a RawValue>,
    /// A response's result, unparsed.
    #[serde(borrow)]
    pub result: Option<&'a RawValue>,
    /// A response's error, unparsed.
    #[serde(borrow)]
    pub error: Option<&'a RawValue>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<RequestId>>, D::Error> {
    Option::<RequestId>::deserialize(d).map(Some)
}

/// What an incoming message is.
#[derive(Debug)]
pub enum Incoming<'a> {
    /// A request: it gets a response.
    Request {
        /// Its id.
        id: RequestId,
        /// Its method.
        method: std::borrow::Cow<'a, str>,
        /// Its params, unparsed.
        params: Option<&'a RawValue>,
    },
    /// A notification: no response.
    Notification {
        /// Its method.
        method: std::borrow::Cow<'a, str>,
        /// Its params, unparsed.
        params: Option<&'a RawValue>,
    },
    /// A response to a request this server sent.
    Response {
        /// The id of the server's request.
        id: RequestId,
        /// The result, or the error, unparsed.
        outcome: Result<&'a RawValue, &'a RawValue>,
    },
}

/// Why a message could not be read, with the id to answer to when one was readable.
#[derive(Debug)]
pub struct InvalidMessage {
    /// The id of the message, when it had a usable one.
    pub id: Option<RequestId>,
    /// The error to send back.
    pub error: ErrorObject,
}

impl<'a> Incoming<'a> {
    /// Parses one JSON-RPC message. Batches (arrays) are refused: MCP removed them in
    /// 2025-06-18 and no current client sends them.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, InvalidMessage> {
        let env: Envelope<'a> = serde_json::from_slice(bytes).map_err(|e| {
            let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
            let error = match (e.classify(), first) {
                (serde_json::error::Category::Data, Some(b'[')) => ErrorObject::invalid_request(
                    "JSON-RPC batches are not supported; send one message per request",
                ),
                (serde_json::error::Category::Data, _) => {
                    ErrorObject::invalid_request(format!("not a JSON-RPC message: {e}"))
                }
                _ => ErrorObject::parse_error(e),
            };
            InvalidMessage { id: None, error }
        })?;
        env.classify()
    }
}

impl<'a> Envelope<'a> {
    fn classify(self) -> Result<Incoming<'a>, InvalidMessage> {
        let invalid = |id: Option<RequestId>, msg: &'static str| InvalidMessage {
            id,
            error: ErrorObject::invalid_request(msg),
        };
        let id = match self.id {
            None => None,
            Some(Some(id)) => Some(id),
            Some(None) => {
                return Err(invalid(
                    None,
                    "`id` must be a string or an integer, not null",
                ));
            }
        };
        if self.jsonrpc.as_deref() != Some("2.0") {
            return Err(invalid(id, "`jsonrpc` must be \"2.0\""));
        }
        match (self.method, id, self.result, self.error) {
            (Some(method), Some(id), None, None) => Ok(Incoming::Request {
                id,
                method,
                params: self.params,
            }),
            (Some(method), None, None, None) => Ok(Incoming::Notification {
                method,
                params: self.params,
            }),
            (None, Some(id), Some(result), None) => Ok(Incoming::Response {
                id,
                outcome: Ok(result),
            }),
            (None, Some(id), None, Some(error)) => Ok(Incoming::Response {
                id,
                outcome: Err(error),
            }),
            (_, id, _, _) => Err(invalid(
                id,
                "a JSON-RPC message needs `method` (request or notification) or `result`/`error` with `id` (response)",
            )),
        }
    }
}

/// Writes `{"jsonrpc":"2.0","id":ID,"result":` into `buf`; the caller appends the result and
/// closes with [`end_response`].
pub fn begin_result(buf: &mut Vec<u8>, id: &RequestId) {
    buf.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    write_id(buf, Some(id));
    buf.extend_from_slice(b",\"result\":");
}

/// Closes a response opened by [`begin_result`].
pub fn end_response(buf: &mut Vec<u8>) {
    buf.push(b'}');
}

/// A complete error response. `id` is `null` only when the request's id could not be read.
pub fn error_response(id: Option<&RequestId>, error: &ErrorObject) -> Vec<u8> {
    let mut buf = Vec::with_capacity(96 + error.message.len());
    buf.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    write_id(&mut buf, id);
    buf.extend_from_slice(b",\"error\":");
    serde_json::to_writer(&mut buf, error).expect("error objects serialize");
    end_response(&mut buf);
    buf
}

/// A request, owned and typed by its params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request<P> {
    /// Always `"2.0"`.
    pub jsonrpc: Cow<'static, str>,
    /// The id its response will carry.
    pub id: RequestId,
    /// The method.
    pub method: Cow<'static, str>,
    /// The params.
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub params: Option<P>,
}

/// A notification, owned and typed by its params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification<P> {
    /// Always `"2.0"`.
    pub jsonrpc: Cow<'static, str>,
    /// The method.
    pub method: Cow<'static, str>,
    /// The params.
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub params: Option<P>,
}

/// A successful response, owned and typed by its result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Response<R> {
    /// Always `"2.0"`.
    pub jsonrpc: Cow<'static, str>,
    /// The request's id.
    pub id: RequestId,
    /// The result.
    pub result: R,
}

/// An error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// Always `"2.0"`.
    pub jsonrpc: Cow<'static, str>,
    /// The request's id; `null` when it could not be read.
    pub id: Option<RequestId>,
    /// The error.
    pub error: ErrorObject,
}

fn none<T>() -> Option<T> {
    None
}

/// A complete notification with the given params.
pub fn notification<P: Serialize>(method: &'static str, params: P) -> Vec<u8> {
    let n = Notification {
        jsonrpc: "2.0".into(),
        method: method.into(),
        params: Some(params),
    };
    serde_json::to_vec(&n).expect("notifications serialize")
}

/// A complete request from the server to the client.
pub fn request<P: Serialize>(id: &RequestId, method: &'static str, params: P) -> Vec<u8> {
    #[derive(Serialize)]
    struct Outgoing<'a, P> {
        jsonrpc: &'static str,
        id: &'a RequestId,
        method: &'static str,
        params: P,
    }
    serde_json::to_vec(&Outgoing {
        jsonrpc: "2.0",
        id,
        method,
        params,
    })
    .expect("requests serialize")
}

fn write_id(buf: &mut Vec<u8>, id: Option<&RequestId>) {
    match id {
        None => buf.extend_from_slice(b"null"),
        Some(RequestId::Number(n)) => {
            use std::io::Write as _;
            write!(buf, "{n}").expect("writing to a Vec cannot fail");
        }
        Some(RequestId::String(s)) => {
            serde_json::to_writer(&mut *buf, s).expect("strings serialize")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_parts(bytes: &[u8]) -> (RequestId, String, Option<String>) {
        match Incoming::parse(bytes).unwrap() {
            Incoming::Request { id, method, params } => {
                (id, method.into_owned(), params.map(|p| p.get().to_owned()))
            }
            other => panic!("not a request: {other:?}"),
        }
    }

    #[test]
    fn classifies_requests_notifications_and_responses() {
        let (id, method, params) =
            request_parts(br#"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"a":1}}"#);
        assert_eq!(id, RequestId::Number(7));
        assert_eq!(method, "tools/list");
        assert_eq!(params.as_deref(), Some(r#"{"a":1}"#));
        assert!(matches!(
            Incoming::parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap(),
            Incoming::Notification { .. }
        ));
        assert!(matches!(
            Incoming::parse(br#"{"jsonrpc":"2.0","id":"x","result":{}}"#).unwrap(),
            Incoming::Response { outcome: Ok(_), .. }
        ));
    }

    #[test]
    fn rejects_bad_messages_with_the_right_codes() {
        let code = |b: &[u8]| Incoming::parse(b).unwrap_err().error.code;
        assert_eq!(code(b"{not json"), -32700);
        assert_eq!(code(b""), -32700);
        assert_eq!(
            code(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#),
            -32600
        );
        assert_eq!(code(br#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#), -32600);
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#),
            -32600
        );
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#),
            -32600
        );
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1}"#), -32600);
        let err = Incoming::parse(br#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#).unwrap_err();
        assert_eq!(err.id, Some(RequestId::Number(3)));
    }

    #[test]
    fn writes_responses_byte_for_byte() {
        let mut buf = Vec::new();
        begin_result(&mut buf, &RequestId::String("a\"b".into()));
        buf.extend_from_slice(b"{}");
        end_response(&mut buf);
        assert_eq!(buf, br#"{"jsonrpc":"2.0","id":"a\"b","result":{}}"#);
        let err = error_response(None, &ErrorObject::parse_error("eof"));
        assert_eq!(
            std::str::from_utf8(&err).unwrap(),
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: eof"}}"#
        );
    }
}
