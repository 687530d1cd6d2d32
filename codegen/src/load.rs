//! Text to OpenAPI: parses YAML (or JSON, which is YAML) and checks the shape of an OpenAPI 3.0
//! document, reporting the JSON pointer of the first thing that does not fit.

use openapiv3::OpenAPI;

use crate::error::{Error, Pointer, Result};

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
                format!("OpenAPI version `{v}` is not supported; write an OpenAPI 3.0.x document (`openapi: 3.0.4`)"),
            ));
        }
        None => {
            return Err(Error::schema(
                &Pointer::root().join("openapi"),
                "the document has no `openapi` version string; is this an OpenAPI 3.0 description? Add `openapi: 3.0.4`",
            ));
        }
    }
    serde_path_to_error::deserialize::<_, OpenAPI>(value).map_err(|err| {
        let pointer = err.path().iter().fold(Pointer::root(), |pointer, segment| {
            use serde_path_to_error::Segment;
            match segment {
                Segment::Seq { index } => pointer.join(index.to_string()),
                Segment::Map { key } => pointer.join(key),
                Segment::Enum { variant } => pointer.join(variant),
                Segment::Unknown => pointer,
            }
        });
        Error::schema(
            &pointer,
            format!("this is not valid OpenAPI 3.0 here: {}; fix it so the document follows the OpenAPI 3.0 specification", err.inner()),
        )
    })
}
