{#-
    DSA actions vs the catalog's enforcement_actions, per reporting period.

    Question: "Do the DSA export's action counts agree with the published metric?" For
    every period of the chosen grain, the EU view's actions (own initiative + notices +
    orders, section 3 `total_in_area`) plus the actions outside the EU view (scope lists
    non-EU countries only) must equal enforcement_actions (region all, policy_category
    all) summed over the period's days in metrics_daily. Both read each action as of its
    decided day's finalization instant (maturity 3), so on final days the difference is 0;
    `final_days` says how many of the period's days are final. region = eu is not
    comparable: enforcement_actions' region is the owner's, the DSA view's is the
    action's territorial scope.

    Run: dbt compile --select dsa_reconcile_enforcement_actions, then run the
    compiled SQL against a published release.
-#}

{%- set period_grain = 'half_year' %}

with

report as (

    select * from {{ ref('dsa_transparency_report') }}

),

metrics as (

    select * from {{ ref('metrics_daily') }}

),

dsa_actions as (

    select
        period_label,
        min(period_start) as period_start,
        min(period_end) as period_end,
        sum(value) filter (where row_label = 'total_in_area') as eu_view_actions,
        sum(value) filter (where row_label = 'outside_eu_view_non_eu_countries_only') as outside_eu_view_actions
    from report
    where
        period_grain = '{{ period_grain }}'
        and section = '3_territorial_scope'
        and area = 'EU'
        and column_label = 'total'
    group by period_label

),

catalog_actions as (

    select
        dsa_actions.period_label,
        sum(metrics.value) as enforcement_actions,
        count(*) filter (where metrics.is_final) as final_days,
        count(*) as days
    from dsa_actions
    inner join metrics
        on
            dsa_actions.period_start <= metrics.metric_date
            and dsa_actions.period_end >= metrics.metric_date
    where
        metrics.metric_name = 'enforcement_actions'
        and metrics.region = 'all'
        and metrics.policy_category = 'all'
        and metrics.age_band = 'all'
        and metrics.plan = 'all'
        and metrics.surface = 'all'
        and metrics.feature = 'all'
    group by dsa_actions.period_label

),

reconciliation as (

    select
        dsa_actions.period_label,
        dsa_actions.eu_view_actions,
        dsa_actions.outside_eu_view_actions,
        catalog_actions.enforcement_actions,
        dsa_actions.eu_view_actions + dsa_actions.outside_eu_view_actions
        - catalog_actions.enforcement_actions as difference,
        catalog_actions.final_days,
        catalog_actions.days
    from dsa_actions
    inner join catalog_actions
        on dsa_actions.period_label = catalog_actions.period_label

)

select * from reconciliation
order by period_label
