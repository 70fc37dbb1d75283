//! Paging as Bitbucket Data Center pages: every list takes `start` and
//! `limit` query parameters and answers `{"size", "limit", "start",
//! "isLastPage", "values"}`, with `nextPageStart` only while more follow.
//! Data Center's clients loop on `isLastPage` and `nextPageStart`, so a
//! list that ignored them would hand a script the same page forever or
//! stop it short.
//!
//! Lists are read whole and paged here: each is filtered by what the caller
//! may see first (the rights live in the rules crate, not in SQL), and the
//! places that have lists hold tens or hundreds of items, not millions.

use super::error::RestError;
use axum::{
    extract::{FromRequestParts, Query},
    http::request::Parts,
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Items per page when `limit` is absent (Data Center's default).
pub(crate) const DEFAULT_LIMIT: usize = 25;
/// The most items one page holds; a larger `limit` gets this many, as in
/// Data Center (the answer's `limit` says so).
pub(crate) const MAX_LIMIT: usize = 1000;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Page<T> {
    /// How many items this page holds.
    size: usize,
    /// The page size asked for (at most 1000).
    limit: usize,
    /// The index of this page's first item.
    start: usize,
    is_last_page: bool,
    values: Vec<T>,
    /// Where the next page starts: present only when `isLastPage` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_start: Option<usize>,
}

impl<T> Page<T> {
    /// The page of `values` (the whole list) that `paging` asks for.
    pub(crate) fn of(values: Vec<T>, paging: Paging) -> Json<Page<T>> {
        let total = values.len();
        let values: Vec<T> = values.into_iter().skip(paging.start).take(paging.limit).collect();
        let end = paging.start.saturating_add(values.len());
        let is_last_page = end >= total;
        Json(Page {
            size: values.len(),
            limit: paging.limit,
            start: paging.start,
            is_last_page,
            next_page_start: (!is_last_page).then_some(end),
            values,
        })
    }
}

/// The query parameters of every list, as written (read strictly below).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// The index of the first item to return (default 0).
    #[param(value_type = Option<u64>, minimum = 0)]
    start: Option<String>,
    /// Items per page (default 25; at most 1000, and more asks for 1000).
    #[param(value_type = Option<u64>, minimum = 1)]
    limit: Option<String>,
}

/// Which page of a list the request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    start: usize,
    limit: usize,
}

impl Default for Paging {
    fn default() -> Self {
        Paging {
            start: 0,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl Paging {
    /// Reads `start` and `limit`: whole numbers, `limit` at least 1; each
    /// wrong one is a 400 naming it.
    pub(crate) fn parse(start: Option<&str>, limit: Option<&str>) -> Result<Paging, RestError> {
        let number = |field: &str, text: &str, least: usize| {
            let text = text.trim();
            (!text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<usize>().ok())
                .flatten()
                .filter(|n| *n >= least)
                .ok_or_else(|| RestError::Invalid {
                    field: field.into(),
                    message: format!("`{field}` must be a whole number, {least} or more."),
                })
        };
        Ok(Paging {
            start: start.map(|s| number("start", s, 0)).transpose()?.unwrap_or(0),
            limit: limit
                .map(|l| number("limit", l, 1))
                .transpose()?
                .map_or(DEFAULT_LIMIT, |l| l.min(MAX_LIMIT)),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(query) = Query::<PageQuery>::from_request_parts(parts, state)
            .await
            .map_err(|e| RestError::Invalid {
                field: "query".into(),
                message: format!("The query string cannot be read: {}", e.body_text()),
            })?;
        Paging::parse(query.start.as_deref(), query.limit.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: usize, start: &str, limit: &str) -> serde_json::Value {
        let paging = Paging::parse(Some(start), Some(limit)).unwrap();
        serde_json::to_value(Page::of((0..n).collect(), paging).0).unwrap()
    }

    #[test]
    fn pages_as_data_center_pages() {
        assert_eq!(
            page(60, "0", "25"),
            serde_json::json!({"size": 25, "limit": 25, "start": 0, "isLastPage": false,
                "nextPageStart": 25, "values": (0..25).collect::<Vec<_>>()})
        );
        let last = page(60, "50", "25");
        assert_eq!(
            (last["size"].as_u64(), last["isLastPage"].as_bool()),
            (Some(10), Some(true))
        );
        assert!(last.get("nextPageStart").is_none());
        assert_eq!(page(50, "25", "25")["isLastPage"], true);
        assert_eq!(page(3, "10", "25")["values"], serde_json::json!([]));
        assert_eq!(page(3, "0", "5000")["limit"], 1000);
        assert_eq!(Paging::parse(None, None).unwrap(), Paging::default());
        for (start, limit, field) in [
            ("-1", "1", "start"),
            ("x", "1", "start"),
            ("0", "0", "limit"),
            ("0", "2.5", "limit"),
            ("0", "99999999999999999999", "limit"),
        ] {
            match Paging::parse(Some(start), Some(limit)) {
                Err(RestError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{start} {limit}: {other:?}"),
            }
        }
    }
}
