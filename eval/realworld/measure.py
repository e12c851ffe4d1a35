#!/usr/bin/env python3
"""Precision of nhiscan on public repositories nobody here wrote.

The repositories are fetched read-only (never committed); what is committed is
the list of repositories with their commits, the labels, and this script, so
anyone with the same snapshots can re-run the measurement.

    measure.py scan   --set secrets --binary PATH --tag before
    measure.py sample --set secrets --tag before     # prints what still needs a label
    measure.py report --set secrets --tag before     # writes results/<set>-<tag>.md
    measure.py compare --set secrets --tag before --to after   # results/<set>-<tag>-vs-<to>.md

Sets: `secrets` (rules NHI1xx) and `code` (NHI2xx, NHI3xx, NHI4xx), each with
its own repos-<set>.tsv (repository, commit) and labels/<set>.jsonl.

Sampling is consistent: every finding gets the rank blake2b(seed, repo,
fingerprint) and the sample is the N lowest ranks overall plus the K lowest of
each rule. A finding that survives a change keeps its rank, so the "after"
sample reuses the "before" labels wherever the finding is the same, and only
what the change added needs reading. Overall precision is reported both over
the sample as drawn and weighted by each rule's share of all findings (the
unbiased estimate, since small rules are over-sampled by the per-rule floor).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = Path(os.environ.get("NHISCAN_EVAL_WORK", "/tmp/nhiscan-eval"))
MIRRORS = Path(os.environ.get("NHISCAN_EVAL_MIRRORS", "/work/.mirror"))
SETS = {"secrets": ("NHI1",), "code": ("NHI2", "NHI3", "NHI4")}
SEED = "nhiscan-eval-2026"
# Language of a finding, from its file name (issue 11 asks for figures per language).
LANGUAGES = {
    "Python": (".py", ".pyi"),
    "JS/TS": (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"),
    "Go": (".go",),
    "Java/Kotlin": (".java", ".kt", ".kts", ".groovy", ".scala"),
    "C#": (".cs",),
    "Ruby": (".rb",),
    "Rust": (".rs",),
    "PHP": (".php",),
    "config": (".yml", ".yaml", ".json", ".xml", ".properties", ".toml", ".env", ".example"),
    "docs": (".md", ".adoc", ".rst", ".txt", ".html"),
}


def repos(set_name):
    out = []
    for line in (HERE / f"repos-{set_name}.tsv").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            repo, commit = line.split()[:2]
            out.append((repo, commit))
    return out


def tree_dir(repo, commit):
    return WORK / "trees" / f"{repo.replace('/', '+')}@{commit[:12]}"


def export_tree(repo, commit):
    """Check out the commit from the read-only mirror into a scratch folder.

    Snapshots may lack their largest blobs (listed in the tree, absent from the
    object store). Those files are left out and named in `.missing`, so a
    scan never sees a half-written file and the gap is on record."""
    dest = tree_dir(repo, commit)
    if (dest / ".exported").exists():
        return dest
    git_dir = MIRRORS / repo.replace("/", "+") / "repo"
    if not git_dir.exists():
        sys.exit(f"no mirror for {repo} at {git_dir}: fetch it first")
    dest.mkdir(parents=True, exist_ok=True)
    git = ["git", "--git-dir", str(git_dir)]
    listing = subprocess.run(git + ["ls-tree", "-r", "-z", "--full-tree", commit],
                             stdout=subprocess.PIPE, check=True).stdout
    entries = []
    for rec in listing.split(b"\0"):
        if not rec:
            continue
        meta, path = rec.split(b"\t", 1)
        mode, kind, oid = meta.split()
        if kind == b"blob":
            entries.append((mode, oid, path.decode("utf-8", "surrogateescape")))
    batch = subprocess.Popen(git + ["cat-file", "--batch"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    missing = []
    for mode, oid, path in entries:
        batch.stdin.write(oid + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if len(header) < 3:  # "<oid> missing"
            missing.append(path)
            continue
        body = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)  # newline after the object
        target = dest / path
        if ".." in Path(path).parts:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == b"120000":
            continue  # symbolic links: not followed by a scan of a checkout either
        target.write_bytes(body)
    batch.stdin.close()
    batch.wait()
    (dest / ".missing").write_text("".join(p + "\n" for p in missing))
    if missing:
        print(f"{repo}: {len(missing)} blobs absent from the snapshot (see {dest / '.missing'})",
              file=sys.stderr)
    (dest / ".exported").touch()
    return dest


def run_file(set_name, tag, repo):
    return WORK / "runs" / set_name / tag / (repo.replace("/", "+") + ".json")


def cmd_scan(args):
    for repo, commit in repos(args.set):
        tree = export_tree(repo, commit)
        out = run_file(args.set, args.tag, repo)
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = [args.binary, "scan", str(tree), "--format", "json", "--fail-on", "none",
               "--quiet", "-o", str(out)] + args.extra
        r = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
        if r.returncode not in (0, 3):
            sys.exit(f"{repo}: exit {r.returncode}\n{r.stderr[-2000:]}")
        n = len(json.loads(out.read_text())["findings"])
        print(f"{repo}: {n} findings (exit {r.returncode})")


def excluded(x, exclude):
    """True when the finding sits under one of the REPO[:PATH-PREFIX] exclusions.

    Used to see a rule's precision without one repository or folder that
    carries it (e.g. a folder of recorded certification runs)."""
    for e in exclude:
        repo, _, prefix = e.partition(":")
        if x["repo"] == repo and x["location"]["path"].startswith(prefix):
            return True
    return False


def findings(set_name, tag, exclude=()):
    prefixes = SETS[set_name]
    out = []
    for repo, commit in repos(set_name):
        f = run_file(set_name, tag, repo)
        if not f.exists():
            sys.exit(f"no run for {repo} under tag {tag}: run `scan` first")
        for x in json.loads(f.read_text())["findings"]:
            if x["rule_id"].startswith(prefixes):
                x["repo"], x["commit"] = repo, commit
                if not excluded(x, exclude):
                    out.append(x)
    return out


def language(path):
    name = path.lower()
    if name.startswith((".github/workflows/", ".gitea/workflows/")) or name.endswith(
        (".gitlab-ci.yml", "/action.yml", "/action.yaml")) or name in ("action.yml", "action.yaml"):
        return "CI"
    for lang, exts in LANGUAGES.items():
        if name.endswith(exts):
            return lang
    return "other"


def rank(f):
    h = hashlib.blake2b(f"{SEED}\0{f['repo']}\0{f['fingerprint']}".encode(), digest_size=8)
    return h.hexdigest()


def draw(all_findings, n, per_rule, per_language=0):
    # One entry per (repo, fingerprint): the same secret at two lines is one problem.
    uniq = {}
    for f in sorted(all_findings, key=lambda f: (f["location"]["path"], f["location"]["region"]["startLine"])):
        uniq.setdefault((f["repo"], f["fingerprint"]), f)
    ranked = sorted(uniq.values(), key=rank)
    chosen = {(f["repo"], f["fingerprint"]) for f in ranked[:n]}
    by_rule = defaultdict(list)
    for f in ranked:
        by_rule[f["rule_id"]].append(f)
    for fs in by_rule.values():
        chosen.update((f["repo"], f["fingerprint"]) for f in fs[:per_rule])
    by_language = defaultdict(list)
    for f in ranked:
        by_language[language(f["location"]["path"])].append(f)
    for fs in by_language.values():
        chosen.update((f["repo"], f["fingerprint"]) for f in fs[:per_language])
    population, lang_population = defaultdict(int), defaultdict(int)
    for f in ranked:
        population[f["rule_id"]] += 1
        lang_population[language(f["location"]["path"])] += 1
    return [f for f in ranked if (f["repo"], f["fingerprint"]) in chosen], population, lang_population


def labels(set_name, tag=None):
    """(repo, fingerprint) → label. A label with a "tag" applies to that tag only
    and wins over the untagged one: a change may fix a finding's message (a
    wrong count, "never expires" on a DPoP proof) while the fingerprint stays."""
    path = HERE / "labels" / f"{set_name}.jsonl"
    out, tagged = {}, {}
    if path.exists():
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                x = json.loads(line)
                if x.get("label") not in ("TP", "FP"):
                    sys.exit(f"{path}:{i}: label must be TP or FP")
                if "tag" not in x:
                    out[(x["repo"], x["fingerprint"])] = x
                elif x["tag"] == tag:
                    tagged[(x["repo"], x["fingerprint"])] = x
    out.update(tagged)
    return out


def context(f, radius=3):
    path = tree_dir(f["repo"], f["commit"]) / f["location"]["path"]
    line = f["location"]["region"]["startLine"]
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as e:
        return f"    ({e})"
    lo, hi = max(0, line - 1 - radius), min(len(lines), line + radius)
    return "\n".join(f"  {'>' if i + 1 == line else ' '}{i + 1:5} {lines[i][:240]}" for i in range(lo, hi))


def cmd_sample(args):
    sample, _, _ = draw(findings(args.set, args.tag, args.exclude), args.n, args.per_rule, args.per_language)
    have = labels(args.set, args.tag)
    todo = [f for f in sample if (f["repo"], f["fingerprint"]) not in have]
    print(f"# {len(sample)} in the sample, {len(todo)} without a label", file=sys.stderr)
    for f in todo:
        print(json.dumps({
            "repo": f["repo"], "fingerprint": f["fingerprint"], "rule": f["rule_id"],
            "path": f["location"]["path"], "line": f["location"]["region"]["startLine"],
            "label": "", "reason": "",
        }))
        if args.context:
            print(f"  # {f['message']}  [confidence {f['confidence']}]")
            print(context(f))


def cmd_report(args):
    sample, population, lang_population = draw(findings(args.set, args.tag, args.exclude), args.n, args.per_rule,
                                               args.per_language)
    have = labels(args.set, args.tag)
    per = defaultdict(lambda: [0, 0, 0])  # tp, fp, unlabeled
    per_lang = defaultdict(lambda: [0, 0, 0])
    for f in sample:
        x = have.get((f["repo"], f["fingerprint"]))
        slot = 2 if x is None else (0 if x["label"] == "TP" else 1)
        per[f["rule_id"]][slot] += 1
        per_lang[language(f["location"]["path"])][slot] += 1
    rows = ["| rule | findings | sampled | TP | FP | unlabeled | precision |", "|---|---|---|---|---|---|---|"]
    tp_all = fp_all = un_all = 0
    weighted = weight = 0.0
    for rule in sorted(population):
        tp, fp, un = per[rule]
        tp_all, fp_all, un_all = tp_all + tp, fp_all + fp, un_all + un
        p = tp / (tp + fp) if tp + fp else None
        if p is not None:
            weighted += p * population[rule]
            weight += population[rule]
        rows.append(f"| {rule} | {population[rule]} | {tp + fp + un} | {tp} | {fp} | {un} | "
                    f"{'-' if p is None else f'{p:.2f}'} |")
    # Where the sample sits: one repository (or one folder of logs) can carry a
    # rule's figure, and a reader should see it.
    by_repo = defaultdict(lambda: [0, 0])
    for f in sample:
        x = have.get((f["repo"], f["fingerprint"]))
        if x is not None:
            by_repo[(f["repo"], f["rule_id"])][0 if x["label"] == "TP" else 1] += 1
    repo_rows = ["| repository | rule | TP | FP |", "|---|---|---|---|"] + [
        f"| {r} | {rule} | {tp} | {fp} |" for (r, rule), (tp, fp) in sorted(by_repo.items())]
    overall = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
    lang_rows = ["| language | findings | sampled | TP | FP | unlabeled | precision |",
                 "|---|---|---|---|---|---|---|"]
    for lang in sorted(lang_population):
        tp, fp, un = per_lang[lang]
        p = tp / (tp + fp) if tp + fp else None
        lang_rows.append(f"| {lang} | {lang_population[lang]} | {tp + fp + un} | {tp} | {fp} | {un} | "
                         f"{'-' if p is None else f'{p:.2f}'} |")
    text = "\n".join([
        f"# {args.set} / {args.tag}",
        "",
        f"Repositories: {len(repos(args.set))}; findings in scope: {sum(population.values())} "
        f"(distinct by repository and fingerprint); sample: {len(sample)} "
        f"({floors(args)}; seed `{SEED}`).",
        "",
        *([f"Excluded (repository[:path prefix]): {', '.join(f'`{e}`' for e in args.exclude)}; "
           "the sample is drawn from what is left.", ""] if args.exclude else []),
        f"Precision over the sample: **{overall:.3f}** ({tp_all} TP, {fp_all} FP, {un_all} unlabeled); "
        f"weighted by each rule's share of all findings: **{(weighted / weight if weight else 0):.3f}**.",
        "",
        *rows,
        "",
        "Per language (from the file name; `CI` is workflow and pipeline files, `config` other "
        "YAML/JSON/XML, `docs` prose). Precision here is over the sample as drawn:",
        "",
        *lang_rows,
        "",
        "By repository (labelled findings of the sample):",
        "",
        *repo_rows,
        "",
    ])
    out = HERE / "results" / f"{args.set}-{args.tag}{suffix(args)}.md"
    out.write_text(text)
    print(text)


def floors(args):
    text = f"the {args.n} lowest ranks plus the {args.per_rule} lowest of each rule"
    return text + (f" and the {args.per_language} lowest of each language" if args.per_language else "")


def suffix(args):
    return "-excluding" if args.exclude else ""


def per_rule(set_name, tag, n, per_rule_floor, per_language=0, exclude=()):
    """rule → (population, tp, fp, unlabeled) for one tag's sample."""
    sample, population, _ = draw(findings(set_name, tag, exclude), n, per_rule_floor, per_language)
    have = labels(set_name, tag)
    out = {r: [population[r], 0, 0, 0] for r in population}
    for f in sample:
        x = have.get((f["repo"], f["fingerprint"]))
        out[f["rule_id"]][3 if x is None else (1 if x["label"] == "TP" else 2)] += 1
    return out


