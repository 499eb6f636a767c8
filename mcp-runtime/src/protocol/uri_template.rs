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

    use proptest::prelude::*;

    /// The template with its variables, in order, replaced by `values`.
    fn expand(template: &str, values: &[&str]) -> String {
        let (mut out, mut rest, mut values) = (String::new(), template, values.iter());
        while let Some(open) = rest.find('{') {
            let close = open + rest[open..].find('}').expect("a closed variable");
            out.push_str(&rest[..open]);
            out.push_str(values.next().expect("a value per variable"));
            rest = &rest[close + 1..];
        }
        out + rest
    }

    /// A template: a scheme and literal text, then variables, each followed by a literal
    /// (all but perhaps the last non-empty, as level 1 needs text between two variables).
    fn template() -> impl Strategy<Value = String> {
        let var = ("[a-z]{1,4}", "[a-z/.~-]{1,6}");
        let parts = prop::collection::vec(var, 1..4);
        ("[a-z]{1,5}://[a-z/.~-]{0,6}", parts, any::<bool>()).prop_map(|(head, parts, open)| {
            let last = parts.len() - 1;
            parts
                .iter()
                .enumerate()
                .fold(head, |t, (i, (name, literal))| {
                    let literal = if open && i == last { "" } else { literal };
                    format!("{t}{{{name}}}{literal}")
                })
        })
    }

    fn variables(template: &str) -> usize {
        template.matches('{').count()
    }

    proptest! {
        // Values drawn from characters no literal uses are found again exactly.
        #[test]
        fn expanding_then_matching_gives_the_values_back(
            template in template(),
            values in prop::collection::vec("[A-Z0-9_%]{1,8}", 4),
        ) {
            let values: Vec<&str> = values.iter().take(variables(&template)).map(String::as_str).collect();
            let uri = expand(&template, &values);
            prop_assert_eq!(match_uri_template(&template, &uri), Some(values));
        }

        // Values that overlap the literals may split elsewhere, but a match always explains
        // the URI: non-empty values without `/` that expand to it.
        #[test]
        fn every_match_expands_to_the_uri(
            template in template(),
            values in prop::collection::vec("[a-z/.~-]{1,6}", 4),
            other in "[a-z:/.~-]{0,24}",
        ) {
            let values: Vec<&str> = values.iter().take(variables(&template)).map(String::as_str).collect();
            for uri in [expand(&template, &values), other] {
                if let Some(found) = match_uri_template(&template, &uri) {
                    prop_assert_eq!(found.len(), variables(&template));
                    prop_assert!(found.iter().all(|v| !v.is_empty() && !v.contains('/')));
                    prop_assert_eq!(expand(&template, &found), uri);
                }
            }
        }

        #[test]
        fn matching_arbitrary_strings_never_panics(
            template in prop_oneof!["[a-z{}/é]{0,12}", any::<String>()],
            uri in prop_oneof!["[a-z{}/é]{0,12}", any::<String>()],
        ) {
            if let Some(found) = match_uri_template(&template, &uri) {
                prop_assert!(found.iter().all(|v| uri.contains(v)));
            }
        }
    }
}
