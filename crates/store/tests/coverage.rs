//! Coverage (全覆盖) on SQLite, and on a fresh PostgreSQL database when
//! TONGXIN_TEST_POSTGRES holds an admin URL: every rule on small hand-built cases, and
//! random edit sequences whose counters must equal a plain recount.

mod common;
use common::store;
use proptest::prelude::*;
use tongxin_domain::codes::{DivisionCode, ResidentId};
use tongxin_domain::coverage::Figures;
use tongxin_domain::registry::{
    CarrierFields, CarrierId, InstructorId, MemberFields, MemberId, OrgFields, OrgId, UnitFields, UnitId,
};
use tongxin_store::coverage::Territory;
use tongxin_store::registry::{MemberInput, OrgInput, UnitInput};
use tongxin_store::{Actor, Store};

const STREET: &str = "310106013";
const COMMUNITY: &str = "310106013001";
const OTHER_STREET: &str = "310101002";

fn sys() -> Actor {
    Actor::system("test")
}

/// A territory as the store's coverage reads take it: checked for the system actor.
async fn view(s: &Store, t: Territory) -> tongxin_store::coverage::Viewable {
    s.coverage_territory(&sys(), Some(t)).await.expect("territory")
}

fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).expect("code")
}

/// A small registry built step by step, with the ids it made.
struct Ground<'a> {
    s: &'a Store,
    n: u32,
}

impl Ground<'_> {
    fn next(&mut self) -> u32 {
        self.n += 1;
        self.n
    }
    async fn carrier(&mut self, division: &str, kind: &str) -> CarrierId {
        let n = self.next();
        let f = CarrierFields::parse(&format!("载体{n}"), kind, false, division, "", None).expect("carrier");
        self.s.create_carrier(&sys(), f).await.expect("carrier").id
    }
    async fn unit(&mut self, division: &str, carrier: Option<CarrierId>, instructor: Option<InstructorId>) -> UnitId {
        let n = self.next();
        let fields = UnitFields::parse(&format!("单位{n}"), "企业", "", "", division, "").expect("unit");
        let i = UnitInput {
            fields,
            carrier_id: carrier,
            instructor_id: instructor,
        };
        self.s.create_unit(&sys(), i).await.expect("unit").id
    }
    async fn org(&mut self, kind: &str, division: &str, units: Vec<UnitId>, carrier: Option<CarrierId>) -> OrgId {
        let n = self.next();
        let fields = OrgFields::parse(&format!("党组织{n}"), kind, division, "", None, None).expect("org");
        let i = OrgInput {
            fields,
            parent_id: None,
            carrier_id: carrier,
            unit_ids: units,
        };
        self.s.create_org(&sys(), i).await.expect("org").id
    }
    async fn member(&mut self, org: OrgId, unit: Option<UnitId>, full: bool) -> MemberId {
        let n = self.next();
        let id = ResidentId::with_check(&format!(
            "3101061980{:02}{:02}{:03}",
            1 + n / 28_000 % 12,
            1 + n / 1000 % 28,
            n % 1000
        ))
        .expect("id");
        let status = if full { "正式党员" } else { "预备党员" };
        let fields = MemberFields::parse(&format!("党员{n}"), status, id.reveal(), "", None).expect("member");
        let i = MemberInput {
            fields,
            org_id: org,
            work_unit_id: unit,
        };
        self.s.create_member(&sys(), i).await.expect("member").id
    }
}

async fn figures(s: &Store, division: &str) -> Figures {
    s.coverage_summary(&view(s, Territory::Division(code(division))).await)
        .await
        .expect("summary")
}

async fn instructor(s: &Store) -> InstructorId {
    s.ensure_instructor(&sys(), "王指导员", None, &code(STREET))
        .await
        .expect("instructor")
        .id
}