def cmd_compare(args):
    a = per_rule(args.set, args.tag, args.n, args.per_rule, args.per_language, args.exclude)
    b = per_rule(args.set, args.to, args.n, args.per_rule, args.per_language, args.exclude)
    prec = lambda tp, fp: "-" if tp + fp == 0 else f"{tp / (tp + fp):.2f}"
    rows = [f"| rule | {args.tag}: findings | TP | FP | unlabeled | precision | {args.to}: findings | TP | FP | unlabeled | precision |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    totals = [0] * 8
    for rule in sorted(set(a) | set(b)):
        pa, ta, fa, ua = a.get(rule, [0, 0, 0, 0])
        pb, tb, fb, ub = b.get(rule, [0, 0, 0, 0])
        for i, v in enumerate((pa, ta, fa, ua, pb, tb, fb, ub)):
            totals[i] += v
        rows.append(f"| {rule} | {pa} | {ta} | {fa} | {ua} | {prec(ta, fa)} | {pb} | {tb} | {fb} | {ub} | {prec(tb, fb)} |")
    pa, ta, fa, ua, pb, tb, fb, ub = totals
    rows.append(f"| all | {pa} | {ta} | {fa} | {ua} | {prec(ta, fa)} | {pb} | {tb} | {fb} | {ub} | {prec(tb, fb)} |")
    # True findings of the first run that the second no longer reports (same
    # repository and fingerprint): what a precision change cost in recall.
    after_keys = {(f["repo"], f["fingerprint"]) for f in findings(args.set, args.to, args.exclude)}
    lost = [x for x in labels(args.set, args.tag).values() if x["label"] == "TP"
            and (x["repo"], x["fingerprint"]) in {(f["repo"], f["fingerprint"]) for f in findings(args.set, args.tag, args.exclude)}
            and (x["repo"], x["fingerprint"]) not in after_keys]
    rows += ["", f"Labelled true findings of {args.tag} that {args.to} no longer reports under the same "
                 f"fingerprint (dropped, or reported under another rule): {len(lost)}",
             *[f"- {x['repo']} {x['path']}:{x['line']} {x['rule']} ({x['reason']})" for x in lost[:50]]]
    text = "\n".join([f"# {args.set}: {args.tag} vs {args.to}", "",
                      "Findings are distinct by repository and fingerprint; TP/FP over each tag's sample "
                      f"({floors(args)}).", "",
                      *([f"Excluded (repository[:path prefix]): {', '.join(f'`{e}`' for e in args.exclude)}.", ""]
                        if args.exclude else []), *rows, ""])
    out = HERE / "results" / f"{args.set}-{args.tag}-vs-{args.to}{suffix(args)}.md"
    out.write_text(text)
    print(text)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("scan", "sample", "report", "compare"):
        s = sub.add_parser(name)
        s.add_argument("--set", required=True, choices=sorted(SETS))
        s.add_argument("--tag", required=True, help="e.g. before, after")
        if name == "scan":
            s.add_argument("--binary", required=True)
            s.add_argument("extra", nargs="*", help="more nhiscan flags (after --)")
        else:
            s.add_argument("--n", type=int, default=400)
            s.add_argument("--per-rule", type=int, default=15)
            s.add_argument("--per-language", type=int, default=0,
                           help="also the K lowest ranks of each language (the code set uses 10)")
            s.add_argument("--exclude", action="append", default=[], metavar="REPO[:PATH-PREFIX]",
                           help="leave these findings out before drawing (repeatable)")
        if name == "compare":
            s.add_argument("--to", required=True, help="the other tag, e.g. after")
        if name == "sample":
            s.add_argument("--context", action="store_true", help="show the lines around each finding")
    args = p.parse_args()
    {"scan": cmd_scan, "sample": cmd_sample, "report": cmd_report, "compare": cmd_compare}[args.cmd](args)


if __name__ == "__main__":
    main()
