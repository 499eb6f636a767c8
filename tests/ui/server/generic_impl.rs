use mcp_runtime::prelude::*;

struct G<T>(T);

#[mcp_server]
impl<T: Send + Sync + 'static> G<T> {
    #[tool]
    fn get(&self) -> String {
        String::new()
    }
}

fn main() {}
