use mcp_runtime::prelude::*;

struct S;

#[mcp_server]
impl S {
    /// Thirteen plain parameters: one more than a tool reads.
    #[tool]
    #[allow(clippy::too_many_arguments)]
    fn wide(
        &self,
        a: i64, b: i64, c: i64, d: i64, e: i64, f: i64, g: i64,
        h: i64, i: i64, j: i64, k: i64, l: i64, m: i64,
    ) -> String {
        (a + b + c + d + e + f + g + h + i + j + k + l + m).to_string()
    }
}

fn main() {}
