//! Secrets in scripts: printed to the log (NHI420), written to the runner's
//! environment/output files or into artifacts (NHI421), and interpolated into
//! the script text by the CI system (NHI430). Reads shell lines without a
//! full shell parser: commands are split on `;`, `&&`, `||` and `|` outside
//! quotes, which is what these checks need.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::model::{Job, Step, System};
use super::names::{expressions, is_secret_name, reads_secret, secret_refs};
use super::yaml::NodeId;
use super::{Hit, Scan};

/// Lines of a script joined over trailing-backslash continuations, with
/// their byte offset in the script.
pub fn logical_lines(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' {
            let continued = i > start && b[i - 1] == b'\\';
            if !continued {
                out.push((start, &s[start..i]));
                start = i + 1;
            }
        }
        i += 1;
    }
    if start < s.len() {
        out.push((start, &s[start..]));
    }
    out
}

/// One simple command of a line: its span in the line and whether its
/// output is piped into the next command.
pub(super) struct Segment {
    pub range: Range<usize>,
    piped: bool,
}

pub(super) fn segments(line: &str) -> Vec<Segment> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let (mut single, mut double) = (false, false);
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'\\' if !single => i += 1,
            b';' | b'&' | b'|' if !single && !double => {
                let two = b.get(i + 1) == Some(&c);
                // `2>&1` and `&>` are redirections, not separators.
                let redirect =
                    c == b'&' && (i > 0 && b[i - 1] == b'>' || b.get(i + 1) == Some(&b'>'));
                if !redirect && (c != b'&' || two) {
                    out.push(Segment {
                        range: start..i,
                        piped: c == b'|' && !two,
                    });
                    i += if two { 2 } else { 1 };
                    start = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push(Segment {
        range: start..b.len(),
        piped: false,
    });
    out
}

/// The command word of a segment, skipping `VAR=x` prefixes and `sudo`.
pub(super) fn command(seg: &str) -> &str {
    for w in seg.split_whitespace() {
        if w == "sudo" || (w.contains('=') && !w.starts_with('-') && !w.starts_with('"')) {
            continue;
        }
        return w;
    }
    ""
}

fn prints(cmd: &str) -> bool {
    let c = cmd.to_ascii_lowercase();
    matches!(
        c.as_str(),
        "echo"
            | "printf"
            | "print"
            | "puts"
            | "write-host"
            | "write-output"
            | "write-information"
            | "console.log"
    )
}

/// `> target` / `>> target` in a segment: the target, raw.
fn redirect(seg: &str) -> Option<&str> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"(?:^|[^0-9&>])>>?\s*("[^"]*"|'[^']*'|\S+)"#).expect("static regex")
    });
    re.captures(seg)
        .map(|c| c.get(1).expect("group").as_str().trim_matches(['"', '\'']))
}

/// Which runner file a redirect target names, if any.
fn runner_file(target: &str) -> Option<&'static str> {
    let t = target.to_ascii_uppercase();
    [
        "GITHUB_ENV",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_PATH",
        "GITHUB_STATE",
    ]
    .into_iter()
    .find(|f| t.contains(f))
}

const CREDENTIAL_FILES: &[&str] = &[
    ".aws/credentials",
    ".docker/config.json",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    ".kube/config",
    "kubeconfig",
    "credentials.json",
    "gcloud-service-key.json",
    "service-account.json",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "KUBECONFIG",
];

/// Names of variables in scope for `step` that hold a secret.
pub fn secret_vars(scan: &Scan, job: &Job, step: &Step) -> Vec<String> {
    job.scope(step)
        .filter(|v| {
            let value = scan.doc.str(v.value).unwrap_or("");
            match scan.system {
                System::GitHub => expressions(value).iter().any(|(_, e)| reads_secret(e)),
                s => !secret_refs(s, value, &[]).is_empty() || is_secret_name(&v.name),
            }
        })
        .map(|v| v.name.clone())
        .collect()
}

/// A file a script wrote a secret into (for the artifact check).
pub struct Written {
    pub file: String,
    pub span: Range<usize>,
}

pub fn check(scan: &mut Scan, job: &Job) {
    let mut written = Vec::new();
    for step in &job.steps {
        let known = secret_vars(scan, job, step);
        // Script items of one step run in one shell: tracing carries over.
        let mut trace = Trace::default();
        for &s in &step.scripts {
            script(scan, s, &known, &mut written, &mut trace);
        }
    }
    artifacts(scan, job, &written);
}

/// `set -x` state across the scripts of one step.
#[derive(Default)]
struct Trace {
    /// Source span of the `set -x` in force.
    on: Option<Range<usize>>,
    reported: bool,
}

