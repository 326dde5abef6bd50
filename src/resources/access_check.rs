//! The plan-time effective-access check: reads the DENY bindings that apply to everyone
//! (`User:*`) on a cluster, runs Kafka's authorizer (`model::authorizer`) over every access
//! the planned bindings stand for, with what the cluster holds and what the plan creates, and
//! reports each refused access as a warning (or an error, or not at all: `deny_check`).

use super::read::kafka_diagnostic;
use crate::kafka::{AclFilter, KafkaAdmin};
use crate::model::acl::Permission;
use crate::model::authorizer::{
    blocked_accesses, BlockedAccess, Reach, Verdict, WILDCARD_PRINCIPAL,
};
use crate::model::plan::{input_names, ClusterAcl};
use crate::model::reconcile::ClusterBinding;
use foldhash::HashSet;
use tfplugin::{Attr, AttributePath, Diagnostic, Diagnostics, Field, Object};

/// What plan does with a required access Kafka would refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DenyCheck {
    /// A plan warning per refused access (the default).
    #[default]
    Warn,
    /// A plan error per refused access: the plan fails.
    Error,
    /// No check (and no extra DescribeAcls request).
    Off,
}

input_names!(DenyCheck { Warn => "warn", Error => "error", Off => "off" });

/// Optional, not computed: null means `warn`, so states written before it existed stay as
/// they are.
pub const DENY_CHECK: Attr<String> = Attr::optional(
    "deny_check",
    "What plan does when Kafka's authorizer would refuse an access this resource's bindings \
     are for, because a DENY binding already on the cluster wins over every ALLOW (e.g. \
     `User:* DENY READ` on a replicated topic): `warn` (default; one warning per refused \
     access naming the blocking binding, the access and the rule's spec row), `error` (the \
     same as errors: the plan fails) or `off`. Checked when the plan changes the bindings; \
     reads the principals' own bindings and the `User:*` DENY bindings (one extra DescribeAcls \
     per cluster).",
);

/// At most this many refused accesses are reported one by one; the rest are counted.
pub const REPORTED_ACCESSES: usize = 20;

/// The configured mode; an unknown or null value is the default.
pub fn deny_check(object: &Object) -> Result<DenyCheck, Diagnostic> {
    match DENY_CHECK.get(object)? {
        Field::Known(text) => text.parse().map_err(|error| {
            Diagnostic::error("Invalid value", format!("{error}")).at(DENY_CHECK.path())
        }),
        Field::Null | Field::Unknown => Ok(DenyCheck::default()),
    }
}

/// Validation of the configured value (ValidateResourceConfig).
pub fn validate(config: &Object, diags: &mut Diagnostics) {
    if let Err(diagnostic) = deny_check(config) {
        diags.push(diagnostic);
    }
}

/// Checks the planned bindings of one cluster; `actual` holds the bindings of their principals
/// (ALLOW and DENY) as preflight read them. `User:*` ALLOW bindings are not read: the planned
/// ALLOWs already cover every access, so only a DENY can change Kafka's verdict.
pub(crate) async fn check_cluster(
    admin: &KafkaAdmin,
    cluster: &str,
    planned: &[ClusterAcl],
    actual: &HashSet<ClusterBinding>,
    mode: DenyCheck,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    if mode == DenyCheck::Off || planned.is_empty() {
        return;
    }
    let everyone_denied = AclFilter {
        principal: Some(WILDCARD_PRINCIPAL.to_string()),
        permission: Some(Permission::Deny),
        ..AclFilter::any()
    };
    let wildcard = match admin.describe_acls(&everyone_denied).await {
        Ok(bindings) => bindings,
        Err(error) => {
            diags.push(
                kafka_diagnostic("Cannot read the User:* DENY bindings", &error).at(path.clone()),
            );
            return;
        }
    };
    let held = actual
        .iter()
        .filter(|(on, _)| on == cluster)
        .map(|(_, binding)| binding)
        .chain(&wildcard);
    let blocked = blocked_accesses(planned, held);
    for refused in blocked.iter().take(REPORTED_ACCESSES) {
        diags.push(diagnostic(mode, cluster, refused).at(path.clone()));
    }
    if blocked.len() > REPORTED_ACCESSES {
        let more = blocked.len() - REPORTED_ACCESSES;
        diags.push(
            severity(
                mode,
                "More accesses this resource grants are refused by Kafka",
                format!(
                    "cluster {cluster:?}: {more} more required access(es) than the {REPORTED_ACCESSES} \
                     reported are refused by DENY bindings or not allowed"
                ),
            )
            .at(path.clone()),
        );
    }
}

fn severity(mode: DenyCheck, summary: &str, detail: String) -> Diagnostic {
    match mode {
        DenyCheck::Error => Diagnostic::error(summary, detail),
        DenyCheck::Warn | DenyCheck::Off => Diagnostic::warning(summary, detail),
    }
}

/// One refused access: the blocking bindings, the access and the rule with its spec row.
fn diagnostic(mode: DenyCheck, cluster: &str, refused: &BlockedAccess<'_>) -> Diagnostic {
    let access = refused.access.describe();
    let rule = refused.reason;
    match &refused.verdict {
        Verdict::Denied(blocking) => {
            let listed: Vec<String> = blocking
                .iter()
                .map(|block| {
                    let reach = match block.reach {
                        Reach::Every => "",
                        Reach::Some => " (some of the resources)",
                    };
                    format!("  {}{reach}", block.binding)
                })
                .collect();
            severity(
                mode,
                "A DENY binding blocks an access this resource grants",
                format!(
                    "cluster {cluster:?}: Kafka's authorizer will refuse {access}, which this \
                     rule needs: {rule}. A DENY wins over every ALLOW, so the binding this \
                     resource creates does not help. Blocking binding(s):\n{}\nRemove or narrow \
                     them, or set deny_check = \"off\" to accept this.",
                    listed.join("\n")
                ),
            )
        }
        Verdict::NotAllowed | Verdict::Allowed => severity(
            mode,
            "An access this resource grants stays denied",
            format!(
                "cluster {cluster:?}: no ALLOW binding covers {access} from every host, which \
                 this rule needs: {rule}"
            ),
        ),
    }
}
