use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    #[resource("notes://{id")]
    fn unclosed(&self, id: String) -> String {
        id
    }

    #[resource("notes://{+path}")]
    fn operator(&self, path: String) -> String {
        path
    }

    #[resource("notes://{a}{b}")]
    fn adjacent(&self, a: String, b: String) -> String {
        a + &b
    }

    #[resource("notes://{id}/{id}")]
    fn repeated(&self, id: String) -> String {
        id
    }

    #[resource("notes://id}")]
    fn stray(&self) -> String {
        String::new()
    }
}

fn main() {}
