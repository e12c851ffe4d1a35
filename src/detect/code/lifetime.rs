//! How long is this? Evaluates the expressions code uses for a token's
//! expiry — `now + 3600`, `timedelta(hours=1)`, `Duration.ofHours(1)`,
//! `24 * time.Hour`, `'2h'`, `new Date(now.getTime() + 3600 * 1000)` — to
//! seconds, following a variable one or two assignments back.

use std::sync::LazyLock;

use regex::Regex;

use super::lexer::{Kind, Lang};
use super::query::{Code, Span};

/// What the expression means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A point in time (`exp`): only the part added to "now" counts.
    Absolute,
    /// A duration (`expiresIn`, `expires_in`, Go `Expires`).
    Relative,
}

/// No lifetime is this long: a value past it is a point in time written as
/// epoch seconds (`1_700_000_000 + lifetime` in a test), not a duration.
const MAX_LIFETIME: f64 = 1.0e9; // about 31 years

/// Seconds the expression at `span` adds to now, if it can be told.
pub fn seconds(c: &Code, span: &Span, mode: Mode) -> Option<f64> {
    eval(c, span, mode, 0).filter(|s| s.abs() < MAX_LIFETIME)
}

fn eval(c: &Code, span: &Span, mode: Mode, depth: u8) -> Option<f64> {
    if span.is_empty() {
        return None;
    }
    // A lone literal.
    if span.len() == 1 {
        let i = span.start;
        if let Some(s) = c.str_value(i) {
            return relative_string(s, c.lang);
        }
        if c.kind(i) == Some(Kind::Num) {
            return (mode == Mode::Relative)
                .then(|| number(c.text(i)))
                .flatten();
        }
    }
    // A duration that is a product of literals: `50 * 60`, `(24 * 3600)`.
    if mode == Mode::Relative {
        if let Some(v) = arith(c, span) {
            return Some(v);
        }
    }
    let mut total = 0.0;
    let mut found = false;
    let ms = millis_context(c, span);
    let mut i = span.start;
    while i < span.end {
        if let Some((secs, next)) = unit_term(c, i, span.end) {
            // `time.Now().Add(-time.Hour)`, `now - timedelta(hours=1)`: a
            // deliberately expired token, not a long lifetime.
            total += if negated(c, i) { -secs } else { secs };
            found = true;
            i = next;
            continue;
        }
        // `+ 3600`, `+ 60 * 60`, `3600 +`: a number added to something.
        if c.is(i, "+") {
            if let Some((n, next)) = product(c, i + 1, span.end) {
                total += if ms { n / 1000.0 } else { n };
                found = true;
                i = next;
                continue;
            }
        }
        if c.kind(i) == Some(Kind::Num)
            && c.is(i + 1, "+")
            && (i == span.start || !c.is(i - 1, "*"))
        {
            if let Some((n, next)) = product(c, i, span.end) {
                if c.is(next, "+") {
                    total += if ms { n / 1000.0 } else { n };
                    found = true;
                    i = next + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    if found {
        return Some(total);
    }
    if depth >= 2 {
        return None;
    }
    // Follow identifiers: `now + LIFETIME`, `"exp": expires_at`, `Expires: ttl`,
    // and class constants read through the class or instance (`JWT.EXPIRATION`,
    // `self.LIFETIME`, `Constants.TTL` defined in the same file).
    for i in span.clone() {
        let member_const = i >= 2
            && (c.is(i - 1, ".") || c.is(i - 1, "::"))
            && c.is_ident(i - 2)
            && is_constant(c.text(i));
        // `span.TotalSeconds` (C#): the span's own value.
        let total = c.is(i + 1, ".") && matches!(c.text(i + 2), "TotalSeconds" | "TotalMinutes");
        if !c.is_ident(i)
            || c.is(i + 1, "(")
            || (c.is(i + 1, ".") && !total)
            || (!member_const && i > 0 && (c.is(i - 1, ".") || c.is(i - 1, "->")))
        {
            continue;
        }
        let Some(v) = c.resolve(c.text(i), span.start) else {
            continue;
        };
        // Where the reference starts (`JWT.` in `JWT.EXPIRATION`).
        let first = if member_const { i - 2 } else { i };
        let addend = (first > span.start && c.is(first - 1, "+"))
            || c.is(i + 1, "+")
            || c.is(i + 1, "*")
            || (first > span.start && c.is(first - 1, "*"))
            || span.len() == 1 && mode == Mode::Relative
            || member_const && span.len() == 3 && mode == Mode::Relative;
        let m = if addend { Mode::Relative } else { mode };
        if let Some(s) = eval(c, &v, m, depth + 1) {
            // `LIFETIME * 1000`, `60 * TTL_MINUTES`: literal factors beside the name.
            let mut times = 1.0;
            let mut j = i + 1;
            while j + 1 < span.end && c.is(j, "*") && c.kind(j + 1) == Some(Kind::Num) {
                times *= number(c.text(j + 1)).unwrap_or(1.0);
                j += 2;
            }
            let mut k = first;
            while k >= span.start + 2 && c.is(k - 1, "*") && c.kind(k - 2) == Some(Kind::Num) {
                times *= number(c.text(k - 2)).unwrap_or(1.0);
                k -= 2;
            }
            let raw = s * times;
            let scaled = if addend && ms && c.kind(v.start) == Some(Kind::Num) {
                raw / 1000.0
            } else {
                raw
            };
            return Some(if negated(c, k) { -scaled } else { scaled });
        }
    }
    None
}

/// An UPPER_CASE name: a constant.
fn is_constant(name: &str) -> bool {
    name.len() > 1
        && name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The term starting at `i` is subtracted or negated: a `-` before it, or
/// before the `n *` that multiplies it.
fn negated(c: &Code, i: usize) -> bool {
    let start = if i >= 2 && c.is(i - 1, "*") { i - 2 } else { i };
    start > 0 && c.is(start - 1, "-")
}

/// The expression counts milliseconds (`Date.now()`, `getTime()`,
/// `currentTimeMillis()`) and does not divide by 1000 first.
fn millis_context(c: &Code, span: &Span) -> bool {
    let ms = span.clone().any(|i| {
        matches!(
            c.text(i),
            "getTime" | "currentTimeMillis" | "UnixMilli" | "toEpochMilli"
        ) || (c.seq(i, &["Date", ".", "now"]))
            // `new Date(now + 3600 * 1000)`: Java's and JavaScript's Date take milliseconds.
            || (c.lang != Lang::Python && c.seq(i, &["Date", "("]) && !c.is(i.wrapping_sub(1), "."))
    });
    let divided = span
        .clone()
        .any(|i| c.is(i, "/") && c.text(i + 1) == "1000");
    ms && !divided
}

fn number(t: &str) -> Option<f64> {
    let t: String = t.chars().filter(|&ch| ch != '_').collect();
    let t = t.trim_end_matches(|ch: char| ch.is_ascii_alphabetic());
    t.parse::<f64>().ok()
}

/// `N`, `N * M * …`, `(N * M)`: a product of numeric literals from `i`.
fn product(c: &Code, i: usize, end: usize) -> Option<(f64, usize)> {
    let (mut v, mut j) = factor(c, i, end)?;
    while j + 1 < end && c.is(j, "*") {
        let Some((f, next)) = factor(c, j + 1, end) else {
            break;
        };
        v *= f;
        j = next;
    }
    // `3600 * time.Second` and `60.minutes` are unit terms, not bare numbers.
    if c.is(j, "*") || c.is(j, ".") {
        return None;
    }
    Some((v, j))
}

fn factor(c: &Code, i: usize, end: usize) -> Option<(f64, usize)> {
    if i >= end {
        return None;
    }
    if c.kind(i) == Some(Kind::Num) {
        return Some((number(c.text(i))?, i + 1));
    }
    if c.is(i, "(") {
        let close = c.close(i);
        let (v, j) = product(c, i + 1, close)?;
        return (j == close).then_some((v, close + 1));
    }
    None
}

/// Seconds per unit for method and function names that build durations.
fn unit_of(name: &str) -> Option<f64> {
    Some(match name {
        "ofSeconds" | "plusSeconds" | "AddSeconds" | "FromSeconds" | "from_secs" | "seconds"
        | "Seconds" | "secs" | "second" | "try_seconds" => 1.0,
        "ofMinutes" | "plusMinutes" | "AddMinutes" | "FromMinutes" | "from_mins" | "minutes"
        | "Minutes" | "minute" | "try_minutes" => 60.0,
        "ofHours" | "plusHours" | "AddHours" | "FromHours" | "from_hours" | "hours" | "Hours"
        | "hour" | "try_hours" => 3600.0,
        "ofDays" | "plusDays" | "AddDays" | "FromDays" | "from_days" | "days" | "Days" | "day" => {
            86400.0
        }
        "weeks" | "week" | "ofWeeks" | "plusWeeks" => 604800.0,
        "ofMillis" | "plusMillis" | "AddMilliseconds" | "FromMilliseconds" | "from_millis"
        | "milliseconds" => 0.001,
        _ => return None,
    })
}

fn chrono_unit(name: &str) -> Option<f64> {
    Some(match name {
        "SECONDS" => 1.0,
        "MINUTES" => 60.0,
        "HOURS" => 3600.0,
        "DAYS" => 86400.0,
        "MILLIS" | "MILLISECONDS" => 0.001,
        _ => return None,
    })
}

fn go_unit(name: &str) -> Option<f64> {
    Some(match name {
        "Second" => 1.0,
        "Minute" => 60.0,
        "Hour" => 3600.0,
        "Millisecond" => 0.001,
        _ => return None,
    })
}

/// A duration-building term at `i`: (seconds, index after it).
fn unit_term(c: &Code, i: usize, end: usize) -> Option<(f64, usize)> {
    let name = c.text(i);
    if !c.is_ident(i) && c.kind(i) != Some(Kind::Num) {
        return None;
    }
    // Python timedelta / dateutil relativedelta.
    if matches!(name, "timedelta" | "relativedelta") && c.is(i + 1, "(") {
        let open = i + 1;
        let mut secs = 0.0;
        let args = c.args(open);
        for (k, a) in args.iter().enumerate() {
            let (unit, val) = match c.is(a.start + 1, "=") {
                true => (c.text(a.start), a.start + 2..a.end),
                false if k == 0 => ("days", a.clone()),
                false => ("seconds", a.clone()),
            };
            let per = match unit {
                "weeks" => 604800.0,
                "days" => 86400.0,
                "hours" => 3600.0,
                "minutes" => 60.0,
                "seconds" => 1.0,
                "milliseconds" => 0.001,
                _ => continue,
            };
            secs += per * arith(c, &val)?;
        }
        return Some((secs, c.close(open) + 1));
    }
    // `.plus(50, ChronoUnit.MINUTES)`, `Instant.now().plus(1, HOURS)`.
    if name == "plus" && c.is(i + 1, "(") {
        let args = c.args(i + 1);
        if args.len() == 2 {
            let unit = c.text(args[1].end - 1);
            if let (Some(n), Some(per)) = (arith(c, &args[0]), chrono_unit(unit)) {
                return Some((n * per, c.close(i + 1) + 1));
            }
        }
    }
    // PHP strtotime('+1 hour'), DateTime::modify('+1 hour'), DateInterval('PT1H'), Duration.parse("PT1H").
    if matches!(
        name,
        "strtotime" | "modify" | "DateInterval" | "parse" | "add"
    ) && c.is(i + 1, "(")
    {
        let args = c.args(i + 1);
        if let Some(s) = args
            .first()
            .filter(|a| a.len() == 1)
            .and_then(|a| c.str_value(a.start))
        {
            if let Some(v) = relative_string(s, Lang::Php).or_else(|| iso_duration(s)) {
                return Some((v, c.close(i + 1) + 1));
            }
        }
    }
    // Duration.ofHours(1), now.AddHours(1), Duration::from_secs(3600), chrono::Duration::hours(1).
    if let Some(per) = unit_of(name) {
        if c.is(i + 1, "(") && (i > 0 && (c.is(i - 1, ".") || c.is(i - 1, "::"))) {
            let args = c.args(i + 1);
            if args.len() == 1 {
                let n = arith(c, &args[0]).or_else(|| {
                    let v = c.deref(args[0].clone(), i);
                    arith(c, &v)
                })?;
                return Some((n * per, c.close(i + 1) + 1));
            }
        }
        // Ruby `1.hour`, Kotlin `1.hours` / `60.minutes`, Rails `2.hours.from_now`.
        if i >= 2 && c.is(i - 1, ".") && c.kind(i - 2) == Some(Kind::Num) {
            return None; // handled from the number below
        }
    }
    if c.kind(i) == Some(Kind::Num) && c.is(i + 1, ".") {
        if let Some(per) = unit_of(c.text(i + 2)) {
            return Some((number(name)? * per, i + 3));
        }
    }
    // Go: `time.Hour`, `24 * time.Hour`, `time.Duration(n) * time.Minute`.
    if name == "time" && c.is(i + 1, ".") {
        if let Some(per) = go_unit(c.text(i + 2)) {
            let mut n = 1.0;
            let mut after = i + 3;
            if i >= 2 && c.is(i - 1, "*") {
                if let Some(v) = c
                    .kind(i - 2)
                    .filter(|k| *k == Kind::Num)
                    .and(number(c.text(i - 2)))
                {
                    n = v;
                    // `365 * 24 * time.Hour`: every literal factor before it.
                    let mut k = i - 2;
                    while k >= 2 && c.is(k - 1, "*") && c.kind(k - 2) == Some(Kind::Num) {
                        n *= number(c.text(k - 2)).unwrap_or(1.0);
                        k -= 2;
                    }
                } else if c.is(i - 2, ")") {
                    let open = c.close(i - 2);
                    if let Some(v) = arith(c, &(open + 1..i - 2)) {
                        n = v;
                    }
                }
            }
            if c.is(after, "*") && c.kind(after + 1) == Some(Kind::Num) {
                n *= number(c.text(after + 1))?;
                after += 2;
            }
            return Some((n * per, after.min(end.max(after))));
        }
    }
    None
}

/// A product of numeric literals making up all of `span`.
fn arith(c: &Code, span: &Span) -> Option<f64> {
    let (v, j) = product(c, span.start, span.end)?;
    (j == span.end).then_some(v)
}

static REL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*\+?\s*(\d+(?:\.\d+)?)\s*(ms|msecs?|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|yrs?|years?)?\s*$")
        .expect("static regex")
});

/// `'2h'`, `'30 minutes'`, `'+1 hour'`, `'3600'` (vercel/ms, jose, strtotime).
pub fn relative_string(s: &str, lang: Lang) -> Option<f64> {
    let cap = REL.captures(s)?;
    let n: f64 = cap[1].parse().ok()?;
    let unit = cap.get(2).map_or("", |m| m.as_str()).to_ascii_lowercase();
    let per = match unit.as_str() {
        // A bare number in a string is milliseconds to vercel/ms (jsonwebtoken).
        "" if lang == Lang::JavaScript => 0.001,
        "" => 1.0,
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 0.001,
        u if u.starts_with('s') => 1.0,
        u if u.starts_with('m') => 60.0,
        u if u.starts_with('h') => 3600.0,
        u if u.starts_with('d') => 86400.0,
        u if u.starts_with('w') => 604800.0,
        _ => 31_557_600.0,
    };
    Some(n * per)
}

fn iso_duration(s: &str) -> Option<f64> {
    let rest = s.strip_prefix("PT")?;
    let mut total = 0.0;
    let mut num = String::new();
    for ch in rest.chars() {
        if ch.is_ascii_digit() || ch == '.' {
            num.push(ch);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match ch {
            'H' => 3600.0,
            'M' => 60.0,
            'S' => 1.0,
            _ => return None,
        };
    }
    num.is_empty().then_some(total)
}

/// `3600` → "1 h", `86400` → "24 h", `600` → "10 min", `90` → "90 s".
pub fn human(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_src(src: &str, lang: Lang, mode: Mode) -> Option<f64> {
        let c = Code::new(src, lang);
        seconds(&c, &(0..c.len()), mode)
    }

    #[test]
    fn epoch_timestamps_are_not_lifetimes() {
        assert_eq!(
            eval_src("exp = 1_700_000_000 + lifetime", Lang::Rust, Mode::Absolute),
            None
        );
        assert_eq!(
            eval_src("exp = 1700000100", Lang::Python, Mode::Absolute),
            None
        );
    }

    #[test]
    fn common_forms() {
        use Lang::*;
        use Mode::*;
        let cases: &[(&str, Lang, Mode, f64)] = &[
            ("int(time.time()) + 86400", Python, Absolute, 86400.0),
            (
                "datetime.utcnow() + timedelta(hours=1)",
                Python,
                Absolute,
                3600.0,
            ),
            (
                "now + timedelta(minutes=5, seconds=30)",
                Python,
                Absolute,
                330.0,
            ),
            (
                "Math.floor(Date.now() / 1000) + 60 * 60",
                JavaScript,
                Absolute,
                3600.0,
            ),
            (
                "new Date(now.getTime() + 3600 * 1000)",
                JavaScript,
                Absolute,
                3600.0,
            ),
            ("'2h'", JavaScript, Relative, 7200.0),
            ("3600", JavaScript, Relative, 3600.0),
            (
                "jwt.NewNumericDate(time.Now().Add(24 * time.Hour))",
                Go,
                Absolute,
                86400.0,
            ),
            ("time.Hour", Go, Relative, 3600.0),
            (
                "Date.from(Instant.now().plus(Duration.ofHours(1)))",
                Java,
                Absolute,
                3600.0,
            ),
            (
                "Date.from(now.plus(50, ChronoUnit.MINUTES))",
                Java,
                Absolute,
                3000.0,
            ),
            (
                "new Date(System.currentTimeMillis() + 3600 * 1000)",
                Java,
                Absolute,
                3600.0,
            ),
            ("DateTime.UtcNow.AddMinutes(60)", CSharp, Absolute, 3600.0),
            ("now + Duration::from_secs(600)", Rust, Absolute, 600.0),
            ("Time.now.to_i + 3600", Ruby, Absolute, 3600.0),
            ("1.hour.from_now.to_i", Ruby, Absolute, 3600.0),
            ("time() + 3600", Php, Absolute, 3600.0),
            ("strtotime('+1 hour')", Php, Absolute, 3600.0),
            ("time.Now().Add(-time.Hour)", Go, Absolute, -3600.0),
            ("time.Now().Add(-2 * time.Hour)", Go, Absolute, -7200.0),
            (
                "time.Now().Add(365 * 24 * time.Hour)",
                Go,
                Absolute,
                31_536_000.0,
            ),
            (
                "datetime.utcnow() - timedelta(hours=1)",
                Python,
                Absolute,
                -3600.0,
            ),
        ];
        for (src, lang, mode, want) in cases {
            assert_eq!(eval_src(src, *lang, *mode), Some(*want), "{src}");
        }
        assert_eq!(eval_src("now", Python, Absolute), None);
        assert_eq!(eval_src("claims.exp", JavaScript, Absolute), None);
    }

    #[test]
    fn class_constants_and_millisecond_dates() {
        let src = "class JWT:\n    EXPIRATION = 50 * 60\n    def f(self):\n        t = int(time.time())\n        e = t + JWT.EXPIRATION\n        x = {'exp': e}\n";
        let c = Code::new(src, Lang::Python);
        let at = (0..c.len()).rev().find(|&i| c.is(i, "e")).unwrap();
        assert_eq!(seconds(&c, &(at..at + 1), Mode::Absolute), Some(3000.0));
        let src = "class A { static final long TTL = 600; void f() { long now = System.currentTimeMillis(); b.expirationTime(new Date(now + TTL * 1000)); } }";
        let c = Code::new(src, Lang::Java);
        let d = c.find_all(&["new", "Date"])[0];
        let end = c.close(d + 2) + 1;
        assert_eq!(seconds(&c, &(d..end), Mode::Absolute), Some(600.0));
    }

    #[test]
    fn follows_variables() {
        let src = "LIFETIME = 3600\ndef f():\n    now = int(time.time())\n    x = {'exp': now + LIFETIME}\n";
        let c = Code::new(src, Lang::Python);
        let plus = c.find_all(&["now", "+"]).into_iter().last().unwrap();
        assert_eq!(seconds(&c, &(plus..plus + 3), Mode::Absolute), Some(3600.0));
    }
}
