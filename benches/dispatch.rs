//! Dispatch micro-benchmark (see BENCHMARKS.md): the `call_tool` that `#[mcp_server]`
//! generates for a server with 100 tools, against a hand-written `match` doing the same work
//! (look the name up, deserialize `{a, b}` from the raw arguments, call the method, build the
//! tool result).
//!
//! ```text
//! cargo bench --bench dispatch       # env: DISPATCH_ROUNDS (default 11), DISPATCH_CALLS (200000)
//! ```

// A benchmark's report is what it prints.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::pin::pin;
use std::task::{Poll, Waker};
use std::time::Instant;

use mcp_runtime::__private::{IntoToolResult, Json, RawValue, ToolCallError, parse_arguments};
use mcp_runtime::Server;
use mcp_runtime::prelude::*;

/// A server with 100 tools.
struct Hundred;

/// The sum of two integers.
#[derive(Serialize, JsonSchema)]
struct Sum {
    /// `a + b`.
    sum: i64,
}

macro_rules! hundred_tools {
    ($($name:ident)*) => {
        #[mcp_server(name = "hundred")]
        impl Hundred {
            $(
                /// Add two integers.
                #[tool]
                fn $name(&self, a: i64, b: i64) -> Sum {
                    Sum { sum: a.wrapping_add(b) }
                }
            )*
        }

        const NAMES: &[&str] = &[$(stringify!($name)),*];

        // One arguments type per tool, as hand-written code for 100 distinct tools would have.
        $(
            #[allow(non_snake_case)]
            mod $name {
                #[derive(serde::Deserialize)]
                pub(crate) struct Arguments {
                    pub a: i64,
                    pub b: i64,
                }
            }
        )*

        /// The same work as the generated dispatch, written as one plain `match`.
        fn hand_written(
            server: &Hundred,
            name: &str,
            arguments: Option<&RawValue>,
            _cx: Context,
        ) -> Result<CallToolResult, ToolCallError> {
            match name {
                $(stringify!($name) => {
                    let args: $name::Arguments = parse_arguments(arguments)?;
                    Ok(Json(server.$name(args.a, args.b)).into_tool_result())
                })*
                _ => Err(ToolCallError::UnknownTool),
            }
        }

        /// The same `match` with one arguments type shared by all tools: less code than 100
        /// distinct tools need, so it shows what code size alone costs.
        fn hand_written_shared(
            server: &Hundred,
            name: &str,
            arguments: Option<&RawValue>,
            _cx: Context,
        ) -> Result<CallToolResult, ToolCallError> {
            match name {
                $(stringify!($name) => {
                    let args: SharedArguments = parse_arguments(arguments)?;
                    Ok(Json(server.$name(args.a, args.b)).into_tool_result())
                })*
                _ => Err(ToolCallError::UnknownTool),
            }
        }
    };
}

#[derive(Deserialize)]
struct SharedArguments {
    a: i64,
    b: i64,
}

hundred_tools!(
    t00 t01 t02 t03 t04 t05 t06 t07 t08 t09 t10 t11 t12 t13 t14 t15 t16 t17 t18 t19
    t20 t21 t22 t23 t24 t25 t26 t27 t28 t29 t30 t31 t32 t33 t34 t35 t36 t37 t38 t39
    t40 t41 t42 t43 t44 t45 t46 t47 t48 t49 t50 t51 t52 t53 t54 t55 t56 t57 t58 t59
    t60 t61 t62 t63 t64 t65 t66 t67 t68 t69 t70 t71 t72 t73 t74 t75 t76 t77 t78 t79
    t80 t81 t82 t83 t84 t85 t86 t87 t88 t89 t90 t91 t92 t93 t94 t95 t96 t97 t98 t99
);

/// One call through the generated `Server::call_tool`; its future is ready at first poll
/// because the tools are synchronous.
fn generated(name: &str, arguments: &RawValue) -> CallToolResult {
    let Ok(future) = Hundred.call_tool(name, Some(arguments), Context::detached(), None) else {
        panic!("generated dispatch refused `{name}`");
    };
    let mut task = std::task::Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut task) {
        Poll::Ready(result) => result,
        Poll::Pending => panic!("a synchronous tool's future was pending"),
    }
}

fn by_hand(name: &str, arguments: &RawValue) -> CallToolResult {
    match hand_written(&Hundred, name, Some(arguments), Context::detached()) {
        Ok(result) => result,
        Err(_) => panic!("hand-written dispatch refused `{name}`"),
    }
}

fn by_hand_shared(name: &str, arguments: &RawValue) -> CallToolResult {
    match hand_written_shared(&Hundred, name, Some(arguments), Context::detached()) {
        Ok(result) => result,
        Err(_) => panic!("hand-written dispatch refused `{name}`"),
    }
}

/// One way to dispatch a call.
type Dispatch = fn(&str, &RawValue) -> CallToolResult;

/// Nanoseconds per call over `calls` calls cycling through all 100 names.
fn time(calls: usize, arguments: &RawValue, f: Dispatch) -> f64 {
    let start = Instant::now();
    for i in 0..calls {
        let name = black_box(NAMES[i % NAMES.len()]);
        black_box(f(name, black_box(arguments)));
    }
    start.elapsed().as_nanos() as f64 / calls as f64
}

fn env(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds = env("DISPATCH_ROUNDS", 11).max(1);
    let calls = env("DISPATCH_CALLS", 200_000).max(1);
    let arguments = RawValue::from_string(r#"{"a":2,"b":40}"#.to_owned()).expect("valid JSON");
    // All must agree before they are timed.
    for name in NAMES {
        let (g, h) = (generated(name, &arguments), by_hand(name, &arguments));
        assert_eq!(g.content, h.content);
        assert_eq!(g.content, by_hand_shared(name, &arguments).content);
        assert_eq!(
            g.structured_content.as_deref().map(RawValue::get),
            Some(r#"{"sum":42}"#)
        );
    }
    let variants: [(&str, Dispatch); 3] = [
        ("generated (#[mcp_server])", generated),
        (
            "hand-written match, per-tool argument types (same work)",
            by_hand,
        ),
        (
            "hand-written match, one shared argument type",
            by_hand_shared,
        ),
    ];
    let mut ns: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for (_, f) in &variants {
        time(calls, &arguments, *f);
    }
    for round in 0..rounds {
        // Rotate which goes first, so none always runs on a warmer cache.
        for k in 0..variants.len() {
            let i = (k + round) % variants.len();
            ns[i].push(time(calls, &arguments, variants[i].1));
        }
    }
    let medians: Vec<f64> = ns.into_iter().map(median).collect();
    println!(
        "dispatch, 100 tools, median of {rounds} rounds of {calls} calls cycling through all names:"
    );
    for ((label, _), m) in variants.iter().zip(&medians) {
        println!(
            "  {label:<58} {m:>7.1} ns/call  generated/this {:.3} ({:+.1}%)",
            medians[0] / m,
            (medians[0] / m - 1.0) * 100.0
        );
    }
}