#[tokio::test]
async fn each_rule_on_a_small_street() {
    let (s, _d) = store().await;
    let mut g = Ground { s: &s, n: 0 };
    let instr = instructor(&s).await;
    let tower = g.carrier(COMMUNITY, "楼宇").await;
    let park = g.carrier(STREET, "园区").await;
    let empty = g.carrier(STREET, "市场").await;

    // Own branch → organisational.
    let own = g.unit(COMMUNITY, Some(tower), None).await;
    g.org("党支部", STREET, vec![own], None).await;
    // Two units of one joint branch → organisational, both.
    let j1 = g.unit(STREET, Some(park), None).await;
    let j2 = g.unit(STREET, Some(park), None).await;
    let joint = g.org("联合党支部", STREET, vec![j1, j2], None).await;
    // An instructor → work coverage.
    let by_instructor = g.unit(STREET, Some(park), Some(instr)).await;
    // Nothing → uncovered.
    let bare = g.unit(STREET, None, None).await;

    let f = figures(&s, STREET).await;
    assert_eq!(f.units_total, 5);
    assert_eq!(
        (f.units_org_covered, f.units_work_covered, f.units_uncovered),
        (3, 1, 1)
    );
    assert_eq!(f.org_coverage_rate, Some(0.6));
    assert_eq!(f.work_coverage_rate, Some(0.8));
    // Carriers: the tower (its one unit covered) and the park (all three covered) are
    // fully covered; a market with no unit is not.
    assert_eq!((f.carriers_total, f.carriers_fully_covered), (3, 2));
    assert_eq!(f.carriers_by_type["market"].fully_covered, 0);
    assert_eq!(f.units_by_carrier_type["none"].uncovered, 1);
    assert_eq!((f.party_orgs, f.joint_branches), (2, 1));

    // A building committee set up in the tower → the tower's later units are
    // work-covered through it.
    let newcomer = g.unit(COMMUNITY, Some(tower), None).await;
    assert_eq!(figures(&s, STREET).await.units_uncovered, 2);
    g.org("党委", STREET, vec![], Some(tower)).await;
    let f = figures(&s, STREET).await;
    assert_eq!(
        (f.units_org_covered, f.units_work_covered, f.units_uncovered),
        (3, 2, 1)
    );
    let _ = (newcomer, bare, empty);

    // Three full members in a joint-branch unit: it should still set up its own
    // organisation (Party Constitution Art. 30); probationary members do not count.
    for full in [true, true, false] {
        g.member(joint, Some(j1), full).await;
    }
    let f = figures(&s, STREET).await;
    assert_eq!((f.units_qualifying, f.units_qualifying_with_own_org), (0, 0));
    assert_eq!((f.members_full, f.members_probationary), (2, 1));
    g.member(joint, Some(j1), true).await;
    let f = figures(&s, STREET).await;
    assert_eq!((f.units_qualifying, f.units_qualifying_with_own_org), (1, 0));
    g.org("党支部", STREET, vec![j1], None).await;
    let f = figures(&s, STREET).await;
    assert_eq!((f.units_qualifying, f.units_qualifying_with_own_org), (1, 1));
    assert_eq!(f.qualifying_own_org_rate, Some(1.0));

    // The community sees only its own: the tower and its units.
    let c = figures(&s, COMMUNITY).await;
    assert_eq!((c.units_total, c.carriers_total), (2, 1));
    // The district adds up its streets; another street has nothing, and no rates.
    assert_eq!(figures(&s, "310106").await.units_total, 6);
    let other = figures(&s, OTHER_STREET).await;
    assert_eq!(other.units_total, 0);
    assert_eq!(other.org_coverage_rate, None);

    // Archiving the instructor's unit takes it out of every count.
    let v = s.get_unit(&sys(), by_instructor).await.expect("unit").version;
    s.archive_unit(&sys(), by_instructor, v, true).await.expect("archive");
    assert_eq!(figures(&s, STREET).await.units_total, 5);

    for d in [None, Some(code(STREET)), Some(code(COMMUNITY)), Some(code("310106"))] {
        let fast = match &d {
            Some(c) => figures(&s, c.as_str()).await,
            None => s.coverage_summary(&view(&s, Territory::All).await).await.expect("all"),
        };
        let t = match &d {
            Some(d) => Territory::Division(d.clone()),
            None => Territory::All,
        };
        assert_eq!(
            fast,
            s.coverage_recount(&view(&s, t).await).await.expect("recount"),
            "{d:?}"
        );
    }
}

