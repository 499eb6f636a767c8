use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://{id}/{rev}")]
    fn note(&self, id: String) -> String {
        id
    }
}

fn main() {}
