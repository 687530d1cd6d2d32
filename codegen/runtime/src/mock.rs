//! Signing notification tokens as Microsoft Graph does (RS256 JWTs with a `kid`), for simulators
//! and tests: a key generated at start and its public JWKS. The key is parsed once, when it is
//! generated, and every signature uses it as it is (no key is read again per token).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header};

/// An RSA signing key with its key id.
pub struct SigningKey {
    kid: String,
    pair: KeyPair,
    jwk: serde_json::Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new 2048-bit RSA key named `kid`.
    pub fn generate(kid: impl Into<String>) -> Result<Self, String> {
        let kid = kid.into();
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| "cannot generate an RSA key".to_owned())?;
        let public = pair.public_key();
        let jwk = serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        });
        Ok(Self { kid, pair, jwk })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &serde_json::Value {
        &self.jwk
    }

    /// A JWKS document holding the public keys of `keys`.
    pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> serde_json::Value {
        serde_json::json!({ "keys": keys.into_iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// Signs `claims` with RS256, naming this key in the header.
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        self.sign_parts(&header, claims)
    }

    /// Signs `claims` with RS256 under a header that also carries `fields` (such as
    /// `{"crit": ["exp"]}`), to test how validators treat unusual headers. `alg` and `kid` stay this
    /// key's.
    pub fn sign_with_header(
        &self,
        fields: &serde_json::Value,
        claims: &serde_json::Value,
    ) -> Result<String, String> {
        let mut header = serde_json::json!({ "typ": "JWT" });
        if let (Some(header), Some(fields)) = (header.as_object_mut(), fields.as_object()) {
            header.extend(fields.clone());
            header.insert("alg".into(), "RS256".into());
            header.insert("kid".into(), self.kid.clone().into());
        }
        let header: Header = serde_json::from_value(header)
            .map_err(|err| format!("cannot make a token header of {fields}: {err}"))?;
        self.sign_parts(&header, claims)
    }

    /// `header.claims.signature`: the two parts as base64url JSON, signed with RS256.
    fn sign_parts(&self, header: &Header, claims: &serde_json::Value) -> Result<String, String> {
        let encode = |part: Vec<u8>| URL_SAFE_NO_PAD.encode(part);
        let header = serde_json::to_vec(header).map_err(|err| format!("cannot sign: {err}"))?;
        let claims = serde_json::to_vec(claims).map_err(|err| format!("cannot sign: {err}"))?;
        let mut token = format!("{}.{}", encode(header), encode(claims));
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "cannot sign: the RSA signature failed".to_owned())?;
        token.push('.');
        token.push_str(&encode(signature));
        Ok(token)
    }

    /// The claims Graph puts in a notification token for `app_id` in `tenant_id`, valid for
    /// `lifetime` from now.
    pub fn graph_claims(
        app_id: &str,
        tenant_id: &str,
        lifetime: std::time::Duration,
    ) -> serde_json::Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        serde_json::json!({
            "iss": "https://graph.microsoft.com",
            "aud": app_id,
            "tid": tenant_id,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime.as_secs(),
        })
    }
}
