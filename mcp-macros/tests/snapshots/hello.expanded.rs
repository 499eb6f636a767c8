// The expansion of the `hello` server in `src/expand/tests.rs`.
// Regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p mcp-macros`.

impl Hello {
    /// Add two integers.
    fn add(&self, a: i64, b: i64) -> Sum {
        Sum { sum: a.wrapping_add(b) }
    }
    /// Return the text unchanged.
    fn echo(&self, text: String) -> String {
        text
    }
}
const _: () = {
    const _: () = ::mcp_runtime::__private::assert_param::<i64>();
    const _: () = ::mcp_runtime::__private::assert_param::<i64>();
    const _: () = ::mcp_runtime::__private::assert_param::<String>();
    static __MCP_RESOURCES: [::mcp_runtime::__private::ResourceDef; 0usize] = [];
    static __MCP_PROMPTS: [::mcp_runtime::__private::PromptDef; 0usize] = [];
    static __MCP_TOOLS: [::mcp_runtime::__private::ToolDef; 2usize] = [
        ::mcp_runtime::__private::ToolDef {
            name: "add",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some("Add two integers."),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::Some(true),
                destructive_hint: ::core::option::Option::None,
                idempotent_hint: ::core::option::Option::Some(true),
                open_world_hint: ::core::option::Option::None,
            },
            input_schema: |g| ::mcp_runtime::__private::object_schema(
                g,
                &[
                    ::mcp_runtime::__private::ParamSchema {
                        name: "a",
                        doc: ::core::option::Option::Some(
                            ::core::concat!("The first addend."),
                        ),
                        header: ::core::option::Option::None,
                        schema: ::mcp_runtime::__private::param_schema::<i64>,
                        optional: ::mcp_runtime::__private::optional::<i64>,
                    },
                    ::mcp_runtime::__private::ParamSchema {
                        name: "b",
                        doc: ::core::option::Option::Some(
                            ::core::concat!("The second addend."),
                        ),
                        header: ::core::option::Option::None,
                        schema: ::mcp_runtime::__private::param_schema::<i64>,
                        optional: ::mcp_runtime::__private::optional::<i64>,
                    },
                ],
            ),
            output_schema: ::core::option::Option::Some(
                ::mcp_runtime::__private::output_schema::<Sum>,
            ),
            headers: &[],
            task: ::mcp_runtime::__private::TaskSupport::Forbidden,
            scopes: &[],
            context: false,
            icon: ::core::option::Option::None,
        },
        ::mcp_runtime::__private::ToolDef {
            name: "echo",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some("Return the text unchanged."),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::Some(true),
                destructive_hint: ::core::option::Option::None,
                idempotent_hint: ::core::option::Option::Some(true),
                open_world_hint: ::core::option::Option::None,
            },
            input_schema: |g| ::mcp_runtime::__private::object_schema(
                g,
                &[
                    ::mcp_runtime::__private::ParamSchema {
                        name: "text",
                        doc: ::core::option::Option::Some(
                            ::core::concat!("The text to echo."),
                        ),
                        header: ::core::option::Option::None,
                        schema: ::mcp_runtime::__private::param_schema::<String>,
                        optional: ::mcp_runtime::__private::optional::<String>,
                    },
                ],
            ),
            output_schema: ::core::option::Option::None,
            headers: &[],
            task: ::mcp_runtime::__private::TaskSupport::Forbidden,
            scopes: &[],
            context: false,
            icon: ::core::option::Option::None,
        },
    ];
    impl ::mcp_runtime::__private::Server for Hello {
        type Session = ();
        type User = ();
        fn description() -> &'static ::mcp_runtime::__private::ServerDescription {
            static DESCRIPTION: ::mcp_runtime::__private::ServerDescription = ::mcp_runtime::__private::ServerDescription {
                name: ::core::env!("CARGO_PKG_NAME"),
                version: ::core::env!("CARGO_PKG_VERSION"),
                title: ::core::option::Option::None,
                instructions: ::core::option::Option::None,
                icon: ::core::option::Option::None,
                tools: &__MCP_TOOLS,
                resources: &__MCP_RESOURCES,
                prompts: &__MCP_PROMPTS,
            };
            &DESCRIPTION
        }
        #[allow(
            unreachable_code,
            clippy::used_underscore_binding,
            clippy::let_unit_value
        )]
        fn call_tool<'__mcp_s>(
            &'__mcp_s self,
            __mcp_name: &str,
            __mcp_arguments: ::core::option::Option<&::mcp_runtime::__private::RawValue>,
            __mcp_cx: ::mcp_runtime::__private::Context,
            __mcp_session: ::core::option::Option<
                ::mcp_runtime::__private::Session<Self::Session>,
            >,
        ) -> ::core::result::Result<
            impl ::core::future::Future<
                Output = ::mcp_runtime::__private::CallToolResult,
            > + ::core::marker::Send + use<'__mcp_s>,
            ::mcp_runtime::__private::ToolCallError,
        > {
            #[allow(non_camel_case_types)]
            enum __McpCall {
                __mcp_0((i64, i64)),
                __mcp_1((String,)),
            }
            let __mcp_call = match __mcp_name {
                "add" => {
                    __McpCall::__mcp_0(
                        ::mcp_runtime::__private::parse_named(
                            __mcp_arguments,
                            &["a", "b"],
                        )?,
                    )
                }
                "echo" => {
                    __McpCall::__mcp_1(
                        ::mcp_runtime::__private::parse_named(
                            __mcp_arguments,
                            &["text"],
                        )?,
                    )
                }
                _ => {
                    return ::core::result::Result::Err(
                        ::mcp_runtime::__private::ToolCallError::UnknownTool,
                    );
                }
            };
            ::core::result::Result::Ok(async move {
                match __mcp_call {
                    __McpCall::__mcp_0(__mcp_args) => {
                        let __mcp_returned = <Hello>::add(
                            self,
                            __mcp_args.0,
                            __mcp_args.1,
                        );
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            ::mcp_runtime::__private::Json(__mcp_returned),
                        )
                    }
                    __McpCall::__mcp_1(__mcp_args) => {
                        let __mcp_returned = <Hello>::echo(self, __mcp_args.0);
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            __mcp_returned,
                        )
                    }
                }
            })
        }
    }
};
