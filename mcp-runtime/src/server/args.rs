//! A tool's plain parameters, parsed and described without a generated struct: the macro
//! names the parameters and their types, and the code here, compiled once in this crate and
//! instantiated once per parameter type (not once per tool), reads the arguments object and
//! builds its schema. A server of many tools expands to little code, so it builds fast.

use std::marker::PhantomData;

use schemars::{Schema, SchemaGenerator};
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{ToolCallError, ToolParam};

/// The parameters a tool takes, as a tuple of their types (up to 12).
pub trait NamedArgs: Sized {
    /// How many there are.
    const LEN: usize;
    /// Reads the arguments object in one pass, each member straight into its parameter's
    /// type; `None` on any problem, which [`from_fields`](Self::from_fields) then describes.
    fn from_object(json: &str, names: &'static [&'static str]) -> Option<Self>;
    /// Reads each parameter from its raw value; a missing one from nothing (so `Option`s are
    /// `None` and the rest an error naming them). The slow path, with the error messages.
    fn from_fields(
        names: &[&'static str],
        fields: &[Option<&RawValue>],
    ) -> Result<Self, ToolCallError>;
}

/// Parses a tool's arguments object into its parameters, in the order of `names`. A missing or
/// `null` arguments object counts as `{}`; unknown members are ignored. On failure, the message
/// names the offending parameter (and the path inside it).
pub fn parse_named<A: NamedArgs>(
    raw: Option<&RawValue>,
    names: &'static [&'static str],
) -> Result<A, ToolCallError> {
    let json = match raw.map(RawValue::get) {
        None | Some("null") => "{}",
        Some(json) => json,
    };
    if let Some(args) = A::from_object(json, names) {
        return Ok(args);
    }
    const MAX: usize = 12;
    let mut fields: [Option<&RawValue>; MAX] = [None; MAX];
    let fields = &mut fields[..A::LEN.min(MAX)];
    collect(json, names, fields).map_err(|e| {
        ToolCallError::InvalidArguments(format!("invalid arguments: {}", strip_position(e)))
    })?;
    A::from_fields(names, fields)
}

/// A member's name, as the position of the parameter it names.
struct Key(&'static [&'static str]);

impl<'de> de::DeserializeSeed<'de> for Key {
    type Value = Option<usize>;
    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<Option<usize>, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a parameter's name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|n| *n == key))
    }
}

/// A parameter the arguments leave out: `None` for an `Option`, otherwise an error.
fn missing<T: DeserializeOwned, E: de::Error>(name: &'static str) -> Result<T, E> {
    T::deserialize(de::value::UnitDeserializer::<E>::new()).map_err(|_| E::missing_field(name))
}

/// The members of the arguments object that name a parameter, by position.
fn collect<'a>(
    json: &'a str,
    names: &[&'static str],
    fields: &mut [Option<&'a RawValue>],
) -> Result<(), String> {
    struct Members<'n, 'f, 'a> {
        names: &'n [&'static str],
        fields: &'f mut [Option<&'a RawValue>],
    }
    impl<'de: 'a, 'a> Visitor<'de> for Members<'_, '_, 'a> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of the tool's arguments")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match self.names.iter().position(|n| *n == key) {
                    Some(i) if self.fields[i].is_some() => {
                        return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    Some(i) => self.fields[i] = Some(map.next_value::<&'de RawValue>()?),
                    None => drop(map.next_value::<IgnoredAny>()?),
                }
            }
            Ok(())
        }
    }
    let de = &mut serde_json::Deserializer::from_str(json);
    de::Deserializer::deserialize_map(de, Members { names, fields }).map_err(|e| e.to_string())
}

/// One parameter from its raw value, or from its absence.
fn field<T: DeserializeOwned>(name: &str, raw: Option<&RawValue>) -> Result<T, ToolCallError> {
    let Some(raw) = raw else {
        return T::deserialize(de::value::UnitDeserializer::<de::value::Error>::new()).map_err(
            |_| {
                ToolCallError::InvalidArguments(format!(
                    "invalid arguments: missing field `{name}`"
                ))
            },
        );
    };
    serde_json::from_str(raw.get())
        .map_err(|_| ToolCallError::InvalidArguments(describe::<T>(Some(name), raw.get())))
}

