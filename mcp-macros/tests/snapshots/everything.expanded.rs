// The expansion of the `everything` server in `src/expand/tests.rs`.
// Regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p mcp-macros`.

impl Forms {
    /// Structured, from an async method.
    ///
    /// Second paragraph.
    async fn point(&self, x: i64, y: Option<i64>) -> Point {
        Point { x, y: y.unwrap_or(0) }
    }
    /// A `Result` of a structured value.
    fn try_point(&self, x: i64) -> Result<Point, Failure> {
        if x < 0 { Err(Failure) } else { Ok(Point { x, y: x }) }
    }
    /// A `Result` of text, a raw identifier and a header.
    fn r#type(&self, region: String, r#in: String) -> Result<String, Failure> {
        Ok(format!("{region}{in}", in = r#in))
    }
    /// Content blocks.
    fn blocks(&self) -> Vec<Content> {
        vec![Content::text("a")]
    }
    /// Nothing.
    fn nothing(&self) {}
    /// The whole arguments object, with its own schema.
    fn submit(&self, form: ContactForm, ctx: Context) -> String {
        ctx.log(LoggingLevel::Info, None, "submitted");
        form.name
    }
    /// Counts in the caller's session; may run as a task.
    async fn count(
        &self,
        session: Session<Visits>,
        ctx: Context,
    ) -> Result<String, StateError> {
        ctx.progress(1.0, None, None);
        Ok(
            session
                .update(|v| {
                    v.count += 1;
                    v.count
                })
                .await?
                .to_string(),
        )
    }
    /// Counts in the caller's own state, after the context moved into the call.
    async fn mine(
        &self,
        ctx: Context,
        user: User<Visits>,
    ) -> Result<String, UserStateError> {
        let _ = ctx;
        Ok(
            user
                .update(|v| {
                    v.count += 1;
                    v.count
                })
                .await?
                .to_string(),
        )
    }
    /// Only runs as a task.
    async fn slow(&self) -> String {
        String::new()
    }
    /// Not a tool: stays an ordinary method.
    fn helper(&self) -> i64 {
        1
    }
    /// Today's note.
    fn today(&self) -> String {
        "# Today".into()
    }
    /// One revision of a note.
    async fn revision(
        &self,
        rev: u32,
        ctx: Context,
        id: String,
        user: User<Visits>,
    ) -> Result<Vec<u8>, Failure> {
        let _ = (ctx, user);
        Ok(format!("{id}@{rev}").into_bytes())
    }
    /// Greets someone.
    fn greet(&self, name: String, tone: Option<String>) -> String {
        format!("Greet {name} {}", tone.unwrap_or_default())
    }
    /// Asks before it renders.
    async fn topic(&self, ctx: Context) -> Vec<PromptMessage> {
        let _ = ctx;
        Vec::new()
    }
    /// Completes `name` of `greeting`.
    fn names(&self, value: String) -> Vec<String> {
        vec![value]
    }
    /// Completes `id` of `notes://{id}/rev/{rev}`.
    async fn ids(&self, value: String) -> Completion {
        Completion {
            values: vec![value],
            total: None,
            has_more: None,
        }
    }
    /// A new session's first state.
    async fn start(&self, new: NewSession) -> Visits {
        let _ = new;
        Visits::default()
    }
    /// Resumes sessions the store still has.
    async fn resume(&self, req: ReinitRequest) -> Reinit<Visits> {
        match req.stored_state() {
            Some(state) => Reinit::Resume(state),
            None => Reinit::Reject,
        }
    }
}
const _: () = {
    const _: () = ::mcp_runtime::__private::assert_param::<i64>();
    const _: () = ::mcp_runtime::__private::assert_param::<Option<i64>>();
    const _: () = ::mcp_runtime::__private::assert_param::<i64>();
    const _: () = ::mcp_runtime::__private::assert_param::<String>();
    const _: () = ::mcp_runtime::__private::assert_param::<String>();
    #[allow(non_camel_case_types)]
    type __mcp_args_submit = ContactForm;
    const _: () = ::mcp_runtime::__private::assert_param::<ContactForm>();
    static __MCP_RESOURCES: [::mcp_runtime::__private::ResourceDef; 2usize] = [
        ::mcp_runtime::__private::ResourceDef {
            uri: "notes://today",
            template: false,
            name: "today",
            title: ::core::option::Option::Some("Today"),
            description: ::core::option::Option::Some("Today's note."),
            mime_type: ::core::option::Option::Some("text/markdown"),
            scopes: &[],
        },
        ::mcp_runtime::__private::ResourceDef {
            uri: "notes://{id}/rev/{rev}",
            template: true,
            name: "revision",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some("One revision of a note."),
            mime_type: ::core::option::Option::None,
            scopes: &[],
        },
    ];
    static __MCP_PROMPTS: [::mcp_runtime::__private::PromptDef; 2usize] = [
        ::mcp_runtime::__private::PromptDef {
            name: "greeting",
            title: ::core::option::Option::Some("Greeting"),
            description: ::core::option::Option::Some("Greets someone."),
            arguments: &[
                ::mcp_runtime::__private::PromptArgumentDef {
                    name: "name",
                    description: ::core::option::Option::Some("Whom to greet."),
                    required: true,
                },
                ::mcp_runtime::__private::PromptArgumentDef {
                    name: "tone",
                    description: ::core::option::Option::Some("How warmly."),
                    required: false,
                },
            ],
            scopes: &[],
        },
        ::mcp_runtime::__private::PromptDef {
            name: "topic",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some("Asks before it renders."),
            arguments: &[],
            scopes: &[],
        },
    ];
    #[derive(::mcp_runtime::__private::serde::Deserialize)]
    #[serde(crate = "::mcp_runtime::__private::serde")]
    #[allow(non_camel_case_types, non_snake_case)]
    struct __mcp_prompt_greet {
        name: String,
        tone: Option<String>,
    }
    #[derive(::mcp_runtime::__private::serde::Deserialize)]
    #[serde(crate = "::mcp_runtime::__private::serde")]
    #[allow(non_camel_case_types, non_snake_case)]
    struct __mcp_prompt_topic {}
    static __MCP_TOOLS: [::mcp_runtime::__private::ToolDef; 9usize] = [
        ::mcp_runtime::__private::ToolDef {
            name: "make.point",
            title: ::core::option::Option::Some("Make a point"),
            description: ::core::option::Option::Some(
                "Structured, from an async method.\n\nSecond paragraph.",
            ),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::Some(true),
                destructive_hint: ::core::option::Option::Some(false),
                idempotent_hint: ::core::option::Option::Some(true),
                open_world_hint: ::core::option::Option::Some(false),
            },
            input_schema: |g| ::mcp_runtime::__private::object_schema(
                g,
                &[
                    ::mcp_runtime::__private::ParamSchema {
                        name: "x",
                        doc: ::core::option::Option::None,
                        header: ::core::option::Option::None,
                        schema: ::mcp_runtime::__private::param_schema::<i64>,
                        optional: ::mcp_runtime::__private::optional::<i64>,
                    },
                    ::mcp_runtime::__private::ParamSchema {
                        name: "y",
                        doc: ::core::option::Option::None,
                        header: ::core::option::Option::None,
                        schema: ::mcp_runtime::__private::param_schema::<Option<i64>>,
                        optional: ::mcp_runtime::__private::optional::<Option<i64>>,
                    },
                ],
            ),
            output_schema: ::core::option::Option::Some(
                ::mcp_runtime::__private::output_schema::<Point>,
            ),
            headers: &[],
            task: ::mcp_runtime::__private::TaskSupport::Forbidden,
            scopes: &[],
            context: false,
            icon: ::core::option::Option::Some("https://example.com/point.png"),
        },
        ::mcp_runtime::__private::ToolDef {
            name: "try_point",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some(
                "A `Result` of a structured value.",
            ),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::None,
                destructive_hint: ::core::option::Option::None,
                idempotent_hint: ::core::option::Option::None,
                open_world_hint: ::core::option::Option::None,
            },
            input_schema: |g| ::mcp_runtime::__private::object_schema(
                g,
                &[
                    ::mcp_runtime::__private::ParamSchema {
                        name: "x",
                        doc: ::core::option::Option::None,
                        header: ::core::option::Option::None,
                        schema: ::mcp_runtime::__private::param_schema::<i64>,
                        optional: ::mcp_runtime::__private::optional::<i64>,
                    },
                ],
            ),
            output_schema: ::core::option::Option::Some(
                ::mcp_runtime::__private::output_schema::<Point>,
            ),
            headers: &[],
            task: ::mcp_runtime::__private::TaskSupport::Forbidden,
            scopes: &[],
            context: false,
            icon: ::core::option::Option::None,
        },
        ::mcp_runtime::__private::ToolDef {
            name: "type",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some(
                "A `Result` of text, a raw identifier and a header.",
            ),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::None,
                destructive_hint: ::core::option::Option::None,
                idempotent_hint: ::core::option::Option::None,
                open_world_hint: ::core::option::Option::None,
            },
            input_schema: |g| ::mcp_runtime::__private::object_schema(
                g,
                &[
                    ::mcp_runtime::__private::ParamSchema {
                        name: "region",
                        doc: ::core::option::Option::Some(
                            ::core::concat!("Where to run."),
                        ),
                        header: ::core::option::Option::Some("Region"),
                        schema: ::mcp_runtime::__private::param_schema::<String>,
                        optional: ::mcp_runtime::__private::optional::<String>,
                    },
                    ::mcp_runtime::__private::ParamSchema {
                        name: "in",
                        doc: ::core::option::Option::None,
                        header: ::core::option::Option::None,
                        schema: ::mcp_runtime::__private::param_schema::<String>,
                        optional: ::mcp_runtime::__private::optional::<String>,
                    },
                ],
            ),
            output_schema: ::core::option::Option::None,
            headers: &[("region", "Region")],
            task: ::mcp_runtime::__private::TaskSupport::Forbidden,
            scopes: &[],
            context: false,
            icon: ::core::option::Option::None,
        },
        ::mcp_runtime::__private::ToolDef {
            name: "blocks",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some("Content blocks."),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::None,
                destructive_hint: ::core::option::Option::None,
                idempotent_hint: ::core::option::Option::None,
                open_world_hint: ::core::option::Option::None,
            },
            input_schema: |g| ::mcp_runtime::__private::object_schema(g, &[]),
            output_schema: ::core::option::Option::None,
            headers: &[],
            task: ::mcp_runtime::__private::TaskSupport::Forbidden,
            scopes: &[],
            context: false,
            icon: ::core::option::Option::None,
        },
        ::mcp_runtime::__private::ToolDef {
            name: "nothing",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some("Nothing."),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::None,
                destructive_hint: ::core::option::Option::None,
                idempotent_hint: ::core::option::Option::None,
                open_world_hint: ::core::option::Option::None,
            },
            input_schema: |g| ::mcp_runtime::__private::object_schema(g, &[]),
            output_schema: ::core::option::Option::None,
            headers: &[],
            task: ::mcp_runtime::__private::TaskSupport::Forbidden,
            scopes: &[],
            context: false,
            icon: ::core::option::Option::None,
        },
        ::mcp_runtime::__private::ToolDef {
            name: "submit",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some(
                "The whole arguments object, with its own schema.",
            ),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::None,
                destructive_hint: ::core::option::Option::None,
                idempotent_hint: ::core::option::Option::None,
                open_world_hint: ::core::option::Option::None,
            },
            input_schema: |g| g.root_schema_for::<ContactForm>(),
            output_schema: ::core::option::Option::None,
            headers: &[],
            task: ::mcp_runtime::__private::TaskSupport::Forbidden,
            scopes: &[],
            context: true,
            icon: ::core::option::Option::None,
        },
        ::mcp_runtime::__private::ToolDef {
            name: "count",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some(
                "Counts in the caller's session; may run as a task.",
            ),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::None,
                destructive_hint: ::core::option::Option::None,
                idempotent_hint: ::core::option::Option::None,
                open_world_hint: ::core::option::Option::None,
            },
            input_schema: |g| ::mcp_runtime::__private::object_schema(g, &[]),
            output_schema: ::core::option::Option::None,
            headers: &[],
            task: ::mcp_runtime::__private::TaskSupport::Optional,
            scopes: &[],
            context: true,
            icon: ::core::option::Option::None,
        },
        ::mcp_runtime::__private::ToolDef {
            name: "mine",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some(
                "Counts in the caller's own state, after the context moved into the call.",
            ),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::None,
                destructive_hint: ::core::option::Option::None,
                idempotent_hint: ::core::option::Option::None,
                open_world_hint: ::core::option::Option::None,
            },
            input_schema: |g| ::mcp_runtime::__private::object_schema(g, &[]),
            output_schema: ::core::option::Option::None,
            headers: &[],
            task: ::mcp_runtime::__private::TaskSupport::Forbidden,
            scopes: &[],
            context: true,
            icon: ::core::option::Option::None,
        },
        ::mcp_runtime::__private::ToolDef {
            name: "slow",
            title: ::core::option::Option::None,
            description: ::core::option::Option::Some("Only runs as a task."),
            annotations: ::mcp_runtime::__private::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: ::core::option::Option::None,
                destructive_hint: ::core::option::Option::None,
                idempotent_hint: ::core::option::Option::None,
                open_world_hint: ::core::option::Option::None,
            },
            input_schema: |g| ::mcp_runtime::__private::object_schema(g, &[]),
            output_schema: ::core::option::Option::None,
            headers: &[],
            task: ::mcp_runtime::__private::TaskSupport::Required,
            scopes: &[],
            context: false,
            icon: ::core::option::Option::None,
        },
    ];
    impl ::mcp_runtime::__private::Server for Forms {
        type Session = Visits;
        type User = Visits;
        const USER_STATE: bool = true;
        #[allow(unused_variables)]
        fn initial_state(
            &self,
            __mcp_new: ::mcp_runtime::__private::NewSession,
        ) -> impl ::core::future::Future<Output = Self::Session> + ::core::marker::Send {
            async move {
                let __mcp_state: <Self as ::mcp_runtime::__private::Server>::Session = <Forms>::start(
                        self,
                        __mcp_new,
                    )
                    .await;
                __mcp_state
            }
        }
        const REINIT: ::mcp_runtime::__private::ReinitPolicy = ::mcp_runtime::__private::ReinitPolicy::Handler;
        #[allow(unused_variables)]
        fn reinit(
            &self,
            __mcp_request: ::mcp_runtime::__private::ReinitRequest,
        ) -> impl ::core::future::Future<
            Output = ::mcp_runtime::__private::Reinit<Self::Session>,
        > + ::core::marker::Send {
            async move {
                let __mcp_decision: ::mcp_runtime::__private::Reinit<
                    <Self as ::mcp_runtime::__private::Server>::Session,
                > = <Forms>::resume(self, __mcp_request).await;
                __mcp_decision
            }
        }
        fn description() -> &'static ::mcp_runtime::__private::ServerDescription {
            static DESCRIPTION: ::mcp_runtime::__private::ServerDescription = ::mcp_runtime::__private::ServerDescription {
                name: "forms",
                version: "1.2.3",
                title: ::core::option::Option::Some("Forms"),
                instructions: ::core::option::Option::Some("Use the forms."),
                icon: ::core::option::Option::Some("https://example.com/forms.png"),
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
                __mcp_0((i64, Option<i64>)),
                __mcp_1((i64,)),
                __mcp_2((String, String)),
                __mcp_3(()),
                __mcp_4(()),
                __mcp_5(__mcp_args_submit),
                __mcp_6(()),
                __mcp_7(()),
                __mcp_8(()),
            }
            let __mcp_call = match __mcp_name {
                "make.point" => {
                    __McpCall::__mcp_0(
                        ::mcp_runtime::__private::parse_named(
                            __mcp_arguments,
                            &["x", "y"],
                        )?,
                    )
                }
                "try_point" => {
                    __McpCall::__mcp_1(
                        ::mcp_runtime::__private::parse_named(__mcp_arguments, &["x"])?,
                    )
                }
                "type" => {
                    __McpCall::__mcp_2(
                        ::mcp_runtime::__private::parse_named(
                            __mcp_arguments,
                            &["region", "in"],
                        )?,
                    )
                }
                "blocks" => {
                    __McpCall::__mcp_3(
                        ::mcp_runtime::__private::parse_named(__mcp_arguments, &[])?,
                    )
                }
                "nothing" => {
                    __McpCall::__mcp_4(
                        ::mcp_runtime::__private::parse_named(__mcp_arguments, &[])?,
                    )
                }
                "submit" => {
                    __McpCall::__mcp_5(
                        ::mcp_runtime::__private::parse_arguments(__mcp_arguments)?,
                    )
                }
                "count" => {
                    __McpCall::__mcp_6(
                        ::mcp_runtime::__private::parse_named(__mcp_arguments, &[])?,
                    )
                }
                "mine" => {
                    __McpCall::__mcp_7(
                        ::mcp_runtime::__private::parse_named(__mcp_arguments, &[])?,
                    )
                }
                "slow" => {
                    __McpCall::__mcp_8(
                        ::mcp_runtime::__private::parse_named(__mcp_arguments, &[])?,
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
                        let __mcp_returned = <Forms>::point(
                                self,
                                __mcp_args.0,
                                __mcp_args.1,
                            )
                            .await;
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            ::mcp_runtime::__private::Json(__mcp_returned),
                        )
                    }
                    __McpCall::__mcp_1(__mcp_args) => {
                        let __mcp_returned = <Forms>::try_point(self, __mcp_args.0);
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            __mcp_returned.map(::mcp_runtime::__private::Json),
                        )
                    }
                    __McpCall::__mcp_2(__mcp_args) => {
                        let __mcp_returned = <Forms>::r#type(
                            self,
                            __mcp_args.0,
                            __mcp_args.1,
                        );
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            __mcp_returned,
                        )
                    }
                    __McpCall::__mcp_3(__mcp_args) => {
                        let __mcp_returned = <Forms>::blocks(self);
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            __mcp_returned,
                        )
                    }
                    __McpCall::__mcp_4(__mcp_args) => {
                        let __mcp_returned = <Forms>::nothing(self);
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            __mcp_returned,
                        )
                    }
                    __McpCall::__mcp_5(__mcp_args) => {
                        let __mcp_returned = <Forms>::submit(self, __mcp_args, __mcp_cx);
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            __mcp_returned,
                        )
                    }
                    __McpCall::__mcp_6(__mcp_args) => {
                        let __mcp_returned = <Forms>::count(
                                self,
                                __mcp_session
                                    .unwrap_or_else(
                                        ::mcp_runtime::__private::Session::ephemeral,
                                    ),
                                __mcp_cx,
                            )
                            .await;
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            __mcp_returned,
                        )
                    }
                    __McpCall::__mcp_7(__mcp_args) => {
                        let __mcp_user: ::mcp_runtime::__private::User<
                            <Self as ::mcp_runtime::__private::Server>::User,
                        > = match ::mcp_runtime::__private::User::of(&__mcp_cx) {
                            ::core::result::Result::Ok(__mcp_user) => __mcp_user,
                            ::core::result::Result::Err(__mcp_refused) => {
                                return ::mcp_runtime::__private::CallToolResult::error(
                                    __mcp_refused,
                                );
                            }
                        };
                        let __mcp_returned = <Forms>::mine(self, __mcp_cx, __mcp_user)
                            .await;
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            __mcp_returned,
                        )
                    }
                    __McpCall::__mcp_8(__mcp_args) => {
                        let __mcp_returned = <Forms>::slow(self).await;
                        ::mcp_runtime::__private::IntoToolResult::into_tool_result(
                            __mcp_returned,
                        )
                    }
                }
            })
        }
        #[allow(unused_variables, clippy::used_underscore_binding)]
        fn read_resource<'__mcp_s>(
            &'__mcp_s self,
            __mcp_uri: &str,
            __mcp_cx: ::mcp_runtime::__private::Context,
        ) -> ::core::option::Option<
            impl ::core::future::Future<
                Output = ::core::result::Result<
                    ::mcp_runtime::__private::ReadResourceResult,
                    ::std::string::String,
                >,
            > + ::core::marker::Send + use<'__mcp_s>,
        > {
            #[allow(non_camel_case_types)]
            enum __McpRead {
                __mcp_0(),
                __mcp_1(u32, String),
            }
            let __mcp_read = if __mcp_uri == "notes://today" {
                __McpRead::__mcp_0()
            } else if let ::core::option::Option::Some(__mcp_vars) = ::mcp_runtime::__private::match_uri_template(
                "notes://{id}/rev/{rev}",
                __mcp_uri,
            ) {
                __McpRead::__mcp_1(
                    <u32 as ::core::str::FromStr>::from_str(__mcp_vars[1usize]).ok()?,
                    <String as ::core::str::FromStr>::from_str(__mcp_vars[0usize]).ok()?,
                )
            } else {
                return ::core::option::Option::None
            };
            let __mcp_uri = ::std::borrow::ToOwned::to_owned(__mcp_uri);
            ::core::option::Option::Some(async move {
                match __mcp_read {
                    __McpRead::__mcp_0() => {
                        let __mcp_returned = <Forms>::today(self);
                        ::mcp_runtime::__private::IntoResourceContents::into_contents(
                            __mcp_returned,
                            &__mcp_uri,
                            ::core::option::Option::Some("text/markdown"),
                        )
                    }
                    __McpRead::__mcp_1(__mcp_a0, __mcp_a1) => {
                        let __mcp_user: ::mcp_runtime::__private::User<
                            <Self as ::mcp_runtime::__private::Server>::User,
                        > = match ::mcp_runtime::__private::User::of(&__mcp_cx) {
                            ::core::result::Result::Ok(__mcp_user) => __mcp_user,
                            ::core::result::Result::Err(__mcp_refused) => {
                                return ::core::result::Result::Err(__mcp_refused);
                            }
                        };
                        let __mcp_returned = <Forms>::revision(
                                self,
                                __mcp_a0,
                                __mcp_cx,
                                __mcp_a1,
                                __mcp_user,
                            )
                            .await;
                        ::mcp_runtime::__private::IntoResourceContents::into_contents(
                            __mcp_returned,
                            &__mcp_uri,
                            ::core::option::Option::None,
                        )
                    }
                }
            })
        }
        #[allow(unused_variables, clippy::used_underscore_binding)]
        fn get_prompt<'__mcp_s>(
            &'__mcp_s self,
            __mcp_name: &str,
            __mcp_arguments: ::core::option::Option<&::mcp_runtime::__private::RawValue>,
            __mcp_cx: ::mcp_runtime::__private::Context,
        ) -> ::core::result::Result<
            impl ::core::future::Future<
                Output = ::core::result::Result<
                    ::mcp_runtime::__private::GetPromptResult,
                    ::std::string::String,
                >,
            > + ::core::marker::Send + use<'__mcp_s>,
            ::mcp_runtime::__private::ToolCallError,
        > {
            #[allow(non_camel_case_types)]
            enum __McpPrompt {
                __mcp_0(__mcp_prompt_greet),
                __mcp_1(__mcp_prompt_topic),
            }
            let __mcp_prompt = match __mcp_name {
                "greeting" => {
                    __McpPrompt::__mcp_0(
                        ::mcp_runtime::__private::parse_arguments(__mcp_arguments)?,
                    )
                }
                "topic" => {
                    __McpPrompt::__mcp_1(
                        ::mcp_runtime::__private::parse_arguments(__mcp_arguments)?,
                    )
                }
                _ => {
                    return ::core::result::Result::Err(
                        ::mcp_runtime::__private::ToolCallError::UnknownTool,
                    );
                }
            };
            ::core::result::Result::Ok(async move {
                match __mcp_prompt {
                    __McpPrompt::__mcp_0(__mcp_args) => {
                        let __mcp_returned = <Forms>::greet(
                            self,
                            __mcp_args.name,
                            __mcp_args.tone,
                        );
                        ::mcp_runtime::__private::IntoPromptResult::into_prompt_result(
                            __mcp_returned,
                        )
                    }
                    __McpPrompt::__mcp_1(__mcp_args) => {
                        let __mcp_returned = <Forms>::topic(self, __mcp_cx).await;
                        ::mcp_runtime::__private::IntoPromptResult::into_prompt_result(
                            __mcp_returned,
                        )
                    }
                }
            })
        }
        #[allow(unused_variables, clippy::used_underscore_binding)]
        fn complete<'__mcp_s>(
            &'__mcp_s self,
            __mcp_ref: ::mcp_runtime::__private::CompletionRef,
            __mcp_target: &str,
            __mcp_argument: &str,
            __mcp_value: ::std::string::String,
        ) -> ::core::option::Option<
            impl ::core::future::Future<
                Output = ::mcp_runtime::__private::Completion,
            > + ::core::marker::Send + use<'__mcp_s>,
        > {
            #[allow(non_camel_case_types)]
            enum __McpComplete {
                __mcp_0,
                __mcp_1,
            }
            let __mcp_complete = match (__mcp_ref, __mcp_target, __mcp_argument) {
                (::mcp_runtime::__private::CompletionRef::Prompt, "greeting", "name") => {
                    __McpComplete::__mcp_0
                }
                (
                    ::mcp_runtime::__private::CompletionRef::Resource,
                    "notes://{id}/rev/{rev}",
                    "id",
                ) => __McpComplete::__mcp_1,
                _ => return ::core::option::Option::None,
            };
            ::core::option::Option::Some(async move {
                match __mcp_complete {
                    __McpComplete::__mcp_0 => {
                        let __mcp_returned = <Forms>::names(self, __mcp_value);
                        ::mcp_runtime::__private::IntoCompletion::into_completion(
                            __mcp_returned,
                        )
                    }
                    __McpComplete::__mcp_1 => {
                        let __mcp_returned = <Forms>::ids(self, __mcp_value).await;
                        ::mcp_runtime::__private::IntoCompletion::into_completion(
                            __mcp_returned,
                        )
                    }
                }
            })
        }
    }
};
