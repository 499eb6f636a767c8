use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool]
    fn by_value(self) -> String {
        String::new()
    }

    #[tool]
    fn no_receiver() -> String {
        String::new()
    }
}

fn main() {}
