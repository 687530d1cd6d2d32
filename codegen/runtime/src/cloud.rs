//! The Microsoft clouds Graph runs in, and what a client and a bot need to know of each: Graph's
//! host and base URL for a version, the scope of an app-only token, the Microsoft Entra authority
//! that issues it, and the issuers and key location of the tokens on the notifications Graph posts.
//!
//! Sources: Microsoft Graph's "National cloud deployments" page (the Graph hosts and the Entra
//! endpoints of each cloud), "Access national cloud deployments with the Microsoft Graph SDKs"
//! (the `.default` scope takes the cloud's own Graph host), Microsoft's calling-bot samples (the
//! global notification keys at `api.aps.skype.com` and the issuers `https://graph.microsoft.com`
//! and `https://api.botframework.com`), and the Bot Framework's constants for the US Government
//! and China clouds (their OpenID configurations at `login.botframework.azure.us` and
//! `login.botframework.azure.cn`, their issuers `https://api.botframework.us` and
//! `https://api.botframework.azure.cn`). Microsoft documents no calling-specific key location for
//! the national clouds; a deployment that sees others sets them with `JwtSettings::with_issuers`
//! and its own `KeySource`.

/// A Microsoft cloud that Graph runs in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cloud {
    /// The global service: `graph.microsoft.com`.
    #[default]
    Global,
    /// Microsoft Graph for US Government L4 (GCC High): `graph.microsoft.us`.
    UsGovL4,
    /// Microsoft Graph for US Government L5 (DoD): `dod-graph.microsoft.us`.
    UsGovL5Dod,
    /// Microsoft Graph China operated by 21Vianet: `microsoftgraph.chinacloudapi.cn`.
    China,
}

/// A version of the Graph API: the first segment of the path after the host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GraphVersion {
    /// `v1.0`: the generally available API.
    V1,
    /// `beta`: the preview API (reject is in both; the deprecated `/app/calls` path only here).
    #[default]
    Beta,
}

impl GraphVersion {
    /// The path segment: `v1.0` or `beta`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1.0",
            Self::Beta => "beta",
        }
    }
}

impl Cloud {
    /// Every cloud, global first.
    pub const ALL: [Cloud; 4] = [Self::Global, Self::UsGovL4, Self::UsGovL5Dod, Self::China];

    /// The cloud's short name, as the example bot's `--cloud` takes it: `global`, `us-gov-l4`,
    /// `us-gov-l5-dod`, `china`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::UsGovL4 => "us-gov-l4",
            Self::UsGovL5Dod => "us-gov-l5-dod",
            Self::China => "china",
        }
    }

    /// The cloud named `name` (see [`Cloud::name`]), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|cloud| cloud.name() == name)
    }

    /// Graph's root, without a version: `https://graph.microsoft.com` for the global service.
    pub fn graph_host(self) -> &'static str {
        match self {
            Self::Global => "https://graph.microsoft.com",
            Self::UsGovL4 => "https://graph.microsoft.us",
            Self::UsGovL5Dod => "https://dod-graph.microsoft.us",
            Self::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// Graph's base URL for `version`, such as `https://graph.microsoft.com/beta`.
    pub fn graph_url(self, version: GraphVersion) -> String {
        format!("{}/{}", self.graph_host(), version.as_str())
    }

    /// The scope of an app-only token for Graph in this cloud: its Graph host and `/.default`.
    pub fn graph_scope(self) -> String {
        format!("{}/.default", self.graph_host())
    }

    /// The Microsoft Entra authority that issues tokens in this cloud, such as
    /// `https://login.microsoftonline.com`.
    pub fn authority_host(self) -> &'static str {
        match self {
            Self::Global => "https://login.microsoftonline.com",
            Self::UsGovL4 | Self::UsGovL5Dod => "https://login.microsoftonline.us",
            Self::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The issuers (`iss`) of the tokens on the notifications Graph posts to a bot in this cloud.
    pub fn notification_issuers(self) -> &'static [&'static str] {
        match self {
            Self::Global => &[
                "https://graph.microsoft.com",
                "https://api.botframework.com",
            ],
            Self::UsGovL4 => &["https://graph.microsoft.us", "https://api.botframework.us"],
            Self::UsGovL5Dod => &[
                "https://dod-graph.microsoft.us",
                "https://api.botframework.us",
            ],
            Self::China => &[
                "https://microsoftgraph.chinacloudapi.cn",
                "https://api.botframework.azure.cn",
            ],
        }
    }

    /// Where the keys that sign those tokens are published: an OpenID configuration whose
    /// `jwks_uri` names them.
    pub fn notification_keys_url(self) -> &'static str {
        match self {
            Self::Global => "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration",
            Self::UsGovL4 | Self::UsGovL5Dod => {
                "https://login.botframework.azure.us/v1/.well-known/openidconfiguration"
            }
            Self::China => "https://login.botframework.azure.cn/v1/.well-known/openidconfiguration",
        }
    }
}

impl std::fmt::Display for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Cloud {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|cloud| cloud.name()).collect();
            format!("no cloud is named `{name}`; one of {}", names.join(", "))
        })
    }
}
