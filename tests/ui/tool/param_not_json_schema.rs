use mcp_runtime::prelude::*;

struct S;

#[derive(Deserialize)]
struct Point {
    x: i64,
}

#[mcp_server]
impl S {
    #[tool]
    fn plot(&self, point: Point) -> String {
        point.x.to_string()
    }
}

fn main() {}
