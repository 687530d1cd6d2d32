//! The Azure SDK's credentials as token providers (feature `azure-identity`): any
//! `azure_core::credentials::TokenCredential`, and shortcuts for the client secret, managed
//! identity, workload identity and Azure CLI credentials of `azure_identity`, in the chosen cloud.
//! Each is a [`CachedTokenProvider`]: tokens are cached per tenant and scope, and refreshed once
//! for concurrent requests. `azure_identity`'s client certificate credential needs OpenSSL, so it
//! is not offered; a certificate can still be used through [`per_tenant`] with a credential of
//! the caller's making.
//!
//! A credential of the Azure SDK is bound to one tenant. [`per_tenant`] makes one per tenant a
//! request names (`Client::for_tenant`), so a multi-tenant app gets each tenant's token; the
//! others ([`single`], [`managed_identity`]) serve their own tenant whatever a request names.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

pub use azure_core;
use azure_core::cloud::CloudConfiguration;
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::ClientOptions;
pub use azure_identity;
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};

use super::client::{TokenError, TokenRequest};
use super::cloud::Cloud;
use super::credential::{CachedTokenProvider, CredentialError, ExpiringToken};

/// A credential shared by every request.
pub type SharedCredential = Arc<dyn TokenCredential>;

/// The Azure SDK's configuration of `cloud`'s Microsoft Entra authority.
pub fn cloud_configuration(cloud: Cloud) -> CloudConfiguration {
    match cloud {
        Cloud::Global => CloudConfiguration::AzurePublic,
        Cloud::UsGovL4 | Cloud::UsGovL5Dod => CloudConfiguration::AzureGovernment,
        Cloud::China => CloudConfiguration::AzureChina,
    }
}

/// Client options whose authority is `cloud`'s.
fn client_options(cloud: Cloud) -> ClientOptions {
    ClientOptions {
        cloud: Some(Arc::new(cloud_configuration(cloud))),
        ..Default::default()
    }
}

/// A token of `credential` for `request`'s scope.
async fn fetch(
    credential: SharedCredential,
    request: TokenRequest,
) -> Result<ExpiringToken, TokenError> {
    let token = credential.get_token(&[request.scope()], None).await?;
    let expires_at = u64::try_from(token.expires_on.unix_timestamp())
        .ok()
        .map(|seconds| SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    Ok(ExpiringToken {
        secret: token.token.secret().to_owned(),
        expires_at,
    })
}

/// Tokens from one `credential`, named `name` in errors, whatever tenant a request names.
pub fn single(name: impl Into<Arc<str>>, credential: SharedCredential) -> CachedTokenProvider {
    CachedTokenProvider::new(name, move |request| fetch(credential.clone(), request))
}

/// Tokens from a credential per tenant, made by `make` the first time a request names that
/// tenant (and kept); a request that names none is for `default_tenant`. `name` names the
/// credential in errors, which also carry `make`'s.
pub fn per_tenant<F>(
    name: impl Into<Arc<str>>,
    default_tenant: impl Into<String>,
    make: F,
) -> CachedTokenProvider
where
    F: Fn(&str) -> azure_core::Result<SharedCredential> + Send + Sync + 'static,
{
    let default_tenant = default_tenant.into();
    let made: Mutex<HashMap<String, SharedCredential>> = Mutex::new(HashMap::new());
    CachedTokenProvider::new(name, move |request: TokenRequest| {
        let tenant = request.tenant_id().unwrap_or(&default_tenant).to_owned();
        let credential = {
            let mut made = made.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match made.get(&tenant) {
                Some(credential) => Ok(credential.clone()),
                None => make(&tenant).inspect(|credential| {
                    made.insert(tenant.clone(), credential.clone());
                }),
            }
        };
        async move {
            match credential {
                Ok(credential) => fetch(credential, request).await,
                Err(err) => Err(TokenError::from(err)),
            }
        }
    })
}

/// An app's client secret (`ClientSecretCredential`) in `cloud`: tokens for the tenant a request
/// names, else for `tenant_id`. A multi-tenant app registration serves every tenant that consented.
pub fn client_secret(
    cloud: Cloud,
    tenant_id: impl Into<String>,
    client_id: impl Into<String>,
    secret: impl Into<String>,
) -> CachedTokenProvider {
    client_secret_with_options(
        cloud,
        tenant_id,
        client_id,
        secret,
        ClientOptions::default(),
    )
}

/// [`client_secret`] whose credentials send their token requests with `options` (a transport of
/// the caller's, proxies, retries); the authority is `cloud`'s whatever `options.cloud` says.
pub fn client_secret_with_options(
    cloud: Cloud,
    tenant_id: impl Into<String>,
    client_id: impl Into<String>,
    secret: impl Into<String>,
    options: ClientOptions,
) -> CachedTokenProvider {
    let client_id = client_id.into();
    let secret = Secret::new(secret.into());
    let client_options = ClientOptions {
        cloud: Some(Arc::new(cloud_configuration(cloud))),
        ..options
    };
    per_tenant("ClientSecretCredential", tenant_id, move |tenant| {
        let options = ClientSecretCredentialOptions {
            client_options: client_options.clone(),
        };
        let credential =
            ClientSecretCredential::new(tenant, client_id.clone(), secret.clone(), Some(options))?;
        Ok(credential as SharedCredential)
    })
}

/// The managed identity of the Azure host (`ManagedIdentityCredential`): the system-assigned one,
/// or the user-assigned one whose client id is `client_id`. It serves its own tenant only.
pub fn managed_identity(client_id: Option<String>) -> Result<CachedTokenProvider, CredentialError> {
    let options = ManagedIdentityCredentialOptions {
        user_assigned_id: client_id.map(UserAssignedId::ClientId),
        ..Default::default()
    };
    let credential = ManagedIdentityCredential::new(Some(options))
        .map_err(|err| setup_error("ManagedIdentityCredential", err))?;
    Ok(single("ManagedIdentityCredential", credential))
}

/// Workload identity federation (`WorkloadIdentityCredential`, as on Kubernetes): the client id
/// and token file from `AZURE_CLIENT_ID` and `AZURE_FEDERATED_TOKEN_FILE`; tokens for the tenant a
/// request names, else for `AZURE_TENANT_ID`.
pub fn workload_identity(cloud: Cloud) -> CachedTokenProvider {
    let default_tenant = std::env::var("AZURE_TENANT_ID").unwrap_or_default();
    per_tenant(
        "WorkloadIdentityCredential",
        default_tenant,
        move |tenant| {
            let mut options = WorkloadIdentityCredentialOptions {
                tenant_id: Some(tenant.to_owned()),
                ..Default::default()
            };
            options.credential_options.client_options = client_options(cloud);
            Ok(WorkloadIdentityCredential::new(Some(options))? as SharedCredential)
        },
    )
}

/// The account signed in to the Azure CLI (`AzureCliCredential`), for local runs: tokens for the
/// tenant a request names, else for the CLI's default tenant.
pub fn azure_cli() -> CachedTokenProvider {
    per_tenant("AzureCliCredential", "", move |tenant| {
        let options = AzureCliCredentialOptions {
            tenant_id: (!tenant.is_empty()).then(|| tenant.to_owned()),
            ..Default::default()
        };
        Ok(AzureCliCredential::new(Some(options))? as SharedCredential)
    })
}

/// A credential that could not be set up, as the error of a token request.
fn setup_error(name: &str, err: azure_core::Error) -> CredentialError {
    CredentialError::new(
        name,
        TokenRequest::new(Cloud::Global.graph_scope(), None),
        TokenError::from(err),
    )
}
