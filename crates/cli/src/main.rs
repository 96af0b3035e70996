//! `tongxin`: argument parsing and wiring only. The work is done by the store, import
//! and web crates.

/// Bulk imports allocate many small values; glibc's allocator spent a fifth of an
/// import's CPU on them (perf), mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use tongxin_demo::{bench, city, district as demo, progress};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use tongxin_domain::access::Role;
use tongxin_domain::alliance::PostKind;
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::Labelled as _;
use tongxin_store::bulk::ImportMode;
use tongxin_store::coverage::Territory;
use tongxin_store::{Actor, Store};

#[derive(Parser)]
#[command(name = "tongxin", version, about = "同心 Tongxin — regional party-building platform")]
struct Cli {
    /// Database URL: sqlite://FILE or postgres://… (default: SQLite under --data-dir).
    #[arg(long, global = true, env = "TONGXIN_DATABASE_URL")]
    database_url: Option<String>,
    /// Folder for the embedded SQLite store.
    #[arg(long, global = true, default_value = "./data", env = "TONGXIN_DATA_DIR")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web console and API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Load the demo district (if the store is empty) and create demo accounts.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (when served behind HTTPS).
        #[arg(long, env = "TONGXIN_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Reverse proxies in front of the server (addresses or networks, separated by
        /// commas): only from these is `X-Forwarded-For` believed, to know the client's
        /// address for the limits kept per address. Set it behind nginx, or every
        /// caller counts as the proxy.
        #[arg(long, env = "TONGXIN_TRUSTED_PROXIES", value_name = "CIDR,...", default_value = "", value_parser = parse_proxies)]
        trusted_proxies: tongxin_web::client_addr::TrustedProxies,
        /// Registrations by residents without an account from one address (an IPv6 /64)
        /// in ten minutes; 0 for no limit.
        #[arg(long, env = "TONGXIN_RESIDENT_LIMIT", default_value_t = tongxin_web::Options::default().resident_limit)]
        resident_limit: u32,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// List the imports being written (a long import commits in steps), or with `--undo`
    /// undo them now: after a crash, when no import is running (an import whose process
    /// died is undone by itself a minute after its last step, when the store next opens
    /// or an import next starts; one still running stops and reports it).
    Imports {
        #[arg(long)]
        undo: bool,
    },
    /// Import workbooks (.xlsx, .xls, .csv): several files are one import, whose rows
    /// may refer to each other in any order.
    Import {
        #[arg(required_unless_present = "template", num_args = 1..)]
        files: Vec<PathBuf>,
        /// Write the template of a kind (carriers, units, orgs, members) instead: the
        /// header row, an example row and the accepted values (to -o FILE, default
        /// template-KIND.xlsx).
        #[arg(long, value_name = "KIND", conflicts_with_all = ["dry_run", "skip_invalid"])]
        template: Option<String>,
        #[arg(long, short, requires = "template")]
        output: Option<PathBuf>,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        skip_invalid: bool,
        /// carriers, units, orgs or members (for a single-sheet file).
        #[arg(long)]
        kind: Option<String>,
        /// Where to write the error workbook (default: FILE.errors.xlsx).
        #[arg(long)]
        errors: Option<PathBuf>,
    },
    /// Export one kind of record in the import layout.
    Export {
        kind: String,
        #[arg(long)]
        division: Option<String>,
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Members: full resident IDs and phones (audited).
        #[arg(long)]
        reveal: bool,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Build the demo district (Jing'an, after the brief's scenario), or with `--scale
    /// city` a Shanghai-sized registry (2.5 million members) in an empty store.
    Demo {
        #[arg(long, value_enum, default_value = "district")]
        scale: DemoScale,
        /// With `--scale city`: write the city as one workbook in the import layout
        /// (every reference by name) instead of loading it, to try `tongxin import` on.
        #[arg(long, value_name = "FILE")]
        workbook: Option<PathBuf>,
        /// With `--scale city`: the same shape at 1/N of its size.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        divide: u32,
    },
    /// Administrative divisions.
    Divisions {
        #[command(subcommand)]
        command: DivisionsCommand,
    },
    /// Write a consistent copy of the live SQLite store.
    Backup { file: PathBuf },
    /// Coverage (全覆盖) figures of a territory; `rebuild` and `check` for operators.
    Coverage {
        /// Division code (default: the whole store).
        #[arg(long)]
        division: Option<String>,
        /// Organisation id: the figures of its subtree.
        #[arg(long, conflicts_with = "division")]
        org: Option<i64>,
        /// Print the summary as JSON (the same object as the API's).
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        command: Option<CoverageCommand>,
    },
    /// Benchmarks that print JSON.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// The regional alliance (区域化党建联席会议): matching needs and resources.
    Alliance {
        #[command(subcommand)]
        command: AllianceCommand,
    },
}

#[derive(Subcommand)]
enum AllianceCommand {
    /// The resources that could meet a need (`--need ID`), or the needs a resource could
    /// meet (`--resource ID`), best first with their reasons: the same list as
    /// `GET /api/v1/alliance/needs/{id}/matches`.
    Match {
        #[arg(long, conflicts_with = "resource", required_unless_present = "resource")]
        need: Option<i64>,
        #[arg(long)]
        resource: Option<i64>,
        /// How many (at most 50).
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print the list as JSON (the API's objects).
        #[arg(long)]
        json: bool,
    },
    /// Import needs and resources (需求清单, 资源清单) from a workbook into a conference:
    /// every row or none. Units no member unit names are listed and refused, unless
    /// `--add-unknown-units` makes them member units (registry units of the territory
    /// by exact name, outside organisations otherwise).
    Import {
        file: PathBuf,
        #[arg(long)]
        conference: i64,
        #[arg(long)]
        add_unknown_units: bool,
        /// Where to write the error workbook (default: beside the file).
        #[arg(long)]
        errors: Option<PathBuf>,
    },
    /// Export a conference's needs and resources in the import's layout (phones masked).
    Export {
        #[arg(long)]
        conference: i64,
        #[arg(long, short)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account; the password comes from TONGXIN_PASSWORD or standard input.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// Division code of the account's territory.
        #[arg(long)]
        scope: Option<String>,
        /// Organisation id of the account's organisation subtree.
        #[arg(long)]
        org: Option<i64>,
    },
    /// Issue an API token (printed once).
    Token {
        name: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// Set a new password (TONGXIN_PASSWORD or standard input).
    Passwd { name: String },
    /// List accounts.
    List,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DemoScale {
    /// Jing'an district: a few thousand units, 8,000 members.
    District,
    /// Shanghai: 10,000 carriers, 500,000 units, 120,000 organisations, 2,500,000 members.
    City,
}

#[derive(Subcommand)]
enum CoverageCommand {
    /// Recompute every coverage fact and counter from the registry.
    Rebuild,
    /// Recount the figures plainly from the registry and compare them with the counters;
    /// exits non-zero when they differ.
    Check,
    /// Take a snapshot of every territory's figures now, or close a month (YYYY-MM).
    Snapshot {
        #[arg(long)]
        month_end: Option<String>,
    },
    /// The monthly trend of the territory, as JSON.
    Trend,
    /// Print the coverage rules in force, or change some (`--set
    /// own_org_min_full_members=5`); a change recomputes every figure.
    Rules {
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
    },
}

#[derive(Subcommand)]
enum DivisionsCommand {
    /// Load divisions from a CSV file (code,name,level,parent_code); .gz is accepted.
    Import { file: PathBuf },
}

fn database_url(cli: &Cli) -> Result<String> {
    if let Some(u) = &cli.database_url {
        return Ok(u.clone());
    }
    std::fs::create_dir_all(&cli.data_dir).with_context(|| format!("creating {}", cli.data_dir.display()))?;
    Ok(format!(
        "sqlite://{}?mode=rwc",
        cli.data_dir.join("tongxin.db").display()
    ))
}

async fn open(cli: &Cli) -> Result<Store> {
    let url = database_url(cli)?;
    let store = Store::open(&url)
        .await
        .context("opening the database")?
        .with_files_dir(cli.data_dir.join("files"));
    store.ensure_builtin_divisions().await?;
    Ok(store)
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("TONGXIN_PASSWORD") {
        return Ok(p);
    }
    eprint!("password: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Writes the error workbook to `--errors`, else beside the input file, else (that
/// folder not writable) to the temporary folder; answers where it went.
fn write_error_workbook(chosen: Option<&Path>, input: &Path, wb: &[u8]) -> Result<PathBuf> {
    if let Some(p) = chosen {
        std::fs::write(p, wb).with_context(|| format!("writing {}", p.display()))?;
        return Ok(p.to_path_buf());
    }
    let beside = input.with_extension("errors.xlsx");
    if std::fs::write(&beside, wb).is_ok() {
        return Ok(beside);
    }
    let name = beside
        .file_name()
        .map(|n| n.to_owned())
        .unwrap_or_else(|| "errors.xlsx".into());
    let elsewhere = std::env::temp_dir().join(name);
    std::fs::write(&elsewhere, wb).with_context(|| format!("writing {}", elsewhere.display()))?;
    eprintln!(
        "{} 不可写，错误表写到了别处 / not writable, the error workbook went elsewhere",
        beside.display()
    );
    Ok(elsewhere)
}

/// Runs a command; a refusal prints its message (Chinese / English) and exits 1, never a
/// stack trace, whatever `RUST_BACKTRACE` says.
fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colours for a terminal only: a log file or journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let system = Actor::system("cli");
    match &cli.command {
        Command::Serve {
            listen,
            demo,
            secure_cookies,
            trusted_proxies,
            resident_limit,
        } => {
            let store = open(&cli).await?;
            ensure_admin(&store, &system).await?;
            if *demo {
                demo::ensure_demo(&store).await?;
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            let addr = listener.local_addr()?;
            println!("Tongxin console: http://{addr}/");
            let options = tongxin_web::Options {
                secure_cookies: *secure_cookies,
                trusted_proxies: trusted_proxies.clone(),
                resident_limit: *resident_limit,
            };
            tongxin_web::serve(listener, tongxin_web::AppState::with_options(store, options)).await?;
        }
        Command::Migrate => {
            open(&cli).await?;
            println!("schema up to date");
        }
        Command::Imports { undo } => {
            let store = open(&cli).await?;
            if *undo {
                let undone = store
                    .recover_imports(std::time::Duration::ZERO)
                    .await
                    .context("undoing unfinished imports")?;
                println!("{undone} unfinished import(s) undone");
            } else {
                let runs = store.imports_being_written().await?;
                if runs.is_empty() {
                    println!("no import is being written");
                }
                for r in runs {
                    println!(
                        "import {} of {} by {}: started {}, last step {}",
                        r.id,
                        r.file,
                        r.actor,
                        r.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
                        r.beat_at.format("%H:%M:%S UTC")
                    );
                }
            }
        }
        Command::Import {
            template: Some(kind),
            output,
            ..
        } => {
            let k = tongxin_import::Kind::parse(kind).with_context(|| format!("unknown kind {kind}"))?;
            let path = output
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("template-{}.xlsx", k.code())));
            std::fs::write(&path, tongxin_import::write_template(k)?)
                .with_context(|| format!("writing {}", path.display()))?;
            println!("{}", path.display());
        }
        Command::Import {
            files,
            dry_run,
            skip_invalid,
            kind,
            errors,
            ..
        } => {
            let store = open(&cli).await?;
            let mut read = Vec::new();
            for file in files {
                let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                read.push((name, bytes));
            }
            let kind = match kind {
                Some(k) => Some(tongxin_import::Kind::parse(k).with_context(|| format!("unknown kind {k}"))?),
                None => None,
            };
            let mode = ImportMode {
                dry_run: *dry_run,
                skip_invalid: *skip_invalid,
            };
            let limits = tongxin_import::Limits::COMMAND_LINE;
            let lang = tongxin_i18n::Lang::ZhCn;
            let bar = progress::ImportBar::new();
            let options = tongxin_transfer::ImportOptions {
                kind,
                mode,
                limits,
                lang,
            };
            let out = tongxin_transfer::run(&store, &system, read, options, &bar)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.describe()))?;
            bar.0.finish_and_clear();
            println!("{}", serde_json::to_string_pretty(&out.report)?);
            if let Some(wb) = out.error_workbook {
                let path = write_error_workbook(errors.as_deref(), &files[0], &wb)?;
                eprintln!("{} row(s) with errors; see {}", out.report.errors.len(), path.display());
                if !out.report.committed && !dry_run {
                    bail!("nothing was imported (all or nothing; use --skip-invalid to import the valid rows)");
                }
            }
        }
        Command::Export {
            kind,
            division,
            output,
            reveal,
        } => {
            let store = open(&cli).await?;
            let k = tongxin_import::Kind::parse(kind).with_context(|| format!("unknown kind {kind}"))?;
            let filter = tongxin_store::registry::ListQuery {
                division: division.clone(),
                ..Default::default()
            };
            let bytes = tongxin_transfer::export(&store, &system, k, &filter, *reveal)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.describe()))?;
            let path = output
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("{}.xlsx", k.code())));
            std::fs::write(&path, bytes)?;
            println!("{}", path.display());
        }
        Command::User { command } => {
            let store = open(&cli).await?;
            match command {
                UserCommand::Add { name, role, scope, org } => {
                    let role = Role::parse(role).with_context(|| {
                        format!("unknown role {role}; one of {}", Role::ALL.map(|r| r.code()).join(", "))
                    })?;
                    let scope = match scope {
                        Some(s) => Some(DivisionCode::parse(s).map_err(|e| anyhow::anyhow!("{s}: {e}"))?),
                        None => None,
                    };
                    let password = read_password()?;
                    let a = store
                        .create_account(&system, name, &password, role, scope.as_ref(), *org)
                        .await?;
                    println!("{}", serde_json::to_string_pretty(&a)?);
                }
                UserCommand::Token { name, label } => {
                    println!("{}", store.create_api_token(&system, name, label).await?);
                }
                UserCommand::Passwd { name } => {
                    let password = read_password()?;
                    store.set_password(&system, name, &password).await?;
                    println!("password changed");
                }
                UserCommand::List => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&store.list_accounts(&system).await?)?
                    );
                }
            }
        }
        Command::Demo {
            scale,
            workbook,
            divide,
        } => {
            let store = open(&cli).await?;
            let city = city::Scale::CITY.divided(*divide as usize);
            match (scale, workbook) {
                (DemoScale::District, Some(_)) => bail!("--workbook needs --scale city"),
                (DemoScale::District, None) => {
                    ensure_admin(&store, &system).await?;
                    demo::ensure_demo(&store).await?
                }
                (DemoScale::City, Some(path)) => {
                    let made = city::workbook(&store, path, city, true).await?;
                    println!("{}", serde_json::to_string_pretty(&made)?);
                }
                (DemoScale::City, None) => {
                    ensure_admin(&store, &system).await?;
                    let made = city::generate(&store, city, true).await?;
                    println!("{}", serde_json::to_string_pretty(&made)?);
                }
            }
        }
        Command::Divisions {
            command: DivisionsCommand::Import { file },
        } => {
            let store = open(&cli).await?;
            let n = load_divisions(&store, file).await?;
            println!("{n} divisions loaded");
        }
        Command::Backup { file } => {
            let store = open(&cli).await?;
            store.backup(file).await?;
            println!("{}", file.display());
        }
        Command::Bench { command } => {
            bench::run(command).await?;
        }
        Command::Alliance {
            command:
                AllianceCommand::Match {
                    need,
                    resource,
                    limit,
                    json,
                },
        } => {
            let store = open(&cli).await?;
            let (id, kind) = match (need, resource) {
                (Some(n), _) => (*n, PostKind::Need),
                (None, Some(r)) => (*r, PostKind::Resource),
                (None, None) => bail!("give --need ID or --resource ID"),
            };
            let found = store
                .match_post_of_kind(&system, id, kind, *limit)
                .await
                .with_context(|| format!("{} {id}", kind.code()))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else {
                let post = store.get_post(&system, id).await?;
                println!("{} {}", post.kind, post.title);
                for (i, m) in found.iter().enumerate() {
                    let why: Vec<String> = m.reasons.iter().map(|r| format!("{} {}", r.kind, r.detail)).collect();
                    println!(
                        "{:>2}. {:.3}  #{} {} ({})  [{}]",
                        i + 1,
                        m.score,
                        m.post.id,
                        m.post.title,
                        m.post.member_name,
                        why.join("; ")
                    );
                }
            }
        }
        Command::Alliance {
            command:
                AllianceCommand::Import {
                    file,
                    conference,
                    add_unknown_units,
                    errors,
                },
        } => {
            let store = open(&cli).await?;
            let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let out = tongxin_transfer::alliance::import_lists(
                &store,
                &system,
                tongxin_domain::alliance::ConferenceId(*conference),
                (name, bytes),
                *add_unknown_units,
                tongxin_import::Limits::COMMAND_LINE,
                tongxin_i18n::Lang::ZhCn,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.describe()))?;
            println!("{}", serde_json::to_string_pretty(&out.report)?);
            if let Some(wb) = out.error_workbook {
                let path = write_error_workbook(errors.as_deref(), file, &wb)?;
                eprintln!("{} row(s) with errors; see {}", out.report.errors.len(), path.display());
            }
            if !out.report.committed {
                if !out.report.unknown_units.is_empty() {
                    eprintln!(
                        "成员单位中找不到：{} / no member unit is named so; if they are new member units, run again with --add-unknown-units",
                        out.report.unknown_units.join("、")
                    );
                }
                bail!("nothing was imported (every row or none)");
            }
        }
        Command::Alliance {
            command: AllianceCommand::Export { conference, output },
        } => {
            let store = open(&cli).await?;
            let bytes = tongxin_transfer::alliance::export_lists(
                &store,
                &system,
                tongxin_domain::alliance::ConferenceId(*conference),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.describe()))?;
            std::fs::write(output, bytes).with_context(|| format!("writing {}", output.display()))?;
            println!("{}", output.display());
        }
        Command::Coverage {
            division,
            org,
            json,
            command,
        } => {
            let store = open(&cli).await?;
            let division = match division {
                Some(d) => Some(DivisionCode::parse(d).map_err(|e| anyhow::anyhow!("{d}: {e}"))?),
                None => None,
            };
            let territory = match (&division, org) {
                (Some(d), _) => Territory::Division(d.clone()),
                (None, Some(o)) => Territory::Org(tongxin_domain::registry::OrgId(*o)),
                (None, None) => Territory::All,
            };
            let territory = store.coverage_territory(&system, Some(territory)).await?;
            match command {
                Some(CoverageCommand::Rebuild) => {
                    store.rebuild_coverage().await?;
                    println!("coverage rebuilt");
                }
                Some(CoverageCommand::Snapshot { month_end }) => {
                    let s = store.take_coverage_snapshot(&system, month_end.as_deref()).await?;
                    println!("snapshot {} for {}", s.id, s.period);
                }
                Some(CoverageCommand::Rules { set }) => {
                    let mut rules = serde_json::to_value(store.coverage_rules().await?)?;
                    if !set.is_empty() {
                        for kv in set {
                            let (k, v) = kv.split_once('=').with_context(|| format!("{kv}: write NAME=VALUE"))?;
                            anyhow::ensure!(rules.get(k).is_some(), "{k} is not a coverage rule");
                            rules[k] =
                                serde_json::from_str(v.trim()).with_context(|| format!("{k}: {v} is not a value"))?;
                        }
                        let parsed: tongxin_domain::coverage::CoverageRules = serde_json::from_value(rules.clone())
                            .context("a rule has a value of the wrong kind (a number, or true/false)")?;
                        store.set_coverage_rules(&system, parsed).await?;
                    }
                    println!("{}", serde_json::to_string_pretty(&rules)?);
                }
                Some(CoverageCommand::Trend) => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&store.coverage_trend(&territory).await?)?
                    );
                }
                Some(CoverageCommand::Check) => {
                    let fast = store.coverage_summary(&territory).await?;
                    anyhow::ensure!(
                        org.is_none(),
                        "a recount is of a division or the whole store, not an organisation's subtree"
                    );
                    let plain = store.coverage_recount(&territory).await?;
                    if fast != plain {
                        anyhow::bail!(
                            "counters differ from a recount:\n{}\n{}",
                            serde_json::to_string(&fast)?,
                            serde_json::to_string(&plain)?
                        );
                    }
                    println!("counters agree with a recount");
                }
                None => {
                    let f = store.coverage_summary(&territory).await?;
                    if *json {
                        println!("{}", serde_json::to_string_pretty(&f)?);
                    } else {
                        print_figures(&f);
                    }
                }
            }
        }
    }
    Ok(())
}