// The slow, path-tracking parse, run only after the fast one failed: the message names the
// path to the problem, inside the parameter `name` when there is one.
pub(super) fn describe<T: DeserializeOwned>(name: Option<&str>, json: &str) -> String {
    let de = &mut serde_json::Deserializer::from_str(json);
    let (path, inner) = match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(_) => (String::new(), None),
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            (path, Some(strip_position(e.into_inner().to_string())))
        }
    };
    let at = match (name, path.is_empty()) {
        (Some(name), true) => format!("`{name}`"),
        (Some(name), false) => format!("`{name}.{path}`"),
        (None, false) => format!("`{path}`"),
        (None, true) => String::new(),
    };
    match (at.is_empty(), inner) {
        (true, None) => "invalid arguments".to_owned(),
        (true, Some(inner)) => format!("invalid arguments: {inner}"),
        (false, None) => format!("invalid arguments: {at}"),
        (false, Some(inner)) => format!("invalid arguments: {at}: {inner}"),
    }
}

fn strip_position(mut message: String) -> String {
    if let Some(at) = message.rfind(" at line ") {
        message.truncate(at);
    }
    message
}

macro_rules! named_args {
    ($len:literal; $($t:ident $i:tt),*) => {
        impl<$($t: DeserializeOwned),*> NamedArgs for ($($t,)*) {
            const LEN: usize = $len;

            #[allow(unused_mut, unused_variables, non_snake_case)]
            fn from_object(json: &str, names: &'static [&'static str]) -> Option<Self> {
                struct Object<$($t),*>(&'static [&'static str], PhantomData<($($t,)*)>);
                impl<'de, $($t: DeserializeOwned),*> Visitor<'de> for Object<$($t),*> {
                    type Value = ($($t,)*);
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("an object of the tool's arguments")
                    }
                    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                        let mut slots: ($(Option<$t>,)*) = ($(None::<$t>,)*);
                        while let Some(key) = map.next_key_seed(Key(self.0))? {
                            match key {
                                $(Some($i) if slots.$i.is_none() => slots.$i = Some(map.next_value()?),)*
                                Some(_) => return Err(de::Error::custom("duplicate field")),
                                None => drop(map.next_value::<IgnoredAny>()?),
                            }
                        }
                        Ok(($(match slots.$i {
                            Some(value) => value,
                            None => missing::<$t, M::Error>(self.0[$i])?,
                        },)*))
                    }
                }
                // The arguments were read as one JSON value already: nothing can follow it.
                let de = &mut serde_json::Deserializer::from_str(json);
                de::Deserializer::deserialize_map(de, Object(names, PhantomData)).ok()
            }

            #[allow(unused_variables)]
            fn from_fields(
                names: &[&'static str],
                fields: &[Option<&RawValue>],
            ) -> Result<Self, ToolCallError> {
                Ok(($(field::<$t>(names[$i], fields[$i])?,)*))
            }
        }
    };
}

