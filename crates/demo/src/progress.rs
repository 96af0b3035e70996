//! Progress bars on the terminal (stderr; hidden when it is not a terminal): one look
//! for the city generator and the import.

use indicatif::{ProgressBar, ProgressStyle};

fn style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>12} [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta}) {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// A bar of `len` steps named `what`.
pub fn bar(len: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len as u64).with_style(style());
    pb.set_message(what.to_string());
    pb
}

/// The import's progress: a spinner while the files are read, then a bar per stage.
pub struct ImportBar(pub ProgressBar);

impl Default for ImportBar {
    fn default() -> Self {
        Self::new()
    }
}

impl ImportBar {
    pub fn new() -> Self {
        let pb = ProgressBar::new_spinner();
        pb.set_message("reading");
        pb.enable_steady_tick(std::time::Duration::from_millis(200));
        ImportBar(pb)
    }
}

impl tongxin_store::bulk::Progress for ImportBar {
    fn stage(&self, name: &'static str, total: u64) {
        if self.0.length().is_none() {
            // The first stage: the spinner becomes a bar.
            self.0.set_style(style());
        }
        self.0.set_message(name);
        self.0.set_length(total);
        self.0.set_position(0);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}
