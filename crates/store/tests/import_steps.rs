//! Imports written in steps: other writes go between the steps, the result equals one
//! written in a single transaction, and an import that fails or whose process dies
//! half-way leaves nothing behind (records, updates, coverage, history of the undo).

mod common;

use common::store_at;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use std::time::Duration;
use tongxin_domain::codes::ResidentId;
use tongxin_import::{Kind, Table};
use tongxin_store::bulk::{ImportMode, Silent};
use tongxin_store::coverage::Territory;
use tongxin_store::registry::ListQuery;
use tongxin_store::{Actor, Store};

const STREET: &str = "310106006";

fn resident_id(i: usize) -> String {
    let born = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("date") + chrono::Duration::days((i / 1000) as i64);
    ResidentId::with_check(&format!("310106{}{:03}", born.format("%Y%m%d"), i % 1000))
        .expect("id")
        .reveal()
        .to_string()
}

fn table(csv: &str, kind: Kind, name: &str) -> Vec<Table> {
    tongxin_import::read_tables(csv.as_bytes(), name, Some(kind)).expect("read")
}

/// The registry before: 200 units, 20 branches each in one of them, 100 members.
fn base() -> Vec<Table> {
    let mut units = String::from("单位名称,单位类型,从业人数,所在街道\n");
    for i in 0..200 {
        units.push_str(&format!("老单位{i},企业,{},{STREET}\n", 10 + i));
    }
    let mut orgs = String::from("党组织名称,组织类别,所在单位,所在街道,书记\n");
    for i in 0..20 {
        orgs.push_str(&format!("老单位{i}党支部,党支部,老单位{i},{STREET},王书记{i}\n"));
    }
    let mut members = String::from("姓名,党员类别,公民身份号码,手机号,所在党组织,工作单位\n");
    for i in 0..100 {
        members.push_str(&format!(
            "老党员{i},正式党员,{},139{:08},老单位{}党支部,老单位{}\n",
            resident_id(i),
            i,
            i % 20,
            i % 20
        ));
    }
    [
        table(&units, Kind::Units, "units.csv"),
        table(&orgs, Kind::Orgs, "orgs.csv"),
        table(&members, Kind::Members, "members.csv"),
    ]
    .concat()
}

/// The year's file: `n` new units in joint branches of five with a member each at
/// least, and changes to stored units, branches and members; `bomb` adds a last member
/// that the database refuses (a trigger of the test's).
fn year(n: usize, bomb: bool) -> Vec<Table> {
    let mut units = String::from("单位名称,单位类型,从业人数,所在街道\n");
    for i in 0..10 {
        units.push_str(&format!("老单位{i},企业,{},{STREET}\n", 500 + i));
    }
    for i in 0..n {
        units.push_str(&format!("新单位{i},企业,{},{STREET}\n", 3 + i % 40));
    }
    // Joint branches under new general branches under a new committee, listed children
    // first (written a generation at a time; undone the other way round).
    let mut orgs = String::from("党组织名称,组织类别,覆盖单位,上级党组织,所在街道,书记\n");
    for i in 0..4 {
        orgs.push_str(&format!("老单位{i}党支部,党支部,老单位{i},,{STREET},李书记{i}\n"));
    }
    for j in 0..n / 5 {
        let covered: Vec<String> = (0..5).map(|k| format!("新单位{}", 5 * j + k)).collect();
        orgs.push_str(&format!(
            "联合党支部{j},联合党支部,{},新兴领域党总支{},{STREET},\n",
            covered.join("、"),
            j % 3
        ));
    }
    for g in 0..3 {
        orgs.push_str(&format!("新兴领域党总支{g},党总支,,新兴领域综合党委,{STREET},\n"));
    }
    orgs.push_str(&format!("新兴领域综合党委,党委,,,{STREET},\n"));
    let mut members = String::from("姓名,党员类别,公民身份号码,手机号,所在党组织,工作单位\n");
    for i in 0..10 {
        members.push_str(&format!(
            "老党员{i},正式党员,{},137{:08},老单位{}党支部,老单位{}\n",
            resident_id(i),
            i,
            i % 20,
            i % 20
        ));
    }
    for i in 0..2 * n {
        members.push_str(&format!(
            "新党员{i},正式党员,{},,联合党支部{},新单位{}\n",
            resident_id(10_000 + i),
            (i / 2) / 5,
            i / 2
        ));
    }
    if bomb {
        members.push_str(&format!("炸弹,正式党员,{},,联合党支部0,新单位0\n", resident_id(99_999)));
    }
    [
        table(&units, Kind::Units, "units.csv"),
        table(&orgs, Kind::Orgs, "orgs.csv"),
        table(&members, Kind::Members, "members.csv"),
    ]
    .concat()
}

