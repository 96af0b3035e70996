//! JSON API under `/api/v1`. Every handler takes the caller's [`ApiAuth`] and passes the
//! actor to the store, which filters by scope in SQL: another territory's id is a 404.

use crate::auth::{self, ApiAuth};
use crate::openapi::Mounted;
use crate::query::Q;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};
use tongxin_domain::ErrorCode;
use tongxin_domain::registry::{
    CarrierFields, CarrierId, InstructorId, Labelled, MemberFields, MemberId, OrgFields, OrgId, UnitFields, UnitId,
    UnitLinkKind,
};
use tongxin_store::StoreError;
use tongxin_store::bulk::ImportMode;
use tongxin_store::registry::{
    CarrierPatch, ListQuery, MemberInput, MemberPatch, OrgInput, OrgPatch, UnitInput, UnitPatch,
};

/// The registry's, the import's and the accounts' API routes (see [`crate::openapi`]).
pub(crate) fn table() -> Vec<Mounted> {
    use crate::openapi::{get, list_of, page_of, post, put, schema_of};
    use tongxin_store::audit::AuditEntry;
    use tongxin_store::bulk::ImportReport;
    use tongxin_store::divisions::Division;
    use tongxin_store::registry::{
        CarrierView, InstructorView, MemberView, OrgView, RevealedMember, UnitLinkView, UnitView,
    };
    vec![
        post(
            "/api/v1/auth/login",
            "Log in with username and password; sets a session cookie, returns the CSRF token",
            auth::api_login,
        ).returns(schema_of::<auth::LoginResponse>)
        .body(schema_of::<auth::LoginRequest>)
        .layer(|h| h.layer(axum::extract::DefaultBodyLimit::max(auth::LOGIN_BODY_BYTES))),
        post("/api/v1/auth/logout", "End the session", auth::api_logout).no_content(),
        get("/api/v1/me", "The caller's account, role and scope", me).returns(schema_of::<Me>),
        get("/api/v1/divisions/{code}", "One administrative division", division).returns(schema_of::<Division>),
        get(
            "/api/v1/divisions/{code}/children",
            "Divisions directly below one (within the caller's territory)",
            division_children,
        ).returns(list_of::<Division>),
        get(
            "/api/v1/carriers",
            "List carriers in scope (q, division, kind, archived, sort, page, per_page)",
            list_carriers,
        ).returns(page_of::<CarrierView>),
        post("/api/v1/carriers", "Create a carrier", create_carrier).returns(schema_of::<CarrierView>).body(schema_of::<CarrierBody>),
        get("/api/v1/carriers/{id}", "One carrier", get_carrier).returns(schema_of::<CarrierView>),
        put(
            "/api/v1/carriers/{id}",
            "Edit a carrier: only the fields sent change (send the version you read)",
            update_carrier,
        ).returns(schema_of::<CarrierView>)
        .body(schema_of::<CarrierBody>),
        post(
            "/api/v1/carriers/{id}/archive",
            "Archive or restore a carrier",
            archive_carrier,
        ).returns(schema_of::<CarrierView>)
        .body(schema_of::<ArchiveBody>),
        get(
            "/api/v1/carriers/{id}/history",
            "Change history of a carrier",
            carrier_history,
        ).returns(list_of::<AuditEntry>),
        get("/api/v1/carriers/{id}/units", "Units in a carrier", carrier_units).returns(page_of::<UnitView>),
        get("/api/v1/units", "List units in scope", list_units).returns(page_of::<UnitView>),
        post("/api/v1/units", "Create a unit", create_unit).returns(schema_of::<UnitView>).body(schema_of::<UnitBody>),
        get("/api/v1/units/{id}", "One unit", get_unit).returns(schema_of::<UnitView>),
        put(
            "/api/v1/units/{id}",
            "Edit a unit: only the fields sent change (send the version you read)",
            update_unit,
        ).returns(schema_of::<UnitView>)
        .body(schema_of::<UnitBody>),
        post("/api/v1/units/{id}/archive", "Archive or restore a unit", archive_unit).returns(schema_of::<UnitView>).body(schema_of::<ArchiveBody>),
        get("/api/v1/units/{id}/history", "Change history of a unit", unit_history).returns(list_of::<AuditEntry>),
        get("/api/v1/units/{id}/links", "Network links of a unit", unit_links).returns(list_of::<UnitLinkView>),
        post(
            "/api/v1/units/{id}/links",
            "Add a network link (headquarters_of, franchisee_of, supplier_of)",
            link_unit,
        ).no_content()
        .body(schema_of::<LinkBody>),
        get("/api/v1/orgs", "List party organisations in scope", list_orgs).returns(page_of::<OrgView>),
        post("/api/v1/orgs", "Create a party organisation", create_org).returns(schema_of::<OrgView>).body(schema_of::<OrgBody>),
        get("/api/v1/orgs/{id}", "One party organisation", get_org).returns(schema_of::<OrgView>),
        put(
            "/api/v1/orgs/{id}",
            "Edit a party organisation: only the fields sent change (send the version you read)",
            update_org,
        ).returns(schema_of::<OrgView>)
        .body(schema_of::<OrgBody>),
        post(
            "/api/v1/orgs/{id}/archive",
            "Archive or restore a party organisation",
            archive_org,
        ).returns(schema_of::<OrgView>)
        .body(schema_of::<ArchiveBody>),
        get(
            "/api/v1/orgs/{id}/history",
            "Change history of a party organisation",
            org_history,
        ).returns(list_of::<AuditEntry>),
        get(
            "/api/v1/orgs/{id}/members",
            "Members of a party organisation",
            org_members,
        ).returns(page_of::<MemberView>),
        get(
            "/api/v1/members",
            "List members in scope (personal data masked)",
            list_members,
        ).returns(page_of::<MemberView>),
        post("/api/v1/members", "Create a member record", create_member).returns(schema_of::<MemberView>).body(schema_of::<MemberBody>),
        post(
            "/api/v1/members/search",
            "Search members with the query in the body (a full resident ID never goes in a URL)",
            search_members,
        ).returns(page_of::<MemberView>),
        get("/api/v1/members/{id}", "One member (masked)", get_member).returns(schema_of::<MemberView>),
        put(
            "/api/v1/members/{id}",
            "Edit a member: only the fields sent change (send the version you read)",
            update_member,
        ).returns(schema_of::<MemberView>)
        .body(schema_of::<MemberBody>),
        post(
            "/api/v1/members/{id}/archive",
            "Archive or restore a member",
            archive_member,
        ).returns(schema_of::<MemberView>)
        .body(schema_of::<ArchiveBody>),
        get(
            "/api/v1/members/{id}/history",
            "Change history of a member",
            member_history,
        ).returns(list_of::<AuditEntry>),
        post(
            "/api/v1/members/{id}/reveal",
            "Full resident ID and phone of a member (audited)",
            reveal_member,
        ).returns(schema_of::<RevealedMember>),
        get("/api/v1/audit", "The audit log (administrators)", audit_log).returns(list_of::<AuditEntry>),
        get(
            "/api/v1/instructors",
            "Party-building instructors in scope",
            list_instructors,
        ).returns(list_of::<InstructorView>),
        post(
            "/api/v1/instructors",
            "Record a party-building instructor (name, phone, division)",
            create_instructor,
        ).returns(schema_of::<InstructorView>)
        .body(schema_of::<InstructorBody>),
        post(
            "/api/v1/import",
            "Import workbooks (multipart files; dry_run, skip_invalid, kind); needs the import/export right",
            import,
        ).returns_or_workbook(schema_of::<ImportReport>),
        get(
            "/api/v1/import/template/{kind}",
            "The import template of carriers, units, orgs or members: header row, example row, accepted values",
            import_template,
        ).workbook(),
        get(
            "/api/v1/export/{kind}",
            "Export carriers, units, orgs or members as xlsx, personal data masked (division); needs the import/export right",
            export,
        ).workbook(),
        post(
            "/api/v1/export/{kind}",
            "Export as xlsx; with reveal=true and the caller's password, full IDs and phones (audited, no-store)",
            export_post,
        ).workbook()
        .body(schema_of::<ExportBody>),
    ]
}

