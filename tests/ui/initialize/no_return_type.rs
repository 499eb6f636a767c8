use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct State {
    n: u64,
}

#[mcp_server(session = State, reinit = "reject")]
impl S {
    #[on_initialize]
    async fn init(&self, new: NewSession) {
        let _ = new;
    }
}

fn main() {}
