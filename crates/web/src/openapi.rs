//! The OpenAPI document, built from the route table so that every route is described.

use axum::Json;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, ResponseBuilder};

/// Every API route: method, path, summary. A test checks each is served.
pub const ROUTES: &[(&str, &str, &str)] = &[
    (
        "post",
        "/api/v1/auth/login",
        "Log in with username and password; sets a session cookie, returns the CSRF token",
    ),
    ("post", "/api/v1/auth/logout", "End the session"),
    ("get", "/api/v1/me", "The caller's account, role and scope"),
    ("get", "/api/v1/divisions/{code}", "One administrative division"),
    (
        "get",
        "/api/v1/divisions/{code}/children",
        "Divisions directly below one",
    ),
    (
        "get",
        "/api/v1/carriers",
        "List carriers in scope (q, division, kind, archived, sort, page, per_page)",
    ),
    ("post", "/api/v1/carriers", "Create a carrier"),
    ("get", "/api/v1/carriers/{id}", "One carrier"),
    (
        "put",
        "/api/v1/carriers/{id}",
        "Edit a carrier (send the version you read)",
    ),
    ("post", "/api/v1/carriers/{id}/archive", "Archive or restore a carrier"),
    ("get", "/api/v1/carriers/{id}/history", "Change history of a carrier"),
    ("get", "/api/v1/carriers/{id}/units", "Units in a carrier"),
    ("get", "/api/v1/units", "List units in scope"),
    ("post", "/api/v1/units", "Create a unit"),
    ("get", "/api/v1/units/{id}", "One unit"),
    ("put", "/api/v1/units/{id}", "Edit a unit (send the version you read)"),
    ("post", "/api/v1/units/{id}/archive", "Archive or restore a unit"),
    ("get", "/api/v1/units/{id}/history", "Change history of a unit"),
    ("get", "/api/v1/units/{id}/links", "Network links of a unit"),
    (
        "post",
        "/api/v1/units/{id}/links",
        "Add a network link (headquarters_of, franchisee_of, supplier_of)",
    ),
    ("get", "/api/v1/orgs", "List party organisations in scope"),
    ("post", "/api/v1/orgs", "Create a party organisation"),
    ("get", "/api/v1/orgs/{id}", "One party organisation"),
    (
        "put",
        "/api/v1/orgs/{id}",
        "Edit a party organisation (send the version you read)",
    ),
    (
        "post",
        "/api/v1/orgs/{id}/archive",
        "Archive or restore a party organisation",
    ),
    (
        "get",
        "/api/v1/orgs/{id}/history",
        "Change history of a party organisation",
    ),
    ("get", "/api/v1/orgs/{id}/members", "Members of a party organisation"),
    ("get", "/api/v1/members", "List members in scope (personal data masked)"),
    ("post", "/api/v1/members", "Create a member record"),
    (
        "post",
        "/api/v1/members/search",
        "Search members with the query in the body (a full resident ID never goes in a URL)",
    ),
    ("get", "/api/v1/members/{id}", "One member (masked)"),
    (
        "put",
        "/api/v1/members/{id}",
        "Edit a member (send the version you read)",
    ),
    ("post", "/api/v1/members/{id}/archive", "Archive or restore a member"),
    ("get", "/api/v1/members/{id}/history", "Change history of a member"),
    (
        "post",
        "/api/v1/members/{id}/reveal",
        "Full resident ID and phone of a member (audited)",
    ),
    ("get", "/api/v1/instructors", "Party-building instructors in scope"),
    (
        "post",
        "/api/v1/instructors",
        "Record a party-building instructor (name, phone, division)",
    ),
    (
        "post",
        "/api/v1/import",
        "Import a workbook (multipart file; dry_run, skip_invalid, kind)",
    ),
    (
        "get",
        "/api/v1/import/template/{kind}",
        "The import template of carriers, units, orgs or members: header row, example row, accepted values",
    ),
    (
        "get",
        "/api/v1/export/{kind}",
        "Export carriers, units, orgs or members as xlsx, personal data masked (division); needs the import/export right",
    ),
    (
        "post",
        "/api/v1/export/{kind}",
        "Export as xlsx; with reveal=true and the caller's password, full IDs and phones (audited, no-store)",
    ),
];

pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for (method, path, summary) in ROUTES {
        let m = match *method {
            "post" => HttpMethod::Post,
            "put" => HttpMethod::Put,
            _ => HttpMethod::Get,
        };
        let op = OperationBuilder::new()
            .summary(Some(*summary))
            .response("200", ResponseBuilder::new().description("OK"))
            .response("401", ResponseBuilder::new().description("auth.required"))
            .response(
                "404",
                ResponseBuilder::new().description("not_found: absent or outside the caller's scope"),
            )
            .build();
        paths = paths.path(*path, PathItem::new(m, op));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Tongxin API")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .paths(paths.build())
        .build()
}

pub async fn serve() -> Json<OpenApi> {
    Json(document())
}