/// Accepts a number, a numeric string or an empty string (forms send strings).
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        N(i64),
        S(String),
    }
    match Option::<V>::deserialize(d)? {
        None => Ok(None),
        Some(V::N(n)) => Ok(Some(n)),
        Some(V::S(s)) if s.trim().is_empty() => Ok(None),
        Some(V::S(s)) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A field of an edit that may be cleared: absent (`None`, left as it is), `null` or
/// `""` (`Some(None)`, cleared), or a value. Use with `#[serde(default)]`.
fn patch_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    opt_i64(d).map(Some)
}

fn patch_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Option::<f64>::deserialize(d).map(Some)
}

fn patch_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<NaiveDate>>, D::Error> {
    let s = Option::<String>::deserialize(d)?.unwrap_or_default();
    tongxin_import::parse_date(&s)
        .map(Some)
        .map_err(|_| serde::de::Error::custom("date"))
}

/// Text as typed, from a JSON string or number (`"1,200人"` or `1200`).
fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        N(serde_json::Number),
        S(String),
    }
    Ok(Option::<V>::deserialize(d)?.map(|v| match v {
        V::N(n) => n.to_string(),
        V::S(s) => s,
    }))
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// A carrier to create, or the fields of one to change: a field left out of an edit is
/// never written.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CarrierBody {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub is_key: Option<bool>,
    pub division: Option<String>,
    pub address: Option<String>,
    #[serde(default, deserialize_with = "patch_f64")]
    #[schema(value_type = Option<f64>)]
    pub lng: Option<Option<f64>>,
    #[serde(default, deserialize_with = "patch_f64")]
    #[schema(value_type = Option<f64>)]
    pub lat: Option<Option<f64>>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub version: Option<i64>,
}

