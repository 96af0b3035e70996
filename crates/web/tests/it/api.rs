use crate::*;

/// Every API route, called by a street office with the other street's ids, is refused;
/// the same routes with its own ids answer (so each route exists and is documented).
#[tokio::test]
async fn a_street_office_is_refused_every_route_with_another_streets_ids() {
    let app = spawn().await;
    let mine = street(&app, STREET_A, "甲").await;
    let theirs = street(&app, STREET_B, "乙").await;
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    // A service centre in each street.
    let centre_of = async |code: &str, name: &str| {
        app.store
            .create_centre(
                &tongxin_store::Actor::system("fixture"),
                &tongxin_domain::centres::CentreFields::parse(name, "街道", code, "", None, "", "").expect("centre"),
            )
            .await
            .expect("centre")
            .id
            .0
    };
    let centres = [
        (STREET_A, centre_of(STREET_A, "甲街道党群服务中心").await),
        (STREET_B, centre_of(STREET_B, "乙街道党群服务中心").await),
    ];
    // An activity at each centre, with a resident's registration.
    let activity_of = async |centre: i64| {
        use tongxin_domain::activities::*;
        let now = china_time(chrono::Utc::now());
        let hours = |h: i64| Some(now + chrono::Duration::hours(h));
        let f = ActivityFields::parse(&ActivityInput {
            title: "专题讲座",
            kind: "讲座",
            audience: "公众",
            capacity: "30",
            starts_at: hours(48),
            ends_at: hours(50),
            opens_at: hours(-1),
            closes_at: hours(24),
            ..Default::default()
        })
        .expect("activity");
        let sys = tongxin_store::Actor::system("fixture");
        let a = app
            .store
            .create_activity(&sys, tongxin_domain::registry::CentreId(centre), &f)
            .await
            .expect("activity");
        let who = tongxin_store::activities::Registrant::Resident {
            name: format!("居民{centre}"),
            phone: tongxin_domain::codes::Phone::parse(&format!("1390000{centre:04}")).expect("phone"),
        };
        let r = app.store.register(None, a.id, &who, 1).await.expect("registered");
        (a.id, r.id)
    };
    let activities = [
        (STREET_A, activity_of(centres[0].1).await),
        (STREET_B, activity_of(centres[1].1).await),
    ];
    // A joint conference of each street, with a member unit, an office, a plenary and an
    // item on its record.
    let alliance_of = async |code: &str, tag: &str| {
        use tongxin_domain::alliance::*;
        let (s, sys) = (&app.store, tongxin_store::Actor::system("fixture"));
        let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
        let c = s
            .create_conference(
                &sys,
                &ConferenceFields::parse(&format!("{tag}街道党建联盟"), code, None, "").expect("c"),
                None,
            )
            .await
            .expect("conference");
        let m = s
            .add_alliance_member(
                &sys,
                c.id,
                &tongxin_store::alliance::AllianceMemberInput {
                    unit: None,
                    name: Some(format!("{tag}医院")),
                    fields: MemberFields::parse("医院", day("2020-01-01"), None, None).expect("m"),
                },
            )
            .await
            .expect("member");
        let o = s
            .add_alliance_office(
                &sys,
                c.id,
                m.id,
                Office::Convener,
                Term::parse(day("2020-01-01"), None).expect("t"),
            )
            .await
            .expect("office");
        let p = s
            .create_plenary(
                &sys,
                c.id,
                &tongxin_store::alliance::PlenaryInput {
                    number: None,
                    fields: PlenaryFields::parse(day("2021-01-01"), "", "").expect("p"),
                    chair: None,
                },
            )
            .await
            .expect("plenary");
        let i = s
            .add_plenary_item(&sys, c.id, p.id, "决议", "年度计划", None)
            .await
            .expect("item");
        let post = async |kind: &str, title: &str| {
            let f = PostFields::parse(&PostInput {
                kind,
                title,
                division: code,
                contact_phone: "13800138000",
                ..Default::default()
            })
            .expect("post");
            s.create_post(&sys, c.id, m.id, &f).await.expect("post").id
        };
        let need = post("need", &format!("{tag}为老人开展健康体检")).await;
        let resource = post("resource", &format!("{tag}医院义诊进社区")).await;
        // A project from the two, claimed, signed at the plenary, with its agreement.
        let draft = s
            .project_draft(&sys, c.id, Some(need), Some(resource))
            .await
            .expect("draft");
        let project = s
            .create_project(
                &sys,
                c.id,
                &draft.fill(None, None, None, None, None, None).expect("fields"),
            )
            .await
            .expect("project");
        let pid = project.summary.id;
        let project = s.claim_project(&sys, pid, m.id, None, None).await.expect("claim");
        s.sign_project(
            &sys,
            pid,
            project.summary.version,
            &tongxin_store::alliance::Signing {
                plenary: Some(p.id),
                ..Default::default()
            },
        )
        .await
        .expect("signed");
        let file = s
            .add_attachment(
                &sys,
                pid,
                tongxin_store::alliance::Upload {
                    purpose: AttachmentPurpose::Signing,
                    report: None,
                    name: format!("{tag}协议.pdf"),
                    bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
                },
            )
            .await
            .expect("file");
        // A call with the project as its candidate.
        let call = s
            .create_call(
                &sys,
                c.id,
                &CallFields::parse(
                    "品牌项目",
                    &format!("{tag}十大品牌项目"),
                    "2026",
                    "10",
                    "100",
                    "成效:100",
                    "",
                )
                .expect("call"),
            )
            .await
            .expect("call");
        let candidate = s
            .nominate(&sys, call.summary.id, pid.0, None, None)
            .await
            .expect("candidate");
        let line = s
            .add_vocabulary(&sys, c.id, &format!("{tag}楼门组长 {tag}居民骨干"))
            .await
            .expect("vocabulary")[0]
            .id;
        // A firm of the street paired with one of its communities.
        let firm = s
            .create_unit(
                &sys,
                tongxin_store::registry::UnitInput {
                    fields: tongxin_domain::registry::UnitFields::parse(
                        &format!("{tag}结对企业"),
                        "企业",
                        "",
                        "10",
                        code,
                        "",
                    )
                    .expect("unit"),
                    carrier_id: None,
                    instructor_id: None,
                },
            )
            .await
            .expect("firm")
            .id;
        let community = s
            .division_names_within(Some(&tongxin_domain::codes::DivisionCode::parse(code).expect("code")))
            .await
            .expect("divisions")
            .into_iter()
            .find(|(c, _)| c.len() == 12)
            .expect("a community")
            .0;
        let pair = s
            .create_pair(
                &sys,
                c.id,
                &tongxin_store::alliance::PairInput {
                    fields: PairFields::parse("firm_community", day("2024-01-01"), None, "").expect("pair"),
                    org_a: None,
                    org_b: None,
                    firm: Some(firm),
                    community: tongxin_domain::codes::DivisionCode::parse(&community).ok(),
                },
            )
            .await
            .expect("pair")
            .id;
        [
            c.id.0,
            m.id.0,
            p.id.0,
            o.id,
            i.id,
            need,
            resource,
            pid.0,
            file.id.0,
            call.summary.id,
            candidate,
            line,
            pair,
        ]
    };
    let alliances = [
        (STREET_A, alliance_of(STREET_A, "甲").await),
        (STREET_B, alliance_of(STREET_B, "乙").await),
    ];
    let before = snapshot(&app).await;

    let ids = |s: &Street, path: &str| -> String {
        if path.starts_with("/api/v1/alliance/") {
            let [
                c,
                m,
                p,
                o,
                i,
                need,
                resource,
                project,
                file,
                call,
                candidate,
                line,
                pair,
            ] = alliances
                .iter()
                .find(|(c, _)| *c == s.code)
                .map_or([0; 13], |(_, a)| *a);
            let post = if path.starts_with("/api/v1/alliance/resources/") {
                resource
            } else {
                need
            };
            return path
                .replace("{post}", &post.to_string())
                .replace("{id}", &c.to_string())
                .replace("{member}", &m.to_string())
                .replace("{plenary}", &p.to_string())
                .replace("{office}", &o.to_string())
                .replace("{item}", &i.to_string())
                .replace("{project}", &project.to_string())
                .replace("{file}", &file.to_string())
                .replace("{call}", &call.to_string())
                .replace("{candidate}", &candidate.to_string())
                .replace("{line}", &line.to_string())
                .replace("{pair}", &pair.to_string())
                .replace("{account}", "1");
        }
        let (activity, registration) = activities
            .iter()
            .find(|(c, _)| *c == s.code)
            .map_or((0, 0), |(_, a)| *a);
        let id = if path.starts_with("/api/v1/activities") {
            activity
        } else if path.starts_with("/api/v1/registrations") {
            registration
        } else if path.starts_with("/api/v1/centres") {
            centres.iter().find(|(c, _)| *c == s.code).map_or(0, |(_, id)| *id)
        } else if path.starts_with("/api/v1/carriers") {
            s.carrier.0
        } else if path.starts_with("/api/v1/units") || path.contains("/chain/") {
            s.unit.0
        } else if path.starts_with("/api/v1/orgs") {
            s.org.0
        } else {
            s.member.0
        };
        // What is near a point (the middle of Jing'an): no territory's ids.
        let at = if path == "/api/v1/near" {
            "?lng=121.45&lat=31.23"
        } else {
            ""
        };
        path.replace("{id}", &id.to_string())
            .replace("{room}", "1")
            .replace("{serve}", "1")
            .replace("{code}", s.code)
            .replace(
                "{kind}",
                if path.contains("/gaps/") {
                    "uncovered_units"
                } else {
                    "units"
                },
            )
            + at
    };
    let doc: Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let routes = tongxin_web::openapi::routes();
    // The sweep reaches coverage and the audit log too: it walks what is mounted.
    assert!(routes.iter().any(|r| r.path == "/api/v1/audit"));
    assert!(
        routes
            .iter()
            .filter(|r| r.path.starts_with("/api/v1/coverage/"))
            .count()
            >= 6
    );
    for r in &routes {
        let (method, path) = (&r.method, &r.path);
        if path.contains("/auth/") || *path == "/api/v1/import" {
            continue;
        }
        let body = match (*method, *path) {
            ("post", p) if p.ends_with("/archive") => Some(json!({"version": 1, "archived": true})),
            ("post", p) if p.ends_with("/links") => {
                Some(json!({"kind": "headquarters_of", "other_unit_id": theirs.unit}))
            }
            ("put", p) if p.starts_with("/api/v1/carriers") => {
                Some(json!({"name": "改名", "kind": "楼宇", "division": STREET_B, "version": 1}))
            }
            ("put", p) if p.starts_with("/api/v1/units") => {
                Some(json!({"name": "改名", "kind": "企业", "division": STREET_B, "version": 1}))
            }
            ("put", p) if p.starts_with("/api/v1/orgs") => {
                Some(json!({"name": "改名", "kind": "党支部", "division": STREET_B, "version": 1}))
            }
            ("put", p) if p.starts_with("/api/v1/centres") => Some(json!({"name": "改名", "version": 1})),
            ("put", _) => Some(
                json!({"name": "改名", "status": "正式党员", "resident_id": resident_id(999), "org_id": theirs.org, "version": 1}),
            ),
            ("post", "/api/v1/carriers") => Some(json!({"name": "新楼", "kind": "楼宇", "division": STREET_B})),
            ("post", "/api/v1/units") => Some(json!({"name": "新企业", "kind": "企业", "division": STREET_B})),
            ("post", "/api/v1/orgs") => Some(json!({"name": "新支部", "kind": "党支部", "division": STREET_B})),
            ("post", "/api/v1/members") => Some(
                json!({"name": "新党员", "status": "正式党员", "resident_id": resident_id(998), "org_id": theirs.org}),
            ),
            ("post", "/api/v1/instructors") => Some(json!({"name": "越界指导员", "division": STREET_B})),
            ("post", "/api/v1/centres") => Some(json!({"name": "越界中心", "level": "street", "division": STREET_B})),
            ("post", "/api/v1/alliance/conferences") => Some(json!({"name": "越界联盟", "division": STREET_B})),
            ("post", "/api/v1/centres/{id}/rooms") => Some(json!({"name": "会议室", "capacity": 10})),
            ("post", "/api/v1/centres/{id}/serves") => Some(json!({"org_id": theirs.org})),
            ("post", "/api/v1/centres/{id}/activities") => Some(json!({"title": "越界活动", "kind": "讲座",
                "audience": "公众", "capacity": 10, "starts_at": "2030-01-02 14:00", "ends_at": "2030-01-02 16:00",
                "opens_at": "2030-01-01 09:00", "closes_at": "2030-01-02 09:00"})),
            // An office's account is not a person who takes a place.
            ("post", "/api/v1/activities/{id}/registrations") => Some(json!({})),
            // A past span: refused whether or not the room is theirs.
            ("post", "/api/v1/centres/{id}/rooms/{room}/bookings") => Some(json!({"booked_for": "越界支部",
                "people": 1, "starts_at": "2020-01-02 10:00", "ends_at": "2020-01-02 11:00"})),
            ("post", "/api/v1/centres/{id}/blackout_days") => Some(json!({"day": "2030-01-01", "reason": "越界"})),
            ("post", "/api/v1/centres/{id}/blackout_days/remove") => Some(json!({"day": "2030-01-01"})),
            ("post", "/api/v1/activities/{id}/checkin") => Some(json!({"code": "TX1.AAAA", "nonce": "sweep-nonce-1"})),
            ("post", "/api/v1/activities/{id}/desk/search") => Some(json!({"q": "乙"})),
            ("post", "/api/v1/activities/{id}/desk/checkin") => {
                Some(json!({"registration_id": 1, "nonce": "sweep-nonce-2"}))
            }
            ("post", "/api/v1/members/search") => Some(json!({"q": "乙党员"})),
            ("post", "/api/v1/export/{kind}") => Some(json!({"division": STREET_B})),
            _ => None,
        };
        let mut path_theirs = ids(&theirs, path);
        if path.contains("{kind}") || path.contains("/coverage/") {
            // These take their territory as a filter: ask for the other street's.
            path_theirs.push_str(&format!("?division={STREET_B}"));
        }
        let (status, v) = c.call(method, &path_theirs, body.clone()).await;
        // A template holds no one's records: the same for every territory. A service
        // centre is a public place: anyone signed in reads one (brief §9, members find
        // the nearest centre wherever they are), but never the registry records of
        // another territory through it, and changes none of it.
        // So is an activity posted there (its registrations are not).
        let public = *method == "get" && (path.starts_with("/api/v1/centres/") || *path == "/api/v1/activities/{id}");
        if public {
            assert_eq!(status, StatusCode::OK, "{method} {path_theirs}: {v}");
        }
        let territorial = !path.contains("/template/") && !public;
        if *method == "get" && territorial && (path.contains('{') || path.contains("/coverage/")) {
            // Another territory's record answers exactly like an absent one.
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path_theirs}: {v}");
        }
        let text = v.to_string();
        let refused = public
            || matches!(status.as_u16(), 403 | 404 | 422)
            || (status == StatusCode::OK && !text.contains("乙") && !text.contains(&theirs.code.to_string()));
        assert!(refused, "{method} {path_theirs} answered {status}: {text}");
        assert!(
            !text.contains("乙科技") && !text.contains("乙大厦") && !text.contains("乙党员"),
            "{method} {path_theirs} leaked: {text}"
        );

        // With its own ids a read answers 200 (the route is real), in the shape the
        // document says it answers.
        if *method == "get" && *path != "/api/v1/audit" {
            let (status, v) = c.get(&ids(&mine, path)).await;
            assert_eq!(status, StatusCode::OK, "GET {} with own ids: {v}", ids(&mine, path));
            let schema = &doc["paths"][*path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
            if !schema.is_null() {
                conforms(&doc, schema, &v, path).unwrap_or_else(|e| panic!("GET {path} answered off its schema: {e}"));
            }
        }
    }
    assert_eq!(snapshot(&app).await, before, "a refused call changed the store");

    // Lists filtered to the other street are empty, not its records.
    for kind in ["carriers", "units", "orgs", "members"] {
        let (status, v) = c.get(&format!("/api/v1/{kind}?division={STREET_B}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["total"], 0, "{kind} of the other street: {v}");
    }
}

/// Whether `v` has the shape `schema` describes (references resolved in `doc`): the
/// types, every property named, every required one present. `Err` says where it differs.
fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: {r} is not in the document"));
        }
        return conforms(doc, target, v, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        return all.iter().try_for_each(|s| conforms(doc, s, v, at));
    }
    if let Some(any) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        return match any.iter().any(|s| conforms(doc, s, v, at).is_ok()) {
            true => Ok(()),
            false => Err(format!("{at}: {v} matches none of {any:?}")),
        };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.is_empty() {
        return Ok(()); // any value
    }
    let fits = types.iter().any(|t| match *t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    });
    if !fits {
        return Err(format!("{at}: {v} is not {types:?}"));
    }
    if let Some(items) = v.as_array() {
        for (i, item) in items.iter().enumerate() {
            conforms(doc, &schema["items"], item, &format!("{at}[{i}]"))?;
        }
    }
    if let (Some(o), Some(props)) = (v.as_object(), schema["properties"].as_object()) {
        for (k, x) in o {
            let Some(p) = props.get(k) else {
                return Err(format!("{at}: {k} is not in the schema"));
            };
            conforms(doc, p, x, &format!("{at}.{k}"))?;
        }
        for k in schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !o.contains_key(k) {
                return Err(format!("{at}: required {k} is missing"));
            }
        }
    }
    Ok(())
}

