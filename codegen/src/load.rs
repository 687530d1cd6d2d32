//! Text to OpenAPI: parses YAML (or JSON, which is YAML) and checks the shape of an OpenAPI 3.0
//! document, reporting the JSON pointer of the first thing that does not fit.

use openapiv3::OpenAPI;

use crate::error::{Error, Result};
use crate::pointer::Pointer;

/// Parses and shape-checks a spec.
pub(crate) fn load(text: &str) -> Result<OpenAPI> {
    let value: serde_json::Value = serde_saphyr::from_str(text).map_err(|err| Error::Syntax {
        message: err.to_string(),
    })?;
    let version = value.get("openapi").and_then(|v| v.as_str());
    match version {
        Some(v) if v.starts_with("3.0.") => {}
        Some(v) => {
            return Err(Error::unsupported(
                &Pointer::root().join("openapi"),
                format!(
                    "OpenAPI version `{v}` is not supported; write an OpenAPI 3.0.x document (`openapi: 3.0.4`)"
                ),
            ));
        }
        None => {
            return Err(Error::schema(
                &Pointer::root().join("openapi"),
                "the document has no `openapi` version string; is this an OpenAPI 3.0 description? Add `openapi: 3.0.4`",
            ));
        }
    }
    match deserialize_at::<OpenAPI>(&value, Pointer::root()) {
        Ok(document) => Ok(document),
        Err((pointer, message)) => {
            // serde stops at untagged and flattened maps (paths, components); look inside them for
            // the deepest place that fails.
            let (pointer, message) = locate(&value).unwrap_or((pointer, message));
            Err(Error::schema(
                &pointer,
                format!(
                    "this is not valid OpenAPI 3.0 here: {message}; fix it so the document follows the OpenAPI 3.0 specification"
                ),
            ))
        }
    }
}

/// Deserializes `value`, reporting a failure with the pointer of the failing place below `at`.
pub(crate) fn deserialize_at<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
    at: Pointer,
) -> Result<T, (Pointer, String)> {
    serde_path_to_error::deserialize::<_, T>(value.clone()).map_err(|err| {
        let pointer = err.path().iter().fold(at, |pointer, segment| {
            use serde_path_to_error::Segment;
            match segment {
                Segment::Seq { index } => pointer.join(index.to_string()),
                Segment::Map { key } => pointer.join(key),
                Segment::Enum { variant } => pointer.join(variant),
                Segment::Unknown => pointer,
            }
        });
        (pointer, err.inner().to_string())
    })
}

/// The first failing operation, path item or component, checked one by one.
fn locate(document: &serde_json::Value) -> Option<(Pointer, String)> {
    const METHODS: &[&str] = &[
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let paths = Pointer::root().join("paths");
    for (template, item) in document.get("paths")?.as_object().into_iter().flatten() {
        let item_at = paths.join(template);
        for (key, operation) in item.as_object().into_iter().flatten() {
            if METHODS.contains(&key.as_str())
                && let Err(found) =
                    deserialize_at::<openapiv3::Operation>(operation, item_at.join(key))
            {
                return Some(found);
            }
        }
        if let Err(found) =
            deserialize_at::<openapiv3::ReferenceOr<openapiv3::PathItem>>(item, item_at)
        {
            return Some(found);
        }
    }
    let components = Pointer::root().join("components");
    for (name, schema) in document
        .pointer("/components/schemas")
        .and_then(|v| v.as_object())
        .into_iter()
        .flatten()
    {
        let at = components.join("schemas").join(name);
        if let Err(found) = deserialize_at::<openapiv3::ReferenceOr<openapiv3::Schema>>(schema, at)
        {
            return Some(found);
        }
    }
    None
}
