//! Bitbucket's page shape, which every list answers with (all of it as one
//! page: lists here are short).

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Page<T> {
    size: usize,
    limit: usize,
    start: usize,
    is_last_page: bool,
    values: Vec<T>,
}

impl<T> Page<T> {
    /// Everything, as one page.
    pub(crate) fn of(values: Vec<T>) -> Json<Page<T>> {
        Json(Page {
            size: values.len(),
            limit: values.len(),
            start: 0,
            is_last_page: true,
            values,
        })
    }
}
