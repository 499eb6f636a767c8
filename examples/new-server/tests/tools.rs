//! The server's tools, called in process in both protocol eras.

#[path = "../src/main.rs"]
#[allow(dead_code)]
mod server;

use mcp_runtime::testing::TestClient;
use serde_json::json;

#[tokio::test]
async fn count_words_counts_in_both_eras() {
    for client in [
        TestClient::legacy(server::Notes).await,
        TestClient::stateless(server::Notes).await,
    ] {
        let result = client
            .call_tool("count_words", json!({"text": "one two  three"}))
            .await
            .expect("a result");
        assert_eq!(
            result.structured_content.map(|s| s.get().to_owned()),
            Some(r#"{"words":3}"#.to_owned())
        );
    }
}

#[tokio::test]
async fn bad_arguments_are_a_tool_error_the_model_can_read() {
    let client = TestClient::stateless(server::Notes).await;
    let result = client
        .call_tool("count_words", json!({"text": 5}))
        .await
        .expect("a result");
    assert_eq!(result.is_error, Some(true));
}
