//! Which policies can apply to a request, so Cedar evaluates only those.
//!
//! A policy whose scope does not match a request is not satisfied and
//! cannot raise an evaluation error (Cedar's scope checks never fail), so
//! leaving it out changes neither the decision, nor the determining
//! policies, nor the errors. The index looks a request up by its action
//! (the policies whose action scope can match it, through Cedar's action
//! hierarchy), then by principal and resource where a policy's scope pins
//! them with `==` or `is`. The subsets are small [`PolicySet`]s built on
//! first use and remembered (bounded). `tests/differential/` compares the
//! decisions with Cedar evaluating the whole set.

use crate::projection::{policy_context_use, ContextUse};
use cedar_policy::{
    ActionConstraint, Entities, EntityTypeName, EntityUid, Policy, PolicyId, PolicySet,
    PrincipalConstraint, ResourceConstraint, SlotId,
};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

/// How a policy's principal or resource scope narrows the requests it can
/// match, as far as the index uses it.
#[derive(Debug, Clone)]
enum Pin {
    /// No narrowing the index can use (`principal`, `principal in X`).
    Open,
    /// Only this entity (`principal == X`).
    Is(EntityUid),
    /// Only entities of this type (`principal is T`, `principal is T in X`).
    OfType(EntityTypeName),
}

/// One policy as the index sees it.
#[derive(Debug)]
struct Indexed {
    policy: Policy,
    action: ActionConstraint,
    principal: Pin,
    resource: Pin,
    reads: ContextUse,
}

/// The policies that can apply to one action, split by how they pin the
/// principal and resource.
#[derive(Debug, Default)]
struct ForAction {
    /// Neither pinned to one entity (type pins are checked per request).
    open: Vec<u32>,
    /// Principal pinned to an entity, resource not.
    by_principal: FxHashMap<EntityUid, Vec<u32>>,
    /// Resource pinned to an entity, principal not.
    by_resource: FxHashMap<EntityUid, Vec<u32>>,
    /// Both pinned.
    by_both: FxHashMap<(EntityUid, EntityUid), Vec<u32>>,
    /// What the policies of this action read from the context (shared:
    /// every request of the action takes it).
    reads: Arc<ContextUse>,
}

/// Remembered per-action tables and subsets, before they are forgotten.
const ACTION_MEMO: usize = 4_096;
const SUBSET_MEMO: usize = 8_192;

/// The policies of one version, indexed by what their scopes can match.
pub struct PolicyIndex {
    policies: Vec<Indexed>,
    /// The templates of the set, for building subsets with linked policies.
    full: PolicySet,
    actions: RwLock<FxHashMap<EntityUid, Arc<ForAction>>>,
    subsets: RwLock<FxHashMap<Box<[u32]>, Arc<PolicySet>>>,
}

impl std::fmt::Debug for PolicyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyIndex")
            .field("policies", &self.policies.len())
            .finish_non_exhaustive()
    }
}

fn principal_pin(c: PrincipalConstraint) -> Pin {
    match c {
        PrincipalConstraint::Eq(uid) => Pin::Is(uid),
        PrincipalConstraint::Is(t) | PrincipalConstraint::IsIn(t, _) => Pin::OfType(t),
        PrincipalConstraint::Any | PrincipalConstraint::In(_) => Pin::Open,
    }
}

fn resource_pin(c: ResourceConstraint) -> Pin {
    match c {
        ResourceConstraint::Eq(uid) => Pin::Is(uid),
        ResourceConstraint::Is(t) | ResourceConstraint::IsIn(t, _) => Pin::OfType(t),
        ResourceConstraint::Any | ResourceConstraint::In(_) => Pin::Open,
    }
}

impl PolicyIndex {
    /// Indexes every policy (static and template-linked) of `set`.
    pub fn new(set: &PolicySet) -> Self {
        let policies = set
            .policies()
            .map(|p| Indexed {
                action: p.action_constraint(),
                principal: principal_pin(p.principal_constraint()),
                resource: resource_pin(p.resource_constraint()),
                reads: policy_context_use(p),
                policy: p.clone(),
            })
            .collect();
        PolicyIndex {
            policies,
            full: set.clone(),
            actions: RwLock::default(),
            subsets: RwLock::default(),
        }
    }

    /// How many policies are indexed.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// Whether there are no policies.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// What the policies that can apply to `action` read from the context
    /// (a shared handle: no copy per request).
    pub fn context_use(&self, action: &EntityUid, entities: &Entities) -> Arc<ContextUse> {
        self.for_action(action, entities).reads.clone()
    }