#[test]
fn the_schema_check_finds_a_body_off_its_schema() {
    let doc = serde_json::to_value(tongxin_web::openapi::document()).expect("document");
    let unit = &doc["paths"]["/api/v1/units/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(unit.is_object(), "GET /api/v1/units/{{id}} has a JSON schema");
    assert!(
        conforms(&doc, unit, &json!({"id": 1}), "unit").is_err(),
        "required fields missing"
    );
    assert!(conforms(&doc, unit, &json!("a unit"), "unit").is_err(), "not an object");
    let page = &doc["paths"]["/api/v1/units"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    let bad_item = json!({"items": [{"id": "x"}], "total": 1, "page": 1, "per_page": 50});
    assert!(
        conforms(&doc, page, &bad_item, "page").is_err(),
        "an item off its schema"
    );
}

#[test]
fn every_route_declares_its_answer() {
    for r in tongxin_web::openapi::routes() {
        assert!(
            !matches!(r.reply, tongxin_web::openapi::Reply::Unsaid),
            "{} {} does not say what it answers (returns, no_content, workbook)",
            r.method,
            r.path
        );
    }
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let app = spawn().await;
    let r = reqwest::get(app.url("/api/openapi.json")).await.expect("get");
    let doc: Value = r.json().await.expect("json");
    // Every schema the document refers to is in it.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                out.extend(o.get("$ref").and_then(Value::as_str));
                o.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = vec![];
    refs(&doc, &mut all);
    assert!(all.len() > 20, "the document refers to its schemas");
    for r in all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is not in the document"
        );
    }
    for r in tongxin_web::openapi::routes() {
        assert!(
            doc["paths"][r.path][r.method].is_object(),
            "{} {} not documented",
            r.method,
            r.path
        );
        // A route that takes a JSON body names its schema, and the schema is in the document.
        if r.body.is_some() {
            let reference =
                doc["paths"][r.path][r.method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
            let name = reference.trim_start_matches("#/components/schemas/");
            assert!(
                doc["components"]["schemas"][name]["properties"].is_object(),
                "{} {}: body schema {reference:?} missing",
                r.method,
                r.path
            );
        }
    }
}

#[tokio::test]
async fn wrong_credit_code_is_refused_beside_the_field_and_stale_edits_never_overwrite() {
    let app = spawn().await;
    let admin = Client::login(&app, "admin", PASSWORD).await;
    let (status, v) = admin
        .call(
            "post",
            "/api/v1/units",
            Some(json!({"name": "某公司", "kind": "企业", "credit_code": "91310106MA1FL2AB3Y", "division": STREET_A})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["code"], "validation.failed");
    assert_eq!(v["fields"][0]["field"], "credit_code");
    assert_eq!(v["fields"][0]["code"], "registry.unit.credit_code_invalid");
    assert!(
        v["fields"][0]["message_zh"]
            .as_str()
            .unwrap_or("")
            .contains("统一社会信用代码")
    );

    let code = credit_code(4242);
    let (status, v) = admin
        .call("post", "/api/v1/units", Some(json!({"name": "某公司", "kind": "企业", "credit_code": code.to_lowercase(), "employees": 12, "division": STREET_A})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().expect("id");
    assert_eq!(v["credit_code"], code.as_str());

    let edit = |name: &str, version: i64| json!({"name": name, "kind": "企业", "credit_code": code, "division": STREET_A, "version": version});
    let (status, v) = admin
        .call("put", &format!("/api/v1/units/{id}"), Some(edit("某公司（新）", 1)))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    let before = snapshot(&app).await;
    let (status, v) = admin
        .call("put", &format!("/api/v1/units/{id}"), Some(edit("旧页面的改动", 1)))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "registry.stale_edit");
    assert!(v["message_en"].as_str().unwrap_or("").contains("Someone else changed"));
    assert_eq!(snapshot(&app).await, before);
    let (_, v) = admin.get(&format!("/api/v1/units/{id}")).await;
    assert_eq!(v["name"], "某公司（新）");

    let (_, h) = admin.get(&format!("/api/v1/units/{id}/history")).await;
    let actions: Vec<&str> = h
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["update", "create"]);

    // Archive, never delete: the record and its history stay.
    let (status, v) = admin
        .call(
            "post",
            &format!("/api/v1/units/{id}/archive"),
            Some(json!({"version": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["archived"], true);
    let (_, list) = admin.get("/api/v1/units").await;
    assert_eq!(list["total"], 0);
    let (_, list) = admin.get("/api/v1/units?archived=true").await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn personal_data_is_masked_and_every_full_read_is_audited() {
    let app = spawn().await;
    let s = street(&app, STREET_A, "甲").await;
    let admin = Client::login(&app, "admin", PASSWORD).await;
    let (_, v) = admin.get(&format!("/api/v1/members/{}", s.member)).await;
    let masked = v["resident_id_masked"].as_str().expect("masked").to_string();
    assert!(masked.contains("**********"), "{masked}");
    assert_eq!(v["phone_masked"], "138****8000");
    assert!(!v.to_string().contains("13800138000"));
    assert!(v.get("resident_id").is_none());

    // Search by the masked form as shown on screen finds the member.
    let (_, found) = admin
        .get(&format!("/api/v1/members?q={}", masked.replace('*', "%2A")))
        .await;
    assert_eq!(found["total"], 1, "{found}");
    // A full ID never goes in a URL; the search takes it in the body.
    let (status, v) = admin.get(&format!("/api/v1/members?q={}", resident_id(1))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "request.personal_data_in_url");
    let full = app
        .store
        .reveal_member(&Actor::system("test"), s.member)
        .await
        .expect("reveal")
        .resident_id;
    let (status, found) = admin
        .call("post", "/api/v1/members/search", Some(json!({"q": full})))
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["total"], 1, "{found}");
    // A partial number is not a search key (no fishing for IDs).
    let (_, found) = admin.get("/api/v1/members?q=310106").await;
    assert_eq!(found["total"], 0);

    let audits = app.store.audit_count("reveal").await.expect("count");
    let (status, r) = admin
        .call("post", &format!("/api/v1/members/{}/reveal", s.member), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["phone"], "13800138000");
    assert_eq!(app.store.audit_count("reveal").await.expect("count"), audits + 1);

    // The administrator reads who looked, in the audit log; no full value is in it.
    let (status, log) = admin.get("/api/v1/audit?limit=20").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        log.as_array()
            .expect("entries")
            .iter()
            .any(|e| e["action"] == "reveal" && e["actor"] == "admin"),
        "{log}"
    );
    assert!(
        !log.to_string().contains("13800138000") && !log.to_string().contains(&full),
        "the audit log holds a full value"
    );

    // A unit liaison may read but not reveal.
    let l = Client::new_account(&app, "liaison", Role::UnitLiaison, Some(STREET_A), None).await;
    let (status, v) = l
        .call("post", &format!("/api/v1/members/{}/reveal", s.member), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(app.store.audit_count("reveal").await.expect("count"), audits + 1);
}

#[tokio::test]
async fn logins_are_rate_limited_and_cookie_writes_need_the_csrf_token() {
    let app = spawn().await;
    let http = reqwest::Client::new();
    let mut last = StatusCode::OK;
    for _ in 0..11 {
        last = http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": "wrong-password"}))
            .send()
            .await
            .expect("send")
            .status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);

    let mut c = Client::new_account(&app, "other", Role::DistrictOffice, Some("310106"), None).await;
    c.csrf = "forged".into();
    let (status, v) = c
        .call(
            "post",
            "/api/v1/carriers",
            Some(json!({"name": "新楼", "kind": "楼宇", "division": STREET_A})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(v["code"], "auth.csrf");

    let (status, v) = reqwest::get(app.url("/api/v1/units"))
        .await
        .map(|r| r.status())
        .map(|s| (s, ()))
        .expect("get");
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{v:?}");
}

#[tokio::test]
async fn api_tokens_act_as_their_account() {
    let app = spawn().await;
    street(&app, STREET_A, "甲").await;
    street(&app, STREET_B, "乙").await;
    account(&app, "robot", Role::StreetOffice, Some(STREET_B), None).await;
    let token = app
        .store
        .create_api_token(&Actor::system("test"), "robot", "ci")
        .await
        .expect("token");
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/units"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["total"], 1);
    assert!(v.to_string().contains("乙科技"));
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/units"))
        .bearer_auth("tx_not_a_token")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// A malformed query string is `request.bad` in the reader's language, as a page for the
/// console and as JSON for the API, never axum's English text; a page past the end of a
/// list shows its last page.
#[tokio::test]
async fn bad_query_strings_are_translated_and_a_page_past_the_end_shows_the_last() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::login(&app, "admin", PASSWORD).await;
    let (status, v) = c.get("/api/v1/units?page=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["code"], "request.bad", "{v}");
    assert!(!v.to_string().contains("deserialize"), "{v}");
    let r = c
        .http
        .get(format!("{}/units?page=abc&archived=maybe", c.base))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.expect("text");
    assert!(page.contains("请求格式不正确"), "{page}");
    assert!(
        !page.contains("deserialize") && !page.contains("invalid digit"),
        "{page}"
    );
    let r = c
        .http
        .get(format!("{}/units?page=999", c.base))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("text");
    let (_, u) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    assert!(
        page.contains(u["name"].as_str().unwrap_or("?")),
        "the last page is not shown"
    );
}
