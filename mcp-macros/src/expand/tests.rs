//! Expansion snapshots: what `#[mcp_server]` writes for two servers, formatted, compared with
//! the files in `tests/snapshots/`. `UPDATE_SNAPSHOTS=1 cargo test -p mcp-macros` rewrites them.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;

/// The two-tool server of `examples/hello.rs`.
#[test]
fn hello() {
    let item = quote! {
        impl Hello {
            /// Add two integers.
            #[tool(read_only, idempotent)]
            fn add(
                &self,
                /// The first addend.
                a: i64,
                /// The second addend.
                b: i64,
            ) -> Sum {
                Sum { sum: a.wrapping_add(b) }
            }

            /// Return the text unchanged.
            #[tool(read_only, idempotent)]
            fn echo(
                &self,
                /// The text to echo.
                text: String,
            ) -> String {
                text
            }
        }
    };
    assert_snapshot("hello", TokenStream::new(), item);
}

/// A server that uses every attribute, every key and every kind of parameter and return type.
#[test]
fn everything() {
    let attr = quote! {
        name = "forms",
        version = "1.2.3",
        title = "Forms",
        instructions = "Use the forms.",
        icon = "https://example.com/forms.png",
        session = Visits,
        user = Visits,
    };
    let item = quote! {
        impl Forms {
            /// Structured, from an async method.
            ///
            /// Second paragraph.
            #[tool(
                name = "make.point",
                title = "Make a point",
                icon = "https://example.com/point.png",
                read_only,
                destructive = false,
                idempotent,
                open_world = false
            )]
            async fn point(&self, x: i64, y: Option<i64>) -> Point {
                Point { x, y: y.unwrap_or(0) }
            }

            /// A `Result` of a structured value.
            #[tool]
            fn try_point(&self, x: i64) -> Result<Point, Failure> {
                if x < 0 { Err(Failure) } else { Ok(Point { x, y: x }) }
            }

            /// A `Result` of text, a raw identifier and a header.
            #[tool]
            fn r#type(
                &self,
                /// Where to run.
                #[header("Region")]
                region: String,
                r#in: String,
            ) -> Result<String, Failure> {
                Ok(format!("{region}{in}", in = r#in))
            }

            /// Content blocks.
            #[tool]
            fn blocks(&self) -> Vec<Content> {
                vec![Content::text("a")]
            }

            /// Nothing.
            #[tool]
            fn nothing(&self) {}

            /// The whole arguments object, with its own schema.
            #[tool]
            fn submit(&self, #[arguments] form: ContactForm, ctx: Context) -> String {
                ctx.log(LoggingLevel::Info, None, "submitted");
                form.name
            }

            /// Counts in the caller's session; may run as a task.
            #[tool(task = "optional")]
            async fn count(&self, session: Session<Visits>, ctx: Context) -> Result<String, StateError> {
                ctx.progress(1.0, None, None);
                Ok(session.update(|v| { v.count += 1; v.count }).await?.to_string())
            }

            /// Counts in the caller's own state, after the context moved into the call.
            #[tool]
            async fn mine(&self, ctx: Context, user: User<Visits>) -> Result<String, UserStateError> {
                let _ = ctx;
                Ok(user.update(|v| { v.count += 1; v.count }).await?.to_string())
            }

            /// Only runs as a task.
            #[tool(task = "required")]
            async fn slow(&self) -> String {
                String::new()
            }

            /// Not a tool: stays an ordinary method.
            fn helper(&self) -> i64 {
                1
            }

            /// Today's note.
            #[resource("notes://today", name = "today", title = "Today", mime_type = "text/markdown")]
            fn today(&self) -> String {
                "# Today".into()
            }

            /// One revision of a note.
            #[resource("notes://{id}/rev/{rev}")]
            async fn revision(&self, rev: u32, ctx: Context, id: String, user: User<Visits>) -> Result<Vec<u8>, Failure> {
                let _ = (ctx, user);
                Ok(format!("{id}@{rev}").into_bytes())
            }

            /// Greets someone.
            #[prompt(name = "greeting", title = "Greeting")]
            fn greet(
                &self,
                /// Whom to greet.
                name: String,
                /// How warmly.
                tone: Option<String>,
            ) -> String {
                format!("Greet {name} {}", tone.unwrap_or_default())
            }

            /// Asks before it renders.
            #[prompt]
            async fn topic(&self, ctx: Context) -> Vec<PromptMessage> {
                let _ = ctx;
                Vec::new()
            }

            /// Completes `name` of `greeting`.
            #[complete(prompt = "greeting", argument = "name")]
            fn names(&self, value: String) -> Vec<String> {
                vec![value]
            }

            /// Completes `id` of `notes://{id}/rev/{rev}`.
            #[complete(resource = "notes://{id}/rev/{rev}", argument = "id")]
            async fn ids(&self, value: String) -> Completion {
                Completion { values: vec![value], total: None, has_more: None }
            }

            /// A new session's first state.
            #[on_initialize]
            async fn start(&self, new: NewSession) -> Visits {
                let _ = new;
                Visits::default()
            }

            /// Resumes sessions the store still has.
            #[on_reinit]
            async fn resume(&self, req: ReinitRequest) -> Reinit<Visits> {
                match req.stored_state() {
                    Some(state) => Reinit::Resume(state),
                    None => Reinit::Reject,
                }
            }
        }
    };
    assert_snapshot("everything", attr, item);
}