impl CarrierBody {
    pub fn input(&self) -> Result<CarrierFields, StoreError> {
        let loc = self.lng.flatten().zip(self.lat.flatten());
        Ok(CarrierFields::parse(
            text(&self.name),
            text(&self.kind),
            self.is_key.unwrap_or(false),
            text(&self.division),
            text(&self.address),
            loc,
        )?)
    }

    pub fn patch(&self) -> CarrierPatch {
        CarrierPatch {
            name: self.name.clone(),
            kind: self.kind.clone(),
            is_key: self.is_key,
            division: self.division.clone(),
            address: self.address.clone(),
            location: match (self.lng, self.lat) {
                (None, None) => None,
                (lng, lat) => Some(lng.flatten().zip(lat.flatten())),
            },
        }
    }
}

/// A unit to create, or the fields of one to change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UnitBody {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub credit_code: Option<String>,
    /// A head count (`1200`, `"1,200人"`).
    #[serde(default, deserialize_with = "opt_text")]
    pub employees: Option<String>,
    pub division: Option<String>,
    pub address: Option<String>,
    #[serde(default, deserialize_with = "patch_i64")]
    #[schema(value_type = Option<i64>)]
    pub carrier_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "patch_i64")]
    #[schema(value_type = Option<i64>)]
    pub instructor_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub version: Option<i64>,
}

impl UnitBody {
    pub fn input(&self) -> Result<UnitInput, StoreError> {
        let fields = UnitFields::parse(
            text(&self.name),
            text(&self.kind),
            text(&self.credit_code),
            text(&self.employees),
            text(&self.division),
            text(&self.address),
        )?;
        Ok(UnitInput {
            fields,
            carrier_id: self.carrier_id.flatten().map(CarrierId),
            instructor_id: self.instructor_id.flatten().map(InstructorId),
        })
    }

    pub fn patch(&self) -> UnitPatch {
        UnitPatch {
            name: self.name.clone(),
            kind: self.kind.clone(),
            credit_code: self.credit_code.clone(),
            employees: self.employees.clone(),
            division: self.division.clone(),
            address: self.address.clone(),
            carrier_id: self.carrier_id.map(|c| c.map(CarrierId)),
            instructor_id: self.instructor_id.map(|i| i.map(InstructorId)),
        }
    }
}

