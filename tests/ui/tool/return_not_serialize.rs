use mcp_runtime::prelude::*;

struct S;

struct Opaque;

#[mcp_server]
impl S {
    #[tool]
    fn make(&self) -> Opaque {
        Opaque
    }
}

fn main() {}
