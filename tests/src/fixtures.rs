//! What the tests share: the ids they use, the keys notifications are signed with, and serving a
//! router on an ephemeral port of 127.0.0.1.
//!
//! A test that needs an app id, a tenant, a call id or a key id takes it from here, so each value is
//! written once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use msgraph_calls::runtime::mock::SigningKey;
use tokio::net::TcpListener;

/// The bot's application id: the audience of notification tokens, and the simulator's default.
pub const APP_ID: &str = mock_graph::DEFAULT_APP_ID;

/// The tenant of notification tokens, of the recorded group-call invite, and the simulator's
/// default.
pub const TENANT_ID: &str = mock_graph::DEFAULT_TENANT_ID;

/// The app id the README's commands give both binaries.
pub const DEMO_APP_ID: &str = "demo-bot";

/// The call id of the documented examples.
pub const CALL_ID: &str = "57dab8b1-894c-409a-b240-bd8beae78896";

/// The bearer token bots send to the simulator, which accepts any.
pub const GRAPH_TOKEN: &str = "bot-token";

/// The id of the key a bot trusts.
pub const KEY_ID: &str = "graph-key-1";

/// The id of a key published after the first.
pub const ROTATED_KEY_ID: &str = "graph-key-2";

/// The id of a key nobody publishes.
pub const UNKNOWN_KEY_ID: &str = "graph-key-unknown";

/// A freshly generated key with the id [`KEY_ID`].
pub fn signing_key() -> SigningKey {
    SigningKey::generate(KEY_ID).expect("an RSA key")
}

/// The claims of a notification token for [`APP_ID`] in [`TENANT_ID`], valid for five minutes.
pub fn claims() -> serde_json::Value {
    SigningKey::graph_claims(APP_ID, TENANT_ID, Duration::from_secs(300))
}

/// A notification token signed by `key` with [`claims`].
pub fn token(key: &SigningKey) -> String {
    key.sign(&claims()).expect("sign")
}

/// Writes the public parts of `keys` as a JWKS document to `dir/jwks.json` and returns its path.
pub fn jwks_file<'a>(dir: &Path, keys: impl IntoIterator<Item = &'a SigningKey>) -> PathBuf {
    let path = dir.join("jwks.json");
    std::fs::write(&path, SigningKey::jwks(keys).to_string()).expect("write the JWKS file");
    path
}

/// A listener on an ephemeral port of 127.0.0.1, and its base URL `http://127.0.0.1:PORT`.
pub async fn listen_local() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let address = listener.local_addr().expect("local address");
    (listener, format!("http://{address}"))
}

/// Serves `router` on `listener`, a listener on 127.0.0.1, on a task of its own, and returns
/// `http://127.0.0.1:PORT`.
pub fn serve_on(listener: TcpListener, router: axum::Router) -> String {
    let address = listener.local_addr().expect("local address");
    assert!(address.ip().is_loopback(), "tests serve on 127.0.0.1 only");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    format!("http://{address}")
}

/// Serves `router` on an ephemeral port of 127.0.0.1 and returns `http://127.0.0.1:PORT`.
pub async fn serve(router: axum::Router) -> String {
    let (listener, _) = listen_local().await;
    serve_on(listener, router)
}
