//! Assembles `dist/`: the wasm app through wasm-bindgen, the styles in one file, the public
//! assets, a service worker stamped with this build's id and file list, and gzip siblings the
//! relay serves to browsers that accept them.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::{cargo, root, step, tools};

const WASM_PROFILE: &str = "wasm-release";
/// Download budget for wasm + js + css, gzip (design.md).
const BUDGET_GZIP_BYTES: u64 = 600 * 1000;
/// Files that are compressed ahead of time (the relay serves `name.gz` when accepted).
const COMPRESSED: &[&str] = &["wasm", "js", "css", "html", "webmanifest", "svg"];

/// Builds the app in release and writes `dist/`; returns its path.
pub fn build() -> Result<PathBuf> {
    build_with(&Options::app(root().join("dist"))).map(|built| built.dir)
}

/// What [`build_with`] builds and where.
pub struct Options<'a> {
    /// Cargo features of `kith-app` (none for the app as shipped).
    pub features: &'a [&'a str],
    /// The directory to write (replaced whole).
    pub out: PathBuf,
    /// A cargo target dir of its own, so a build with other features never replaces the
    /// artefacts a concurrent `cargo xtask dist|test` is about to read; `None`: the workspace's.
    pub target_dir: Option<PathBuf>,
    /// HTML inserted just before `</head>` of `index.html` (empty: none).
    pub head_html: &'a str,
    /// The heading of the size report.
    pub title: &'a str,
}

impl Options<'_> {
    /// The app as shipped, written to `out`.
    pub fn app(out: PathBuf) -> Self {
        Self {
            features: &[],
            out,
            target_dir: None,
            head_html: "",
            title: "app download (what a browser fetches on first visit)",
        }
    }
}

/// A finished build.
pub struct Built {
    pub dir: PathBuf,
    /// wasm + js + css, gzip: what the download budget counts.
    pub download_gzip: u64,
}

/// Builds the app in release with `options` and writes `options.out`.
pub fn build_with(options: &Options<'_>) -> Result<Built> {
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen()?;
    let root = root();
    let dist = options.out.clone();
    let target_dir = options
        .target_dir
        .clone()
        .unwrap_or_else(|| root.join("target"));

    let mut build = cargo();
    build.args([
        "build",
        "--package",
        "kith-app",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        WASM_PROFILE,
    ]);
    let mut what = "building the app (wasm, size-optimised)".to_string();
    if !options.features.is_empty() {
        build.arg("--features").arg(options.features.join(","));
        what = format!(
            "building the app (wasm, size-optimised, features: {})",
            options.features.join(", ")
        );
    }
    if let Some(dir) = &options.target_dir {
        build.arg("--target-dir").arg(dir);
    }
    step(&what, build)?;

    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("clearing {}", dist.display()))?;
    }
    let wasm = target_dir
        .join("wasm32-unknown-unknown")
        .join(WASM_PROFILE)
        .join("kith_app.wasm");
    let mut bindgen = Command::new("wasm-bindgen");
    bindgen
        .arg(&wasm)
        // Function names are half the module's size and of no use to a user.
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--remove-name-section",
            "--remove-producers-section",
            "--out-dir",
        ])
        .arg(dist.join("pkg"));
    step("generating the JS bindings (wasm-bindgen)", bindgen)?;

    copy_dir(&root.join("public"), &dist, &|p| {
        p.file_name().is_some_and(|n| n == "sw.js")
    })?;
    if !options.head_html.is_empty() {
        insert_into_head(&dist.join("index.html"), options.head_html)?;
    }
    fs::write(
        dist.join("kith.css"),
        concatenated_styles(&root.join("style"))?,
    )?;
    let files = list_files(&dist)?;
    write_service_worker(&root.join("public/sw.js"), &dist, &files)?;
    let sizes = compress(&dist, &files)?;
    let download_gzip = report(options.title, &sizes);
    Ok(Built {
        dir: dist,
        download_gzip,
    })
}

/// Inserts `html` just before the one `</head>` of the page at `path`.
fn insert_into_head(path: &Path, html: &str) -> Result<()> {
    let page = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if page.matches("</head>").count() != 1 {
        bail!("{} must contain </head> exactly once", path.display());
    }
    fs::write(
        path,
        page.replacen("</head>", &format!("{html}\n</head>"), 1),
    )
    .with_context(|| format!("writing {}", path.display()))
}

