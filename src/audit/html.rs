//! `doorman audit --html FILE`: one self-contained page (inline CSS and
//! script, no external asset, works offline) with the counts by severity and
//! rule, a card per function showing its two doors, every finding with its
//! fix and its `doorman explain` page, and filters by severity, rule and
//! function that work with a keyboard (native form controls).
//!
//! Everything from the account is escaped with [`escape`]; the script reads
//! only `data-` attributes and never builds HTML from text. A finding shown
//! in several cards (a shared role's) carries the same `data-id`, so the
//! number of distinct ids is the number of findings in the JSON report.

use super::output::{doors, plural, roles_by_arn};
use super::{Kind, Located, Report, Subject};
use crate::rules::{docs, RuleId, Severity};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// Text made safe for HTML text and double- or single-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root{--crit:#8b0000;--high:#c0392b;--med:#b9770e;--low:#1f6f8b;--info:#666;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1b1b1b;background:#f6f7f9}
body{margin:0 auto;max-width:1200px;padding:1rem 1.5rem}
h1{font-size:1.5rem;margin:.2rem 0}
h2{font-size:1.1rem;margin:0}
code,.arn{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;word-break:break-all}
.counts{display:flex;gap:.5rem;flex-wrap:wrap;margin:1rem 0}
.count{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.4rem .8rem;min-width:6rem}
.count b{display:block;font-size:1.4rem}
.sev-critical{border-left:6px solid var(--crit)}.sev-high{border-left:6px solid var(--high)}.sev-medium{border-left:6px solid var(--med)}.sev-low{border-left:6px solid var(--low)}.sev-info{border-left:6px solid var(--info)}
.badge{display:inline-block;border-radius:4px;padding:0 .4rem;color:#fff;font-size:.8rem;font-weight:600;text-transform:uppercase}
.b-critical{background:var(--crit)}.b-high{background:var(--high)}.b-medium{background:var(--med)}.b-low{background:var(--low)}.b-info{background:var(--info)}
form.filters{display:flex;gap:1rem;flex-wrap:wrap;align-items:end;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem;position:sticky;top:0;z-index:1}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;gap:.2rem}
select,input,button{font:inherit;padding:.25rem .4rem}
:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;margin:1rem 0;padding:.8rem 1rem}
.doors{display:grid;grid-template-columns:1fr 1fr;gap:1rem;margin-top:.6rem}
@media (max-width:800px){.doors{grid-template-columns:1fr}}
.door h3{font-size:.95rem;margin:.2rem 0 .4rem;color:#333}
.finding{border:1px solid #e3e3e3;border-radius:6px;padding:.4rem .6rem;margin:.4rem 0;background:#fcfcfd}
.finding p{margin:.3rem 0}
.fix{color:#234}
.none{color:#2e7d32;font-size:.9rem}
.doc{color:#555;font-size:.8rem}
details summary{cursor:pointer;font-size:.85rem}
pre{white-space:pre-wrap;font-size:.8rem;background:#f3f3f3;padding:.5rem;border-radius:4px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;font-size:.9rem}
.notes li{font-size:.9rem}
[hidden]{display:none!important}
"#;

const SCRIPT: &str = r#"
(function(){
  var order={info:0,low:1,medium:2,high:3,critical:4};
  var form=document.getElementById('filters');
  var sev=document.getElementById('f-severity');
  var rule=document.getElementById('f-rule');
  var fn=document.getElementById('f-function');
  var shown=document.getElementById('shown');
  function apply(){
    var min=order[sev.value]||0, r=rule.value, q=fn.value.trim().toLowerCase();
    var ids={};
    document.querySelectorAll('.card').forEach(function(card){
      var name=(card.getAttribute('data-function')||'').toLowerCase();
      var isFn=card.getAttribute('data-kind')==='function';
      var cardOk=q===''||(isFn&&name.indexOf(q)!==-1);
      var any=false;
      card.querySelectorAll('.finding').forEach(function(f){
        var ok=cardOk&&order[f.getAttribute('data-severity')]>=min&&(r===''||f.getAttribute('data-rule')===r);
        f.hidden=!ok;
        if(ok){any=true;ids[f.getAttribute('data-id')]=true;}
      });
      var filtering=min>0||r!=='';
      card.hidden=!cardOk||(filtering&&!any);
    });
    shown.textContent=Object.keys(ids).length+' findings shown';
  }
  form.addEventListener('input',apply);
  form.addEventListener('change',apply);
  form.addEventListener('submit',function(e){e.preventDefault();apply();});
  document.getElementById('f-reset').addEventListener('click',function(){setTimeout(apply,0);});
  apply();
})();
"#;

/// One id per finding, by identity: a shared role's finding shown in
/// several cards keeps its id.
struct Ids {
    next: usize,
    of: HashMap<*const Located, usize>,
}

impl Ids {
    fn id(&mut self, l: &Located) -> usize {
        let key = l as *const Located;
        if let Some(id) = self.of.get(&key) {
            return *id;
        }
        self.next += 1;
        self.of.insert(key, self.next);
        self.next
    }
}

fn finding(out: &mut String, ids: &mut Ids, l: &Located, function: &str) {
    let f = &l.finding;
    let sev = f.severity.as_str();
    let doc = l
        .document
        .as_deref()
        .map(|d| format!(r#"<span class="doc">{}</span>"#, escape(d)))
        .unwrap_or_default();
    let stmt = f
        .statement
        .as_ref()
        .map(|s| format!(r#" <span class="doc">{}</span>"#, escape(&s.to_string())))
        .unwrap_or_default();
    let _ = write!(
        out,
        r#"<article class="finding sev-{sev}" data-id="f{id}" data-severity="{sev}" data-rule="{rule}" data-function="{func}"><p><span class="badge b-{sev}">{sev}</span> <code>{rule}</code> {doc}{stmt}</p><p>{msg}</p><p class="fix"><b>Fix:</b> {fix}</p><details><summary>doorman explain {rule}</summary><pre>{explain}</pre></details></article>"#,
        id = ids.id(l),
        rule = f.rule.as_str(),
        func = escape(function),
        msg = escape(&f.message),
        fix = escape(&f.fix),
        explain = escape(&docs::text(f.rule)),
    );
}

fn door(out: &mut String, ids: &mut Ids, title: &str, findings: &[&Located], function: &str) {
    let _ = write!(out, r#"<div class="door"><h3>{}</h3>"#, escape(title));
    if findings.is_empty() {
        out.push_str(r#"<p class="none">no findings</p>"#);
    }
    for l in findings {
        finding(out, ids, l, function);
    }
    out.push_str("</div>");
}

fn notes(out: &mut String, s: &Subject) {
    if s.notes.is_empty() {
        return;
    }
    out.push_str(r#"<ul class="notes">"#);
    for n in &s.notes {
        let _ = write!(out, "<li>{}</li>", escape(n));
    }
    out.push_str("</ul>");
}

/// The whole page.
pub fn page(report: &Report) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let account = report.account.as_deref().unwrap_or("unknown account");
    let by = report.by_severity();
    let count = |k: Kind| report.subjects.iter().filter(|s| s.kind == k).count();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in report.subjects.iter().flat_map(|s| &s.findings) {
        *by_rule.entry(f.finding.rule.as_str()).or_default() += 1;
    }
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"><title>doorman audit: {acct}</title><style>{STYLE}</style></head><body><header><h1>doorman audit of account <code>{acct}</code></h1><p id="total" data-count="{total}">{total} findings in {functions}, {roles}, {users}, {groups}</p></header><main>"#,
        acct = escape(account),
        total = report.findings(),
        functions = plural(count(Kind::Function), "function"),
        roles = plural(count(Kind::Role), "role"),
        users = plural(count(Kind::User), "user"),
        groups = plural(count(Kind::Group), "group"),
    );
    out.push_str(r#"<section aria-label="Findings by severity" class="counts">"#);
    for sev in Severity::ALL.iter().rev() {
        let _ = write!(
            out,
            r#"<div class="count sev-{s}" id="count-{s}" data-count="{n}"><b>{n}</b>{s}</div>"#,
            s = sev.as_str(),
            n = by[*sev as usize]
        );
    }
    out.push_str("</section>");
    out.push_str(r#"<details><summary>Findings by rule</summary><table id="by-rule"><thead><tr><th>rule</th><th>findings</th></tr></thead><tbody>"#);
    for (rule, n) in &by_rule {
        let _ = write!(
            out,
            r#"<tr data-rule="{rule}" data-count="{n}"><td><code>{rule}</code></td><td>{n}</td></tr>"#
        );
    }
    out.push_str("</tbody></table></details>");

    // Filters: native controls, so Tab, arrows and Enter work.
    out.push_str(r#"<form id="filters" class="filters" role="search" aria-label="Filter findings"><label for="f-severity">Minimum severity<select id="f-severity" name="severity"><option value="info">all</option>"#);
    for sev in Severity::ALL.iter().skip(1) {
        let _ = write!(out, r#"<option value="{s}">{s}</option>"#, s = sev.as_str());
    }
    out.push_str(r#"</select></label><label for="f-rule">Rule<select id="f-rule" name="rule"><option value="">all rules</option>"#);
    for rule in RuleId::ALL {
        if by_rule.contains_key(rule.as_str()) {
            let _ = write!(
                out,
                r#"<option value="{r}">{r}</option>"#,
                r = rule.as_str()
            );
        }
    }
    out.push_str(r#"</select></label><label for="f-function">Function name contains<input id="f-function" name="function" type="search" autocomplete="off"></label><button type="reset" id="f-reset">Clear filters</button><output id="shown" aria-live="polite"></output></form>"#);

    for n in &report.notes {
        let _ = write!(out, r#"<p class="note">Note: {}</p>"#, escape(n));
    }
    if !report.errors.is_empty() {
        out.push_str(r#"<section class="card" aria-label="Files that could not be read"><h2>Files that could not be read</h2><ul>"#);
        for e in &report.errors {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}</li>",
                escape(&e.file),
                escape(&e.message)
            );
        }
        out.push_str("</ul></section>");
    }

    let mut ids = Ids {
        next: 0,
        of: HashMap::new(),
    };
    let roles = roles_by_arn(report);
    out.push_str(r#"<h2 id="functions">Functions, worst first</h2>"#);
    let mut cards: Vec<_> = report
        .subjects
        .iter()
        .filter(|s| s.kind == Kind::Function)
        .map(|f| {
            let (role, outbound, inbound) = doors(f, &roles);
            let worst = outbound
                .iter()
                .chain(&inbound)
                .map(|l| l.finding.severity)
                .max();
            (worst, f, role, outbound, inbound)
        })
        .collect();
    cards.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    for (_, f, role, outbound, inbound) in cards {
        let role_name = role
            .map(|r| r.name.clone())
            .or_else(|| f.role.clone())
            .unwrap_or_else(|| "none".into());
        let _ = write!(
            out,
            r#"<section class="card" data-kind="function" data-function="{name}" aria-label="function {name}"><h2>{name}</h2><div class="arn">{arn}</div><div class="doors">"#,
            name = escape(&f.name),
            arn = escape(&f.arn)
        );
        door(
            &mut out,
            &mut ids,
            &format!("Outbound: execution role {role_name}"),
            &outbound,
            &f.name,
        );
        door(
            &mut out,
            &mut ids,
            "Inbound: resource policy, URL, layers",
            &inbound,
            &f.name,
        );
        out.push_str("</div>");
        notes(&mut out, f);
        out.push_str("</section>");
    }
    if !report.lambda_inventory {
        out.push_str(r#"<p class="note">No Lambda inventory was provided.</p>"#);
    }
    out.push_str(r#"<h2 id="others">Roles, users, groups, policies and layers that belong to no function</h2>"#);
    for s in report.subjects.iter().filter(|s| {
        s.kind != Kind::Function
            && s.functions.is_empty()
            && (!s.findings.is_empty() || !s.notes.is_empty())
    }) {
        let _ = write!(
            out,
            r#"<section class="card" data-kind="{kind}" data-function="" aria-label="{kind} {name}"><h2>{kind} {name}</h2><div class="arn">{arn}</div>"#,
            kind = s.kind.as_str(),
            name = escape(&s.name),
            arn = escape(&s.arn)
        );
        for l in &s.findings {
            finding(&mut out, &mut ids, l, "");
        }
        notes(&mut out, s);
        out.push_str("</section>");
    }
    let _ = writeln!(out, "</main><script>{SCRIPT}</script></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert('1')">&"#),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(escape("a\u{1b}b"), "a&#27;b");
    }
}