fn print_figures(f: &tongxin_domain::coverage::Figures) {
    let pct = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0));
    println!("territory: {}", f.division.as_deref().unwrap_or("*"));
    println!(
        "units: {} (organisational {}, work {}, uncovered {})",
        f.units_total, f.units_org_covered, f.units_work_covered, f.units_uncovered
    );
    println!(
        "organisational coverage {}, work coverage {}",
        pct(f.org_coverage_rate),
        pct(f.work_coverage_rate)
    );
    println!(
        "qualifying units (3+ full members): {}, with their own organisation {}",
        f.units_qualifying, f.units_qualifying_with_own_org
    );
    println!(
        "carriers: {} fully covered of {}",
        f.carriers_fully_covered, f.carriers_total
    );
    println!(
        "party organisations: {} ({} joint branches); members: {} full, {} probationary",
        f.party_orgs, f.joint_branches, f.members_full, f.members_probationary
    );
}

async fn load_divisions(store: &Store, file: &Path) -> Result<usize> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let n = if file.extension().is_some_and(|e| e == "gz") {
        store
            .load_divisions(flate2::read::GzDecoder::new(std::io::BufReader::new(f)))
            .await?
    } else {
        store.load_divisions(std::io::BufReader::new(f)).await?
    };
    Ok(n)
}

/// Creates the `admin` account on first start: the password from TONGXIN_ADMIN_PASSWORD,
/// or a generated one printed once.
async fn ensure_admin(store: &Store, system: &Actor) -> Result<()> {
    if store.account_exists("admin").await? {
        return Ok(());
    }
    let (password, generated) = match std::env::var("TONGXIN_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (tongxin_store::accounts::new_password(), true),
    };
    store
        .create_account(system, "admin", &password, Role::SystemAdmin, None, None)
        .await?;
    if generated {
        println!(
            "created account admin with password: {password}  (shown once; change it with `tongxin user passwd admin`)"
        );
    } else {
        println!("created account admin (password from TONGXIN_ADMIN_PASSWORD)");
    }
    Ok(())
}

/// `--trusted-proxies`'s list, refused whole when one entry is not an address or network.
fn parse_proxies(s: &str) -> Result<tongxin_web::client_addr::TrustedProxies, String> {
    tongxin_web::client_addr::TrustedProxies::parse(s).map_err(|e| e.to_string())
}
