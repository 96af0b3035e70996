//! `tongxin bench …`: benchmarks that print JSON (never timed tests).

use anyhow::Result;
use clap::Subcommand;
use std::fmt::Write as _;
use std::time::Instant;
use tongxin_store::bulk::ImportMode;
use tongxin_store::{Actor, Store};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Import rows per second for a units file in CSV and xlsx, beside parse-only time.
    Import {
        #[arg(long, default_value_t = 100_000)]
        rows: u32,
    },
}

fn units_csv(rows: u32, streets: &[String]) -> String {
    let mut s = String::from("单位名称,单位类型,统一社会信用代码,从业人数,所属区划,地址\n");
    for i in 0..rows {
        let code = crate::demo_code(i);
        let _ = writeln!(
            s,
            "基准测试企业{i}有限公司,企业,{code},{},{},某路{}号",
            10 + i % 90,
            streets[i as usize % streets.len()],
            i % 999
        );
    }
    s
}

pub async fn run(cmd: &BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Import { rows } => {
            let dir = std::env::temp_dir().join(format!("tongxin-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let mut results = serde_json::Map::new();
            for format in ["csv", "xlsx"] {
                let db = dir.join(format!("{format}.db"));
                let _ = std::fs::remove_file(&db);
                let store = Store::open(&format!("sqlite://{}?mode=rwc", db.display())).await?;
                store.ensure_builtin_divisions().await?;
                let streets: Vec<String> = store
                    .division_children(Some("310106"))
                    .await?
                    .into_iter()
                    .map(|d| d.code)
                    .collect();
                let csv = units_csv(*rows, &streets);
                let bytes = if format == "csv" {
                    csv.into_bytes()
                } else {
                    let t = tongxin_import::read_tables(csv.as_bytes(), "u.csv", Some(tongxin_import::Kind::Units))?;
                    let rows: Vec<_> = t[0].rows.iter().map(|r| r.values.clone()).collect();
                    tongxin_import::write_workbook(&[(tongxin_import::Kind::Units, rows)])?
                };
                let t0 = Instant::now();
                let tables =
                    tongxin_import::read_tables(&bytes, &format!("units.{format}"), Some(tongxin_import::Kind::Units))?;
                let parse = t0.elapsed().as_secs_f64();
                let t1 = Instant::now();
                let report = store
                    .import_tables(&Actor::system("bench"), &tables, ImportMode::default())
                    .await?;
                let import = t1.elapsed().as_secs_f64();
                anyhow::ensure!(
                    report.committed && report.errors.is_empty(),
                    "bench import failed: {:?}",
                    report.errors.first()
                );
                results.insert(
                    format.into(),
                    serde_json::json!({
                        "rows": rows,
                        "file_bytes": bytes.len(),
                        "parse_seconds": parse,
                        "parse_rows_per_second": *rows as f64 / parse,
                        "import_seconds": import,
                        "import_rows_per_second": *rows as f64 / import,
                        "total_rows_per_second": *rows as f64 / (parse + import),
                    }),
                );
            }
            let _ = std::fs::remove_dir_all(&dir);
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"bench": "import", "backend": "sqlite", "results": results})
                )?
            );
        }
    }
    Ok(())
}
