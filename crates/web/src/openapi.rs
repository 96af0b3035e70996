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

/// A type's schema, the name it is registered under, and the schemas it refers to.
pub struct Described {
    pub name: String,
    pub schema: RefOr<Schema>,
    pub refers_to: Vec<(String, RefOr<Schema>)>,
}

/// How to describe a type: [`schema_of`] of it.
pub type SchemaOf = fn() -> Described;

/// The schema of `T`, for [`Mounted::body`] and [`Mounted::returns`].
pub fn schema_of<T: ToSchema>() -> Described {
    let mut refers_to = Vec::new();
    T::schemas(&mut refers_to);
    Described {
        name: T::name().into_owned(),
        schema: T::schema(),
        refers_to,
    }
}

/// The schema of one page of `T` ([`tongxin_store::registry::Page`]), with `T`'s own
/// (a generic's `schemas` leaves its parameter out).
pub fn page_of<T: ToSchema>() -> Described {
    with_item::<T>(schema_of::<tongxin_store::registry::Page<T>>())
}

/// The schema of a list of `T`, with `T`'s own.
pub fn list_of<T: ToSchema>() -> Described {
    let items = RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()));
    with_item::<T>(Described {
        name: format!("{}List", T::name()),
        schema: utoipa::openapi::schema::ArrayBuilder::new().items(items).build().into(),
        refers_to: Vec::new(),
    })
}

fn with_item<T: ToSchema>(mut d: Described) -> Described {
    d.refers_to.push((T::name().into_owned(), T::schema()));
    T::schemas(&mut d.refers_to);
    d
}

/// What a route answers when it succeeds.
#[derive(Clone, Copy)]
pub enum Reply {
    /// Not said (the test `every_route_declares_its_answer` fails on such a route).
    Unsaid,
    /// A JSON body of this type.
    Json(SchemaOf),
    /// 204, no body.
    NoContent,
    /// A file of this media type (an .xlsx workbook).
    File(&'static str),
    /// A JSON body, or with `format=xlsx` (or `Accept`) a file of this media type.
    JsonOrFile(SchemaOf, &'static str),
}

/// The media type of the workbooks the API answers with.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One API route as it is mounted: method, path, what it does, the JSON body it takes,
/// what it answers.
#[derive(Clone, Copy)]
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub body: Option<SchemaOf>,
    pub reply: Reply,
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

    /// The JSON body the route answers with.
    pub fn returns(mut self, schema: SchemaOf) -> Self {
        self.route.reply = Reply::Json(schema);
        self
    }

    /// The route answers 204 without a body.
    pub fn no_content(mut self) -> Self {
        self.route.reply = Reply::NoContent;
        self
    }

    /// The route answers a workbook.
    pub fn workbook(mut self) -> Self {
        self.route.reply = Reply::File(XLSX);
        self
    }

    /// The route answers a file of the type it was kept as (`application/octet-stream`
    /// in the document: a PDF, an image, a Word or an Excel file).
    pub fn file(mut self) -> Self {
        self.route.reply = Reply::File("application/octet-stream");
        self
    }

    /// The route answers JSON of this type, or a workbook when asked for one.
    pub fn returns_or_workbook(mut self, schema: SchemaOf) -> Self {
        self.route.reply = Reply::JsonOrFile(schema, XLSX);
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
            reply: Reply::Unsaid,
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

/// The success answer of a route as the document gives it: the JSON schema inline (a
/// list or page of records names them by reference), or the file's media type.
fn success(reply: Reply, components: &mut Vec<(String, RefOr<Schema>)>) -> (&'static str, ResponseBuilder) {
    let json = |d: Described, components: &mut Vec<(String, RefOr<Schema>)>| {
        components.extend(d.refers_to);
        ContentBuilder::new().schema(Some(d.schema)).build()
    };
    let file = |mime: &str| (mime.to_string(), ContentBuilder::new().build());
    match reply {
        Reply::Unsaid => ("200", ResponseBuilder::new().description("OK")),
        Reply::NoContent => ("204", ResponseBuilder::new().description("Done, no body")),
        Reply::Json(s) => (
            "200",
            ResponseBuilder::new()
                .description("OK")
                .content("application/json", json(s(), components)),
        ),
        Reply::File(mime) => {
            let (m, c) = file(mime);
            ("200", ResponseBuilder::new().description("A workbook").content(m, c))
        }
        Reply::JsonOrFile(s, mime) => {
            let (m, c) = file(mime);
            (
                "200",
                ResponseBuilder::new()
                    .description("OK: JSON, or a workbook when asked for one")
                    .content("application/json", json(s(), components))
                    .content(m, c),
            )
        }
    }
}

pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    let mut schemas: Vec<(String, RefOr<Schema>)> = Vec::new();
    for r in routes() {
        let m = match r.method {
            "post" => HttpMethod::Post,
            "put" => HttpMethod::Put,
            _ => HttpMethod::Get,
        };
        let (status, ok) = success(r.reply, &mut schemas);
        let mut op = OperationBuilder::new()
            .summary(Some(r.summary))
            .response(status, ok)
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
            let d = schema_of();
            op = op
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(d.name.clone()))))
                                .build(),
                        )
                        .build(),
                ))
                .response(
                    "422",
                    ResponseBuilder::new().description("validation: each field's error"),
                );
            schemas.push((d.name, d.schema));
            schemas.extend(d.refers_to);
        }
        paths = paths.path(r.path, PathItem::new(m, op.build()));
    }
    let components = schemas
        .into_iter()
        .fold(ComponentsBuilder::new(), |c, (name, schema)| c.schema(name, schema));
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
