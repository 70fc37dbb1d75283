//! Where tokens belong, by the names people, pages and URLs use: a
//! workspace, a project, a repository, or a user's own (personal) tokens.
//!
//! One type and one reader for every way a place arrives: the props of the
//! browser's token panel, the fields of the server functions' forms, and the
//! paths of the REST API. Names are only read here (trimmed, the kind
//! checked); whether they name something that exists, and whether the caller
//! may manage tokens there, is the server's to decide when it resolves the
//! place to its ids ([`crate::scope::Home`]).

use crate::{permissions::TokenKind, validate::ValidationError};
use serde::{Deserialize, Serialize};

/// A place, by name. Serialized as [`PlaceFields`] (the form's flat
/// fields), read back through [`Place::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PlaceFields", into = "PlaceFields")]
pub enum Place {
    Workspace {
        workspace: String,
    },
    Project {
        workspace: String,
        project: String,
    },
    Repository {
        workspace: String,
        /// Bitbucket's paths name the project too; the pages do not.
        project: Option<String>,
        repository: String,
    },
    /// `None`: the caller's own tokens; `Some`: another user's (system
    /// admins only).
    Personal {
        user: Option<String>,
    },
}

/// A place as a form sends it: one field per level, empty where unused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceFields {
    pub kind: String,
    #[serde(default)]
    pub workspace: String,
    #[serde(default)]
    pub project: String,
    #[serde(default)]
    pub repository: String,
    #[serde(default)]
    pub user: String,
}

impl Place {
    /// Reads a place from its fields: the kind must be one of the four;
    /// names are trimmed, and fields the kind does not use are ignored.
    pub fn parse(fields: &PlaceFields) -> Result<Place, ValidationError> {
        let kind = TokenKind::parse(fields.kind.trim()).ok_or_else(|| {
            ValidationError::new("kind", "Token kind must be workspace, project, repository or personal.")
        })?;
        let name = |s: &str| s.trim().to_string();
        let optional = |s: &str| Some(name(s)).filter(|s| !s.is_empty());
        Ok(match kind {
            TokenKind::Workspace => Place::Workspace {
                workspace: name(&fields.workspace),
            },
            TokenKind::Project => Place::Project {
                workspace: name(&fields.workspace),
                project: name(&fields.project),
            },
            TokenKind::Repository => Place::Repository {
                workspace: name(&fields.workspace),
                project: optional(&fields.project),
                repository: name(&fields.repository),
            },
            TokenKind::Personal => Place::Personal {
                user: optional(&fields.user),
            },
        })
    }

    /// The caller's own personal tokens.
    pub fn mine() -> Place {
        Place::Personal { user: None }
    }

    /// The kind of token that belongs here.
    pub fn kind(&self) -> TokenKind {
        match self {
            Place::Workspace { .. } => TokenKind::Workspace,
            Place::Project { .. } => TokenKind::Project,
            Place::Repository { .. } => TokenKind::Repository,
            Place::Personal { .. } => TokenKind::Personal,
        }
    }

    /// The workspace's slug, for every place but a user's.
    pub fn workspace(&self) -> Option<&str> {
        match self {
            Place::Workspace { workspace } | Place::Project { workspace, .. } | Place::Repository { workspace, .. } => {
                Some(workspace)
            }
            Place::Personal { .. } => None,
        }
    }

    /// The form's fields: what [`Place::parse`] reads back.
    pub fn fields(&self) -> PlaceFields {
        let mut fields = PlaceFields {
            kind: self.kind().as_str().to_string(),
            ..PlaceFields::default()
        };
        match self {
            Place::Workspace { workspace } => fields.workspace = workspace.clone(),
            Place::Project { workspace, project } => {
                fields.workspace = workspace.clone();
                fields.project = project.clone();
            }
            Place::Repository {
                workspace,
                project,
                repository,
            } => {
                fields.workspace = workspace.clone();
                fields.project = project.clone().unwrap_or_default();
                fields.repository = repository.clone();
            }
            Place::Personal { user } => fields.user = user.clone().unwrap_or_default(),
        }
        fields
    }
}

impl TryFrom<PlaceFields> for Place {
    type Error = ValidationError;

    fn try_from(fields: PlaceFields) -> Result<Place, ValidationError> {
        Place::parse(&fields)
    }
}

impl From<Place> for PlaceFields {
    fn from(place: Place) -> PlaceFields {
        place.fields()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(kind: &str, workspace: &str, project: &str, repository: &str, user: &str) -> PlaceFields {
        PlaceFields {
            kind: kind.into(),
            workspace: workspace.into(),
            project: project.into(),
            repository: repository.into(),
            user: user.into(),
        }
    }

    #[test]
    fn an_unknown_kind_is_refused_not_taken_for_personal() {
        let e = Place::parse(&fields("team", "acme", "", "", "")).unwrap_err();
        assert_eq!(e.field, "kind");
        assert!(Place::parse(&fields("", "", "", "", "")).is_err());
        assert!(serde_json::from_str::<Place>(r#"{"kind":"Personal"}"#).is_err());
    }

    #[test]
    fn reads_what_each_kind_uses_and_ignores_the_rest() {
        assert_eq!(
            Place::parse(&fields("repository", " acme ", "", "website", "bob")).unwrap(),
            Place::Repository {
                workspace: "acme".into(),
                project: None,
                repository: "website".into()
            }
        );
        assert_eq!(
            Place::parse(&fields("personal", "acme", "WEB", "", "")).unwrap(),
            Place::mine()
        );
        assert_eq!(
            Place::parse(&fields("project", "acme", "WEB", "website", "")).unwrap(),
            Place::Project {
                workspace: "acme".into(),
                project: "WEB".into()
            }
        );
    }

    fn any_place() -> impl Strategy<Value = Place> {
        let name = "[a-z0-9][a-z0-9-]{0,8}";
        prop_oneof![
            name.prop_map(|workspace| Place::Workspace { workspace }),
            (name, name).prop_map(|(workspace, project)| Place::Project { workspace, project }),
            (name, proptest::option::of(name), name).prop_map(|(workspace, project, repository)| {
                Place::Repository {
                    workspace,
                    project,
                    repository,
                }
            }),
            proptest::option::of(name).prop_map(|user| Place::Personal { user }),
        ]
    }

    proptest! {
        /// What a page renders into its form (or its island's props) is
        /// what the server reads back.
        #[test]
        fn fields_and_props_read_back_as_the_same_place(place in any_place()) {
            prop_assert_eq!(Place::parse(&place.fields()).unwrap(), place.clone());
            let json = serde_json::to_string(&place).unwrap();
            prop_assert_eq!(serde_json::from_str::<Place>(&json).unwrap(), place);
        }
    }
}
