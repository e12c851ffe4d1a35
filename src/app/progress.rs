//! A progress line on stderr (items, bytes) while a scan runs, only when
//! stderr is a terminal and --quiet is not given.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::Counters;

pub struct Progress {
    bar: Option<ProgressBar>,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub fn start(quiet: bool, counters: Arc<Counters>) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                stop: None,
                thread: None,
            };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("static template"),
        );
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let b = bar.clone();
        // Counters are read by a separate thread so workers never format text.
        let thread = std::thread::spawn(move || loop {
            let items = counters.items.load(Ordering::Relaxed);
            let bytes = counters.bytes.load(Ordering::Relaxed);
            b.set_message(format!(
                "{items} items, {:.1} MiB scanned",
                bytes as f64 / (1024.0 * 1024.0)
            ));
            b.tick();
            if rx.recv_timeout(Duration::from_millis(120)).is_ok() {
                break;
            }
        });
        Progress {
            bar: Some(bar),
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn finish(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
