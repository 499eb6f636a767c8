use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://{id}")]
    fn note(&self, #[arguments] id: String) -> String {
        id
    }
}

fn main() {}
