//! The rules of resources, prompts and completion handlers.

use super::*;

// Resources, prompts and completion handlers are plain `&self` methods.
pub(super) fn check_features(cx: &Ctxt, server: &Server<'_>) {
    let mut uris = HashMap::new();
    for resource in &server.resources {
        check_plain_method(cx, &resource.method.sig, "resource");
        check_plain_fn(cx, &resource.method.sig, "resource");
        if uris.insert(resource.attrs.uri.value(), ()).is_some() {
            cx.error_spanned_by(
                &resource.attrs.uri,
                format!("duplicate resource URI `{}`", resource.attrs.uri.value()),
            );
        }
        check_uri_scheme(cx, resource);
        if check_template_syntax(cx, resource) {
            check_template_params(cx, resource);
        }
        check_at_most_one(cx, &resource.params, ParamKind::Context, "resource");
        check_at_most_one(cx, &resource.params, ParamKind::Session, "resource");
        check_user_param(
            cx,
            server,
            &resource.params,
            &resource.method.sig,
            "resource",
        );
        check_no_tool_param_attrs(cx, &resource.method.sig, "resource");
    }
    let mut names = HashMap::new();
    for prompt in &server.prompts {
        check_plain_method(cx, &prompt.method.sig, "prompt");
        check_plain_fn(cx, &prompt.method.sig, "prompt");
        if names.insert(prompt.name.as_str(), ()).is_some() {
            cx.syn_error(syn::Error::new(
                prompt.name_span,
                format!("duplicate prompt name `{}`", prompt.name),
            ));
        }
        check_at_most_one(cx, &prompt.params, ParamKind::Context, "prompt");
        check_at_most_one(cx, &prompt.params, ParamKind::Session, "prompt");
        check_user_param(cx, server, &prompt.params, &prompt.method.sig, "prompt");
        check_no_tool_param_attrs(cx, &prompt.method.sig, "prompt");
    }
    for complete in &server.completions {
        check_plain_method(cx, &complete.method.sig, "complete");
        check_plain_fn(cx, &complete.method.sig, "complete");
        check_completion_signature(cx, complete);
        check_completion_target(cx, server, complete);
    }
    check_unique_completions(cx, server);
}

// `&self`, not generic.
fn check_plain_method(cx: &Ctxt, sig: &syn::Signature, what: &str) {
    let by_ref = |r: &syn::Receiver| r.reference.is_some() && r.mutability.is_none();
    if !matches!(sig.inputs.first(), Some(FnArg::Receiver(r)) if by_ref(r)) {
        cx.error_spanned_by(
            &sig.ident,
            format!("`#[{what}]` methods take `&self` as their first parameter"),
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            format!("`#[{what}]` methods cannot be generic"),
        );
    }
}

// A resource URI is absolute: it starts with a scheme such as `notes:` (RFC 3986).
fn check_uri_scheme(cx: &Ctxt, resource: &ResourceFn<'_>) {
    let uri = resource.attrs.uri.value();
    let scheme = uri.split_once(':').map_or("", |(scheme, _)| scheme);
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid {
        let message = format!(
            "invalid resource URI `{uri}`; expected an absolute URI that starts with a scheme, like `notes://today` or `file:///notes.txt`"
        );
        cx.error_spanned_by(&resource.attrs.uri, message);
    }
}

// A template's variables are `{name}`s with Rust identifiers as names (RFC 6570 level 1),
// each used once, with text between two of them so that a URI splits one way only.
fn check_template_syntax(cx: &Ctxt, resource: &ResourceFn<'_>) -> bool {
    let uri = resource.attrs.uri.value();
    let Some(problem) = template_problem(&uri) else {
        return true;
    };
    let message =
        format!("invalid URI template `{uri}`: {problem}; write each variable as `{{name}}`");
    cx.error_spanned_by(&resource.attrs.uri, message);
    false
}

fn template_problem(uri: &str) -> Option<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut rest = uri;
    let mut after_variable = false;
    while let Some(at) = rest.find(['{', '}']) {
        if rest[at..].starts_with('}') {
            return Some("`}` without `{`".into());
        }
        if at == 0 && after_variable {
            return Some("two variables need text between them".into());
        }
        let Some((name, tail)) = rest[at + 1..].split_once('}') else {
            return Some("`{` without `}`".into());
        };
        let is_ident = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !is_ident {
            return Some(format!("`{{{name}}}` is not a variable name"));
        }
        if seen.contains(&name) {
            return Some(format!("the variable `{{{name}}}` appears twice"));
        }
        seen.push(name);
        rest = tail;
        after_variable = true;
    }
    None
}