async fn import(s: &Store, tables: &[Table]) -> tongxin_store::Result<tongxin_store::bulk::ImportReport> {
    s.import_file_with(&Actor::system("t"), tables, ImportMode::default(), "年报.xlsx", &Silent)
        .await
}

/// Everything a reader sees: every unit, organisation and member (without the version
/// and times, which an undo moves on and two stores do not share), and the coverage figures, checked against
/// a plain recount.
async fn seen(s: &Store) -> serde_json::Value {
    let sys = Actor::system("t");
    let mut out = serde_json::Map::new();
    for kind in ["units", "orgs", "members"] {
        let mut rows = Vec::new();
        for page in 1.. {
            let q = ListQuery {
                per_page: Some(500),
                page: Some(page),
                sort: Some("name".into()),
                ..Default::default()
            };
            let items: Vec<serde_json::Value> = match kind {
                "units" => serde_json::to_value(s.list_units(&sys, &q).await.expect("units").items),
                "orgs" => serde_json::to_value(s.list_orgs(&sys, &q).await.expect("orgs").items),
                _ => serde_json::to_value(s.list_members(&sys, &q).await.expect("members").items),
            }
            .and_then(serde_json::from_value)
            .expect("json");
            if items.is_empty() {
                break;
            }
            rows.extend(items.into_iter().map(|mut v| {
                if let Some(o) = v.as_object_mut() {
                    o.remove("version");
                    o.remove("updated_at");
                    o.remove("created_at");
                }
                v
            }));
        }
        out.insert(kind.into(), rows.into());
    }
    let all = s
        .coverage_territory(&sys, Some(Territory::All))
        .await
        .expect("territory");
    let figures = s.coverage_summary(&all).await.expect("figures");
    assert_eq!(
        figures,
        s.coverage_recount(&all).await.expect("recount"),
        "counters and recount differ"
    );
    out.insert("coverage".into(), serde_json::to_value(&figures).expect("json"));
    out.into()
}

/// The first difference of two [`seen`] answers, for a readable failure.
fn same(a: &serde_json::Value, b: &serde_json::Value) {
    for key in ["coverage", "units", "orgs", "members"] {
        assert_eq!(a[key], b[key], "{key} differ");
    }
}

async fn sql(url: &str, statements: &[&str]) {
    let db = Database::connect(url).await.expect("connect");
    for st in statements {
        db.execute_unprepared(st).await.expect(st);
    }
    db.close().await.expect("close");
}

async fn count(url: &str, query: &str) -> i64 {
    let db = Database::connect(url).await.expect("connect");
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), query))
        .await
        .expect(query)
        .expect("a row");
    let n: i64 = row.try_get_by_index(0).expect("count");
    db.close().await.expect("close");
    n
}

fn backend(url: &str) -> DbBackend {
    if url.starts_with("sqlite") {
        DbBackend::Sqlite
    } else {
        DbBackend::Postgres
    }
}

