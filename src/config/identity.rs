//! Settings of staff sign-in: the identity provider whose JWTs are accepted, where its keys
//! are, and which claims give a role and institutions. Off unless the issuer, the audience and
//! the key set are all given.

use std::time::Duration;

use crate::identity::{ClaimMapping, IdentitySettings, JwksLocation};

/// Staff sign-in with bearer JWTs of the hospital's identity provider (OIDC).
#[derive(clap::Args, Debug, Clone)]
pub struct IdentityConfig {
    /// The issuer (`iss`) of the tokens accepted, exactly as its tokens name it (the identity
    /// provider's URL, such as `https://login.example.org/realms/staff`). With `--jwt-audience`
    /// and `--jwt-jwks`, turns staff sign-in on; without them, a bearer token that is not an
    /// API key is refused.
    #[arg(long = "jwt-issuer", env = "ATMP_JWT_ISSUER", value_name = "ISSUER")]
    pub issuer: Option<String>,

    /// The audience (`aud`) a token must include: the name this service has at the identity
    /// provider (its client ID, say).
    #[arg(
        long = "jwt-audience",
        env = "ATMP_JWT_AUDIENCE",
        value_name = "AUDIENCE"
    )]
    pub audience: Option<String>,

    /// The identity provider's signing keys (a JSON Web Key Set): an `https://` URL (its
    /// `jwks_uri`; `http://` only to this machine) or a file.
    #[arg(long = "jwt-jwks", env = "ATMP_JWT_JWKS", value_name = "URL or FILE")]
    pub jwks: Option<String>,

    /// How long a key set read is used, in seconds, before it is read again in the background.
    #[arg(
        long = "jwt-jwks-lifetime-seconds",
        env = "ATMP_JWT_JWKS_LIFETIME_SECONDS",
        default_value_t = 600
    )]
    pub jwks_lifetime_seconds: u64,

    /// The shortest time, in seconds, between two reads of the key set that tokens naming a key
    /// it does not hold cause (the provider rotated its keys, or the `kid` is made up).
    #[arg(
        long = "jwt-jwks-refetch-interval-seconds",
        env = "ATMP_JWT_JWKS_REFETCH_INTERVAL_SECONDS",
        default_value_t = 10
    )]
    pub jwks_refetch_interval_seconds: u64,

    /// The longest a read of the key set may take, in milliseconds: a request that waits for
    /// one waits no longer.
    #[arg(
        long = "jwt-jwks-timeout-ms",
        env = "ATMP_JWT_JWKS_TIMEOUT_MS",
        default_value_t = 2000
    )]
    pub jwks_timeout_ms: u64,

    /// The claim that names the role, `partner`, `staff`, `steward` or `admin` (a string or an array of
    /// strings; of several roles, the highest). A name with dots that no claim has is read as
    /// a path into nested claims (`resource_access.atmp-graph.roles`).
    #[arg(
        long = "jwt-role-claim",
        env = "ATMP_JWT_ROLE_CLAIM",
        default_value = "roles"
    )]
    pub role_claim: String,

    /// The claim that names the codes of the role's institutions, such as `KI` (a string or an
    /// array of strings): one for staff, one or more for a partner; an admin's is not read.
    #[arg(
        long = "jwt-institution-claim",
        env = "ATMP_JWT_INSTITUTION_CLAIM",
        default_value = "institution"
    )]
    pub institution_claim: String,
}

impl IdentityConfig {
    /// Every problem with these settings.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let given = [
            ("jwt-issuer", &self.issuer),
            ("jwt-audience", &self.audience),
            ("jwt-jwks", &self.jwks),
        ];
        let missing: Vec<&str> = given
            .iter()
            .filter(|(_, value)| value.as_deref().is_none_or(|value| value.trim().is_empty()))
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() && missing.len() < given.len() {
            problems.push(format!(
                "staff sign-in needs `jwt-issuer`, `jwt-audience` and `jwt-jwks` together; \
                 missing: `{}`",
                missing.join("`, `")
            ));
        }
        if let Some(Err(problem)) = self.jwks.as_deref().map(JwksLocation::parse) {
            problems.push(problem);
        }
        for (name, value) in [
            ("jwt-jwks-lifetime-seconds", self.jwks_lifetime_seconds),
            (
                "jwt-jwks-refetch-interval-seconds",
                self.jwks_refetch_interval_seconds,
            ),
            ("jwt-jwks-timeout-ms", self.jwks_timeout_ms),
        ] {
            if value == 0 {
                problems.push(format!("`{name}` must be at least 1"));
            }
        }
        for (name, value) in [
            ("jwt-role-claim", &self.role_claim),
            ("jwt-institution-claim", &self.institution_claim),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("`{name}` must name a claim"));
            }
        }
        problems
    }

    /// The identity provider configured, if staff sign-in is on. Call after checking
    /// [`IdentityConfig::problems`].
    pub fn settings(&self) -> Option<IdentitySettings> {
        let issuer = self.issuer.as_deref().filter(|v| !v.trim().is_empty())?;
        let audience = self.audience.as_deref().filter(|v| !v.trim().is_empty())?;
        let jwks = JwksLocation::parse(self.jwks.as_deref()?).ok()?;
        Some(IdentitySettings {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            jwks,
            jwks_lifetime: Duration::from_secs(self.jwks_lifetime_seconds.max(1)),
            jwks_refetch_interval: Duration::from_secs(self.jwks_refetch_interval_seconds.max(1)),
            jwks_timeout: Duration::from_millis(self.jwks_timeout_ms.max(1)),
            claims: ClaimMapping {
                role: self.role_claim.trim().to_owned(),
                institutions: self.institution_claim.trim().to_owned(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn staff_sign_in_is_off_by_default_and_on_with_issuer_audience_and_keys() {
        let mut config = Config::for_database("sqlite::memory:").unwrap();
        assert_eq!(config.identity.settings(), None);
        assert!(config.problems().is_empty(), "{:?}", config.problems());

        config.identity.issuer = Some("https://login.example.org".to_owned());
        config.identity.audience = Some("atmp-graph".to_owned());
        config.identity.jwks = Some("https://login.example.org/keys".to_owned());

        assert!(config.problems().is_empty(), "{:?}", config.problems());
        let settings = config.identity.settings().unwrap();
        assert_eq!(settings.claims.role, "roles");
        assert_eq!(settings.claims.institutions, "institution");
        assert_eq!(settings.jwks_lifetime.as_secs(), 600);
        assert_eq!(settings.jwks_refetch_interval.as_secs(), 10);
        assert_eq!(settings.jwks_timeout.as_millis(), 2000);
    }

    #[test]
    fn staff_sign_in_settings_must_be_whole_and_usable() {
        let mut config = Config::for_database("sqlite::memory:").unwrap();
        config.identity.issuer = Some("https://login.example.org".to_owned());
        config.identity.jwks = Some("http://login.example.org/keys".to_owned());
        config.identity.jwks_refetch_interval_seconds = 0;
        config.identity.role_claim = " ".to_owned();

        assert_eq!(
            config.problems(),
            [
                "staff sign-in needs `jwt-issuer`, `jwt-audience` and `jwt-jwks` together; missing: `jwt-audience`",
                "`jwt-jwks` must be an `https://` URL: over plain `http://` (allowed only to this machine) anyone on the way could hand the service keys of their own",
                "`jwt-jwks-refetch-interval-seconds` must be at least 1",
                "`jwt-role-claim` must name a claim",
            ]
        );
        assert_eq!(config.identity.settings(), None);
    }
}
