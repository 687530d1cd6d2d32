//! (a) The generated public surface, one snapshot per generated file, so a reviewer sees what a spec
//! change did to types, wire names, client methods, server traits and routes.

use tests::{read, surface};

#[test]
fn generated_surface() {
    for file in [
        "lib.rs",
        "types.rs",
        "client.rs",
        "server.rs",
        "webhooks.rs",
    ] {
        let rendered = surface::render(&read(&format!("generated/src/{file}")));
        insta::assert_snapshot!(format!("surface_{file}"), rendered);
    }
}
