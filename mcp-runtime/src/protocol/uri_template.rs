//! RFC 6570 level-1 URI templates, as resource templates use them.

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
}
