//! Random policies, templates and links over a schema model.

use crate::ids::{cedar_string, cedar_uid};
use crate::model::{Action, Attr, Ext, SchemaModel, Ty};
use crate::rng::G;
use crate::schema::{principal_types, RESOURCE_TYPES};
use crate::values::{Ents, LONGS, STRINGS, TAG_KEYS};
use crate::{GenOptions, GenPolicy, Link};

struct Ctx<'a> {
    model: &'a SchemaModel,
    ents: &'a Ents,
    principals: Vec<&'static str>,
}

/// Version A, version B and the links of their templates.
pub fn policies(
    g: &mut G,
    model: &SchemaModel,
    ents: &Ents,
    options: &GenOptions,
) -> (Vec<GenPolicy>, Vec<GenPolicy>, Vec<Link>) {
    let cx = Ctx {
        model,
        ents,
        principals: principal_types(options),
    };
    let n = g.range(3, 12);
    let mut a: Vec<GenPolicy> = (0..n)
        .map(|i| static_policy(g, &cx, format!("p{i}")))
        .collect();
    let mut links = Vec::new();
    if options.templates {
        for t in 0..g.range(1, 2) {
            let id = format!("t{t}");
            let (policy, slots) = template(g, &cx, id.clone());
            a.push(policy);
            for l in 0..g.range(1, 3) {
                let args = slots
                    .iter()
                    .map(|(slot, ty)| (slot.to_string(), ty.clone(), ents.id(g, ty)))
                    .collect();
                links.push(Link {
                    template_id: id.clone(),
                    link_id: format!("L{t}_{l}"),
                    args,
                });
            }
        }
    }
    let mut b: Vec<GenPolicy> = a
        .iter()
        .filter(|p| p.template || g.chance(0.7))
        .cloned()
        .collect();
    for i in 0..g.range(1, 2) {
        b.push(static_policy(g, &cx, format!("q{i}")));
    }
    // Keep `a` in a stable order with templates last (Cedar numbers them
    // with the static policies, in file order).
    a.sort_by_key(|p| p.template);
    (a, b, links)
}

fn effect(g: &mut G) -> &'static str {
    if g.chance(0.65) {
        "permit"
    } else {
        "forbid"
    }
}

fn static_policy(g: &mut G, cx: &Ctx<'_>, id: String) -> GenPolicy {
    let action = g
        .pick(
            &cx.model
                .actions
                .iter()
                .filter(|a| !a.is_group)
                .collect::<Vec<_>>(),
        )
        .to_owned()
        .clone();
    let principal = principal_scope(g, cx);
    let action_scope = action_scope(g, cx, &action);
    let resource = resource_scope(g, cx);
    let mut text = format!(
        "@id({})\n{}(\n  {principal},\n  {action_scope},\n  {resource}\n)",
        cedar_string(&id),
        effect(g)
    );
    for _ in 0..g.below(3) {
        let kw = if g.chance(0.75) { "when" } else { "unless" };
        text.push_str(&format!("\n{kw} {{ {} }}", condition(g, cx, &action)));
    }
    text.push(';');
    GenPolicy {
        id,
        text,
        template: false,
    }
}

fn template(g: &mut G, cx: &Ctx<'_>, id: String) -> (GenPolicy, Vec<(&'static str, String)>) {
    let action = g
        .pick(
            &cx.model
                .actions
                .iter()
                .filter(|a| !a.is_group)
                .collect::<Vec<_>>(),
        )
        .to_owned()
        .clone();
    let mut slots = vec![("?principal", g.pick(&action.principals).clone())];
    let principal = if g.chance(0.5) {
        "principal == ?principal".to_string()
    } else {
        "principal in ?principal".to_string()
    };
    let resource = if g.chance(0.6) {
        slots.push(("?resource", g.pick(&action.resources).clone()));
        if g.chance(0.5) {
            "resource in ?resource".to_string()
        } else {
            "resource == ?resource".to_string()
        }
    } else {
        "resource".to_string()
    };
    let mut text = format!(
        "@id({})\n{}(\n  {principal},\n  {},\n  {resource}\n)",
        cedar_string(&id),
        effect(g),
        action_scope(g, cx, &action)
    );
    if g.chance(0.5) {
        text.push_str(&format!("\nwhen {{ {} }}", condition(g, cx, &action)));
    }
    text.push(';');
    (
        GenPolicy {
            id,
            text,
            template: true,
        },
        slots,
    )
}

