//! The JSON API. Handlers extract, call the engine and map the result; the
//! OpenAPI description is generated from these functions.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum_extra::extract::{Query, QueryRejection};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::compare;
use super::error::{ApiError, ErrorBody, WebError};
use super::params::{SearchParams, document_id};
use super::{AppState, doc_url, hit_url, insights};
use weiquan_core::content::render::TocEntry;
use weiquan_core::content::{FrontMatter, Kind};
use weiquan_core::search::answer::{Answer, AnswerArticle, AnswerDocument};
use weiquan_core::search::query::Expansion;
use weiquan_core::search::suggest::Suggestion;
use weiquan_core::search::{CitedBy, Facets, Question, Related, SearchHit, Version, WarningOrder, WarningSummary};

/// Every API route, as registered in the router. The OpenAPI test checks
/// each is documented.
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/api/search", get(search)),
        ("/api/docs/{*id}", get(document)),
        ("/api/suggest", get(suggest)),
        ("/api/warnings", get(warnings)),
        ("/api/openapi.json", get(openapi)),
    ]
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "weiquan 消费维权知识库 API",
        description = "Search consumer-protection laws, cases, warnings and guides."
    ),
    paths(search, document, compare::api, suggest, warnings, openapi, super::admin::api_save, super::events::events),
    components(schemas(ErrorBody, super::admin::SavedWarning))
)]
pub struct ApiDoc;

/// A search hit with the address of its page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiHit {
    #[serde(flatten)]
    pub hit: SearchHit,
    /// Opens the document at the article: /docs/{id}#第二十五条
    pub url: String,
}

impl From<SearchHit> for ApiHit {
    fn from(hit: SearchHit) -> ApiHit {
        ApiHit { url: hit_url(&hit), hit }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// Marks this search for staff insights: pass it back as `from`, with the
    /// result's 1-based `pos`, when opening a result (`/api/docs/{id}?from=…&pos=…`).
    /// Only first pages of non-empty queries have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_ref: Option<String>,
    pub query: String,
    /// How many units match; an estimate when `total_exact` is false.
    pub total: usize,
    /// False when the search set words most units contain aside and
    /// `total` is estimated (shown as 约 N).
    pub total_exact: bool,
    pub page: usize,
    pub per_page: usize,
    pub took_ms: f64,
    pub hits: Vec<ApiHit>,
    pub facets: Facets,
    /// Query words also searched as other words; `expand=0` turns this off.
    pub expansions: Vec<Expansion>,
    /// What the results page opens with: the guide or warning that answers,
    /// the articles it relies on and a case. Null on later pages, when
    /// sorted by date, without query words, or when nothing answers.
    pub answer: Option<ApiAnswer>,
    /// When nothing was found (first page): up to three guides and warnings
    /// close to the query (loosened, or its first suggestion), or else the
    /// general guides on how to complain. Empty when there are hits.
    pub nearby: Vec<ApiHit>,
}

/// The answer, with the address of each part's page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiAnswer {
    /// The guide or warning that answers; null when an article answers on its own.
    pub document: Option<ApiAnswerDocument>,
    /// The articles it relies on (at most three), in the version in force,
    /// or the article that answers on its own.
    pub articles: Vec<ApiAnswerArticle>,
    /// A court case among the top results, or else one citing the answer's
    /// articles.
    pub case: Option<ApiAnswerDocument>,
}

/// A guide, warning or case in the answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiAnswerDocument {
    #[serde(flatten)]
    pub document: AnswerDocument,
    /// /docs/{id}
    pub url: String,
}

/// An article in the answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiAnswerArticle {
    #[serde(flatten)]
    pub article: AnswerArticle,
    /// Opens the law at the article: /docs/{id}#第二十五条
    pub url: String,
}

impl From<Answer> for ApiAnswer {
    fn from(answer: Answer) -> ApiAnswer {
        let document = |document: AnswerDocument| ApiAnswerDocument { url: doc_url(&document.id, None), document };
        ApiAnswer {
            document: answer.document.map(document),
            articles: answer
                .articles
                .into_iter()
                .map(|article| ApiAnswerArticle { url: doc_url(&article.id, Some(&article.anchor)), article })
                .collect(),
            case: answer.case.map(document),
        }
    }
}

fn bad_query(rejection: QueryRejection) -> ApiError {
    ApiError(WebError::bad_request(
        "invalid_parameter",
        "查询参数格式有误",
        format!("malformed query string: {rejection}"),
    ))
}

