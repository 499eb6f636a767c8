use mcp_runtime::prelude::*;

#[derive(Default, Serialize, Deserialize)]
struct Notes {
    notes: Vec<String>,
}

struct Server;

// `User<Notes>` without `#[mcp_server(user = Notes)]`.
#[mcp_server]
impl Server {
    #[tool]
    async fn notes(&self, user: User<Notes>) -> String {
        let _ = user;
        String::new()
    }
}

fn main() {}