fn uid(g: &mut G, cx: &Ctx<'_>, ty: &str) -> String {
    cedar_uid(ty, &cx.ents.id(g, ty))
}

fn parent_of(cx: &Ctx<'_>, ty: &str) -> Option<String> {
    cx.model
        .entity_type(ty)
        .and_then(|t| t.parents.first().cloned())
}

fn principal_scope(g: &mut G, cx: &Ctx<'_>) -> String {
    let ty = g.pick(&cx.principals).to_string();
    match g.below(6) {
        0 | 1 => "principal".into(),
        2 => format!("principal == {}", uid(g, cx, &ty)),
        3 => {
            let p = parent_of(cx, &ty).unwrap_or(ty.clone());
            format!("principal in {}", uid(g, cx, &p))
        }
        4 => format!("principal is {ty}"),
        _ => {
            let p = parent_of(cx, &ty).unwrap_or(ty.clone());
            format!("principal is {ty} in {}", uid(g, cx, &p))
        }
    }
}

fn resource_scope(g: &mut G, cx: &Ctx<'_>) -> String {
    let ty = g.pick(&RESOURCE_TYPES).to_string();
    match g.below(6) {
        0 | 1 => "resource".into(),
        2 => format!("resource == {}", uid(g, cx, &ty)),
        3 => {
            let p = parent_of(cx, &ty).unwrap_or(ty.clone());
            format!("resource in {}", uid(g, cx, &p))
        }
        4 => format!("resource is {ty}"),
        _ => {
            let p = parent_of(cx, &ty).unwrap_or(ty.clone());
            format!("resource is {ty} in {}", uid(g, cx, &p))
        }
    }
}

fn action_uid(a: &Action) -> String {
    cedar_uid(&a.action_type(), &a.id)
}

fn action_scope(g: &mut G, cx: &Ctx<'_>, action: &Action) -> String {
    match g.below(5) {
        0 => "action".into(),
        1 | 2 => format!("action == {}", action_uid(action)),
        3 => {
            let other = g.pick(&cx.model.actions).clone();
            format!("action in [{}, {}]", action_uid(action), action_uid(&other))
        }
        _ => match action.groups.first() {
            Some(grp) => format!("action in {}", cedar_uid(&action.action_type(), grp)),
            None => format!("action == {}", action_uid(action)),
        },
    }
}

fn long_lit(g: &mut G) -> String {
    let v = *g.pick(&LONGS);
    if v == i64::MAX {
        "9223372036854775807".into()
    } else {
        v.to_string()
    }
}

fn str_lit(g: &mut G) -> String {
    cedar_string(g.pick::<&str>(&STRINGS))
}

fn ext_lit(g: &mut G, x: Ext) -> String {
    format!(
        "{}({})",
        x.constructor(),
        cedar_string(g.pick::<&str>(x.literals()))
    )
}

