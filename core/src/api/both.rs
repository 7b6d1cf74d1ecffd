//! Two request types read from one JSON object, each denying unknown keys: what serde's `flatten`
//! cannot do (a flattened struct's `deny_unknown_fields` sees no keys, and its parent's is refused).

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};
use serde_json::{Map, Value};

/// `A` from its own keys (the fields its serde derive names), `B` from all the others.
#[derive(Debug)]
pub struct Both<A, B>(pub A, pub B);

impl<'de, A: DeserializeOwned, B: DeserializeOwned> Deserialize<'de> for Both<A, B> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut rest = Map::deserialize(deserializer)?;
        // Inserted one by one, not collected: `collect` into a map instantiates a sort per `A`
        // (~1 KB of the browser's module each).
        let mut own = Map::new();
        for key in field_names::<A>() {
            if let Some((key, value)) = rest.remove_entry(*key) {
                own.insert(key, value);
            }
        }
        let a = A::deserialize(Value::Object(own)).map_err(de::Error::custom)?;
        let b = B::deserialize(Value::Object(rest)).map_err(de::Error::custom)?;
        Ok(Both(a, b))
    }
}

/// The field names of a struct deriving `Deserialize` (what it hands to `deserialize_struct`).
pub fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // The recorder always errs: it only listens to what the derive asks for.
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("fields recorded"))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The keys of `A` and of `B` in one closed object, as [`Both`] reads them: `allOf` of the two
/// would be right for TypeScript but no JSON could pass it, each side refusing the other's keys.
/// A side that is several shapes (`MeshCall`'s operations) is merged into each shape.
#[cfg(feature = "schema")]
impl<A: schemars::JsonSchema, B: schemars::JsonSchema> schemars::JsonSchema for Both<A, B> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("{}And{}", A::schema_name(), B::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let a = A::json_schema(generator).to_value();
        let b = B::json_schema(generator).to_value();
        let mut merged = serde_json::Map::new();
        merged.insert(
            "description".to_owned(),
            Value::String(format!(
                "The keys of `{}` and of `{}`, in one object.",
                A::schema_name(),
                B::schema_name()
            )),
        );
        if let Value::Object(map) = merge(a, b) {
            merged.extend(map);
        }
        merged.into()
    }
}

/// Two object schemas as one (properties and `required` joined), distributed over the branches
/// of a `oneOf`/`anyOf` on either side.
#[cfg(feature = "schema")]
fn merge(a: Value, b: Value) -> Value {
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = b.get(key) {
            let each = branches.iter().map(|branch| merge(a.clone(), branch.clone())).collect();
            return serde_json::json!({ key: Value::Array(each) });
        }
        if let Some(Value::Array(branches)) = a.get(key) {
            let each = branches.iter().map(|branch| merge(branch.clone(), b.clone())).collect();
            return serde_json::json!({ key: Value::Array(each) });
        }
    }
    let mut properties = Map::new();
    let mut required = Vec::new();
    for side in [&a, &b] {
        if let Some(Value::Object(own)) = side.get("properties") {
            properties.extend(own.clone());
        }
        if let Some(Value::Array(own)) = side.get("required") {
            required.extend(own.iter().cloned());
        }
    }
    serde_json::json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}
