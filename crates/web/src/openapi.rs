//! The route table of the API: the router mounts it and the OpenAPI document is built
//! from it, so every route served is described, with the JSON body it takes.

use crate::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::routing::{self, MethodRouter};
use utoipa::ToSchema;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ComponentsBuilder, Schema};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, RefOr, ResponseBuilder};

/// A schema and the name it is registered under in the document.
pub type SchemaOf = fn() -> (String, RefOr<Schema>);

/// The schema of `T`, for [`ApiRoute::body`].
pub fn schema_of<T: ToSchema>() -> (String, RefOr<Schema>) {
    (T::name().into_owned(), T::schema())
}

/// One API route as it is mounted: method, path, what it does, the JSON body it takes.
#[derive(Clone, Copy)]
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub body: Option<SchemaOf>,
}

/// A route and its handler. The router mounts exactly these, and the document describes
/// exactly these: a route cannot be served undocumented.
pub(crate) struct Mounted {
    pub route: ApiRoute,
    pub handler: MethodRouter<AppState>,
}

impl Mounted {
    /// The JSON body the route takes.
    pub fn body(mut self, schema: SchemaOf) -> Self {
        self.route.body = Some(schema);
        self
    }

    /// A layer on this route's handler alone (a smaller body limit, say).
    pub fn layer(mut self, f: impl FnOnce(MethodRouter<AppState>) -> MethodRouter<AppState>) -> Self {
        self.handler = f(self.handler);
        self
    }
}

fn mounted(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    handler: MethodRouter<AppState>,
) -> Mounted {
    Mounted {
        route: ApiRoute {
            method,
            path,
            summary,
            body: None,
        },
        handler,
    }
}

pub(crate) fn get<H: Handler<T, AppState>, T: 'static>(path: &'static str, summary: &'static str, h: H) -> Mounted {
    mounted("get", path, summary, routing::get(h))
}

pub(crate) fn post<H: Handler<T, AppState>, T: 'static>(path: &'static str, summary: &'static str, h: H) -> Mounted {
    mounted("post", path, summary, routing::post(h))
}

pub(crate) fn put<H: Handler<T, AppState>, T: 'static>(path: &'static str, summary: &'static str, h: H) -> Mounted {
    mounted("put", path, summary, routing::put(h))
}

/// Every mounted API route (the registry's, the import's and coverage's).
pub(crate) fn mounted_routes() -> Vec<Mounted> {
    let mut all = crate::api::table();
    all.extend(crate::coverage::api_table());
    all
}

/// Every API route the server mounts.
pub fn routes() -> Vec<ApiRoute> {
    mounted_routes().into_iter().map(|m| m.route).collect()
}

/// The router of every API route.
pub(crate) fn router() -> Router<AppState> {
    mounted_routes()
        .into_iter()
        .fold(Router::new(), |r, m| r.route(m.route.path, m.handler))
}

pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    let mut components = ComponentsBuilder::new();
    for r in routes() {
        let m = match r.method {
            "post" => HttpMethod::Post,
            "put" => HttpMethod::Put,
            _ => HttpMethod::Get,
        };
        let mut op = OperationBuilder::new()
            .summary(Some(r.summary))
            .response("200", ResponseBuilder::new().description("OK"))
            .response("401", ResponseBuilder::new().description("auth.required"))
            .response(
                "403",
                ResponseBuilder::new().description("auth.forbidden: the role may not"),
            )
            .response(
                "404",
                ResponseBuilder::new().description("not_found: absent or outside the caller's scope"),
            );
        if let Some(schema_of) = r.body {
            let (name, schema) = schema_of();
            op = op
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name.clone()))))
                                .build(),
                        )
                        .build(),
                ))
                .response(
                    "422",
                    ResponseBuilder::new().description("validation: each field's error"),
                );
            components = components.schema(name, schema);
        }
        paths = paths.path(r.path, PathItem::new(m, op.build()));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Tongxin API")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components.build()))
        .build()
}

/// The document, built once (from the route table, which does not change while the
/// server runs) and served as it was built.
pub async fn serve() -> impl axum::response::IntoResponse {
    static DOCUMENT: std::sync::OnceLock<axum::body::Bytes> = std::sync::OnceLock::new();
    let body = DOCUMENT.get_or_init(|| {
        serde_json::to_vec(&document())
            .expect("the OpenAPI document is plain data")
            .into()
    });
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body.clone())
}
