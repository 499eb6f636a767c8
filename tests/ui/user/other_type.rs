use mcp_runtime::prelude::*;

#[derive(Default, Serialize, Deserialize)]
struct Notes {
    notes: Vec<String>,
}

#[derive(Default, Serialize, Deserialize)]
struct Other;

struct Server;

// Every method sees the one state the server declares.
#[mcp_server(user = Notes)]
impl Server {
    #[prompt]
    async fn review(&self, user: User<Other>) -> String {
        let _ = user;
        String::new()
    }
}

fn main() {}