named_args!(0;);
named_args!(1; A 0);
named_args!(2; A 0, B 1);
named_args!(3; A 0, B 1, C 2);
named_args!(4; A 0, B 1, C 2, D 3);
named_args!(5; A 0, B 1, C 2, D 3, E 4);
named_args!(6; A 0, B 1, C 2, D 3, E 4, F 5);
named_args!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
named_args!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
named_args!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
named_args!(10; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
named_args!(11; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
named_args!(12; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// One parameter of a tool's input schema, as the macro declares it.
#[derive(Clone, Copy, Debug)]
pub struct ParamSchema {
    /// Its name.
    pub name: &'static str,
    /// Its doc comment: each line without its first space, joined by newlines.
    pub doc: Option<&'static str>,
    /// The `Mcp-Param-*` header it is mirrored in (`#[header]`), if any.
    pub header: Option<&'static str>,
    /// Its type's schema.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
    /// Whether it may be left out (`Option<T>`).
    pub optional: fn() -> bool,
}

/// The schema of one parameter's type.
pub fn param_schema<T: ToolParam>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// Whether a parameter of type `T` may be left out: whether `T` reads from nothing, as
/// [`parse_named`] reads a missing one.
pub fn optional<T: ToolParam>() -> bool {
    T::deserialize(de::value::UnitDeserializer::<de::value::Error>::new()).is_ok()
}

/// A doc comment as schemars reads one: a first line starting with `#` is the title, the rest
/// the description.
fn title_and_description(doc: &str) -> (&str, &str) {
    let doc = doc.trim();
    match doc.strip_prefix('#') {
        Some(_) => {
            let end = doc.find('\n').unwrap_or(doc.len());
            (doc[..end].trim_start_matches('#').trim(), doc[end..].trim())
        }
        None => ("", doc),
    }
}

/// A tool's input schema: an object of its parameters, the required ones listed.
pub fn object_schema(g: &mut SchemaGenerator, params: &[ParamSchema]) -> Schema {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in params {
        let mut schema = (p.schema)(g);
        let (title, description) = p.doc.map_or(("", ""), title_and_description);
        for (key, value) in [("title", title), ("description", description)] {
            if !value.is_empty() {
                schema.insert(key.into(), value.into());
            }
        }
        if let Some(header) = p.header {
            schema.insert("x-mcp-header".into(), header.into());
        }
        properties.insert(p.name.into(), schema.to_value());
        if !(p.optional)() {
            required.push(Value::from(p.name));
        }
    }
    let mut root = Map::new();
    if let Some(meta) = g.settings().meta_schema.as_deref() {
        root.insert("$schema".into(), meta.into());
    }
    root.insert("type".into(), "object".into());
    root.insert("properties".into(), properties.into());
    if !required.is_empty() {
        root.insert("required".into(), required.into());
    }
    let definitions = g.take_definitions(false);
    if !definitions.is_empty() {
        // A plain pointer such as `/$defs`; nested ones hold one more level each.
        let path = g
            .settings()
            .definitions_path
            .trim_start_matches('#')
            .to_owned();
        let mut target = &mut root;
        for key in path.trim_matches('/').split('/') {
            target = match target
                .entry(key.to_owned())
                .or_insert_with(|| Value::Object(Map::new()))
            {
                Value::Object(next) => next,
                _ => unreachable!("inserted as an object"),
            };
        }
        target.extend(definitions);
    }
    let mut schema = Schema::from(root);
    for transform in g.transforms_mut() {
        transform.transform(&mut schema);
    }
    schema
}

#[cfg(test)]
mod tests {
    use schemars::JsonSchema;
    use schemars::generate::SchemaSettings;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, JsonSchema)]
    struct Point {
        x: i64,
        y: i64,
    }

    // What the derive would have given for these parameters: the schemas must not change.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Derived {
        /// The first.
        a: i64,
        /// # Where
        ///
        /// A point.
        at: Point,
        label: Option<String>,
    }

    fn params() -> [ParamSchema; 3] {
        [
            ParamSchema {
                name: "a",
                doc: Some("The first."),
                header: None,
                schema: param_schema::<i64>,
                optional: optional::<i64>,
            },
            ParamSchema {
                name: "at",
                doc: Some("# Where\n\nA point."),
                header: None,
                schema: param_schema::<Point>,
                optional: optional::<Point>,
            },
            ParamSchema {
                name: "label",
                doc: None,
                header: None,
                schema: param_schema::<Option<String>>,
                optional: optional::<Option<String>>,
            },
        ]
    }

    #[test]
    fn the_schema_is_the_one_the_derive_gives() {
        let generator = || SchemaSettings::draft2020_12().into_generator();
        let mut derived = generator().root_schema_for::<Derived>().to_value();
        derived.as_object_mut().unwrap().remove("title");
        let built = object_schema(&mut generator(), &params()).to_value();
        assert_eq!(built, derived);
    }

    type Args = (i64, Point, Option<String>);

    fn parse(json: &str) -> Result<Args, String> {
        let raw = RawValue::from_string(json.to_owned()).unwrap();
        parse_named::<Args>(Some(&raw), &["a", "at", "label"]).map_err(|e| match e {
            ToolCallError::InvalidArguments(m) => m,
            other => panic!("{other:?}"),
        })
    }

    #[test]
    fn arguments_are_read_by_name_and_errors_name_the_parameter() {
        let (a, at, label) =
            parse(r#"{"label":null,"at":{"x":1,"y":2},"a":3,"extra":[1]}"#).unwrap();
        assert_eq!((a, at.x, at.y, label), (3, 1, 2, None));
        let cases = [
            (
                r#"{"at":{"x":1,"y":2}}"#,
                "invalid arguments: missing field `a`",
            ),
            (
                r#"{"a":"3","at":{"x":1,"y":2}}"#,
                r#"invalid arguments: `a`: invalid type: string "3", expected i64"#,
            ),
            (
                r#"{"a":3,"at":{"x":1,"y":"2"}}"#,
                r#"invalid arguments: `at.y`: invalid type: string "2", expected i64"#,
            ),
            (r#"{"a":3,"a":4}"#, "invalid arguments: duplicate field `a`"),
            (
                "[3]",
                "invalid arguments: invalid type: sequence, expected an object of the tool's arguments",
            ),
        ];
        for (json, message) in cases {
            assert_eq!(parse(json).unwrap_err(), message, "{json}");
        }
        let none = parse_named::<(Option<i64>,)>(None, &["n"]).unwrap();
        assert_eq!(none, (None,));
    }
}
