use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct State {
    n: u64,
}

#[derive(Default, Serialize, Deserialize)]
struct Other;

#[mcp_server(session = State, reinit = "reject")]
impl S {
    #[on_initialize]
    async fn init(&self, new: NewSession) -> Other {
        let _ = new;
        Other
    }
}

fn main() {}
