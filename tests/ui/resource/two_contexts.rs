use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://today")]
    fn today(&self, ctx: Context, again: Context) -> String {
        let _ = (ctx, again);
        String::new()
    }
}

fn main() {}
