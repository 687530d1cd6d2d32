//! OpenAPI to the intermediate model, in passes: name and lower the component schemas, then the
//! operations, then the notification deliveries. Inline types are named as the passes meet them.

mod fields;
mod media;
mod names;
mod normalize;
mod notifications;
mod operations;
mod parameters;
mod refs;
mod resources;
mod responses;
mod schemas;

use openapiv3::OpenAPI;

use crate::Settings;
use crate::error::{Error, Result};
use crate::model::Api;
use crate::pointer::Pointer;

/// Lowers a loaded spec into the model.
pub(crate) fn lower(doc: &OpenAPI, settings: &Settings) -> Result<Api> {
    let mut types = schemas::TypeSpace::new(doc, &settings.namespace_prefix);
    types.lower_components()?;
    let (operations, warnings) = operations::lower(doc, &mut types)?;
    let notifications = notifications::lower(doc, &types)?;
    let default_base_url = doc
        .servers
        .first()
        .map(|server| server.url.trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            Error::schema(
                &Pointer::root().join("servers"),
                "the spec has no server; add `servers: [{url: https://graph.microsoft.com/beta}]` so the client has a default base URL",
            )
        })?;
    Ok(Api {
        title: doc.info.title.clone(),
        description: doc.info.description.clone(),
        version: doc.info.version.clone(),
        default_base_url,
        types: types.into_types(),
        operations,
        notifications,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use crate::Settings;

    #[test]
    fn clashing_names_take_their_namespace_less_the_prefix() {
        let spec = "openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: 'https://example.test'}]
paths: {}
components:
  schemas:
    contoso.call: {type: object}
    contoso.zeta.call: {type: object}
";
        for (prefix, names) in [
            ("contoso.", ["Call", "ZetaCall"]),
            ("", ["ContosoCall", "ZetaCall"]),
        ] {
            let api = crate::parse(spec, Settings::new().with_namespace_prefix(prefix))
                .expect("the spec lowers");
            let got: Vec<&str> = api.types.keys().map(String::as_str).collect();
            assert_eq!(got, names, "prefix `{prefix}`");
        }
    }
}