/// A party organisation to create, or the fields of one to change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct OrgBody {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub division: Option<String>,
    pub secretary: Option<String>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<String>)]
    pub founded_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<String>)]
    pub term_ends_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "patch_i64")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "patch_i64")]
    #[schema(value_type = Option<i64>)]
    pub carrier_id: Option<Option<i64>>,
    pub unit_ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub version: Option<i64>,
}

impl OrgBody {
    pub fn input(&self) -> Result<OrgInput, StoreError> {
        let fields = OrgFields::parse(
            text(&self.name),
            text(&self.kind),
            text(&self.division),
            text(&self.secretary),
            self.founded_on.flatten(),
            self.term_ends_on.flatten(),
        )?;
        Ok(OrgInput {
            fields,
            parent_id: self.parent_id.flatten().map(OrgId),
            carrier_id: self.carrier_id.flatten().map(CarrierId),
            unit_ids: self.unit_ids().unwrap_or_default(),
        })
    }

    pub fn patch(&self) -> OrgPatch {
        OrgPatch {
            name: self.name.clone(),
            kind: self.kind.clone(),
            division: self.division.clone(),
            secretary: self.secretary.clone(),
            founded_on: self.founded_on,
            term_ends_on: self.term_ends_on,
            parent_id: self.parent_id.map(|p| p.map(OrgId)),
            carrier_id: self.carrier_id.map(|c| c.map(CarrierId)),
            unit_ids: self.unit_ids(),
        }
    }

    fn unit_ids(&self) -> Option<Vec<UnitId>> {
        self.unit_ids
            .as_ref()
            .map(|us| us.iter().copied().map(UnitId).collect())
    }
}

/// A member record to create, or the fields of one to change. A resident ID or phone
/// sent back masked, as the API shows it, is left as it is.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MemberBody {
    pub name: Option<String>,
    pub status: Option<String>,
    pub resident_id: Option<String>,
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<String>)]
    pub joined_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub org_id: Option<i64>,
    #[serde(default, deserialize_with = "patch_i64")]
    #[schema(value_type = Option<i64>)]
    pub work_unit_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub version: Option<i64>,
}

impl MemberBody {
    pub fn input(&self) -> Result<MemberInput, StoreError> {
        let fields = MemberFields::parse(
            text(&self.name),
            text(&self.status),
            text(&self.resident_id),
            text(&self.phone),
            self.joined_on.flatten(),
        );
        let org_id = self.org_id.map(OrgId).ok_or(StoreError::Reference { field: "org_id" });
        match (fields, org_id) {
            (Ok(fields), Ok(org_id)) => Ok(MemberInput {
                fields,
                org_id,
                work_unit_id: self.work_unit_id.flatten().map(UnitId),
            }),
            (Err(e), _) => Err(StoreError::Invalid(e)),
            (_, Err(e)) => Err(e),
        }
    }

