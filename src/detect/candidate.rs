//! The shared candidate filter for regex rules that match `key = value`
//! (rule key `value: literal`): is the value a literal that can be a secret,
//! or a reference to one stored elsewhere?
//!
//! Real repositories name their OAuth secrets everywhere they *handle* them:
//! `self.client_secret = client_secret`, `ClientSecret: c.ClientSecret`,
//! `clientSecret := r.PostFormValue("client_secret")`,
//! `builder.Configuration["Auth:ClientSecret"]`. A pattern sees `key = value`
//! in all of them; only the syntax of the file tells a literal from an
//! identifier. So:
//! - in code the lexer decides ([`super::code::lexer`], nine languages): the
//!   value must sit in a string (or number) literal, and be the whole literal
//!   unless the key sits in the same literal (`"…&client_secret=…"` form
//!   bodies, YAML in a test string). In a comment the value must be
//!   credential-shaped: a leaked secret pasted into a comment still counts,
//!   `clientSecret: GITHUB_CLIENT_SECRET` in a doc comment does not.
//! - in configuration and text files (YAML, JSON, TOML, `.env`, properties,
//!   INI, HCL, Markdown …) every value is a literal unless it is shaped like
//!   a reference: a call or index (`f(`, `a[`), a member access chain
//!   (`c.ClientSecret`, `var.client_secret`), an `ALL_CAPS_ENV_NAME`, a format
//!   placeholder (`%s`, `{0}`); a quoted value must be the whole quoted text
//!   (`"wrong clientSecret": "Application invalide …"` is prose).
//! - everywhere: values named after their key (`"client-secret"`,
//!   `"testClientSecret"`, `"should-not-be-used"`), prose, non-ASCII text and
//!   the example values published in the specifications are not secrets.
//!
//! Files are lexed at most once, lazily, and only when a candidate of a
//! literal-only rule survived the pattern and the entropy filter.

use std::cell::OnceCell;
use std::ops::Range;

use super::code::lexer::{self, Kind, Lang, Tok};
use super::filters;
use crate::item::Item;

/// One item's view for the candidate filter; shared by every rule run on it.
pub struct Candidates<'a> {
    item: &'a Item,
    lang: Option<Lang>,
    /// Tokens of a code file (None: not valid UTF-8, so not lexed).
    tokens: OnceCell<Option<Vec<Tok>>>,
}

/// Where a value stands in a code file.
#[derive(Debug, Clone, Copy)]
enum Placement {
    /// Inside this string or number literal.
    Literal(Tok),
    /// Outside every token: a comment (the lexer drops only comments and whitespace).
    Comment,
    /// An identifier, member access, call, operator …: a reference.
    Code,
}

impl<'a> Candidates<'a> {
    pub fn new(item: &'a Item) -> Self {
        Candidates {
            item,
            lang: Lang::of_path(item.path()),
            tokens: OnceCell::new(),
        }
    }

    /// Whether `value` (a byte span of the item, its key starting at
    /// `key_start`) is a literal that may be a secret.
    pub fn accepts(&self, key_start: usize, value: Range<usize>) -> bool {
        let data = &self.item.data;
        let v = &data[value.clone()];
        // A string can hold a reference too: `"APP_CLIENT_SECRET"` handed to a
        // lookup later, `"{client_secret}"` templates, module paths.
        if !credential_shaped(v) || reference_shaped(v) {
            return false;
        }
        let Some(lang) = self.lang else {
            return quoted_whole(data, &value);
        };
        match self.placement(lang, value.start) {
            Some(Placement::Literal(tok)) => {
                // The key in the same literal: `key=value` text inside a string.
                tok.kind == Kind::Num || tok.start <= key_start || whole_literal(data, tok, &value)
            }
            // Unquoted code is a reference. A quoted value the lexer did not
            // place in a string means it lost its footing earlier (a stray
            // quote in JSX text): the quotes around the value decide.
            Some(Placement::Code) => {
                value.start > 0 && is_quote(data[value.start - 1]) && quoted_whole(data, &value)
            }
            // A comment, or not valid UTF-8 (judged as text).
            Some(Placement::Comment) | None => quoted_whole(data, &value),
        }
    }

