//! Resources, prompts and completion: their static descriptions, and the conversion of what
//! their methods return.

use std::fmt::Display;

use crate::protocol::{
    Completion, Content, GetPromptResult, PromptMessage, ReadResourceResult, ResourceContents,
};

/// The static description of a resource or resource template, written by `#[resource]`.
#[derive(Debug)]
pub struct ResourceDef {
    /// The URI, or the RFC 6570 template of a family of URIs.
    pub uri: &'static str,
    /// Whether `uri` is a template.
    pub template: bool,
    /// Its name.
    pub name: &'static str,
    /// Display name.
    pub title: Option<&'static str>,
    /// The method's doc comment.
    pub description: Option<&'static str>,
    /// The MIME type of its contents.
    pub mime_type: Option<&'static str>,
    /// The OAuth scopes a caller needs to read it (`#[resource(.., scopes = [..])]`).
    pub scopes: &'static [&'static str],
}

/// The static description of a prompt, written by `#[prompt]`.
#[derive(Debug)]
pub struct PromptDef {
    /// Its name.
    pub name: &'static str,
    /// Display name.
    pub title: Option<&'static str>,
    /// The method's doc comment.
    pub description: Option<&'static str>,
    /// Its arguments: the method's parameters.
    pub arguments: &'static [PromptArgumentDef],
    /// The OAuth scopes a caller needs to get it (`#[prompt(scopes = [..])]`).
    pub scopes: &'static [&'static str],
}

/// One argument of a prompt.
#[derive(Debug)]
pub struct PromptArgumentDef {
    /// The parameter's name.
    pub name: &'static str,
    /// The parameter's doc comment.
    pub description: Option<&'static str>,
    /// Whether it is required (not an `Option`).
    pub required: bool,
}

/// What a completion request refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionRef {
    /// `ref/prompt`: a prompt, by name.
    Prompt,
    /// `ref/resource`: a resource template, by URI template.
    Resource,
}

/// Converts what a `#[resource]` method returns into the resource's contents.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a `#[resource]` method",
    note = "return `String` (text), `Vec<u8>` (binary), `ResourceContents`, `Vec<ResourceContents>`, or a `Result` of one"
)]
pub trait IntoResourceContents {
    /// The contents of `uri`, with the resource's declared MIME type.
    fn into_contents(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, String>;
}

fn single(contents: ResourceContents) -> Result<ReadResourceResult, String> {
    Ok(ReadResourceResult {
        contents: vec![contents],
        meta: None,
    })
}

impl IntoResourceContents for String {
    fn into_contents(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, String> {
        let mime_type = Some(mime_type.unwrap_or("text/plain").to_owned());
        single(ResourceContents {
            uri: uri.into(),
            mime_type,
            text: Some(self),
            blob: None,
            meta: None,
        })
    }
}

impl IntoResourceContents for &str {
    fn into_contents(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, String> {
        self.to_owned().into_contents(uri, mime_type)
    }
}

impl IntoResourceContents for Vec<u8> {
    fn into_contents(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, String> {
        let mime_type = Some(mime_type.unwrap_or("application/octet-stream").to_owned());
        let blob = Some(crate::protocol::base64::base64(&self));
        single(ResourceContents {
            uri: uri.into(),
            mime_type,
            text: None,
            blob,
            meta: None,
        })
    }
}

impl IntoResourceContents for ResourceContents {
    fn into_contents(self, _: &str, _: Option<&str>) -> Result<ReadResourceResult, String> {
        single(self)
    }
}

impl IntoResourceContents for Vec<ResourceContents> {
    fn into_contents(self, _: &str, _: Option<&str>) -> Result<ReadResourceResult, String> {
        Ok(ReadResourceResult {
            contents: self,
            meta: None,
        })
    }
}

impl<T: IntoResourceContents, E: Display> IntoResourceContents for Result<T, E> {
    fn into_contents(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, String> {
        self.map_err(|e| e.to_string())?
            .into_contents(uri, mime_type)
    }
}

/// Converts what a `#[prompt]` method returns into the prompt's messages.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a `#[prompt]` method",
    note = "return `String` (one user message), `PromptMessage`, `Vec<PromptMessage>`, `GetPromptResult`, or a `Result` of one"
)]
pub trait IntoPromptResult {
    /// The prompt's result.
    fn into_prompt_result(self) -> Result<GetPromptResult, String>;
}

fn messages(messages: Vec<PromptMessage>) -> Result<GetPromptResult, String> {
    Ok(GetPromptResult {
        description: None,
        messages,
        meta: None,
    })
}

impl IntoPromptResult for String {
    fn into_prompt_result(self) -> Result<GetPromptResult, String> {
        messages(vec![PromptMessage::user(Content::text(self))])
    }
}

impl IntoPromptResult for PromptMessage {
    fn into_prompt_result(self) -> Result<GetPromptResult, String> {
        messages(vec![self])
    }
}

impl IntoPromptResult for Vec<PromptMessage> {
    fn into_prompt_result(self) -> Result<GetPromptResult, String> {
        messages(self)
    }
}

impl IntoPromptResult for GetPromptResult {
    fn into_prompt_result(self) -> Result<GetPromptResult, String> {
        Ok(self)
    }
}

impl<T: IntoPromptResult, E: Display> IntoPromptResult for Result<T, E> {
    fn into_prompt_result(self) -> Result<GetPromptResult, String> {
        self.map_err(|e| e.to_string())?.into_prompt_result()
    }
}

/// Converts what a `#[complete]` method returns into completion values.
pub trait IntoCompletion {
    /// The completion, truncated to the 100 values the spec allows.
    fn into_completion(self) -> Completion;
}

impl IntoCompletion for Vec<String> {
    fn into_completion(self) -> Completion {
        let total = self.len() as u64;
        let mut values = self;
        let has_more = values.len() > 100;
        values.truncate(100);
        Completion {
            values,
            total: Some(total),
            has_more: Some(has_more),
        }
    }
}

impl IntoCompletion for Completion {
    fn into_completion(self) -> Completion {
        self
    }
}