    pub fn patch(&self) -> MemberPatch {
        MemberPatch {
            name: self.name.clone(),
            status: self.status.clone(),
            resident_id: self.resident_id.clone(),
            phone: self.phone.clone(),
            joined_on: self.joined_on,
            org_id: self.org_id.map(OrgId),
            work_unit_id: self.work_unit_id.map(|u| u.map(UnitId)),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ArchiveBody {
    pub version: i64,
    #[serde(default = "yes")]
    pub archived: bool,
}

fn yes() -> bool {
    true
}

fn version_of(v: Option<i64>) -> Result<i64, ApiError> {
    v.ok_or_else(|| {
        let mut e = ApiError::new(ErrorCode::Required);
        e.detail = Some("version".into());
        e
    })
}

#[derive(Serialize, utoipa::ToSchema)]
struct Me {
    username: String,
    role: String,
    scope: MeScope,
}

/// Where an account may act: `"all"`, or within a division subtree and/or an
/// organisation's subtree.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum MeScope {
    All(Everywhere),
    Within {
        /// The division code the account's territory starts at.
        division: Option<String>,
        /// The organisation path (`/1/7/`) the account's subtree starts at.
        org_path: Option<String>,
    },
}

/// Every division and organisation (system administrators).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum Everywhere {
    All,
}

async fn me(ApiAuth(a): ApiAuth) -> Json<Me> {
    let scope = match &a.actor.scope {
        tongxin_domain::scope::Scope::All => MeScope::All(Everywhere::All),
        tongxin_domain::scope::Scope::Within { division, org } => MeScope::Within {
            division: division.as_ref().map(|d| d.to_string()),
            org_path: org.as_ref().map(|o| o.as_str().to_string()),
        },
    };
    Json(Me {
        username: a.actor.username,
        role: a.actor.role.code().into(),
        scope,
    })
}

/// The caller may view this division (its records, figures and children): the domain's
/// one rule, [`tongxin_domain::scope::Scope::may_view_division`].
pub(crate) fn division_visible(actor: &tongxin_store::Actor, code: &str) -> bool {
    tongxin_domain::codes::DivisionCode::parse(code).is_ok_and(|c| actor.scope.may_view_division(&c))
}

/// One division by code: the caller's territory, below it, or the divisions above it
/// (for breadcrumbs); another territory's is a 404 like any record.
async fn division(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let named = tongxin_domain::codes::DivisionCode::parse(&code).is_ok_and(|c| a.actor.scope.may_name_division(&c));
    if !named {
        return Err(StoreError::NotFound.into());
    }
    let d = s.store.division(&code).await?.ok_or(StoreError::NotFound)?;
    Ok(Json(d).into_response())
}

/// The divisions below one in the caller's territory (never a district's other streets).
async fn division_children(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    if !division_visible(&a.actor, &code) {
        return Err(StoreError::NotFound.into());
    }
    Ok(Json(s.store.division_children(Some(&code)).await?).into_response())
}

/// A full resident ID never travels in a URL (PIPL; brief §7): URLs end up in browser
/// history and server logs. Searching by one goes through `POST …/members/search`.
pub(crate) fn no_personal_data_in_url(q: &ListQuery) -> Result<(), ApiError> {
    // A full ID, or an ID with fewer characters hidden than the masked form shows.
    let code = q.q.as_deref().map(tongxin_domain::text::code_form).unwrap_or_default();
    if tongxin_domain::codes::ResidentId::parse(&code).is_ok() || tongxin_domain::codes::is_partial_resident_id(&code) {
        return Err(ApiError::new(ErrorCode::PersonalDataInUrl));
    }
    Ok(())
}

/// Member search with the query in the body, so a full resident ID may be searched for.
async fn search_members(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(q): Json<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_members(&a.actor, &q).await?).into_response())
}

#[derive(Deserialize)]
struct AuditParams {
    limit: Option<u64>,
}

/// The newest audit entries: writes and full reads of personal data (administrators).
async fn audit_log(State(s): State<AppState>, ApiAuth(a): ApiAuth, Q(p): Q<AuditParams>) -> Result<Response, ApiError> {
    // The store checks the right (administrators only).
    Ok(Json(
        s.store
            .audit_recent(&a.actor, p.limit.unwrap_or(100).clamp(1, 1000))
            .await?,
    )
    .into_response())
}

macro_rules! record_routes {
    ($id:ty, $list:ident, $get:ident, $history:ident, $archive:ident, $store_list:ident, $store_get:ident, $store_history:ident, $store_archive:ident) => {
        async fn $list(
            State(s): State<AppState>,
            ApiAuth(a): ApiAuth,
            Q(q): Q<ListQuery>,
        ) -> Result<Response, ApiError> {
            no_personal_data_in_url(&q)?;
            Ok(Json(s.store.$store_list(&a.actor, &q).await?).into_response())
        }
        async fn $get(
            State(s): State<AppState>,
            ApiAuth(a): ApiAuth,
            Path(id): Path<$id>,
        ) -> Result<Response, ApiError> {
            Ok(Json(s.store.$store_get(&a.actor, id).await?).into_response())
        }
        async fn $history(
            State(s): State<AppState>,
            ApiAuth(a): ApiAuth,
            Path(id): Path<$id>,
        ) -> Result<Response, ApiError> {
            Ok(Json(s.store.$store_history(&a.actor, id).await?).into_response())
        }
        async fn $archive(
            State(s): State<AppState>,
            ApiAuth(a): ApiAuth,
            Path(id): Path<$id>,
            Json(b): Json<ArchiveBody>,
        ) -> Result<Response, ApiError> {
            Ok(Json(
                s.store
                    .$store_archive(&a.actor, id, b.version, b.archived)
                    .await?,
            )
            .into_response())
        }
    };
}