fn script(
    scan: &mut Scan,
    node: NodeId,
    known: &[String],
    written: &mut Vec<Written>,
    trace: &mut Trace,
) {
    let Some(value) = scan.doc.str(node).map(str::to_string) else {
        return;
    };
    let system = scan.system;
    let composite = scan.item.file_name().starts_with("action.");
    for (off, line) in logical_lines(&value) {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') && !trimmed.starts_with("##vso[") {
            continue;
        }
        if let Some(r) = xtrace_switch(line) {
            trace.on = r.map(|r| scan.sub(node, off + r.start..off + r.end));
        }
        let line_refs = secret_refs(system, line, known);
        if let (Some(at), false, Some((first, name))) =
            (trace.on.clone(), trace.reported, line_refs.first())
        {
            let use_span = scan.sub(node, off + first.start..off + first.end);
            scan.hit(
                Hit::new("NHI420", at, format!("Tracing with `set -x` logs every command, and a later line expands the secret `{}` into the trace", short(name)))
                    .key(format!("xtrace:{}", short(name)))
                    .related(use_span, "secret expanded while tracing is on"),
            );
            trace.reported = true;
        }
        let mut in_echo: Vec<Range<usize>> = Vec::new();
        for seg in segments(line) {
            let text = &line[seg.range.clone()];
            let cmd = command(text);
            let refs: Vec<_> = line_refs
                .iter()
                .filter(|(r, _)| r.start >= seg.range.start && r.end <= seg.range.end)
                .collect();
            // `echo "##vso[…]"` is an agent command, consumed, not logged;
            // `echo "::add-mask::$X"` registers X for masking: it hides it.
            let agent_command = text.contains("##vso[") || text.contains("::add-mask::");
            if prints(cmd) && !seg.piped && !agent_command {
                if let Some(target) = redirect(text) {
                    if let (Some(f), Some((r, name))) = (runner_file(target), refs.first()) {
                        let span = scan.sub(node, off + r.start..off + r.end);
                        let rule = if f == "GITHUB_STEP_SUMMARY" {
                            "NHI420"
                        } else {
                            "NHI421"
                        };
                        scan.hit(
                            Hit::new(
                                rule,
                                span,
                                format!("The secret `{}` is written to `{f}`", short(name)),
                            )
                            .key(format!("{f}:{}", short(name)))
                            .prop("target", f),
                        );
                        in_echo.push(seg.range.clone());
                    } else if let Some((r, _)) = refs.first() {
                        let span = scan.sub(node, off + r.start..off + r.end);
                        written.push(Written {
                            file: target.to_string(),
                            span,
                        });
                        in_echo.push(seg.range.clone());
                    }
                } else if let Some((r, name)) = refs.first() {
                    let span = scan.sub(node, off + r.start..off + r.end);
                    scan.hit(
                        Hit::new(
                            "NHI420",
                            span,
                            format!(
                                "Command `{cmd}` prints the secret `{}` to the job log",
                                short(name)
                            ),
                        )
                        .key(format!("print:{}", short(name))),
                    );
                    in_echo.push(seg.range.clone());
                }
            } else if cmd == "cat" && !seg.piped && redirect(text).is_none() {
                if let Some(f) = CREDENTIAL_FILES.iter().find(|f| text.contains(*f)) {
                    let i = text.find(f).unwrap_or(0) + seg.range.start;
                    let span = scan.sub(node, off + i..off + i + f.len());
                    scan.hit(
                        Hit::new(
                            "NHI420",
                            span,
                            format!(
                                "Command `cat` prints the credential file `{f}` to the job log"
                            ),
                        )
                        .key(format!("cat:{f}")),
                    );
                }
            } else if let (Some(target), Some((r, _))) = (redirect(text), refs.first()) {
                if runner_file(target).is_none() && cmd != "docker" {
                    let span = scan.sub(node, off + r.start..off + r.end);
                    written.push(Written {
                        file: target.to_string(),
                        span,
                    });
                }
            }
            if text.contains("##vso[task.setvariable")
                && !text.to_ascii_lowercase().contains("issecret=true")
            {
                if let Some((r, name)) = refs.first() {
                    let span = scan.sub(node, off + r.start..off + r.end);
                    scan.hit(Hit::new("NHI421", span, format!("The agent command `##vso[task.setvariable` re-publishes the secret `{}` as a variable that is not marked `issecret=true`", short(name))).key(format!("setvariable:{}", short(name))));
                }
            }
        }
        if system == System::GitHub {
            interpolation(scan, node, off, line, &in_echo, composite);
        }
    }
}

