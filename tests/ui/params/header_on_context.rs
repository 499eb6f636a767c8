use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[tool]
    fn run(&self, #[header("Trace")] ctx: Context, region: String) -> String {
        let _ = ctx;
        region
    }
}

fn main() {}