record_routes!(
    CarrierId,
    list_carriers,
    get_carrier,
    carrier_history,
    archive_carrier,
    list_carriers,
    get_carrier,
    carrier_history,
    archive_carrier
);
record_routes!(
    UnitId,
    list_units,
    get_unit,
    unit_history,
    archive_unit,
    list_units,
    get_unit,
    unit_history,
    archive_unit
);
record_routes!(
    OrgId,
    list_orgs,
    get_org,
    org_history,
    archive_org,
    list_orgs,
    get_org,
    org_history,
    archive_org
);
record_routes!(
    MemberId,
    list_members,
    get_member,
    member_history,
    archive_member,
    list_members,
    get_member,
    member_history,
    archive_member
);

async fn create_carrier(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<CarrierBody>,
) -> Result<Response, ApiError> {
    // The right before the body: a role that may not write learns nothing of the rules.
    a.actor.require(tongxin_domain::access::Action::WriteRegistry)?;
    let v = s.store.create_carrier(&a.actor, b.input()?).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn update_carrier(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<CarrierId>,
    Json(b): Json<CarrierBody>,
) -> Result<Response, ApiError> {
    // The right before the body: a role that may not write learns nothing of the rules.
    a.actor.require(tongxin_domain::access::Action::WriteRegistry)?;
    let version = version_of(b.version)?;
    Ok(Json(s.store.update_carrier(&a.actor, id, version, &b.patch()).await?).into_response())
}

async fn carrier_units(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<CarrierId>,
    Q(q): Q<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.units_of_carrier(&a.actor, id, &q).await?).into_response())
}

async fn create_unit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<UnitBody>,
) -> Result<Response, ApiError> {
    // The right before the body: a role that may not write learns nothing of the rules.
    a.actor.require(tongxin_domain::access::Action::WriteRegistry)?;
    let v = s.store.create_unit(&a.actor, b.input()?).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn update_unit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<UnitId>,
    Json(b): Json<UnitBody>,
) -> Result<Response, ApiError> {
    // The right before the body: a role that may not write learns nothing of the rules.
    a.actor.require(tongxin_domain::access::Action::WriteRegistry)?;
    let version = version_of(b.version)?;
    Ok(Json(s.store.update_unit(&a.actor, id, version, &b.patch()).await?).into_response())
}

async fn unit_links(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<UnitId>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.unit_links(&a.actor, id).await?).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LinkBody {
    /// `headquarters_of`, `franchisee_of` or `supplier_of`.
    pub kind: String,
    pub other_unit_id: UnitId,
}

