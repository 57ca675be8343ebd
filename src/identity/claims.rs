//! What a verified token's claims make its bearer: a role (`partner`, `staff`, `steward` or `admin`) and
//! the codes of the institutions it is for, read from the claims the settings name. Pure: the
//! codes are checked against the institutions by the caller of [`read`].

use serde_json::{Map, Value};

use entities::enums::KeyRole;

/// Which claims give the role and the institutions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    /// The claim that names the role: a string, or an array of strings.
    pub role: String,
    /// The claim that names the institutions' codes: a string, or an array of strings.
    pub institutions: String,
}

/// What the claims say of the bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub role: KeyRole,
    /// The codes of the role's institutions, sorted and without repeats; none for an admin.
    pub institutions: Vec<String>,
}

/// Why a verified token's claims make no caller; each message names the claim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// The role claim is absent.
    #[error("the token has no `{0}` claim: it must name a role, `partner`, `staff`, `steward` or `admin`")]
    NoRole(String),
    /// The role claim names a value that is not a role.
    #[error("the token's `{claim}` claim names no role of this service, `{value}`: roles are `partner`, `staff` and `admin`")]
    UnknownRole { claim: String, value: String },
    /// A claim is neither a string nor an array of strings.
    #[error("the token's `{0}` claim must be a string or an array of strings")]
    NotStrings(String),
    /// A partner or a member of staff with no institution.
    #[error("the token has no `{claim}` claim: a {role} is of an institution, and the claim must name its code")]
    NoInstitution { claim: String, role: &'static str },
    /// A member of staff (or a data steward) of several institutions.
    #[error("the token's `{claim}` claim names {count} institutions: a member of staff or a data steward is of exactly one")]
    SeveralInstitutions { claim: String, count: usize },
}

/// The role and institutions the claims of a verified token give, by `mapping`. A role claim
/// with several values gives the highest of them (an admin who is also staff is an admin); a
/// value that is no role is refused, never skipped. An admin's institutions are not read.
pub fn read(claims: &Map<String, Value>, mapping: &ClaimMapping) -> Result<Claimed, ClaimError> {
    let roles =
        strings(claims, &mapping.role)?.ok_or_else(|| ClaimError::NoRole(mapping.role.clone()))?;
    let mut role = None;
    for value in roles {
        let named = role_named(value).ok_or_else(|| ClaimError::UnknownRole {
            claim: mapping.role.clone(),
            value: value.to_owned(),
        })?;
        role = Some(role.map_or(named, |other: KeyRole| highest(other, named)));
    }
    let role = role.ok_or_else(|| ClaimError::NoRole(mapping.role.clone()))?;
    if role == KeyRole::Admin {
        return Ok(Claimed {
            role,
            institutions: Vec::new(),
        });
    }
    let mut institutions: Vec<String> = strings(claims, &mapping.institutions)?
        .unwrap_or_default()
        .into_iter()
        .map(|code| code.trim().to_owned())
        .filter(|code| !code.is_empty())
        .collect();
    institutions.sort();
    institutions.dedup();
    match (role, institutions.len()) {
        (_, 0) => Err(ClaimError::NoInstitution {
            claim: mapping.institutions.clone(),
            role: match role {
                KeyRole::Staff => "member of staff",
                KeyRole::Steward => "data steward",
                _ => "partner",
            },
        }),
        (KeyRole::Staff | KeyRole::Steward, count) if count > 1 => {
            Err(ClaimError::SeveralInstitutions {
                claim: mapping.institutions.clone(),
                count,
            })
        }
        _ => Ok(Claimed { role, institutions }),
    }
}

/// The role a claim's value names: `partner`, `staff`, `steward` or `admin`, in any case.
fn role_named(value: &str) -> Option<KeyRole> {
    let value = value.trim();
    [
        ("partner", KeyRole::Partner),
        ("staff", KeyRole::Staff),
        ("steward", KeyRole::Steward),
        ("admin", KeyRole::Admin),
    ]
    .into_iter()
    .find_map(|(name, role)| value.eq_ignore_ascii_case(name).then_some(role))
}