/// An import written in many steps ends as the same import written in one transaction
/// (records, coverage, history), marks its run done and keeps no undo journal.
#[tokio::test]
async fn an_import_in_steps_ends_as_one_written_at_once() {
    let (mut stepped, url, _d1) = store_at().await;
    let (mut at_once, _, _d2) = store_at().await;
    for s in [&stepped, &at_once] {
        assert!(import(s, &base()).await.expect("base").committed);
    }
    stepped.set_import_step(Duration::ZERO);
    at_once.set_import_step(Duration::from_secs(3600));
    let a = import(&stepped, &year(300, false)).await.expect("stepped");
    let b = import(&at_once, &year(300, false)).await.expect("at once");
    assert!(a.committed && a.errors.is_empty(), "{a:?}");
    assert_eq!(format!("{:?}", a.sheets), format!("{:?}", b.sheets));
    same(&seen(&stepped).await, &seen(&at_once).await);
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM import_runs WHERE state = 'done'").await,
        1
    );
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM import_runs WHERE state <> 'done'").await,
        0
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM import_undo").await, 0);
    // On PostgreSQL a large import leaves statistics of what it wrote (a name search is
    // planned by them), not waiting for autovacuum.
    if backend(&url) == DbBackend::Postgres {
        assert!(
            count(&url, "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'name_grams'").await > 0,
            "no statistics of the name index after the import"
        );
    }
    // Every imported record's name is in the name index, and nothing else is.
    for (kind, table) in [(1, "carriers"), (2, "units"), (3, "party_orgs"), (4, "members")] {
        assert_eq!(
            count(
                &url,
                &format!(
                    "SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS \
                     (SELECT 1 FROM name_grams g WHERE g.kind = {kind} AND g.record_id = t.id) \
                     AND LENGTH(t.name) > 1"
                )
            )
            .await,
            0,
            "{table} missing from the name index"
        );
        assert_eq!(
            count(
                &url,
                &format!(
                    "SELECT COUNT(*) FROM name_grams g WHERE g.kind = {kind} AND NOT EXISTS \
                     (SELECT 1 FROM {table} t WHERE t.id = g.record_id AND t.name_key = g.name_key)"
                )
            )
            .await,
            0,
            "{table}: index rows of no record"
        );
    }
    // Imported members carry their organisation's division (a street's list reads it).
    assert!(count(&url, "SELECT COUNT(*) FROM members").await > 100);
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM members m JOIN party_orgs o ON o.id = m.org_id \
             WHERE m.division_code IS NULL OR m.division_code <> o.division_code"
        )
        .await,
        0
    );
    // The history of a unit the import changed shows the change once.
    let sys = Actor::system("t");
    let q = ListQuery {
        q: Some("老单位3".into()),
        ..Default::default()
    };
    let u = stepped.list_units(&sys, &q).await.expect("list").items.remove(0);
    let h = stepped.unit_history(&sys, u.id).await.expect("history");
    assert_eq!(
        h.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["update", "create"]
    );
}

/// A write of someone else's goes between the steps of a long import, instead of
/// waiting for all of it.
#[tokio::test]
async fn other_writes_go_between_the_steps_of_a_long_import() {
    let (mut s, url, _d) = store_at().await;
    assert!(import(&s, &base()).await.expect("base").committed);
    s.set_import_step(Duration::ZERO);
    let tables = year(3000, false);
    let running = {
        let s = s.clone();
        tokio::spawn(async move { import(&s, &tables).await })
    };
    // Once the import has committed a step…
    while count(&url, "SELECT COUNT(*) FROM import_runs WHERE state = 'writing'").await == 0 {
        assert!(!running.is_finished(), "the import ended before its second step");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // …an edit of another account's is written while it is still being written.
    let sys = Actor::system("other");
    let q = ListQuery {
        q: Some("老单位150".into()),
        ..Default::default()
    };
    let u = s.list_units(&sys, &q).await.expect("list").items.remove(0);
    let patch = tongxin_store::registry::UnitPatch {
        employees: Some("77".into()),
        ..Default::default()
    };
    s.update_unit(&sys, u.id, u.version, &patch)
        .await
        .expect("edit between steps");
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM import_runs WHERE state = 'writing'").await,
        1,
        "the edit waited for the whole import"
    );
    let report = running.await.expect("task").expect("import");
    assert!(report.committed, "{report:?}");
    let after = s.list_units(&sys, &q).await.expect("list").items.remove(0);
    assert_eq!(after.employees, Some(77));
}