    /// The policies that can apply to a request with this principal, action
    /// and resource: every policy that could be satisfied or fail on it.
    pub fn subset(
        &self,
        principal: &EntityUid,
        action: &EntityUid,
        resource: &EntityUid,
        entities: &Entities,
    ) -> Arc<PolicySet> {
        let table = self.for_action(action, entities);
        let mut picked: Vec<u32> = Vec::new();
        let type_ok = |pin: &Pin, uid: &EntityUid| match pin {
            Pin::OfType(t) => uid.type_name() == t,
            Pin::Open | Pin::Is(_) => true,
        };
        for &i in &table.open {
            let p = &self.policies[i as usize];
            if type_ok(&p.principal, principal) && type_ok(&p.resource, resource) {
                picked.push(i);
            }
        }
        if let Some(list) = table.by_principal.get(principal) {
            picked.extend(
                list.iter()
                    .copied()
                    .filter(|&i| type_ok(&self.policies[i as usize].resource, resource)),
            );
        }
        if let Some(list) = table.by_resource.get(resource) {
            picked.extend(
                list.iter()
                    .copied()
                    .filter(|&i| type_ok(&self.policies[i as usize].principal, principal)),
            );
        }
        if !table.by_both.is_empty() {
            if let Some(list) = table.by_both.get(&(principal.clone(), resource.clone())) {
                picked.extend_from_slice(list);
            }
        }
        picked.sort_unstable();
        picked.dedup();
        self.subset_of(picked.into_boxed_slice())
    }

    fn subset_of(&self, picked: Box<[u32]>) -> Arc<PolicySet> {
        if let Ok(known) = self.subsets.read() {
            if let Some(set) = known.get(&picked) {
                return set.clone();
            }
        }
        let set = Arc::new(self.build(&picked));
        if let Ok(mut known) = self.subsets.write() {
            if known.len() >= SUBSET_MEMO {
                known.clear();
            }
            known.insert(picked, set.clone());
        }
        set
    }

    /// A policy set holding the picked policies (and the templates of the
    /// linked ones). Falls back to the whole set should Cedar refuse a
    /// subset, which keeps decisions exact at the cost of speed.
    fn build(&self, picked: &[u32]) -> PolicySet {
        let mut set = PolicySet::new();
        let mut templates: FxHashSet<PolicyId> = FxHashSet::default();
        for &i in picked {
            let p = &self.policies[i as usize].policy;
            let added = match p.template_id() {
                None => set.add(p.clone()).is_ok(),
                Some(tid) => {
                    let tid = tid.clone();
                    let template_ok = templates.contains(&tid)
                        || match self.full.template(&tid) {
                            Some(t) => {
                                let ok = set.add_template(t.clone()).is_ok();
                                templates.insert(tid.clone());
                                ok
                            }
                            None => false,
                        };
                    let values: std::collections::HashMap<SlotId, EntityUid> = p
                        .template_links()
                        .map(|links| links.into_iter().collect())
                        .unwrap_or_default();
                    template_ok && set.link(tid, p.id().clone(), values).is_ok()
                }
            };
            if !added {
                return self.full.clone();
            }
        }
        set
    }

    fn for_action(&self, action: &EntityUid, entities: &Entities) -> Arc<ForAction> {
        if let Ok(known) = self.actions.read() {
            if let Some(t) = known.get(action) {
                return t.clone();
            }
        }
        let table = Arc::new(self.build_action(action, entities));
        if let Ok(mut known) = self.actions.write() {
            if known.len() >= ACTION_MEMO {
                known.clear();
            }
            known.insert(action.clone(), table.clone());
        }
        table
    }

    fn build_action(&self, action: &EntityUid, entities: &Entities) -> ForAction {
        // `action in G` holds when G is the action itself or one of its
        // ancestors in the entities Cedar decides with.
        let ancestors: FxHashSet<&EntityUid> = entities
            .ancestors(action)
            .map(|it| it.collect())
            .unwrap_or_default();
        let matches = |c: &ActionConstraint| match c {
            ActionConstraint::Any => true,
            ActionConstraint::Eq(a) => a == action,
            ActionConstraint::In(groups) => {
                groups.iter().any(|g| g == action || ancestors.contains(g))
            }
        };
        let mut t = ForAction::default();
        let mut attrs: BTreeSet<String> = BTreeSet::new();
        let mut whole = false;
        for (i, p) in self.policies.iter().enumerate() {
            if !matches(&p.action) {
                continue;
            }
            let i = i as u32;
            match &p.reads {
                ContextUse::Whole => whole = true,
                ContextUse::Attributes(a) => attrs.extend(a.iter().cloned()),
            }
            match (&p.principal, &p.resource) {
                (Pin::Is(pr), Pin::Is(r)) => t
                    .by_both
                    .entry((pr.clone(), r.clone()))
                    .or_default()
                    .push(i),
                (Pin::Is(pr), _) => t.by_principal.entry(pr.clone()).or_default().push(i),
                (_, Pin::Is(r)) => t.by_resource.entry(r.clone()).or_default().push(i),
                _ => t.open.push(i),
            }
        }
        t.reads = Arc::new(if whole {
            ContextUse::Whole
        } else {
            ContextUse::Attributes(attrs.into_iter().collect())
        });
        t
    }
}