/// The role that reads more of two.
fn highest(one: KeyRole, other: KeyRole) -> KeyRole {
    let rank = |role| match role {
        KeyRole::Partner => 0,
        KeyRole::Staff => 1,
        KeyRole::Steward => 2,
        KeyRole::Admin => 3,
    };
    if rank(other) > rank(one) {
        other
    } else {
        one
    }
}

/// The strings of the claim `name`: `None` when it is absent (or `null`). A name is looked up
/// as it is first (claim names may hold dots: `https://example.org/roles`), then, when it holds
/// dots, as a path into nested objects (`realm_access.roles`).
fn strings<'a>(
    claims: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<Vec<&'a str>>, ClaimError> {
    let value = claims.get(name).or_else(|| nested(claims, name));
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(vec![value.as_str()])),
        Some(Value::Array(values)) => values
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| ClaimError::NotStrings(name.to_owned())),
        Some(_) => Err(ClaimError::NotStrings(name.to_owned())),
    }
}

/// The value at the dotted path `name` in nested objects, if there is one.
fn nested<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let mut parts = name.split('.');
    let first = claims.get(parts.next()?)?;
    parts.try_fold(first, |value, part| value.as_object()?.get(part))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn mapping() -> ClaimMapping {
        ClaimMapping {
            role: "roles".to_owned(),
            institutions: "institution".to_owned(),
        }
    }

    fn read_json(claims: Value, mapping: &ClaimMapping) -> Result<Claimed, ClaimError> {
        read(claims.as_object().unwrap(), mapping)
    }

    fn claimed(role: KeyRole, institutions: &[&str]) -> Result<Claimed, ClaimError> {
        Ok(Claimed {
            role,
            institutions: institutions.iter().map(|code| (*code).to_owned()).collect(),
        })
    }

    #[test]
    fn a_role_and_its_institutions_are_read_from_strings_or_arrays() {
        for (claims, expected, what) in [
            (
                json!({ "roles": "staff", "institution": "KI" }),
                claimed(KeyRole::Staff, &["KI"]),
                "a string each",
            ),
            (
                json!({ "roles": ["Staff"], "institution": ["KUH"] }),
                claimed(KeyRole::Staff, &["KUH"]),
                "arrays of one, the role in another case",
            ),
            (
                json!({ "roles": "partner", "institution": ["KUH", "KI", "KUH"] }),
                claimed(KeyRole::Partner, &["KI", "KUH"]),
                "a partner of two institutions, sorted, the repeat dropped",
            ),
            (
                json!({ "roles": ["staff", "admin", "partner"] }),
                claimed(KeyRole::Admin, &[]),
                "several roles: the highest",
            ),
            (
                json!({ "roles": "admin", "institution": "XX" }),
                claimed(KeyRole::Admin, &[]),
                "an admin's institutions are not read",
            ),
            (
                json!({ "roles": "staff", "institution": [" KI ", ""] }),
                claimed(KeyRole::Staff, &["KI"]),
                "codes trimmed, blanks dropped",
            ),
            (
                json!({ "roles": ["staff", "Steward"], "institution": "KUH" }),
                claimed(KeyRole::Steward, &["KUH"]),
                "a data steward is above staff",
            ),
            (
                json!({ "roles": ["steward", "admin"], "institution": "KUH" }),
                claimed(KeyRole::Admin, &[]),
                "an admin is above a data steward",
            ),
        ] {
            assert_eq!(read_json(claims, &mapping()), expected, "{what}");
        }
    }

    #[test]
    fn claims_that_give_no_caller_are_refused_with_the_claim_named() {
        let no_role = Err(ClaimError::NoRole("roles".to_owned()));
        for (claims, expected, what) in [
            (
                json!({ "institution": "KI" }),
                no_role.clone(),
                "no role claim",
            ),
            (
                json!({ "roles": null }),
                no_role.clone(),
                "a null role claim",
            ),
            (json!({ "roles": [] }), no_role, "an empty role claim"),
            (
                json!({ "roles": "doctor", "institution": "KI" }),
                Err(ClaimError::UnknownRole {
                    claim: "roles".to_owned(),
                    value: "doctor".to_owned(),
                }),
                "a value that is no role",
            ),
            (
                json!({ "roles": ["staff", "nurse"], "institution": "KI" }),
                Err(ClaimError::UnknownRole {
                    claim: "roles".to_owned(),
                    value: "nurse".to_owned(),
                }),
                "one value of several that is no role",
            ),
            (
                json!({ "roles": 3 }),
                Err(ClaimError::NotStrings("roles".to_owned())),
                "a number",
            ),
            (
                json!({ "roles": ["staff", 1] }),
                Err(ClaimError::NotStrings("roles".to_owned())),
                "an array with a number",
            ),
            (
                json!({ "roles": "staff", "institution": { "code": "KI" } }),
                Err(ClaimError::NotStrings("institution".to_owned())),
                "an object for institutions",
            ),
            (
                json!({ "roles": "staff" }),
                Err(ClaimError::NoInstitution {
                    claim: "institution".to_owned(),
                    role: "member of staff",
                }),
                "staff with no institution",
            ),
            (
                json!({ "roles": "partner", "institution": [] }),
                Err(ClaimError::NoInstitution {
                    claim: "institution".to_owned(),
                    role: "partner",
                }),
                "a partner with none",
            ),
            (
                json!({ "roles": "staff", "institution": ["KI", "KUH"] }),
                Err(ClaimError::SeveralInstitutions {
                    claim: "institution".to_owned(),
                    count: 2,
                }),
                "staff of two institutions",
            ),
            (
                json!({ "roles": "steward", "institution": ["KI", "KUH"] }),
                Err(ClaimError::SeveralInstitutions {
                    claim: "institution".to_owned(),
                    count: 2,
                }),
                "a data steward of two institutions",
            ),
            (
                json!({ "roles": "steward" }),
                Err(ClaimError::NoInstitution {
                    claim: "institution".to_owned(),
                    role: "data steward",
                }),
                "a data steward with none",
            ),
        ] {
            assert_eq!(read_json(claims, &mapping()), expected, "{what}");
        }
    }

    #[test]
    fn claim_names_are_read_as_they_are_then_as_paths() {
        let keycloak = ClaimMapping {
            role: "resource_access.atmp-graph.roles".to_owned(),
            institutions: "https://karolinska.se/institution".to_owned(),
        };
        let claims = json!({
            "resource_access": { "atmp-graph": { "roles": ["staff"] }, "other": { "roles": ["admin"] } },
            "https://karolinska.se/institution": "KUH",
        });
        assert_eq!(
            read_json(claims, &keycloak),
            claimed(KeyRole::Staff, &["KUH"])
        );
        let missing = json!({ "resource_access": { "atmp-graph": "staff" } });
        assert_eq!(
            read_json(missing, &keycloak),
            Err(ClaimError::NoRole(
                "resource_access.atmp-graph.roles".to_owned()
            ))
        );
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        assert_eq!(
            ClaimError::UnknownRole {
                claim: "roles".to_owned(),
                value: "doctor".to_owned()
            }
            .to_string(),
            "the token's `roles` claim names no role of this service, `doctor`: roles are `partner`, `staff` and `admin`"
        );
        assert_eq!(
            ClaimError::NoInstitution {
                claim: "institution".to_owned(),
                role: "member of staff"
            }
            .to_string(),
            "the token has no `institution` claim: a member of staff is of an institution, and the claim must name its code"
        );
    }
}