#[tokio::test]
async fn an_organisation_subtree_and_changing_rules() {
    let (s, _d) = store().await;
    let mut g = Ground { s: &s, n: 0 };
    let u = g.unit(STREET, None, None).await;
    let branch = g.org("党支部", STREET, vec![u], None).await;
    for _ in 0..3 {
        g.member(branch, Some(u), true).await;
    }
    let f = s
        .coverage_summary(&view(&s, Territory::Org(branch)).await)
        .await
        .expect("org summary");
    assert_eq!(f.org, Some(branch.0));
    assert_eq!(
        (f.units_total, f.units_org_covered, f.members_full, f.party_orgs),
        (1, 1, 3, 1)
    );
    assert_eq!(f.units_qualifying, 1);

    // A district that sets the bar at 5 full members: recomputed at once.
    let rules = tongxin_domain::coverage::CoverageRules {
        own_org_min_full_members: 5,
        ..Default::default()
    };
    s.set_coverage_rules(&sys(), rules).await.expect("rules");
    assert_eq!(figures(&s, STREET).await.units_qualifying, 0);
    assert_eq!(s.coverage_rules().await.expect("rules").own_org_min_full_members, 5);
    // A rebuild from nothing reaches the same counters.
    let before = figures(&s, STREET).await;
    s.rebuild_coverage().await.expect("rebuild");
    assert_eq!(figures(&s, STREET).await, before);
}

/// One edit of a random sequence; indices are taken modulo what exists.
#[derive(Debug, Clone)]
enum Edit {
    NewCarrier(usize),
    NewUnit {
        place: usize,
        carrier: Option<usize>,
        instructor: bool,
    },
    MoveUnit {
        unit: usize,
        carrier: Option<usize>,
    },
    ArchiveUnit(usize),
    FoundOrg {
        kind: usize,
        units: Vec<usize>,
        carrier: Option<usize>,
    },
    ReattachOrg {
        org: usize,
        units: Vec<usize>,
    },
    ArchiveOrg(usize),
    Join {
        org: usize,
        unit: Option<usize>,
        full: bool,
    },
    Leave(usize),
    BecomeFull(usize),
}

const PLACES: [&str; 4] = [STREET, COMMUNITY, "310106012", OTHER_STREET];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..4usize).prop_map(Edit::NewCarrier),
        (0..4usize, proptest::option::of(0..8usize), any::<bool>()).prop_map(|(place, carrier, instructor)| {
            Edit::NewUnit {
                place,
                carrier,
                instructor,
            }
        }),
        (0..16usize, proptest::option::of(0..8usize)).prop_map(|(unit, carrier)| Edit::MoveUnit { unit, carrier }),
        (0..16usize).prop_map(Edit::ArchiveUnit),
        (
            0..3usize,
            proptest::collection::vec(0..16usize, 0..4),
            proptest::option::of(0..8usize)
        )
            .prop_map(|(kind, units, carrier)| Edit::FoundOrg { kind, units, carrier }),
        (0..8usize, proptest::collection::vec(0..16usize, 0..4))
            .prop_map(|(org, units)| Edit::ReattachOrg { org, units }),
        (0..8usize).prop_map(Edit::ArchiveOrg),
        (0..8usize, proptest::option::of(0..16usize), any::<bool>()).prop_map(|(org, unit, full)| Edit::Join {
            org,
            unit,
            full
        }),
        (0..32usize).prop_map(Edit::Leave),
        (0..32usize).prop_map(Edit::BecomeFull),
    ]
}

fn pick<T: Copy>(ids: &[T], i: usize) -> Option<T> {
    (!ids.is_empty()).then(|| ids[i % ids.len()])
}