/// `style/*.css` in file-name order (tokens first: `10-tokens.css`, `20-…`).
fn concatenated_styles(dir: &Path) -> Result<String> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|e| Ok(e?.path()))
        .collect::<Result<_>>()?;
    names.retain(|p| p.extension().is_some_and(|e| e == "css"));
    names.sort();
    let mut css = String::new();
    for path in names {
        css.push_str(&format!(
            "/* {} */\n",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
        css.push_str(
            &fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
        );
        css.push('\n');
    }
    Ok(css)
}

fn copy_dir(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        let target = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_dir(&path, &target, skip)?;
        } else if !skip(&path) {
            fs::copy(&path, &target).with_context(|| format!("copying {}", path.display()))?;
        }
    }
    Ok(())
}

/// Every file under `dist`, as URL path → bytes, in a stable order.
fn list_files(dist: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    fn walk(dir: &Path, dist: &Path, out: &mut BTreeMap<String, Vec<u8>>) -> Result<()> {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, dist, out)?;
            } else {
                let rel = path
                    .strip_prefix(dist)?
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(format!("/{rel}"), fs::read(&path)?);
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    walk(dist, dist, &mut out)?;
    Ok(out)
}

/// Writes `sw.js` with this build's id (a hash of every file, so any change installs a new
/// worker) and the list of files to precache.
fn write_service_worker(
    template: &Path,
    dist: &Path,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<()> {
    let source = fs::read_to_string(template).context("reading public/sw.js")?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    files.hash(&mut hasher);
    let build_id = format!("{:016x}", hasher.finish());
    let mut precache: Vec<&str> = vec!["/"];
    precache.extend(files.keys().map(String::as_str));
    let precache = format!(
        "[{}]",
        precache
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut worker = source;
    for (placeholder, value) in [
        ("__KITH_BUILD__", build_id.as_str()),
        ("__KITH_PRECACHE__", precache.as_str()),
    ] {
        if worker.matches(placeholder).count() != 1 {
            bail!("public/sw.js must contain {placeholder} exactly once");
        }
        worker = worker.replace(placeholder, value);
    }
    fs::write(dist.join("sw.js"), worker)?;
    println!(
        "    service worker: build {build_id}, {} files precached",
        files.len() + 1
    );
    Ok(())
}

struct Size {
    path: String,
    raw: u64,
    gzip: u64,
}

/// Writes `file.gz` next to each compressible file; returns raw and gzip sizes.
fn compress(dist: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<Vec<Size>> {
    let mut sizes = Vec::new();
    for (url, bytes) in files {
        let ext = url.rsplit('.').next().unwrap_or_default();
        if !COMPRESSED.contains(&ext) {
            continue;
        }
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(bytes)?;
        let gz = encoder.finish()?;
        fs::write(dist.join(format!("{}.gz", &url[1..])), &gz)?;
        sizes.push(Size {
            path: url.clone(),
            raw: bytes.len() as u64,
            gzip: gz.len() as u64,
        });
    }
    Ok(sizes)
}

/// Prints the sizes under `title`; returns wasm + js + css, gzip.
fn report(title: &str, sizes: &[Size]) -> u64 {
    println!("\n    {title}:");
    println!("    {:<32} {:>10} {:>10}", "file", "raw", "gzip");
    for s in sizes {
        println!("    {:<32} {:>10} {:>10}", s.path, kb(s.raw), kb(s.gzip));
    }
    let counted: Vec<&Size> = sizes
        .iter()
        .filter(|s| [".wasm", ".js", ".css"].iter().any(|e| s.path.ends_with(e)))
        .collect();
    let raw: u64 = counted.iter().map(|s| s.raw).sum();
    let gzip: u64 = counted.iter().map(|s| s.gzip).sum();
    let verdict = if gzip <= BUDGET_GZIP_BYTES {
        "within"
    } else {
        "OVER"
    };
    println!(
        "    wasm + js + css: {} raw, {} gzip — {:.0}% of the {} budget ({verdict} budget)",
        kb(raw),
        kb(gzip),
        100.0 * gzip as f64 / BUDGET_GZIP_BYTES as f64,
        kb(BUDGET_GZIP_BYTES)
    );
    gzip
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}
