//! JavaScript/TypeScript: jsonwebtoken `verify` and jose `jwtVerify`.

use super::query::{Code, Span};
use super::util::{call_span, fn_calls, has_none_alg, method_calls};
use super::Hit;

/// Names the file binds to module `module`: default/namespace imports and
/// `require` results (as receivers), and named imports of `export` (as functions).
fn bindings(c: &Code, module: &str, export: &str) -> (Vec<String>, Vec<String>) {
    let mut recv = Vec::new();
    let mut funcs = Vec::new();
    for i in 0..c.len() {
        if c.str_value(i) != Some(module) {
            continue;
        }
        // `require('m')` / `import('m')`: the name assigned just before.
        if c.is(i.wrapping_sub(1), "(") && matches!(c.text(i.wrapping_sub(2)), "require") {
            if c.is(i.wrapping_sub(3), "=") && c.is_ident(i.wrapping_sub(4)) {
                recv.push(c.text(i - 4).to_string());
            }
            if c.is(i.wrapping_sub(3), "=") && c.is(i.wrapping_sub(4), "}") {
                let open = c.close(i - 4);
                named(c, open, export, &mut funcs);
            }
            continue;
        }
        if !c.is(i.wrapping_sub(1), "from") {
            continue;
        }
        // Walk back over the import clause to `import`.
        let mut j = i - 1;
        while j > 0 && !c.is(j, "import") {
            j -= 1;
            if c.is(j, "}") {
                named(c, c.close(j), export, &mut funcs);
                j = c.close(j);
            }
        }
        let mut k = j + 1;
        if c.is(k, "type") {
            k += 1;
        }
        if c.is(k, "*") && c.is(k + 1, "as") {
            recv.push(c.text(k + 2).to_string());
        } else if c.is_ident(k) && !c.is(k, "{") {
            recv.push(c.text(k).to_string());
        }
    }
    (recv, funcs)
}

fn named(c: &Code, open: usize, export: &str, out: &mut Vec<String>) {
    for a in c.args(open) {
        if c.text(a.start) == export {
            let local = if c.is(a.start + 1, "as") || c.is(a.start + 1, ":") {
                c.text(a.start + 2)
            } else {
                export
            };
            out.push(local.to_string());
        }
    }
}

fn calls(c: &Code, module: &str, export: &str) -> Vec<(usize, usize)> {
    let (recv, funcs) = bindings(c, module, export);
    let mut out = Vec::new();
    for r in &recv {
        out.extend(
            method_calls(c, r, export)
                .into_iter()
                .map(|(n, o)| (n - 2, o)),
        );
    }
    for f in &funcs {
        out.extend(fn_calls(c, f));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The options object of a call, if the argument at `idx` is (or names) one.
/// `Err(())`: there is an argument but it cannot be read (a parameter, a spread).
fn options(c: &Code, args: &[Span], idx: usize, at: usize) -> Result<Option<usize>, ()> {
    let Some(a) = args.get(idx) else {
        return Ok(None);
    };
    // A callback in the options position: no options.
    if c.is(a.start, "function") || c.is(a.start, "async") || a.clone().any(|i| c.is(i, "=>")) {
        return Ok(None);
    }
    let v = c.deref(a.clone(), at);
    c.literal_open(&v)
        .filter(|&o| c.is(o, "{"))
        .map(Some)
        .ok_or(())
}

pub fn check(c: &Code, hits: &mut Vec<Hit>) {
    for (start, open) in calls(c, "jsonwebtoken", "verify") {
        let args = c.args(open);
        let span = call_span(c, start, open);
        let Ok(opts) = options(c, &args, 2, start) else {
            continue;
        };
        if let Some(algs) = opts
            .and_then(|o| c.field(o, "algorithms"))
            .map(|v| c.deref(v, start))
        {
            if has_none_alg(c, &algs) {
                hits.push(Hit::new(
                    "NHI303",
                    span.clone(),
                    "jsonwebtoken verify accepts algorithm \"none\"",
                ));
            }
        }
        if opts.and_then(|o| c.field(o, "audience")).is_none() {
            hits.push(Hit::new(
                "NHI304",
                span,
                "jsonwebtoken verify without an `audience` option: any audience is accepted",
            ));
        }
    }
    for (start, open) in calls(c, "jose", "jwtVerify") {
        let args = c.args(open);
        let Ok(opts) = options(c, &args, 2, start) else {
            continue;
        };
        if opts.and_then(|o| c.field(o, "audience")).is_none() {
            hits.push(Hit::new(
                "NHI304",
                call_span(c, start, open),
                "jose jwtVerify without an `audience` option: any audience is accepted",
            ));
        }
    }
    let (ns, named_unsecured) = bindings(c, "jose", "UnsecuredJWT");
    if !ns.is_empty() || !named_unsecured.is_empty() {
        for i in c.find_all(&["UnsecuredJWT", ".", "decode", "("]) {
            hits.push(Hit::new(
                "NHI303",
                call_span(c, i, i + 3),
                "jose UnsecuredJWT.decode accepts unsigned (alg \"none\") tokens",
            ));
        }
    }
}
