use mcp_runtime::prelude::*;

struct S;

struct Id(String);

#[mcp_server]
impl S {
    #[resource("notes://{id}")]
    fn note(&self, id: Id) -> String {
        id.0
    }
}

fn main() {}
