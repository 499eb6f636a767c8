use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource]
    fn today(&self) -> String {
        String::new()
    }

    #[resource(name = "yesterday")]
    fn yesterday(&self) -> String {
        String::new()
    }
}

fn main() {}