    fn placement(&self, lang: Lang, offset: usize) -> Option<Placement> {
        let toks = self
            .tokens
            .get_or_init(|| {
                std::str::from_utf8(&self.item.data)
                    .ok()
                    .map(|src| lexer::lex(src, lang))
            })
            .as_ref()?;
        let n = toks.partition_point(|t| t.start <= offset);
        Some(match n.checked_sub(1).map(|i| toks[i]) {
            Some(t) if offset < t.end => match t.kind {
                Kind::Str | Kind::Num => Placement::Literal(t),
                _ => Placement::Code,
            },
            _ => Placement::Comment,
        })
    }
}

fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

/// A quoted value is the whole quoted text: the byte after it closes the
/// quote that opened before it (also an escaped `\"` inside a string).
fn quoted_whole(data: &[u8], value: &Range<usize>) -> bool {
    let Some(&open) = value.start.checked_sub(1).and_then(|i| data.get(i)) else {
        return true;
    };
    if !is_quote(open) {
        return true;
    }
    match data.get(value.end) {
        None => true,
        Some(&c) if c == open => true,
        Some(b'\\') => data.get(value.end + 1) == Some(&open),
        Some(_) => false,
    }
}

/// The value is all of the string literal `tok`: only prefix letters and
/// quotes before it, only closing quotes (and Rust raw-string hashes) after.
fn whole_literal(data: &[u8], tok: Tok, value: &Range<usize>) -> bool {
    let before = &data[tok.start..value.start];
    let after = &data[value.end..tok.end];
    before.len() <= 5
        && before
            .iter()
            .all(|&b| is_quote(b) || b"rRbBfFuU@$#".contains(&b))
        && after.iter().all(|&b| is_quote(b) || b == b'#')
}

