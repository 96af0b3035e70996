//! The registry's JSON API: carriers, units, party organisations, members and
//! instructors. Every handler passes the caller's actor to the store, which filters by
//! scope in SQL: another territory's id is a 404.

use crate::auth::ApiAuth;
use crate::openapi::Mounted;
use crate::query::Q;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use tongxin_domain::registry::{
    CarrierFields, CarrierId, InstructorId, Labelled, MemberFields, MemberId, OrgFields, OrgId, UnitFields, UnitId,
    UnitLinkKind,
};
use tongxin_store::StoreError;
use tongxin_store::registry::{
    CarrierPatch, ListQuery, MemberInput, MemberPatch, OrgInput, OrgPatch, UnitInput, UnitPatch,
};

use crate::api::{
    ArchiveBody, no_personal_data_in_url, no_store, opt_i64, opt_text, patch_date, patch_f64, patch_i64, text,
    version_of,
};

/// The registry's routes (see [`crate::openapi`]).
pub(crate) fn table() -> Vec<Mounted> {
    use crate::openapi::{get, list_of, page_of, post, put, schema_of};
    use tongxin_store::audit::AuditEntry;
    use tongxin_store::registry::{
        CarrierView, InstructorView, MemberView, OrgView, RevealedMember, UnitLinkView, UnitView,
    };
    vec![
        get(
            "/api/v1/carriers",
            "List carriers in scope (q, division, kind, archived, sort, page, per_page)",
            list_carriers,
        )
        .returns(page_of::<CarrierView>),
        post("/api/v1/carriers", "Create a carrier", create_carrier)
            .returns(schema_of::<CarrierView>)
            .body(schema_of::<CarrierBody>),
        get("/api/v1/carriers/{id}", "One carrier", get_carrier).returns(schema_of::<CarrierView>),
        put(
            "/api/v1/carriers/{id}",
            "Edit a carrier: only the fields sent change (send the version you read)",
            update_carrier,
        )
        .returns(schema_of::<CarrierView>)
        .body(schema_of::<CarrierBody>),
        post(
            "/api/v1/carriers/{id}/archive",
            "Archive or restore a carrier",
            archive_carrier,
        )
        .returns(schema_of::<CarrierView>)
        .body(schema_of::<ArchiveBody>),
        get(
            "/api/v1/carriers/{id}/history",
            "Change history of a carrier",
            carrier_history,
        )
        .returns(list_of::<AuditEntry>),
        get("/api/v1/carriers/{id}/units", "Units in a carrier", carrier_units).returns(page_of::<UnitView>),
        get("/api/v1/units", "List units in scope", list_units).returns(page_of::<UnitView>),
        post("/api/v1/units", "Create a unit", create_unit)
            .returns(schema_of::<UnitView>)
            .body(schema_of::<UnitBody>),
        get("/api/v1/units/{id}", "One unit", get_unit).returns(schema_of::<UnitView>),
        put(
            "/api/v1/units/{id}",
            "Edit a unit: only the fields sent change (send the version you read)",
            update_unit,
        )
        .returns(schema_of::<UnitView>)
        .body(schema_of::<UnitBody>),
        post("/api/v1/units/{id}/archive", "Archive or restore a unit", archive_unit)
            .returns(schema_of::<UnitView>)
            .body(schema_of::<ArchiveBody>),
        get("/api/v1/units/{id}/history", "Change history of a unit", unit_history).returns(list_of::<AuditEntry>),
        get("/api/v1/units/{id}/links", "Network links of a unit", unit_links).returns(list_of::<UnitLinkView>),
        post(
            "/api/v1/units/{id}/links",
            "Add a network link (headquarters_of, franchisee_of, supplier_of)",
            link_unit,
        )
        .no_content()
        .body(schema_of::<LinkBody>),
        get("/api/v1/orgs", "List party organisations in scope", list_orgs).returns(page_of::<OrgView>),
        post("/api/v1/orgs", "Create a party organisation", create_org)
            .returns(schema_of::<OrgView>)
            .body(schema_of::<OrgBody>),
        get("/api/v1/orgs/{id}", "One party organisation", get_org).returns(schema_of::<OrgView>),
        put(
            "/api/v1/orgs/{id}",
            "Edit a party organisation: only the fields sent change (send the version you read)",
            update_org,
        )
        .returns(schema_of::<OrgView>)
        .body(schema_of::<OrgBody>),
        post(
            "/api/v1/orgs/{id}/archive",
            "Archive or restore a party organisation",
            archive_org,
        )
        .returns(schema_of::<OrgView>)
        .body(schema_of::<ArchiveBody>),
        get(
            "/api/v1/orgs/{id}/history",
            "Change history of a party organisation",
            org_history,
        )
        .returns(list_of::<AuditEntry>),
        get(
            "/api/v1/orgs/{id}/members",
            "Members of a party organisation",
            org_members,
        )
        .returns(page_of::<MemberView>),
        get(
            "/api/v1/members",
            "List members in scope (personal data masked)",
            list_members,
        )
        .returns(page_of::<MemberView>),
        post("/api/v1/members", "Create a member record", create_member)
            .returns(schema_of::<MemberView>)
            .body(schema_of::<MemberBody>),
        post(
            "/api/v1/members/search",
            "Search members with the query in the body (a full resident ID never goes in a URL)",
            search_members,
        )
        .returns(page_of::<MemberView>),
        get("/api/v1/members/{id}", "One member (masked)", get_member).returns(schema_of::<MemberView>),
        put(
            "/api/v1/members/{id}",
            "Edit a member: only the fields sent change (send the version you read)",
            update_member,
        )
        .returns(schema_of::<MemberView>)
        .body(schema_of::<MemberBody>),
        post(
            "/api/v1/members/{id}/archive",
            "Archive or restore a member",
            archive_member,
        )
        .returns(schema_of::<MemberView>)
        .body(schema_of::<ArchiveBody>),
        get(
            "/api/v1/members/{id}/history",
            "Change history of a member",
            member_history,
        )
        .returns(list_of::<AuditEntry>),
        post(
            "/api/v1/members/{id}/reveal",
            "Full resident ID and phone of a member (audited)",
            reveal_member,
        )
        .returns(schema_of::<RevealedMember>),
        get(
            "/api/v1/instructors",
            "Party-building instructors in scope",
            list_instructors,
        )
        .returns(list_of::<InstructorView>),
        post(
            "/api/v1/instructors",
            "Record a party-building instructor (name, phone, division)",
            create_instructor,
        )
        .returns(schema_of::<InstructorView>)
        .body(schema_of::<InstructorBody>),
    ]
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

/// Member search with the query in the body, so a full resident ID may be searched for.
async fn search_members(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(q): Json<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_members(&a.actor, &q).await?).into_response())
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
