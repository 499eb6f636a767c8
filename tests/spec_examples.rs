//! The official 2026-07-28 example messages deserialize into the wire model and serialize back
//! to the same JSON, for every type the model covers. They come from `../shared/spec`; where it
//! is absent (see `build.rs`) the test is reported as ignored.

mod common;

use mcp_runtime::__wire::*;
use mcp_runtime::__wire::{ErrorResponse, Notification, Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn round_trip<T: Serialize + DeserializeOwned>(dir: &std::path::Path, kind: &str) -> usize {
    let folder = dir.join(kind);
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in &files {
        let original: Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let typed: T = serde_json::from_value(original.clone())
            .unwrap_or_else(|e| panic!("{} does not deserialize as {kind}: {e}", file.display()));
        let again = serde_json::to_value(&typed).unwrap();
        assert_eq!(
            again,
            original,
            "{} changed in a round trip",
            file.display()
        );
    }
    assert!(!files.is_empty(), "no examples for {kind}");
    files.len()
}

/// Params that carry only `_meta` and an optional cursor.
#[derive(Serialize, serde::Deserialize)]
struct PaginatedParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    meta: Option<JsonObject>,
}

#[test]
#[cfg_attr(
    not(mcp_spec),
    ignore = "../shared/spec is absent: the official example messages are not round-tripped"
)]
fn official_examples_round_trip() {
    let dir = common::spec_dir().join("2026-07-28/examples");
    let mut n = 0;
    n += round_trip::<Request<CallToolRequestParams>>(&dir, "CallToolRequest");
    n += round_trip::<CallToolRequestParams>(&dir, "CallToolRequestParams");
    n += round_trip::<Modern<CallToolResult>>(&dir, "CallToolResult");
    n += round_trip::<Response<Modern<CallToolResult>>>(&dir, "CallToolResultResponse");
    n += round_trip::<Request<PaginatedParams>>(&dir, "DiscoverRequest");
    n += round_trip::<Modern<DiscoverResult>>(&dir, "DiscoverResult");
    n += round_trip::<Response<Modern<DiscoverResult>>>(&dir, "DiscoverResultResponse");
    n += round_trip::<Request<PaginatedParams>>(&dir, "ListToolsRequest");
    n += round_trip::<Modern<ListToolsResult>>(&dir, "ListToolsResult");
    n += round_trip::<Response<Modern<ListToolsResult>>>(&dir, "ListToolsResultResponse");
    n += round_trip::<PaginatedParams>(&dir, "PaginatedRequestParams");
    n += round_trip::<Tool>(&dir, "Tool");
    n += round_trip::<ClientCapabilities>(&dir, "ClientCapabilities");
    n += round_trip::<ServerCapabilities>(&dir, "ServerCapabilities");
    for content in [
        "TextContent",
        "ImageContent",
        "AudioContent",
        "EmbeddedResource",
        "ResourceLink",
    ] {
        n += round_trip::<Content>(&dir, content);
    }
    n += round_trip::<ResourceContents>(&dir, "TextResourceContents");
    n += round_trip::<ResourceContents>(&dir, "BlobResourceContents");
    n += round_trip::<Notification<ProgressNotificationParams>>(&dir, "ProgressNotification");
    n += round_trip::<ProgressNotificationParams>(&dir, "ProgressNotificationParams");
    n += round_trip::<Notification<LoggingMessageNotificationParams>>(
        &dir,
        "LoggingMessageNotification",
    );
    n += round_trip::<LoggingMessageNotificationParams>(&dir, "LoggingMessageNotificationParams");
    for error in [
        "HeaderMismatchError",
        "UnsupportedProtocolVersionError",
        "MissingRequiredClientCapabilityError",
    ] {
        n += round_trip::<ErrorResponse>(&dir, error);
    }
    for error in [
        "ParseError",
        "InvalidParamsError",
        "MethodNotFoundError",
        "InternalError",
    ] {
        n += round_trip::<ErrorObject>(&dir, error);
    }
    assert!(n >= 40, "only {n} examples checked");
}

/// The build script looks for the spec again only when `build.rs` or `MCP_SHARED_DIR` changes,
/// so a spec added after a build would leave the spec tests ignored for a reason no longer true.
#[cfg(not(mcp_spec))]
#[test]
fn spec_is_absent_as_when_built() {
    let dir = common::spec_dir();
    assert!(
        !dir.join("2026-07-28/schema.json").exists(),
        "{} appeared after the tests were built; touch build.rs so that its tests run",
        dir.display()
    );
}