/// A step that fails after others were committed: nothing of the import stays — new
/// records gone, changed ones as they were, coverage as before — and the undo is in the
/// audit log.
#[tokio::test]
async fn a_failed_step_undoes_the_steps_committed_before_it() {
    let (mut s, url, _d) = store_at().await;
    assert!(import(&s, &base()).await.expect("base").committed);
    let before = seen(&s).await;
    let grams = count(&url, "SELECT COUNT(*) FROM name_grams").await;
    assert!(grams > 0);
    match backend(&url) {
        DbBackend::Sqlite => {
            sql(
                &url,
                &["CREATE TRIGGER boom BEFORE INSERT ON members WHEN NEW.name = '炸弹' \
                   BEGIN SELECT RAISE(ABORT, 'boom'); END"],
            )
            .await
        }
        _ => {
            sql(
                &url,
                &[
                    "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.name = '炸弹' THEN \
                     RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                    "CREATE TRIGGER boom BEFORE INSERT ON members FOR EACH ROW EXECUTE FUNCTION boom()",
                ],
            )
            .await
        }
    }
    s.set_import_step(Duration::ZERO);
    let failed = import(&s, &year(300, true)).await;
    assert!(failed.is_err(), "{failed:?}");
    same(&seen(&s).await, &before);
    // The name index forgot the records the undo removed, and only those.
    assert_eq!(count(&url, "SELECT COUNT(*) FROM name_grams").await, grams);
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM import_runs WHERE state = 'undone'").await,
        1
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM import_undo").await, 0);
    assert_eq!(s.audit_count("import_undone").await.expect("audit"), 1);
    assert_eq!(s.audit_count("import").await.expect("audit"), 1, "only the base import");
    // The same file without the refused row then imports whole.
    assert!(import(&s, &year(300, false)).await.expect("again").committed);
}