/// `set -x` (Some(span)) or `set +x` (Some(None)) on a line; None when neither.
fn xtrace_switch(line: &str) -> Option<Option<Range<usize>>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?:^|[;&|\s])(set\s+(?:([-+])[a-wyzA-Z]*x[a-zA-Z]*|([-+])o\s+xtrace))\b")
            .expect("static regex")
    });
    let c = re.captures(line)?;
    let on = c
        .get(2)
        .or_else(|| c.get(3))
        .is_some_and(|m| m.as_str() == "-");
    let m = c.get(1).expect("group");
    Some(on.then(|| m.start()..m.end()))
}

/// NHI430: `${{ secrets.X }}` (or, in a composite action, `${{ inputs.token }}`)
/// pasted into the script text by the runner before the shell sees it.
fn interpolation(
    scan: &mut Scan,
    node: NodeId,
    off: usize,
    line: &str,
    skip: &[Range<usize>],
    composite: bool,
) {
    for (r, expr) in expressions(line) {
        if skip.iter().any(|s| s.start <= r.start && r.end <= s.end) {
            continue;
        }
        let secret = reads_secret(expr);
        let input = composite
            && expr
                .strip_prefix("inputs.")
                .is_some_and(|n| is_secret_name(n.trim()));
        if !secret && !input {
            continue;
        }
        let span = scan.sub(node, off + r.start..off + r.end);
        let what = if secret {
            "a secret"
        } else {
            "a credential input"
        };
        scan.hit(
            Hit::new("NHI430", span, format!("The expression `{}` pastes {what} into the script text; pass it through `env:` and use the shell variable", &line[r.clone()]))
                .key(format!("interp:{expr}")),
        );
    }
}

/// NHI421: a file that received a secret is uploaded as an artifact.
fn artifacts(scan: &mut Scan, job: &Job, written: &[Written]) {
    if written.is_empty() {
        return;
    }
    for step in &job.steps {
        let Some((uses, _)) = &step.uses else {
            continue;
        };
        let u = uses.to_ascii_lowercase();
        if !(u.starts_with("actions/upload-artifact") || u == "artifacts" || u == "store_artifacts")
        {
            continue;
        }
        for v in step
            .with
            .iter()
            .filter(|v| v.name == "path" || v.name == "paths")
        {
            let mut paths: Vec<usize> = scan.doc.items(v.value).to_vec();
            if paths.is_empty() {
                paths.push(v.value);
            }
            for p in paths {
                let Some(val) = scan.doc.str(p).map(str::to_string) else {
                    continue;
                };
                for (off, line) in logical_lines(&val) {
                    let pat = line.trim().trim_start_matches("./").trim_end_matches('/');
                    if pat.is_empty() || pat.starts_with('!') {
                        continue;
                    }
                    let hit = written.iter().find(|w| {
                        let f = w.file.trim_start_matches("./");
                        pat == "."
                            || pat == "*"
                            || pat == "**"
                            || f == pat
                            || f.starts_with(&format!("{pat}/"))
                    });
                    if let Some(w) = hit {
                        let start = off + (line.len() - line.trim_start().len());
                        let span = scan.sub(p, start..start + line.trim().len());
                        scan.hit(
                            Hit::new(
                                "NHI421",
                                span,
                                format!(
                                    "The artifact uploads `{}`, which a script wrote a secret into",
                                    w.file
                                ),
                            )
                            .key(format!("artifact:{}", w.file))
                            .related(w.span.clone(), "secret written to the file here"),
                        );
                    }
                }
            }
        }
    }
}

/// A secret reference shown in messages: the expression or variable name, never a value.
fn short(name: &str) -> String {
    name.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_join() {
        let l = logical_lines("az login \\\n  -p x\necho y\n");
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].0, l[0].1.len() + 1);
    }

    #[test]
    fn segments_respect_quotes_and_pipes() {
        let s = segments(r#"echo "a|b" | docker login --password-stdin && echo x 2>&1"#);
        assert_eq!(s.len(), 3);
        assert!(s[0].piped);
        assert!(!s[1].piped);
    }

    #[test]
    fn xtrace_switches() {
        assert!(matches!(xtrace_switch("set -eux"), Some(Some(_))));
        assert!(matches!(xtrace_switch("set -o xtrace"), Some(Some(_))));
        assert!(matches!(xtrace_switch("set +x"), Some(None)));
        assert!(xtrace_switch("set -e").is_none());
        assert!(xtrace_switch("echo reset -x").is_none());
    }

    #[test]
    fn redirects() {
        assert_eq!(
            redirect(r#"echo "a=$B" >> "$GITHUB_ENV""#),
            Some("$GITHUB_ENV")
        );
        assert_eq!(redirect("echo x 2>&1"), None);
        assert_eq!(redirect("echo $K > key.json"), Some("key.json"));
    }
}