// A template's variables and the method's parameters are the same names.
fn check_template_params(cx: &Ctxt, resource: &ResourceFn<'_>) {
    let params: Vec<String> = resource
        .params
        .iter()
        .filter(|p| p.kind == ParamKind::Argument)
        .map(|p| p.ident.to_string())
        .collect();
    for var in &resource.vars {
        if !params.contains(var) {
            let message =
                format!("the URI template's variable `{{{var}}}` needs a parameter named `{var}`");
            cx.error_spanned_by(&resource.attrs.uri, message);
        }
    }
    for param in resource
        .params
        .iter()
        .filter(|p| p.kind == ParamKind::Argument)
    {
        if !resource.vars.contains(&param.ident.to_string()) {
            let message = format!(
                "`{}` is not a variable of the URI template `{}`",
                param.ident,
                resource.attrs.uri.value()
            );
            cx.error_spanned_by(param.ident, message);
        }
    }
}

// `#[complete] fn name(&self, value: String) -> ..`: the handler is called with the typed prefix.
fn check_completion_signature(cx: &Ctxt, complete: &CompleteFn<'_>) {
    let sig = &complete.method.sig;
    let args: Vec<_> = sig
        .inputs
        .iter()
        .filter(|a| matches!(a, FnArg::Typed(_)))
        .collect();
    let is_string = |a: &&FnArg| matches!(a, FnArg::Typed(pt) if last_segment_is(&pt.ty, "String"));
    let message =
        "a `#[complete]` method takes one argument, `value: String`, the text to complete";
    match args.iter().find(|a| !is_string(a)).or(args.get(1)) {
        Some(arg) => cx.error_spanned_by(arg, message),
        None if args.is_empty() => cx.error_spanned_by(&sig.ident, message),
        None => {}
    }
    if matches!(sig.output, syn::ReturnType::Default) {
        cx.error_spanned_by(
            &sig.ident,
            "a `#[complete]` method returns its suggestions, as `Vec<String>` or `Completion`",
        );
    }
}

// One handler per prompt argument or template variable: a second would never be called.
fn check_unique_completions(cx: &Ctxt, server: &Server<'_>) {
    let mut seen = HashMap::new();
    for complete in &server.completions {
        let attrs = &complete.attrs;
        let (Some(argument), Some(target)) = (
            &attrs.argument,
            attrs.prompt.as_ref().or(attrs.resource.as_ref()),
        ) else {
            continue;
        };
        let what = if attrs.prompt.is_some() {
            "prompt"
        } else {
            "template"
        };
        let key = (what, target.value(), argument.value());
        if let Some(first) = seen.insert(key, &complete.method.sig.ident) {
            let message = format!(
                "duplicate `#[complete]` handler for `{}` of the {what} `{}`; the method `{first}` already completes it",
                argument.value(),
                target.value()
            );
            cx.error_spanned_by(argument, message);
        }
    }
}

// A completion handler names an existing prompt argument or template variable.
fn check_completion_target(cx: &Ctxt, server: &Server<'_>, complete: &CompleteFn<'_>) {
    let attrs = &complete.attrs;
    let Some(argument) = &attrs.argument else {
        cx.error_spanned_by(
            complete.attr,
            "`#[complete]` needs `argument = \"..\"`, the argument it completes",
        );
        return;
    };
    let arg = argument.value();
    match (&attrs.prompt, &attrs.resource) {
        (Some(name), None) => match server.prompts.iter().find(|p| p.name == name.value()) {
            None => cx.error_spanned_by(name, format!("no `#[prompt]` named `{}`", name.value())),
            Some(p) if !p.arguments().any(|a| a.ident == &arg) => {
                cx.error_spanned_by(
                    argument,
                    format!("the prompt `{}` has no argument `{arg}`", p.name),
                );
            }
            Some(_) => {}
        },
        (None, Some(uri)) => match server
            .resources
            .iter()
            .find(|r| r.attrs.uri.value() == uri.value())
        {
            None => {
                cx.error_spanned_by(uri, format!("no `#[resource]` template `{}`", uri.value()))
            }
            Some(r) if !r.vars.contains(&arg) => {
                cx.error_spanned_by(
                    argument,
                    format!("the template `{}` has no variable `{arg}`", uri.value()),
                );
            }
            Some(_) => {}
        },
        _ => cx.error_spanned_by(
            complete.attr,
            "`#[complete]` needs exactly one of `prompt = \"..\"` or `resource = \"..\"`",
        ),
    }
}