async fn link_unit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<UnitId>,
    Json(b): Json<LinkBody>,
) -> Result<Response, ApiError> {
    let kind = UnitLinkKind::parse_any(&b.kind).ok_or(StoreError::Invalid(vec![
        tongxin_domain::DomainError::UnknownValue { field: "kind" },
    ]))?;
    s.store.link_units(&a.actor, id, kind, b.other_unit_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn create_org(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<OrgBody>,
) -> Result<Response, ApiError> {
    // The right before the body: a role that may not write learns nothing of the rules.
    a.actor.require(tongxin_domain::access::Action::WriteRegistry)?;
    let v = s.store.create_org(&a.actor, b.input()?).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn update_org(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<OrgId>,
    Json(b): Json<OrgBody>,
) -> Result<Response, ApiError> {
    // The right before the body: a role that may not write learns nothing of the rules.
    a.actor.require(tongxin_domain::access::Action::WriteRegistry)?;
    let version = version_of(b.version)?;
    Ok(Json(s.store.update_org(&a.actor, id, version, &b.patch()).await?).into_response())
}

async fn org_members(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<OrgId>,
    Q(q): Q<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.members_of_org(&a.actor, id, &q).await?).into_response())
}

async fn create_member(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<MemberBody>,
) -> Result<Response, ApiError> {
    // The right before the body: a role that may not write learns nothing of the rules.
    a.actor.require(tongxin_domain::access::Action::WriteMembers)?;
    let v = s.store.create_member(&a.actor, b.input()?).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn update_member(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<MemberId>,
    Json(b): Json<MemberBody>,
) -> Result<Response, ApiError> {
    // The right before the body: a role that may not write learns nothing of the rules.
    a.actor.require(tongxin_domain::access::Action::WriteMembers)?;
    let version = version_of(b.version)?;
    Ok(Json(s.store.update_member(&a.actor, id, version, &b.patch()).await?).into_response())
}

async fn reveal_member(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<MemberId>,
) -> Result<Response, ApiError> {
    let mut r = Json(s.store.reveal_member(&a.actor, id).await?).into_response();
    no_store(&mut r);
    Ok(r)
}

async fn list_instructors(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_instructors(&a.actor).await?).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct InstructorBody {
    pub name: String,
    #[serde(default)]
    pub phone: String,
    /// The street (or other division) the instructor works in.
    pub division: String,
}

/// Records a party-building instructor (or returns the one of that name in the division).
async fn create_instructor(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<InstructorBody>,
) -> Result<Response, ApiError> {
    use tongxin_domain::DomainError;
    let mut errs = Vec::new();
    let name = tongxin_domain::registry::required_name("name", &b.name)
        .map_err(|e| errs.push(e))
        .ok();
    let phone = match b.phone.trim() {
        "" => None,
        p => tongxin_domain::codes::Phone::parse(p)
            .map_err(|source| errs.push(DomainError::InvalidCode { field: "phone", source }))
            .ok(),
    };
    let division = tongxin_domain::codes::DivisionCode::parse(&b.division)
        .map_err(|source| {
            errs.push(DomainError::InvalidCode {
                field: "division",
                source,
            })
        })
        .ok();
    let (Some(name), Some(division)) = (name, division) else {
        return Err(StoreError::Invalid(errs).into());
    };
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs).into());
    }
    s.store.known_division(&division).await?;
    let v = s.store.ensure_instructor(&a.actor, &name, phone, &division).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The import template of a kind: header row, example row, accepted values.