/// Compares the formatted expansion with `tests/snapshots/{name}.expanded.rs`, or rewrites that
/// file when `UPDATE_SNAPSHOTS=1`.
fn assert_snapshot(name: &str, attr: TokenStream, item: TokenStream) {
    let expanded = super::server(attr, item);
    assert!(
        !expanded.to_string().contains("compile_error"),
        "the `{name}` server does not expand cleanly:\n{expanded}"
    );
    let file: syn::File = syn::parse2(expanded).expect("an expansion is a list of items");
    let actual = format!(
        "// The expansion of the `{name}` server in `src/expand/tests.rs`.\n\
         // Regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p mcp-macros`.\n\n{}",
        prettyplease::unparse(&file)
    );
    let path = snapshot_path(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &actual).expect("the snapshot is writable");
        return;
    }
    let Ok(expected) = std::fs::read_to_string(&path) else {
        panic!(
            "no snapshot at {}; run `UPDATE_SNAPSHOTS=1 cargo test -p mcp-macros` to write it",
            path.display()
        );
    };
    if expected != actual {
        panic!(
            "the expansion of `{name}` differs from {} (- snapshot, + now):\n{}\n\
             if the change is intended, run `UPDATE_SNAPSHOTS=1 cargo test -p mcp-macros` and review the diff",
            path.display(),
            diff(&expected, &actual)
        );
    }
}

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.expanded.rs"))
}

/// A line diff from the longest common subsequence, with two lines of context around each
/// change; long enough to find a change, short enough to read in a test's output.
fn diff(expected: &str, actual: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    // `common[i][j]`: the length of the longest common subsequence of `old[i..]` and `new[j..]`.
    let mut common = vec![vec![0u32; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let mut lines = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            lines.push((' ', i + 1, old[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < old.len() && (j == new.len() || common[i + 1][j] >= common[i][j + 1]) {
            lines.push(('-', i + 1, old[i]));
            i += 1;
        } else {
            lines.push(('+', j + 1, new[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| {
        lines[k.saturating_sub(2)..(k + 3).min(lines.len())]
            .iter()
            .any(|(mark, _, _)| *mark != ' ')
    };
    let mut shown = Vec::new();
    let mut last = None;
    for k in (0..lines.len()).filter(|&k| near_change(k)) {
        if last.is_some_and(|l| l + 1 != k) {
            shown.push("   ...".to_owned());
        }
        let (mark, line, text) = lines[k];
        shown.push(format!("{mark}{line:>5} {text}"));
        last = Some(k);
    }
    shown.truncate(200);
    shown.join("\n")
}
