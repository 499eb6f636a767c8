use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool]
    unsafe fn risky(&self) -> String {
        String::new()
    }

    #[tool]
    const fn fixed(&self) -> u32 {
        1
    }
}

fn main() {}