async fn apply(s: &Store, edits: &[Edit]) {
    let mut g = Ground { s, n: 0 };
    let instr = instructor(s).await;
    let (mut carriers, mut units, mut orgs, mut members) = (vec![], vec![], vec![], vec![]);
    for e in edits {
        match e {
            Edit::NewCarrier(p) => {
                let kinds = ["楼宇", "园区", "商圈", "市场"];
                carriers.push(g.carrier(PLACES[*p], kinds[*p % 4]).await);
            }
            Edit::NewUnit {
                place,
                carrier,
                instructor,
            } => {
                let c = carrier.and_then(|c| pick(&carriers, c));
                units.push(g.unit(PLACES[*place], c, instructor.then_some(instr)).await);
            }
            Edit::MoveUnit { unit, carrier } => {
                let Some(u) = pick(&units, *unit) else { continue };
                let view = s.get_unit(&sys(), u).await.expect("unit");
                let fields =
                    UnitFields::parse(&view.name, &view.kind, "", "", &view.division_code, "").expect("fields");
                let i = UnitInput {
                    fields,
                    carrier_id: carrier.and_then(|c| pick(&carriers, c)),
                    instructor_id: view.instructor_id,
                };
                s.update_unit(&sys(), u, view.version, &i.into()).await.expect("move");
            }
            Edit::ArchiveUnit(i) => {
                let Some(u) = pick(&units, *i) else { continue };
                let v = s.get_unit(&sys(), u).await.expect("unit").version;
                s.archive_unit(&sys(), u, v, true).await.expect("archive unit");
                units.retain(|x| *x != u);
            }
            Edit::FoundOrg {
                kind,
                units: us,
                carrier,
            } => {
                let kind = ["党支部", "联合党支部", "党委"][*kind];
                let attached: Vec<UnitId> = us.iter().filter_map(|i| pick(&units, *i)).collect();
                orgs.push(
                    g.org(kind, STREET, attached, carrier.and_then(|c| pick(&carriers, c)))
                        .await,
                );
            }
            Edit::ReattachOrg { org, units: us } => {
                let Some(o) = pick(&orgs, *org) else { continue };
                let view = s.get_org(&sys(), o).await.expect("org");
                let fields = OrgFields::parse(&view.name, &view.kind, &view.division_code, "", None, None).expect("f");
                let i = OrgInput {
                    fields,
                    parent_id: None,
                    carrier_id: view.carrier_id,
                    unit_ids: us.iter().filter_map(|i| pick(&units, *i)).collect(),
                };
                s.update_org(&sys(), o, view.version, &i.into())
                    .await
                    .expect("reattach");
            }
            Edit::ArchiveOrg(i) => {
                let Some(o) = pick(&orgs, *i) else { continue };
                let v = s.get_org(&sys(), o).await.expect("org").version;
                // Refused while it has members: that is a rule, not a failure.
                if s.archive_org(&sys(), o, v, true).await.is_ok() {
                    orgs.retain(|x| *x != o);
                }
            }
            Edit::Join { org, unit, full } => {
                let Some(o) = pick(&orgs, *org) else { continue };
                let u = unit.and_then(|u| pick(&units, u));
                members.push(g.member(o, u, *full).await);
            }
            Edit::Leave(i) => {
                let Some(m) = pick(&members, *i) else { continue };
                let v = s.get_member(&sys(), m).await.expect("member").version;
                s.archive_member(&sys(), m, v, true).await.expect("leave");
                members.retain(|x| *x != m);
            }
            Edit::BecomeFull(i) => {
                let Some(m) = pick(&members, *i) else { continue };
                let view = s.get_member(&sys(), m).await.expect("member");
                let full = s.reveal_member(&sys(), m).await.expect("reveal");
                let fields = MemberFields::parse(&view.name, "正式党员", &full.resident_id, "", None).expect("fields");
                let i = MemberInput {
                    fields,
                    org_id: view.org_id,
                    work_unit_id: view.work_unit_id,
                };
                s.update_member(&sys(), m, view.version, &i.into())
                    .await
                    .expect("become full");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Every figure of the fast path equals a plain recount from the raw records, for
    /// the whole store and each territory, after any sequence of edits.
    #[test]
    fn counters_equal_a_plain_recount(edits in proptest::collection::vec(edit(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let (s, _d) = store().await;
            apply(&s, &edits).await;
            let fast = s.coverage_summary(&view(&s, Territory::All).await).await.expect("all");
            prop_assert_eq!(&fast, &s.coverage_recount(&view(&s, Territory::All).await).await.expect("recount"));
            for d in ["310106", STREET, COMMUNITY, "310106012", "310101", OTHER_STREET] {
                let fast = figures(&s, d).await;
                let plain = s
                    .coverage_recount(&view(&s, Territory::Division(code(d))).await)
                    .await
                    .expect("recount");
                prop_assert_eq!(fast, plain, "territory {}", d);
            }
            Ok(())
        })?;
    }
}

fn page(sort: Option<&str>) -> tongxin_store::registry::ListQuery {
    tongxin_store::registry::ListQuery {
        sort: sort.map(str::to_string),
        ..Default::default()
    }
}

#[tokio::test]
async fn gap_lists_name_what_to_fix() {
    use tongxin_store::coverage::GapKind;
    let (s, _d) = store().await;
    let mut g = Ground { s: &s, n: 0 };
    let street = view(&s, Territory::Division(code(STREET))).await;
    let tower = g.carrier(STREET, "楼宇").await;
    let empty = g.carrier(STREET, "市场").await;
    let covered = g.unit(STREET, Some(tower), None).await;
    g.org("党支部", STREET, vec![covered], None).await;
    let bare = g.unit(STREET, Some(tower), None).await;
    let elsewhere = g.unit(OTHER_STREET, None, None).await;

    // Uncovered units: only this street's, each linking to its record.
    let p = s
        .coverage_gaps(&street, GapKind::UncoveredUnits, &page(None))
        .await
        .expect("gaps");
    assert_eq!(p.total, 1);
    assert_eq!((p.items[0].id, p.items[0].link()), (bare.0, format!("/units/{bare}")));
    assert_eq!(p.items[0].carrier_name.as_deref(), Some("载体1"));
    let _ = elsewhere;

    // Carriers not fully covered: the tower (with the bare unit named) and the empty market.
    let p = s
        .coverage_gaps(&street, GapKind::CarriersNotCovered, &page(Some("-units_total")))
        .await
        .expect("carriers");
    assert_eq!(p.items.iter().map(|r| r.id).collect::<Vec<_>>(), vec![tower.0, empty.0]);
    assert_eq!(
        p.items[0].uncovered.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![bare]
    );
    assert_eq!(p.items[0].units_uncovered, Some(1));

    // A joint branch of six units is over its limit; three full members in one of them
    // mean it should set up its own branch.
    let mut six = vec![];
    for _ in 0..6 {
        six.push(g.unit(STREET, None, None).await);
    }
    let joint = g.org("联合党支部", STREET, six.clone(), None).await;
    for _ in 0..3 {
        g.member(joint, Some(six[0]), true).await;
    }
    let p = s
        .coverage_gaps(&street, GapKind::OverLimit, &page(None))
        .await
        .expect("over");
    assert_eq!(
        p.items.iter().map(|r| (r.id, r.reasons.clone())).collect::<Vec<_>>(),
        vec![(joint.0, vec!["joint_branch_units"])]
    );
    let p = s
        .coverage_gaps(&street, GapKind::ShouldSetUp, &page(None))
        .await
        .expect("set up");
    assert_eq!(
        p.items.iter().map(|r| (r.id, r.full_members)).collect::<Vec<_>>(),
        vec![(six[0].0, Some(3))]
    );
    assert_eq!(
        p.items[0].status,
        Some(tongxin_domain::coverage::CoverageStatus::Organisational)
    );

    // Terms: ended, ending within 90 days, and far off.
    let today = chrono::Local::now().date_naive();
    let admin = sys();
    let term = |days: i64, name: &str| {
        let fields = OrgFields::parse(
            name,
            "党委",
            STREET,
            "李书记",
            None,
            Some(today + chrono::Duration::days(days)),
        )
        .expect("org");
        s.create_org(
            &admin,
            OrgInput {
                fields,
                parent_id: None,
                carrier_id: None,
                unit_ids: vec![],
            },
        )
    };
    let overdue = term(-1, "届满党委").await.expect("org").id;
    let soon = term(30, "将届满党委").await.expect("org").id;
    term(200, "远期党委").await.expect("org");
    let p = s
        .coverage_gaps(&street, GapKind::Renewals, &page(None))
        .await
        .expect("renewals");
    let got: Vec<_> = p.items.iter().map(|r| (r.id, r.renewal)).collect();
    use tongxin_domain::coverage::Renewal;
    assert_eq!(
        got,
        vec![(overdue.0, Some(Renewal::Overdue)), (soon.0, Some(Renewal::DueSoon))]
    );

    // Search, kind filter and paging.
    let q = tongxin_store::registry::ListQuery {
        q: Some("将届满".into()),
        ..Default::default()
    };
    assert_eq!(
        s.coverage_gaps(&street, GapKind::Renewals, &q)
            .await
            .expect("search")
            .total,
        1
    );
    let q = tongxin_store::registry::ListQuery {
        kind: Some("党支部".into()),
        ..Default::default()
    };
    assert_eq!(
        s.coverage_gaps(&street, GapKind::Renewals, &q)
            .await
            .expect("kind")
            .total,
        0
    );
    let q = tongxin_store::registry::ListQuery {
        per_page: Some(1),
        page: Some(2),
        ..Default::default()
    };
    let p = s
        .coverage_gaps(&street, GapKind::CarriersNotCovered, &q)
        .await
        .expect("page 2");
    assert_eq!((p.total, p.items.len()), (2, 1));
    // The other street has none of these.
    let other = view(&s, Territory::Division(code(OTHER_STREET))).await;
    let counts = s.coverage_gap_counts(&other).await.expect("counts");
    assert_eq!(counts.iter().map(|c| c.1).sum::<u64>(), 1, "{counts:?}");
    // An organisation subtree: the joint branch's own gaps.
    let p = s
        .coverage_gaps(
            &view(&s, Territory::Org(joint)).await,
            GapKind::ShouldSetUp,
            &page(None),
        )
        .await
        .expect("org");
    assert_eq!(p.total, 1);
}

#[tokio::test]
async fn snapshots_make_a_monthly_trend() {
    let (s, _d) = store().await;
    let mut g = Ground { s: &s, n: 0 };
    let street = view(&s, Territory::Division(code(STREET))).await;
    let u = g.unit(STREET, None, None).await;
    // A store started this month has no past month to close.
    let today = chrono::Local::now().date_naive();
    assert!(
        s.close_previous_month(today).await.expect("close").is_none(),
        "no record is older than this month"
    );
    // October closed with one uncovered unit.
    let closed = s.take_coverage_snapshot(&sys(), Some("2026-10")).await.expect("close");
    assert!(closed.month_end);
    // Closing a month twice keeps the first.
    assert_eq!(
        s.take_coverage_snapshot(&sys(), Some("2026-10"))
            .await
            .expect("again")
            .id,
        closed.id
    );
    // This month: two on-demand snapshots; the later one stands for the month.
    s.take_coverage_snapshot(&sys(), None).await.expect("now");
    g.org("党支部", STREET, vec![u], None).await;
    s.take_coverage_snapshot(&sys(), None).await.expect("now again");
    let trend = s.coverage_trend(&street).await.expect("trend");
    assert_eq!(trend.len(), 2, "{trend:?}");
    assert_eq!(trend[0].period, "2026-10");
    assert_eq!(trend[0].figures.org_coverage_rate, Some(0.0));
    assert_eq!(trend[1].figures.org_coverage_rate, Some(1.0));
    assert_eq!(trend[1].figures, figures(&s, STREET).await);
    // A territory with nothing in it has points with no rates.
    let other = s
        .coverage_trend(&view(&s, Territory::Division(code(OTHER_STREET))).await)
        .await
        .expect("other");
    assert_eq!(other.len(), 2);
    assert_eq!(other[0].figures.units_total, 0);
    // The server closes last month once, and only when the registry existed then.
    let next_month = today + chrono::Duration::days(40);
    let taken = s.close_previous_month(next_month).await.expect("close").expect("taken");
    assert!(taken.month_end);
    assert!(s.close_previous_month(next_month).await.expect("again").is_none());
    assert!(s.take_coverage_snapshot(&sys(), Some("2026-13")).await.is_err());
}

#[tokio::test]
async fn a_lead_firms_network_and_its_coverage() {
    use tongxin_domain::registry::UnitLinkKind;
    let (s, _d) = store().await;
    let mut g = Ground { s: &s, n: 0 };
    let hq = g.unit(STREET, None, None).await;
    let near = g.unit(STREET, None, None).await; // a franchisee in the same street
    let far = g.unit(OTHER_STREET, None, None).await; // a franchisee in Huangpu
    let supplier = g.unit(OTHER_STREET, None, None).await;
    let sub = g.unit(COMMUNITY, None, None).await; // franchisee of the near franchisee
    let stranger = g.unit(STREET, None, None).await; // not linked
    g.org("党支部", STREET, vec![near], None).await;
    for (from, kind, to) in [
        (near, UnitLinkKind::FranchiseeOf, hq),
        (far, UnitLinkKind::FranchiseeOf, hq),
        (supplier, UnitLinkKind::SupplierOf, hq),
        (sub, UnitLinkKind::FranchiseeOf, near),
    ] {
        s.link_units(&sys(), from, kind, to).await.expect("link");
    }
    let _ = stranger;
    let c = s.chain_coverage(&sys(), hq).await.expect("chain");
    assert_eq!((c.network.total, c.network.org_covered, c.network.uncovered), (4, 1, 3));
    assert_eq!(c.org_coverage_rate, Some(0.25));
    assert_eq!(
        c.by_district
            .iter()
            .map(|d| (d.code.as_str(), d.units.total))
            .collect::<Vec<_>>(),
        [("310101", 2), ("310106", 2)]
    );
    assert_eq!(c.units.iter().find(|u| u.id == sub).map(|u| u.depth), Some(2));

    // A street office sees its own share by name and only counts the rest.
    let street_office = Actor {
        account_id: None,
        username: "street".into(),
        role: tongxin_domain::access::Role::StreetOffice,
        scope: tongxin_domain::scope::Scope::division(code(STREET)),
    };
    let c = s.chain_coverage(&street_office, hq).await.expect("chain in scope");
    assert_eq!(c.network.total, 4);
    let mut named: Vec<UnitId> = c.units.iter().map(|u| u.id).collect();
    named.sort_unstable();
    assert_eq!(named, [near, sub]);
    assert_eq!(c.units_outside_territory, 2);
    // Another street's lead is not found.
    assert!(matches!(
        s.chain_coverage(&street_office, far).await,
        Err(tongxin_store::StoreError::NotFound)
    ));
}

#[tokio::test]
async fn a_branch_of_more_than_fifty_members_is_flagged() {
    use tongxin_store::coverage::GapKind;
    let (s, _d) = store().await;
    let mut g = Ground { s: &s, n: 0 };
    let u = g.unit(STREET, None, None).await;
    let branch = g.org("党支部", STREET, vec![u], None).await;
    let committee = g.org("党委", STREET, vec![], None).await;
    let mut first = None;
    for i in 0..51 {
        let m = g.member(branch, Some(u), i % 2 == 0).await;
        first.get_or_insert(m);
        g.member(committee, None, true).await;
    }
    let first = first.expect("a member");
    let street = view(&s, Territory::Division(code(STREET))).await;
    let p = s
        .coverage_gaps(&street, GapKind::OverLimit, &page(None))
        .await
        .expect("over");
    // The branch (51 members), not the committee: the limit is a branch's.
    assert_eq!(
        p.items
            .iter()
            .map(|r| (r.id, r.members, r.reasons.clone()))
            .collect::<Vec<_>>(),
        vec![(branch.0, Some(51), vec!["branch_members"])]
    );
    let v = s.get_member(&sys(), first).await.expect("member").version;
    s.archive_member(&sys(), first, v, true).await.expect("leave");
    assert_eq!(
        s.coverage_gaps(&street, GapKind::OverLimit, &page(None))
            .await
            .expect("over")
            .total,
        0
    );
}