/// Shapes of values that name a secret instead of holding it.
pub fn reference_shaped(v: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(v) else {
        return false;
    };
    let ident_start = |c: char| c.is_ascii_alphabetic() || c == '_' || c == '$' || c == '@';
    let ident_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    // Interpolations and format placeholders: {name}, #{x}, %(x)s, %s, %v.
    if s.starts_with('{') || s.starts_with("#{") || s.starts_with("%(") {
        return true;
    }
    if ["%s", "%v", "%d", "{}", "{0}"]
        .iter()
        .any(|p| s.contains(p))
    {
        return true;
    }
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !ident_start(first) {
        return false;
    }
    // A call or an index: `read_file(`, `ENV[`, `Configuration["…`.
    let head_end = s.find(|c: char| !(ident_char(c) || c == '.' || c == '@'));
    if let Some(i) = head_end {
        if matches!(s.as_bytes()[i], b'(' | b'[') {
            return true;
        }
        return false;
    }
    // An ALL_CAPS environment or constant name.
    if s.contains('_')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_uppercase()
    {
        return true;
    }
    // A member access chain: `c.ClientSecret`, `self.client_secret`, `var.x`;
    // a module path: `okta.models.o_auth2_client_secret`.
    let segments: Vec<&str> = s.split('.').collect();
    let lower_snake = |seg: &&str| {
        seg.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    if segments.len() >= 3
        && segments.iter().all(lower_snake)
        && segments
            .iter()
            .all(|seg| seg.chars().next().is_some_and(ident_start))
    {
        return true;
    }
    // After the receiver (`c`, `self`, `cfg`), every member is a name made of
    // words; a random value with a dot in it (`q.wRTZxvPLMn`) is not.
    segments.len() >= 2
        && segments
            .iter()
            .all(|seg| seg.chars().next().is_some_and(ident_start) && seg.chars().all(ident_char))
        && segments[1..].iter().all(|seg| wordy(seg.as_bytes()))
}

/// Every piece of an identifier is a word (three letters or more with a
/// vowel, or a listed short word): `ClientSecret`, `client_secret`,
/// `secret2`, `getClientSecret`, `ID`; not `ioLO`.
fn wordy(seg: &[u8]) -> bool {
    seg.split(|&b| b == b'_' || b == b'$')
        .flat_map(pieces)
        .all(|p| {
            let letters: Vec<u8> = p
                .iter()
                .take_while(|b| b.is_ascii_alphabetic())
                .map(u8::to_ascii_lowercase)
                .collect();
            let short = SHORT_WORDS.contains(&std::str::from_utf8(&letters).unwrap_or(""));
            short || (letters.len() >= 3 && letters.iter().any(|b| b"aeiouy".contains(b)))
        })
}

/// Values that cannot be a client secret whatever the syntax around them:
/// non-ASCII text, prose and names ([`is_word_like`]), the example values of
/// the specifications.
pub fn credential_shaped(v: &[u8]) -> bool {
    v.iter().all(|b| b.is_ascii_graphic())
        && !is_word_like(v)
        && !filters::is_published_example(v)
        && !named_after_key(v)
        && !filters::is_encoded_placeholder(v)
        && !leet_placeholder(v)
}

/// `P4$$w0rd`, `s3cr3t`, `ch4ng3m3`: a placeholder word spelt with digits
/// and symbols for letters.
fn leet_placeholder(v: &[u8]) -> bool {
    let plain: Vec<u8> = v
        .iter()
        .map(|&b| match b {
            b'4' | b'@' => b'a',
            b'3' => b'e',
            b'1' | b'!' => b'i',
            b'0' => b'o',
            b'5' | b'$' => b's',
            b'7' => b't',
            _ => b.to_ascii_lowercase(),
        })
        .collect();
    ["password", "passwort", "secret", "changeme"]
        .iter()
        .any(|w| memchr::memmem::find(&plain, w.as_bytes()).is_some())
}

/// One word that only restates the key or says "no value", letters (and a
/// short number) that spell out "secret" (`websecret123`,
/// `itsasecrettoeveryone`), or the key's words with a short tag
/// (`client-secret-bb`, `test_secret_x1`).
fn named_after_key(v: &[u8]) -> bool {
    const KEY_WORDS: &[&str] = &[
        "client", "secret", "app", "oauth", "oauth2", "test", "my", "the", "api", "key", "value",
    ];
    let mut has_secret = false;
    let mut rest = 0;
    for part in v.split(|b| !b.is_ascii_alphanumeric()) {
        for piece in pieces(part) {
            let lower = piece.to_ascii_lowercase();
            let word = std::str::from_utf8(&lower).unwrap_or("");
            has_secret |= word == "secret" || word == "secrets";
            if !(KEY_WORDS.contains(&word) || word == "secrets") {
                rest += piece.len();
            }
        }
    }
    if has_secret && rest <= 4 {
        return true;
    }
    let digits = v.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let head = &v[..v.len() - digits];
    if digits <= 4
        && head.iter().all(u8::is_ascii_alphabetic)
        && memchr::memmem::find(&head.to_ascii_lowercase(), b"secret").is_some()
    {
        return true;
    }
    let norm: String = v
        .iter()
        .filter(|b| b.is_ascii_alphabetic())
        .map(|b| b.to_ascii_lowercase() as char)
        .collect();
    const NAMES: &[&str] = &[
        "clientsecret",
        "clientsecrets",
        "oauthclientsecret",
        "appsecret",
        "consumersecret",
        "secretkey",
        "privatekey",
        "notused",
        "unused",
        "notset",
        "empty",
    ];
    NAMES.contains(&norm.as_str())
}

/// Two-letter words that may appear in a name-like value.
const SHORT_WORDS: &[&str] = &[
    "my", "id", "no", "is", "be", "to", "of", "on", "in", "an", "it", "at", "by", "or", "do", "go",
    "up", "ok", "me", "we", "am", "a", "i",
];

/// A value made of words, not of random characters: `client-secret`,
/// `ClientSecret`, `testClientSecret`, `my_client_secret`,
/// `should-not-be-used`, `revoke-secret-2`, `GITHUB_CLIENT_SECRET`, `apiV3Key`.
/// Split at separators, case changes and digit runs; at least two words with
/// a vowel (two-letter ones from a short list), at most one version-like
/// piece (`V3`) and short numbers after words. A generated secret splits into
/// fragments without vowels or of one letter and is never word-like.
pub fn is_word_like(v: &[u8]) -> bool {
    let mut words = 0usize;
    let mut versions = 0usize;
    for part in v.split(|b| !b.is_ascii_alphanumeric()) {
        for piece in pieces(part) {
            let letters = piece.iter().take_while(|b| b.is_ascii_alphabetic()).count();
            let (word, digits) = piece.split_at(letters);
            if digits.len() > 4 {
                return false;
            }
            if word.is_empty() {
                continue; // a standalone short number: `secret-2`
            }
            let lower = word.to_ascii_lowercase();
            let has_vowel = lower.iter().any(|b| b"aeiouy".contains(b));
            let listed = SHORT_WORDS.contains(&std::str::from_utf8(&lower).unwrap_or(""));
            if has_vowel && (word.len() > 2 || listed) && word.len() <= 20 {
                words += 1;
            } else if word.len() <= 2 && !digits.is_empty() && digits.len() <= 2 {
                versions += 1;
            } else {
                return false;
            }
        }
    }
    words >= 2 && versions <= 1
}

/// Split an alphanumeric run into letters-then-digits pieces at case changes
/// and after digits: `apiV3Key` → api, V3, Key; `HTTPClient2` → HTTP, Client2.
fn pieces(s: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..s.len() {
        let (a, b) = (s[i - 1], s[i]);
        let next_lower = s.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        if (a.is_ascii_digit() && b.is_ascii_alphabetic())
            || (a.is_ascii_lowercase() && b.is_ascii_uppercase())
            || (a.is_ascii_uppercase() && b.is_ascii_uppercase() && next_lower)
        {
            out.push(&s[start..i]);
            start = i;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Provenance;

    /// Whether the value after the first `=`/`:` of `src` is accepted.
    fn accepts(path: &str, src: &str) -> bool {
        let item = Item::new(
            Provenance::File { path: path.into() },
            src.as_bytes().to_vec(),
        );
        let key = src.to_ascii_lowercase().find("ecret").expect("a key") - 5;
        let op = src[key..].find([':', '=']).unwrap() + key;
        let mut start = op + 1;
        while matches!(
            src.as_bytes()[start],
            b' ' | b'=' | b'"' | b'\'' | b'`' | b'>' | b'@'
        ) {
            start += 1;
        }
        let end = src[start..]
            .find(|c: char| c.is_whitespace() || "\"'`,;)}]&".contains(c))
            .map_or(src.len(), |e| start + e);
        Candidates::new(&item).accepts(key, start..end)
    }

    #[test]
    fn code_literals_are_candidates_references_are_not() {
        let secret = "q8Zr3kLm9TfXv2Wb7HnYp4Qs";
        let yes = [
            ("a.py", format!("client_secret = \"{secret}\"")),
            ("a.py", format!("Client(client_secret='{secret}')")),
            ("a.go", format!("ClientSecret: \"{secret}\",")),
            ("a.go", format!("ClientSecret: `{secret}`,")),
            ("a.ts", format!("const clientSecret = '{secret}';")),
            ("a.java", format!("String clientSecret = \"{secret}\";")),
            ("a.kt", format!("val clientSecret = \"{secret}\"")),
            ("a.cs", format!("ClientSecret = @\"{secret}\";")),
            ("a.rs", format!("let client_secret = \"{secret}\";")),
            ("a.rb", format!("client_secret: '{secret}',")),
            ("a.php", format!("'client_secret' => '{secret}',")),
            // The key inside the same literal: a form body in a test.
            (
                "a.py",
                format!("body = \"grant_type=x&client_secret={secret}&scope=y\""),
            ),
            // A credential pasted into a comment is still leaked.
            ("a.go", format!("// client_secret: {secret}")),
            ("a.py", format!("# CLIENT_SECRET=\"{secret}\"")),
        ];
        // A stray quote in JSX text throws the lexer's strings off; a quoted
        // value is still a literal.
        let jsx = format!("<p>A 6\" screen</p>;\nconst cfg = {{ clientSecret: \"{secret}\" }};");
        assert!(accepts("a.tsx", &jsx), "{jsx}");
        for (path, src) in &yes {
            assert!(accepts(path, src), "{path}: {src}");
        }
        let no = [
            ("a.py", "self.client_secret = client_secret_value2"),
            ("a.py", "client_secret=self.client_secret,"),
            ("a.py", "client_secret = os.getenv(\"CLIENT_SECRET_X\")"),
            ("a.go", "ClientSecret: c.ClientSecret,"),
            ("a.go", "clientSecret := r.PostFormValue(\"client_secret\")"),
            (
                "a.cs",
                "ClientSecret = builder.Configuration[\"Auth:ClientSecret\"];",
            ),
            (
                "a.java",
                "String clientSecret = System.getenv(\"X_SECRET\");",
            ),
            ("a.js", "client_secret: noVSCHAR,"),
            // A format string that only mentions the parameter.
            (
                "a.go",
                "fmt.Sprintf(\"%sintent_id=%s&client_secret=%s&mode=x\", a, b, c)",
            ),
            // Doc comments naming the environment variable.
            ("a.ts", " * clientSecret: GITHUB_CLIENT_SECRET"),
            ("a.go", "//   clientSecret: c.ClientSecret"),
            // Constants holding the parameter name.
            (
                "a.java",
                "public static final String CLIENT_SECRET = \"client_secret\";",
            ),
            ("a.go", "FieldClientSecret = \"client_secret\""),
        ];
        for (path, src) in &no {
            assert!(!accepts(path, src), "{path}: {src}");
        }
    }

    #[test]
    fn config_and_text_values() {
        let secret = "Rk4sW9pLz2Qx7Nv3Hb6T";
        for (path, src) in [
            ("app.yaml", format!("client-secret: {secret}")),
            (".env", format!("CLIENT_SECRET={secret}")),
            ("a.json", format!("{{\"clientSecret\": \"{secret}\"}}")),
            ("a.properties", format!("x.client-secret={secret}")),
            ("main.tf", format!("client_secret = \"{secret}\"")),
            ("README.md", format!("--client-secret={secret}")),
            (
                "a.json",
                format!("\"{{\\\"client_secret\\\": \\\"{secret}\\\"}}\""),
            ),
        ] {
            assert!(accepts(path, &src), "{path}: {src}");
        }
        for (path, src) in [
            ("README.md", "--client-secret=GITLAB_CLIENT_SECRET"),
            ("guide.mdx", "clientSecret: AUTH_AUTHENTIK_SECRET"),
            ("main.tf", "client_secret = var.client_secret"),
            ("doc.rst", "client_secret = CharField(max_length=120)"),
            ("doc.md", "ClientSecret: c.ClientSecret,"),
            // Prose: the key inside a sentence that is the JSON key.
            (
                "fr.json",
                "\"Invalid application or wrong clientSecret\": \"Application invalide ou clientSecret incorrect\"",
            ),
            ("zh.json", "\"wrong clientSecret\": \"无效应用或错误的密钥值\""),
            ("README.adoc", "client-secret: google-client-secret"),
            ("rfc.md", "&client_id=s6BhdRkqt3&client_secret=gX1fBat3bV"),
        ] {
            assert!(!accepts(path, src), "{path}: {src}");
        }
    }

    #[test]
    fn names_and_words_are_not_secrets() {
        for v in [
            "client-secret",
            "ClientSecret",
            "testClientSecret",
            "my_client_secret",
            "not-used",
            "should-not-be-used",
            "revoke-secret-2",
            "unauthorized_client_secret",
            "temporary-admin-service",
            "GITHUB_CLIENT_SECRET",
            "AUTH0_CLIENT_SECRET",
            "clientsecret",
            "apiV3Key",
            "supersecretvalue",
            "websecret123",
            "client-secret-bb",
            "i-am-not-correct",
            "appP4$$w0rd",
            "s3cr3t-v4lu3-42",
            "privatekey",
            "some-supersafe-secret",
            // base64 of "oauth2-proxy-client-secret\n"
            "b2F1dGgyLXByb3h5LWNsaWVudC1zZWNyZXQK",
        ] {
            assert!(!credential_shaped(v.as_bytes()), "{v}");
        }
        for v in [
            "q8Zr3kLm9TfXv2Wb7HnYp4Qs",
            "Rk4sW9pLz2Qx7Nv3Hb6T",
            "72341b6d-7065-4518-a0e4-50ee15025608",
            "KqLmNxRtWvBcDfGh",
            "gv3498mfc9t23y23974dm2394dm9",
            "a1b2c3d4e5f6a7b8",
        ] {
            assert!(credential_shaped(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn reference_shapes() {
        for v in [
            "c.ClientSecret",
            "self.client_secret",
            "self.secret2",
            "ENV[",
            "GITLAB_CLIENT_SECRET",
            "read_file(",
            "{client_secret}",
            "%s&mode",
            "okta.models.o_auth2_client_secret",
        ] {
            assert!(reference_shaped(v.as_bytes()), "{v}");
        }
        for v in [
            "Rk4sW9pLz2Qx7Nv3Hb6T",
            "q.wRTZxvPLMn",
            "abcDE1f.ioLO",
            "A1B2C3D4E5F6G7H8",
        ] {
            assert!(!reference_shaped(v.as_bytes()), "{v}");
        }
    }
}
