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
        let blob = Some(base64(&self));
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

/// Matches `uri` against an RFC 6570 level-1 template (`scheme://items/{id}/data`); returns the
/// variables' values in order. A value is non-empty and never spans a `/`.
pub fn match_uri_template<'u>(template: &str, uri: &'u str) -> Option<Vec<&'u str>> {
    let mut values = Vec::new();
    let mut rest_t = template;
    let mut rest_u = uri;
    while !rest_t.is_empty() {
        match rest_t.find('{') {
            Some(0) => {
                let close = rest_t.find('}')?;
                rest_t = &rest_t[close + 1..];
                let literal_end = rest_t.find('{').unwrap_or(rest_t.len());
                let next = &rest_t[..literal_end];
                let end = if next.is_empty() {
                    rest_u.len()
                } else {
                    rest_u.find(next)?
                };
                let value = &rest_u[..end];
                if value.is_empty() || value.contains('/') {
                    return None;
                }
                values.push(value);
                rest_u = &rest_u[end..];
            }
            found => {
                let literal = &rest_t[..found.unwrap_or(rest_t.len())];
                rest_u = rest_u.strip_prefix(literal)?;
                rest_t = &rest_t[literal.len()..];
            }
        }
    }
    rest_u.is_empty().then_some(values)
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Strict decoding: only the alphabet's characters, and padding exactly where it belongs
/// (`padded`) or nowhere.
fn decode(text: &str, alphabet: &[u8; 64], padded: bool) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if padded && !bytes.len().is_multiple_of(4) {
        return None;
    }
    let data = if padded {
        text.trim_end_matches('=').as_bytes()
    } else {
        bytes
    };
    if bytes.len() - data.len() > 2 || data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = alphabet.iter().position(|a| a == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    Some(out)
}

/// Standard base64 with padding, for binary resource contents.
pub fn base64(bytes: &[u8]) -> String {
    encode(bytes, STANDARD, true)
}

/// Decodes standard, padded base64; `None` when it is not exactly that.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    decode(text, STANDARD, true)
}

/// URL-safe base64 without padding.
pub(crate) fn base64_url(bytes: &[u8]) -> String {
    encode(bytes, URL_SAFE, false)
}

/// Decodes URL-safe base64 without padding.
pub(crate) fn base64_url_decode(text: &str) -> Option<Vec<u8>> {
    decode(text, URL_SAFE, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_level_one() {
        let t = "test://template/{id}/data";
        assert_eq!(
            match_uri_template(t, "test://template/123/data"),
            Some(vec!["123"])
        );
        assert_eq!(match_uri_template(t, "test://template//data"), None);
        assert_eq!(match_uri_template(t, "test://template/1/2/data"), None);
        assert_eq!(match_uri_template(t, "test://template/123/datum"), None);
        assert_eq!(
            match_uri_template("a://{x}-{y}", "a://1-2"),
            Some(vec!["1", "2"])
        );
        assert_eq!(
            match_uri_template("a://{x}", "a://tail"),
            Some(vec!["tail"])
        );
        assert_eq!(match_uri_template("a://fixed", "a://fixed"), Some(vec![]));
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded).as_deref(), Some(plain.as_bytes()));
            assert_eq!(
                base64_url_decode(&base64_url(plain.as_bytes())).as_deref(),
                Some(plain.as_bytes())
            );
        }
        assert_eq!(base64_decode("SGVsbG8="), Some(b"Hello".to_vec()));
        assert_eq!(base64_decode("SGVsbG8"), None, "missing padding");
        assert_eq!(base64_decode("SGVs!!!bG8="), None, "bad characters");
    }
}
