// Three mistakes in one server are reported together, and the rest of the crate still
// type-checks against the server (the fallback impl keeps `serve` callable).
use mcp_runtime::prelude::*;

struct S;

#[mcp_server(nme = "x")]
impl S {
    #[tool(name = "")]
    fn a(&self) -> String {
        String::new()
    }

    #[tool(fast)]
    fn b(&self) -> String {
        String::new()
    }
}

#[tokio::main]
async fn main() {
    let _ = S.serve().await;
}