async fn import_template(ApiAuth(a): ApiAuth, Path(kind): Path<String>) -> Result<Response, ApiError> {
    crate::import::service::template(&a.actor, &kind).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ImportParams {
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub skip_invalid: bool,
    pub kind: Option<String>,
    /// Language of the row errors in the error workbook (`zh-CN` or `en`).
    pub lang: Option<String>,
}

/// `multipart/form-data` with a `file` part. Answers the report as JSON; with
/// `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` and row
/// errors, answers the error workbook instead.
async fn import(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Q(p): Q<ImportParams>,
    headers: axum::http::HeaderMap,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    // The right is checked before a byte of the upload is read (the multipart reader
    // is made only after it).
    a.actor.require(tongxin_domain::access::Action::ImportExport)?;
    let mut mp = crate::import::service::multipart(req, &s).await?;
    let files = crate::import::service::read_upload(&mut mp).await?.files;
    if files.is_empty() {
        return Err(ApiError::new(ErrorCode::BadRequest));
    }
    let kind = p.kind.as_deref().and_then(tongxin_import::Kind::parse);
    let mode = ImportMode {
        dry_run: p.dry_run,
        skip_invalid: p.skip_invalid,
    };
    // Row errors in the caller's language: `?lang=en`, else Accept-Language, else Chinese.
    let lang = match p.lang.as_deref() {
        Some(l) => crate::i18n::Lang::parse(l),
        None => headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(crate::i18n::Lang::parse)
            .unwrap_or(crate::i18n::Lang::ZhCn),
    };
    let out = crate::import::service::run(
        &s.store,
        &a.actor,
        files,
        crate::import::service::ImportOptions {
            kind,
            mode,
            limits: tongxin_import::Limits::UPLOAD,
            lang,
        },
        &tongxin_store::bulk::Silent,
    )
    .await?;
    let wants_xlsx = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("spreadsheetml"));
    match (wants_xlsx, out.error_workbook) {
        (true, Some(wb)) => Ok(crate::import::service::xlsx_response("errors.xlsx", wb)),
        _ => {
            let status = if out.report.errors.is_empty() || out.report.committed {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok((status, Json(out.report)).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportParams {
    pub division: Option<String>,
    /// The list's filters, as on screen: search text (never a full resident ID), kind,
    /// archived records too, sort.
    pub q: Option<String>,
    pub kind: Option<String>,
    #[serde(default)]
    pub archived: bool,
    pub sort: Option<String>,
    /// Refused here: full values are exported only through `POST` with a password.
    #[serde(default)]
    pub reveal: bool,
}

/// Records of one kind in the import layout, personal data masked. Needs the
/// import/export right. Full values go through `POST` (a link cannot trigger it).
async fn export(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(kind): Path<String>,
    Q(p): Q<ExportParams>,
) -> Result<Response, ApiError> {
    if p.reveal {
        return Err(ApiError::new(ErrorCode::RevealNeedsPost));
    }
    let filter = ListQuery {
        q: p.q,
        division: p.division,
        kind: p.kind,
        archived: p.archived,
        sort: p.sort,
        ..Default::default()
    };
    no_personal_data_in_url(&filter)?;
    export_workbook(&s, &a, &kind, filter, false).await
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ExportBody {
    pub division: Option<String>,
    /// Members only: full resident IDs and phones, each read audited.
    #[serde(default)]
    pub reveal: bool,
    /// The caller's password, asked again for a revealing export (a fresh confirmation:
    /// a stolen session alone cannot take every ID of a district).
    #[serde(default)]
    pub password: String,
}

/// The export as `POST`, the only way to full values: the import/export right, the right
/// to reveal personal data and the caller's password; answered `no-store`.
async fn export_post(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(kind): Path<String>,
    Json(b): Json<ExportBody>,
) -> Result<Response, ApiError> {
    if b.reveal {
        a.actor.require(tongxin_domain::access::Action::RevealPersonalData)?;
        confirm_password(&s, &a.actor, &b.password).await?;
    }
    let filter = ListQuery {
        division: b.division,
        ..Default::default()
    };
    export_workbook(&s, &a, &kind, filter, b.reveal).await
}

/// Checks the caller's own password again (for actions that reveal in bulk).
pub(crate) async fn confirm_password(
    s: &AppState,
    actor: &tongxin_store::Actor,
    password: &str,
) -> Result<(), ApiError> {
    // Counted like logins, per account, so a session cannot be used to guess its own
    // password.
    let from = auth::Attempt::Confirmation;
    s.limiter.check(from, &actor.username)?;
    let ok = s
        .store
        .verify_login(&actor.username, password)
        .await?
        .is_some_and(|v| v.account_id == actor.account_id);
    if ok {
        s.limiter.succeeded(from, &actor.username);
        Ok(())
    } else {
        s.limiter.failed(from, &actor.username);
        Err(ApiError::new(ErrorCode::ConfirmPassword))
    }
}

async fn export_workbook(
    s: &AppState,
    a: &auth::Auth,
    kind: &str,
    filter: ListQuery,
    reveal: bool,
) -> Result<Response, ApiError> {
    a.actor.require(tongxin_domain::access::Action::ImportExport)?;
    let kind = tongxin_import::Kind::parse(kind).ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    if let Some(d) = filter.division.as_deref().filter(|d| !d.is_empty())
        && !division_visible(&a.actor, d)
    {
        return Err(StoreError::NotFound.into());
    }
    let bytes = crate::import::service::export(&s.store, &a.actor, kind, &filter, reveal).await?;
    let mut r = crate::import::service::xlsx_response(&format!("{}.xlsx", kind.code()), bytes);
    if reveal {
        no_store(&mut r);
    }
    Ok(r)
}

/// Marks a response that holds full personal data: no cache may keep it.
pub(crate) fn no_store(r: &mut Response) {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
}
