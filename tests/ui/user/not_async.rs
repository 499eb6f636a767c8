use mcp_runtime::prelude::*;

#[derive(Default, Serialize, Deserialize)]
struct Notes {
    notes: Vec<String>,
}

struct Server;

#[mcp_server(user = Notes)]
impl Server {
    // The state is read with `.await`: a plain fn cannot.
    #[tool]
    fn notes(&self, user: User<Notes>) -> String {
        let _ = user;
        String::new()
    }

    #[resource("notes://mine")]
    fn mine(&self, user: User<Notes>) -> String {
        let _ = user;
        String::new()
    }

    #[tool]
    async fn twice(&self, first: User<Notes>, second: User<Notes>) -> String {
        let _ = (first, second);
        String::new()
    }
}

fn main() {}
