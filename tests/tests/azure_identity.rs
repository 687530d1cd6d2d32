//! `azure_identity`'s real `ClientSecretCredential` behind `runtime::azure::client_secret`, its
//! token requests answered by a stand-in transport in the process (nothing leaves it): the token
//! is asked of the chosen cloud's authority, for the tenant of the request and the cloud's Graph
//! scope, and Entra's refusal becomes an error naming the credential and Entra's reason.

use std::sync::{Arc, Mutex};

use msgraph_calls::runtime::azure::{self, azure_core};
use msgraph_calls::types::RejectRequestBody;
use msgraph_calls::{Client, Cloud};
use tests::fixtures::CALL_ID;
use tests::recorder::{Recorder, Reply};

use azure_core::http::headers::Headers;
use azure_core::http::{
    AsyncRawResponse, Body, ClientOptions, HttpClient, Request, StatusCode, Transport,
};

/// Answers token requests as Entra does: a token named after the tenant in the path, or, when
/// `refuse`, Entra's error for a wrong secret. Records each request's URL and form.
#[derive(Debug, Default)]
struct EntraStandIn {
    refuse: bool,
    seen: Mutex<Vec<(String, String)>>,
}

#[async_trait::async_trait]
impl HttpClient for EntraStandIn {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let url = request.url().to_string();
        let form = match request.body() {
            Body::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        };
        self.seen.lock().unwrap().push((url.clone(), form));
        let tenant = request
            .url()
            .path_segments()
            .and_then(|mut s| s.next())
            .unwrap_or("");
        let (status, body) = if self.refuse {
            (
                StatusCode::Unauthorized,
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#.to_owned(),
            )
        } else {
            (
                StatusCode::Ok,
                format!(
                    r#"{{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"entra-{tenant}"}}"#
                ),
            )
        };
        Ok(AsyncRawResponse::from_bytes(
            status,
            Headers::new(),
            body.into_bytes(),
        ))
    }
}

fn options(entra: &Arc<EntraStandIn>) -> ClientOptions {
    ClientOptions {
        transport: Some(Transport::new(entra.clone())),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_client_secret_token_is_asked_of_the_clouds_authority_for_the_calls_tenant() {
    let graph = Recorder::start(Reply::empty(202)).await;
    let entra = Arc::new(EntraStandIn::default());
    let cloud = Cloud::UsGovL4;
    let provider = azure::client_secret_with_options(
        cloud,
        "home-tenant",
        "app-id",
        "s3cret",
        options(&entra),
    );
    let client = Client::builder()
        .cloud(cloud)
        .base_url(&graph.base_url)
        .token_provider(provider)
        .build();
    let body = RejectRequestBody::default();
    client
        .for_tenant("tenant-x")
        .reject(CALL_ID, &body)
        .await
        .expect("202");
    client
        .for_tenant("tenant-x")
        .reject(CALL_ID, &body)
        .await
        .expect("202");
    client.reject(CALL_ID, &body).await.expect("202");

    let sent: Vec<String> = graph
        .requests()
        .iter()
        .map(|r| r.headers["authorization"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        sent,
        [
            "Bearer entra-tenant-x",
            "Bearer entra-tenant-x",
            "Bearer entra-home-tenant"
        ]
    );
    let seen = entra.seen.lock().unwrap().clone();
    let urls: Vec<&str> = seen.iter().map(|(url, _)| url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://login.microsoftonline.us/tenant-x/oauth2/v2.0/token",
            "https://login.microsoftonline.us/home-tenant/oauth2/v2.0/token",
        ],
        "one token request per tenant, cached after"
    );
    for (_, form) in &seen {
        for pair in [
            "client_id=app-id",
            "client_secret=s3cret",
            "grant_type=client_credentials",
            "scope=https%3A%2F%2Fgraph.microsoft.us%2F.default",
        ] {
            assert!(form.contains(pair), "{pair} missing from {form}");
        }
    }
}

#[tokio::test]
async fn entras_refusal_names_the_credential_and_the_reason_and_nothing_is_sent() {
    let graph = Recorder::start(Reply::empty(202)).await;
    let entra = Arc::new(EntraStandIn {
        refuse: true,
        ..Default::default()
    });
    let provider = azure::client_secret_with_options(
        Cloud::Global,
        "home",
        "app-id",
        "wrong",
        options(&entra),
    );
    let client = Client::builder()
        .base_url(&graph.base_url)
        .token_provider(provider)
        .build();
    let err = client
        .for_tenant("tenant-x")
        .reject(CALL_ID, &RejectRequestBody::default())
        .await
        .expect_err("no token");
    let message = err.to_string();
    for part in ["ClientSecretCredential", "tenant-x", "AADSTS7000215"] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
    assert!(graph.requests().is_empty());
    assert_eq!(
        entra.seen.lock().unwrap()[0].0,
        "https://login.microsoftonline.com/tenant-x/oauth2/v2.0/token"
    );
}