/// Full-text search over laws (by article), cases, warnings and guides.
#[utoipa::path(get, path = "/api/search", params(SearchParams), responses(
    (status = 200, description = "A page of results", body = SearchResponse),
    (status = 400, description = "Invalid parameter", body = ErrorBody),
))]
pub async fn search(
    State(state): State<AppState>,
    super::client::ClientIp(client): super::client::ClientIp,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Query(params) = params.map_err(bad_query)?;
    let request = params.to_request()?;
    let (results, answer) = state.answered_search(request).await?;
    let channel = insights::api_channel(&state, params.kiosk.as_deref());
    let search_ref = insights::record_search(&state, client, &params, &results, channel);
    let nearby = state.nearby(&results).await?;
    Ok(Json(SearchResponse {
        search_ref,
        query: results.query,
        total: results.total,
        total_exact: results.total_exact,
        page: results.page,
        per_page: results.per_page,
        took_ms: results.took_ms,
        hits: results.hits.into_iter().map(ApiHit::from).collect(),
        facets: results.facets,
        expansions: results.expansions,
        answer: answer.map(ApiAnswer::from),
        nearby: nearby.into_iter().map(ApiHit::from).collect(),
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentResponse {
    pub id: String,
    #[schema(value_type = String)]
    pub kind: Kind,
    pub title: String,
    pub url: String,
    /// Front matter (for LawRefBook texts: what was read from the file).
    #[schema(value_type = Object)]
    pub meta: FrontMatter,
    /// LawRefBook history lines (通过, 修正, 施行).
    pub history: Vec<String>,
    /// Safe HTML of the body; laws have an element per article with the
    /// article label as id.
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub related: Vec<Related>,
    /// All versions of a law, newest first, this one included.
    pub versions: Vec<Version>,
    /// For each cited article of a law, the documents citing it (引用本条).
    pub cited_by: Vec<CitedBy>,
    /// A guide's or warning's typical questions (常见问题), each with the id
    /// of the heading in `html` that answers it.
    pub questions: Vec<Question>,
}

/// One document: metadata, rendered HTML, table of contents, related documents.
#[utoipa::path(get, path = "/api/docs/{id}", params(("id" = String, Path, description = "Document id; may contain slashes, e.g. warnings/prepaid-card-gym")), responses(
    (status = 200, description = "The document", body = DocumentResponse),
    (status = 400, description = "Invalid id", body = ErrorBody),
    (status = 404, description = "No such document", body = ErrorBody),
))]
pub async fn document(
    State(state): State<AppState>,
    Path(id): Path<String>,
    opened: Result<Query<insights::DocumentVisit>, QueryRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let id = document_id(&id)?.to_string();
    if let Some(law) = id.strip_suffix(compare::SUFFIX)
        && let Some(compared) = compare::api(&state, law, query.as_deref()).await
    {
        return compared.map(IntoResponse::into_response);
    }
    let page = std::sync::Arc::unwrap_or_clone(state.document(id).await?.ok_or_else(WebError::not_found)?);
    insights::record_open(&state, &opened.map(|Query(o)| o).unwrap_or_default(), &page.document.id);
    let document = page.document;
    Ok(Json(DocumentResponse {
        url: doc_url(&document.id, None),
        kind: document.kind,
        title: document.meta.title.clone(),
        id: document.id,
        meta: document.meta,
        history: document.history,
        html: page.html,
        toc: page.toc,
        related: page.related,
        versions: page.versions,
        cited_by: page.cited_by,
        questions: page.questions,
    })
    .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What has been typed so far.
    pub q: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestResponse {
    pub query: String,
    /// Up to 10 completions: common questions, tags, titles.
    pub suggestions: Vec<Suggestion>,
}

/// Completions for search-as-you-type.
#[utoipa::path(get, path = "/api/suggest", params(SuggestParams), responses(
    (status = 200, description = "Completions", body = SuggestResponse),
))]
pub async fn suggest(
    State(state): State<AppState>,
    params: Result<Query<SuggestParams>, QueryRejection>,
) -> Result<Json<SuggestResponse>, ApiError> {
    let Query(params) = params.map_err(bad_query)?;
    let query = params.q.unwrap_or_default();
    let suggestions = state.engine().suggest(&query);
    Ok(Json(SuggestResponse { query, suggestions }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WarningsParams {
    /// true (default): only warnings in force today; false: all.
    pub active: Option<String>,
    /// A region (北京); nationwide warnings always match.
    pub region: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WarningsResponse {
    /// Pinned first, then newest.
    pub warnings: Vec<WarningSummary>,
}

/// Consumer warnings, pinned first, then newest.
#[utoipa::path(get, path = "/api/warnings", params(WarningsParams), responses(
    (status = 200, description = "Warnings", body = WarningsResponse),
    (status = 400, description = "Invalid parameter", body = ErrorBody),
))]
pub async fn warnings(
    State(state): State<AppState>,
    params: Result<Query<WarningsParams>, QueryRejection>,
) -> Result<Json<WarningsResponse>, ApiError> {
    let Query(params) = params.map_err(bad_query)?;
    let active = match params.active.as_deref() {
        None | Some("") | Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        Some(other) => {
            return Err(ApiError(WebError::bad_request(
                "invalid_parameter",
                format!("参数 active 的值“{other}”无效，可用：true, false"),
                format!("invalid active `{other}`: use true or false"),
            )));
        }
    };
    let today = active.then(|| state.clock().today());
    let region = params.region.filter(|r| !r.trim().is_empty());
    let warnings = state.engine().warnings(today, region.as_deref(), &WarningOrder::Newest)?;
    Ok(Json(WarningsResponse { warnings }))
}

/// This description, OpenAPI 3.
#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "OpenAPI 3 document")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
