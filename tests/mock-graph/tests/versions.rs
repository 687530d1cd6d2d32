//! The Graph API is served under Graph's version prefixes as well as at the root, so a client whose
//! base URL is the description's server (`https://graph.microsoft.com/beta`, with its host swapped)
//! reaches it; the control API stays at the root only.

use mock_graph::{Config, VERSION_PREFIXES};
use msgraph_calls::Client;
use msgraph_calls::types::RejectRequestBody;
use serde_json::json;
use tests::fixtures::GRAPH_TOKEN;
use tests::http::{answer, client as http};
use tests::simulator::{place, show, start};

const WEBHOOK: &str = "http://127.0.0.1:9/api/calls";

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .bearer_token(GRAPH_TOKEN)
        .build()
}

/// The path of the description's first server.
fn spec_server_path() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/graph-calls.yaml"
    ))
    .expect("spec/graph-calls.yaml is readable");
    let spec: serde_json::Value = serde_saphyr::from_str(&text).expect("the spec is YAML");
    let server = spec["servers"][0]["url"]
        .as_str()
        .expect("the spec names a server");
    url::Url::parse(server)
        .expect("the server is a URL")
        .path()
        .to_owned()
}

#[test]
fn the_descriptions_server_path_is_a_served_prefix() {
    let path = spec_server_path();
    assert!(
        VERSION_PREFIXES.contains(&path.as_str()),
        "{path} is not among {VERSION_PREFIXES:?}"
    );
}

#[tokio::test]
async fn reject_works_under_every_version_prefix_and_at_the_root() {
    let graph = start(Config::default()).await;
    for prefix in VERSION_PREFIXES.iter().copied().chain([""]) {
        let base_url = format!("{}{prefix}", graph.base_url);
        let via_action = place(&graph, json!({ "callbackUri": WEBHOOK })).await;
        client(&base_url)
            .reject(&via_action, &RejectRequestBody::default())
            .await
            .unwrap_or_else(|e| panic!("reject under `{prefix}`: {e}"));
        assert_eq!(show(&graph, &via_action).await["state"], "terminated");

        let via_app = place(&graph, json!({ "callbackUri": WEBHOOK })).await;
        client(&base_url)
            .app_calls_call_reject(&via_app, &RejectRequestBody::default())
            .await
            .unwrap_or_else(|e| panic!("the /app alias under `{prefix}`: {e}"));
        assert_eq!(show(&graph, &via_app).await["state"], "terminated");
    }
}

#[tokio::test]
async fn prefixed_errors_are_graph_errors_and_the_control_api_is_not_prefixed() {
    let graph = start(Config::default()).await;
    for prefix in VERSION_PREFIXES {
        let unknown = answer(
            http()
                .post(format!(
                    "{}{prefix}/communications/calls/no-such-call/microsoft.graph.reject",
                    graph.base_url
                ))
                .bearer_auth(GRAPH_TOKEN)
                .json(&json!({})),
        )
        .await;
        assert_eq!(unknown.status, 404, "{prefix}: {:#}", unknown.json);
        assert!(!unknown.code().is_empty(), "{prefix}: {:#}", unknown.json);

        let control = answer(http().get(format!("{}{prefix}/_sim/throttle", graph.base_url))).await;
        assert_eq!(control.status, 404, "{prefix}: {:#}", control.json);
        assert!(!control.code().is_empty(), "{prefix}: {:#}", control.json);
    }
}
