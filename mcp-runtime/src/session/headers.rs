//! The HTTP headers of a request, as the session handlers see them.

use std::fmt;

/// The headers of the request that created or came back to a session, for `#[on_initialize]`
/// and `#[on_reinit]` handlers: names in lowercase, values that are visible ASCII (others are
/// left out). Empty on stdio, which has no headers.
///
/// ```
/// use mcp_runtime::Headers;
///
/// let headers: Headers = [("X-Tenant", "acme")].into_iter().collect();
/// assert_eq!(headers.get("x-tenant"), Some("acme"));
/// assert_eq!(headers.get("X-TENANT"), Some("acme"));
/// assert_eq!(headers.get("accept"), None);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(Box<str>, Box<str>)>);

impl Headers {
    /// The first value of the header `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &**v)
    }

    /// Every header, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (&**n, &**v))
    }

    /// Whether there are none (always on stdio).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(n, v)| (n.as_ref().to_ascii_lowercase().into(), v.as_ref().into()))
                .collect(),
        )
    }
}

impl fmt::Debug for Headers {
    // Values may carry credentials (`Authorization`, API keys): names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, _)| n))
            .finish()
    }
}
