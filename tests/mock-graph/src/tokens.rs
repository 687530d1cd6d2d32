//! The tokens deliveries carry. Graph's calling service signs a token for the bot's application (the
//! audience) and a tenant, and reuses it for that pair until shortly before it expires, as a
//! service holding app-only tokens does; it does not sign one per request. So does the simulator: a
//! token per tenant (the audience is the configured bot), valid for
//! [`crate::Config::token_lifetime`], renewed once less than [`RENEWAL_MARGIN`] of it is left. Each token carries a
//! unique `uti` claim, as Entra ID's tokens do, so two tokens of the same second differ.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use msgraph_calls::runtime::mock::SigningKey;

/// A token is renewed once less than this much of its lifetime is left: 5 minutes, the clock skew
/// validators allow, so a token in flight is never refused as expired.
pub const RENEWAL_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A signed token and when it is renewed.
struct Cached {
    token: String,
    renew_at: Instant,
}

/// The tokens in use, by tenant.
#[derive(Default)]
pub(crate) struct Tokens {
    by_tenant: Mutex<HashMap<String, Cached>>,
}

impl Tokens {
    /// A token for `app_id` in `tenant_id`: the one in use, or a new one signed with `key` when
    /// there is none or it is within [`RENEWAL_MARGIN`] of its expiry.
    pub(crate) fn get(
        &self,
        key: &SigningKey,
        app_id: &str,
        tenant_id: &str,
        lifetime: Duration,
    ) -> Result<String, String> {
        let now = Instant::now();
        let mut tokens = self
            .by_tenant
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(cached) = tokens.get(tenant_id)
            && now < cached.renew_at
        {
            return Ok(cached.token.clone());
        }
        // Signing under the lock: deliveries waiting for the same tenant use the one new token.
        let mut claims = SigningKey::graph_claims(app_id, tenant_id, lifetime);
        claims["uti"] = uuid::Uuid::new_v4().simple().to_string().into();
        let token = key.sign(&claims)?;
        let renew_at = now + lifetime.saturating_sub(RENEWAL_MARGIN);
        tokens.insert(
            tenant_id.to_owned(),
            Cached {
                token: token.clone(),
                renew_at,
            },
        );
        Ok(token)
    }
}
