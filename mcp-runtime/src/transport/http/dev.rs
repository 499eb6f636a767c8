//! The development page (`--dev`): one self-contained HTML page at `GET /` that lists the
//! server's tools, resources and prompts and calls tools with real 2026-07-28 requests to the
//! endpoint. Never served without `--dev`.

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

const PAGE: &str = include_str!("dev.html");

/// The handler serving the page, with the endpoint's path written into it.
pub(super) fn page(
    path: &str,
) -> impl Fn() -> std::future::Ready<axum::response::Response> + Clone + Send + Sync + 'static {
    let html: &'static str = Box::leak(with_endpoint(path).into_boxed_str());
    move || {
        let headers = [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                     connect-src 'self'; img-src data:; media-src data:; base-uri 'none'; form-action 'none'",
                ),
            ),
        ];
        std::future::ready((headers, html).into_response())
    }
}

/// The page with `{{MCP_PATH}}` replaced by `path` as the inside of a JavaScript string.
fn with_endpoint(path: &str) -> String {
    let quoted = serde_json::to_string(path).expect("a string serializes");
    let inner = quoted[1..quoted.len() - 1].replace('<', "\\u003c");
    PAGE.replace("{{MCP_PATH}}", &inner)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_endpoint_is_written_into_the_page_as_a_string() {
        let page = super::with_endpoint("/a\"b</script>");
        assert!(!page.contains("{{MCP_PATH}}"));
        assert!(page.contains(r#"/a\"b\u003c/script>"#));
        assert!(!page.contains("</script>\""));
    }
}
