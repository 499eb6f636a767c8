use mcp_runtime::prelude::*;

struct S;

#[derive(Default, Serialize, Deserialize)]
struct State {
    n: u64,
}

#[mcp_server(session = State, reinit = "reject")]
impl S {
    #[on_initialize]
    async fn init<T: Default>(&self, new: NewSession) -> State {
        let _ = new;
        State::default()
    }
}

fn main() {}