/// An expression over `e`, a value of type `ty`.
fn over(g: &mut G, cx: &Ctx<'_>, e: &str, ty: &Ty) -> String {
    match ty {
        Ty::Long => match g.below(4) {
            0 => format!("{e} > {}", long_lit(g)),
            1 => format!("{e} == {}", long_lit(g)),
            // Overflow errors.
            2 => format!("{e} + 9223372036854775807 > 0"),
            _ => format!("{e} * 4611686018427387904 <= {}", long_lit(g)),
        },
        Ty::Str => match g.below(3) {
            0 => format!("{e} == {}", str_lit(g)),
            1 => format!("{e} like \"a*\""),
            _ => format!("{e} like \"*\\**\""),
        },
        Ty::Bool => match g.below(2) {
            0 => e.to_string(),
            _ => format!("!{e}"),
        },
        Ty::Set(inner) => {
            let lit = match **inner {
                Ty::Long => long_lit(g),
                _ => str_lit(g),
            };
            match g.below(4) {
                0 => format!("{e}.contains({lit})"),
                1 => format!("{e}.isEmpty()"),
                2 => format!("{e}.containsAny([{lit}])"),
                _ => format!("[{lit}].containsAll({e})"),
            }
        }
        Ty::Record(_) => match g.below(3) {
            0 => format!("{e} has x && {e}.x > {}", long_lit(g)),
            // Errors when `y` is absent.
            1 => format!("{e}.y == {}", str_lit(g)),
            _ => format!("{e} has y"),
        },
        Ty::Entity(t) => match g.below(3) {
            0 => format!("{e} == {}", uid(g, cx, t)),
            1 => {
                let p = parent_of(cx, t).unwrap_or(t.clone());
                format!("{e} in {}", uid(g, cx, &p))
            }
            _ => format!("principal == {e}"),
        },
        Ty::Ext(x) => match (x, g.below(3)) {
            (Ext::Ip, 0) => format!("{e}.isInRange({})", ext_lit(g, Ext::Ip)),
            (Ext::Ip, 1) => format!("{e}.isLoopback()"),
            (Ext::Ip, _) => format!("{e}.isIpv4()"),
            (Ext::Decimal, 0) => format!("{e}.lessThan({})", ext_lit(g, Ext::Decimal)),
            (Ext::Decimal, 1) => format!("{e}.greaterThanOrEqual({})", ext_lit(g, Ext::Decimal)),
            (Ext::Decimal, _) => format!("{e} == {}", ext_lit(g, Ext::Decimal)),
            (Ext::Datetime, 0) => format!("{e}.toDate() == datetime(\"2024-10-15\")"),
            (Ext::Datetime, 1) => format!(
                "{e}.offset({}) > {}",
                ext_lit(g, Ext::Duration),
                ext_lit(g, Ext::Datetime)
            ),
            (Ext::Datetime, _) => format!(
                "{e}.durationSince(datetime(\"2024-01-01\")) > {}",
                ext_lit(g, Ext::Duration)
            ),
            (Ext::Duration, 0) => format!("{e} < {}", ext_lit(g, Ext::Duration)),
            (Ext::Duration, 1) => format!("{e}.toHours() > 1"),
            (Ext::Duration, _) => format!("{e}.toMilliseconds() == 0"),
        },
    }
}

fn attr_expr(g: &mut G, cx: &Ctx<'_>, base: &str, attrs: &[Attr]) -> Option<String> {
    if attrs.is_empty() {
        return None;
    }
    let a = g.pick(attrs).clone();
    let e = format!("{base}.{}", a.name);
    let body = over(g, cx, &e, &a.ty);
    Some(if !a.required && g.chance(0.6) {
        format!("{base} has {} && {body}", a.name)
    } else {
        body
    })
}

fn condition(g: &mut G, cx: &Ctx<'_>, action: &Action) -> String {
    let pick_type = |g: &mut G, list: &[String]| g.pick(list).clone();
    match g.below(8) {
        0..=2 => attr_expr(g, cx, "context", &action.context).unwrap_or_else(|| "true".into()),
        3 => {
            let ty = pick_type(g, &action.principals);
            let attrs = cx
                .model
                .entity_type(&ty)
                .map(|t| t.attrs.clone())
                .unwrap_or_default();
            attr_expr(g, cx, "principal", &attrs).unwrap_or_else(|| "principal has name".into())
        }
        4 => {
            let ty = pick_type(g, &action.resources);
            let attrs = cx
                .model
                .entity_type(&ty)
                .map(|t| t.attrs.clone())
                .unwrap_or_default();
            attr_expr(g, cx, "resource", &attrs).unwrap_or_else(|| "resource has level".into())
        }
        5 => {
            let k = cedar_string(g.pick::<&str>(&TAG_KEYS));
            match g.below(3) {
                0 => format!(
                    "resource.hasTag({k}) && resource.getTag({k}) == {}",
                    str_lit(g)
                ),
                // Errors when the tag is absent.
                1 => format!("resource.getTag({k}) like \"a*\""),
                _ => format!("principal.hasTag({k})"),
            }
        }
        6 => match g.below(3) {
            // Errors when `owner` is absent.
            0 => "principal in resource.owner".into(),
            // An attribute no context declares: an error.
            1 => "context.undeclared_attr == 1".into(),
            _ => format!(
                "if context has n then context.n > {} else principal has name",
                long_lit(g)
            ),
        },
        _ => "true".into(),
    }
}