/// An import cut off half-way (its future dropped, as a server drops the handler of a
/// request whose client went away) after some steps were committed is undone at once.
#[tokio::test]
async fn an_import_cut_off_is_undone() {
    let (mut s, url, _d) = store_at().await;
    assert!(import(&s, &base()).await.expect("base").committed);
    let before = seen(&s).await;
    s.set_import_step(Duration::ZERO);
    let tables = year(2000, true);
    {
        let run = import(&s, &tables);
        tokio::pin!(run);
        let cut = async {
            while count(&url, "SELECT COUNT(*) FROM import_runs WHERE state = 'writing'").await == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            // A few more steps.
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        tokio::select! {
            r = &mut run => panic!("the import ended before it could be cut off: {r:?}"),
            () = cut => {}
        }
    }
    let waited = std::time::Instant::now();
    while count(&url, "SELECT COUNT(*) FROM import_runs WHERE state = 'undone'").await == 0 {
        assert!(waited.elapsed() < Duration::from_secs(30), "not undone");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    same(&seen(&s).await, &before);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM import_undo").await, 0);
}

/// An import whose process died while writing it (no destructor ran: its run is still
/// "writing", its journal kept) is undone when a store next opens, once its heartbeat is
/// a minute old — not before, when it may be another server's live import.
#[tokio::test]
async fn an_import_whose_process_died_is_undone_when_a_store_opens() {
    let (s, url, _d) = store_at().await;
    assert!(import(&s, &base()).await.expect("base").committed);
    let before = seen(&s).await;
    // The new records of a year's file, as a dead process's committed steps left them:
    // written, with its run and journal as the steps wrote them.
    assert!(import(&s, &year(300, false)).await.expect("year").committed);
    let b = backend(&url);
    let db = Database::connect(url.as_str()).await.expect("connect");
    let p = |i: usize| {
        if b == DbBackend::Sqlite {
            "?".to_string()
        } else {
            format!("${i}")
        }
    };
    let now = chrono::Utc::now();
    db.execute_raw(Statement::from_sql_and_values(
        b,
        format!(
            "INSERT INTO import_runs (account_id, actor, file, state, started_at, beat_at) \
             VALUES (NULL, 't', '年报.xlsx', 'writing', {}, {})",
            p(1),
            p(2)
        ),
        [now.into(), now.into()],
    ))
    .await
    .expect("run");
    for (entity, table, new) in [
        ("unit", "units", "name LIKE '新单位%'"),
        ("party_org", "party_orgs", "(name LIKE '联合%' OR name LIKE '新兴%')"),
        ("member", "members", "name LIKE '新党员%'"),
    ] {
        db.execute_unprepared(&format!(
            "INSERT INTO import_undo (run_id, action, entity, first_id, last_id) \
             SELECT (SELECT MAX(id) FROM import_runs), 'created', '{entity}', id, id FROM {table} WHERE {new} \
             ORDER BY id"
        ))
        .await
        .expect("journal");
    }
    // The stored records the file changed, each with its row from before.
    let sys = Actor::system("t");
    let q = ListQuery {
        q: Some("老单位".into()),
        per_page: Some(500),
        ..Default::default()
    };
    for u in s.list_units(&sys, &q).await.expect("units").items {
        let had = before["units"]
            .as_array()
            .and_then(|us| us.iter().find(|x| x["id"] == u.id.0))
            .expect("the unit before");
        if had["employees"] != serde_json::json!(u.employees) {
            let row = serde_json::json!({
                "id": u.id.0, "name": had["name"], "kind": "enterprise", "credit_code": null,
                "employees": had["employees"], "carrier_id": null, "division_code": STREET,
                "address": null, "instructor_id": null, "archived": false, "version": u.version - 1,
                "created_at": now, "updated_at": now,
            });
            db.execute_raw(Statement::from_sql_and_values(
                b,
                format!(
                    "INSERT INTO import_undo (run_id, action, entity, first_id, before) \
                     VALUES ((SELECT MAX(id) FROM import_runs), 'updated', 'unit', {}, {})",
                    p(1),
                    p(2)
                ),
                [u.id.0.into(), sea_orm::Value::Json(Some(Box::new(row)))],
            ))
            .await
            .expect("journal");
        }
    }
    // A fresh heartbeat: taken for alive.
    drop(s);
    let s = Store::open(&url).await.expect("reopen");
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM import_runs WHERE state = 'writing'").await,
        1
    );
    drop(s);
    let old = chrono::Utc::now() - chrono::Duration::minutes(5);
    db.execute_raw(Statement::from_sql_and_values(
        b,
        format!("UPDATE import_runs SET beat_at = {}", p(1)),
        [old.into()],
    ))
    .await
    .expect("backdate");
    db.close().await.expect("close");
    let s = Store::open(&url).await.expect("reopen undoes it");
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM import_runs WHERE state = 'undone'").await,
        1
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM import_undo").await, 0);
    let now = seen(&s).await;
    // Units, members' records and coverage as before the file; the changed branches'
    // secretaries and members' phones were not in this journal, so only units and the
    // new records are compared.
    assert_eq!(now["units"], before["units"]);
    assert_eq!(now["coverage"], before["coverage"]);
    assert_eq!(
        now["orgs"].as_array().map(Vec::len),
        before["orgs"].as_array().map(Vec::len)
    );
    assert_eq!(
        now["members"].as_array().map(Vec::len),
        before["members"].as_array().map(Vec::len)
    );
}
