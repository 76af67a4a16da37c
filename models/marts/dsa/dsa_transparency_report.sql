{#- The catalog metric whose maturity (and cut-off) each section follows. -#}
{%- set section_metrics = {
    '1_notices': 'report_action_rate',
    '2_own_initiative': 'enforcement_actions',
    '3_territorial_scope': 'enforcement_actions',
    '4_complaints': 'appeal_overturn_rate',
    '5_active_recipients': 'active_users',
} -%}

-- The DSA transparency figures per reporting period (quarter, half_year, year), EU
-- member state and EU total, one row per cell of the export template (ref_dsa_template):
-- every period x area x template cell, counts zero-filled, medians and shares null when
-- there is nothing to take them over. See docs/dsa.md.
with

template as (

    select * from {{ ref('ref_dsa_template') }}

),

period_days as (

    select * from {{ ref('int_dsa_period_days') }}

),

notices as (

    select * from {{ ref('int_dsa_notices') }}

),

actions as (

    select * from {{ ref('int_dsa_actions') }}

),

decision_scopes as (

    select * from {{ ref('int_dsa_decision_scopes') }}

),

complaint_events as (

    select * from {{ ref('int_dsa_complaints') }}

),

complaints_pending as (

    select * from {{ ref('int_dsa_complaints_pending') }}

),

active_recipients_monthly as (

    select * from {{ ref('int_dsa_active_recipients_monthly') }}

),

countries as (

    select * from {{ ref('ref_countries') }}

),

metric_registry as (

    select * from {{ ref('metric_registry') }}

),

member_states as (

    select country_code
    from countries
    where cast(is_eu_member as boolean)

),

areas as (

    select 'EU' as area
    union all
    select country_code as area from member_states

),

periods as (

    select
        period_grain,
        period_label,
        min(period_start) as period_start,
        min(period_end) as period_end,
        min(months_in_period) as months_in_period,
        min(metric_date) as first_data_date
    from period_days
    group by period_grain, period_label

),

section_maturities as (

    select
        sections.section,
        cast(metric_registry.maturity_days as integer) as maturity_days
    from (
        values
        {%- for section, metric_name in section_metrics.items() %}
            ('{{ section }}', '{{ metric_name }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as sections (section, metric_name)
    inner join metric_registry
        on sections.metric_name = metric_registry.metric_name

),

-- 1. notices: the notifier's member state, and every notice in the EU total

notices_in_periods as (

    select
        period_days.period_grain,
        period_days.period_label,
        notices.*,
        list_concat(
            ['EU'],
            case when member_states.country_code is not null then [member_states.country_code] else [] end
        ) as notice_areas
    from notices
    inner join period_days
        on notices.reported_date = period_days.metric_date
    left join member_states
        on notices.notifier_country_code = member_states.country_code

),

notice_area_rows as (

    select
        *,
        unnest(notice_areas) as area
    from notices_in_periods

),

notice_cells as (

    select
        *,
        unnest([dsa_category, 'TOTAL']) as row_label
    from notice_area_rows

),

notice_figures as (

    select
        period_grain,
        period_label,
        area,
        row_label,
        count(*) as notices_received,
        count(*) filter (where is_trusted_flagger) as notices_from_trusted_flaggers,
        count(*) filter (where is_acted_on) as notices_acted_on,
        quantile_cont(hours_to_action, 0.5) filter (where is_acted_on) as median_hours_notice_to_action
    from notice_cells
    group by all

),

notice_values as (

    select
        period_grain,
        period_label,
        '1_notices' as section,
        area,
        row_label,
        unnest([
            { 'column_label': 'notices_received', 'value': cast(notices_received as double) },
            { 'column_label': 'notices_from_trusted_flaggers', 'value': cast(notices_from_trusted_flaggers as double) },
            { 'column_label': 'notices_acted_on', 'value': cast(notices_acted_on as double) },
            { 'column_label': 'median_hours_notice_to_action', 'value': median_hours_notice_to_action }
        ]) as cell
    from notice_figures

),

-- 2. and 3. actions: `global` in the EU total only, listed member states in each of them
-- and once in the EU total

actions_in_periods as (

    select
        period_days.period_grain,
        period_days.period_label,
        actions.*,
        list_concat(
            case when actions.is_in_eu_view then ['EU'] else [] end,
            actions.scope_member_states
        ) as action_areas
    from actions
    inner join period_days
        on actions.decided_date = period_days.metric_date

),

action_area_rows as (

    select
        *,
        unnest(action_areas) as area
    from actions_in_periods

),

own_initiative_cells as (

    select
        *,
        unnest([dsa_category, 'TOTAL']) as row_label
    from action_area_rows
    where dsa_basis = 'own_initiative'

),

own_initiative_decision_counts as (

    select
        period_grain,
        period_label,
        area,
        row_label,
        dsa_decision,
        count(*) as actions
    from own_initiative_cells
    group by period_grain, period_label, area, row_label, dsa_decision

),

own_initiative_by_decision as (

    select
        period_grain,
        period_label,
        '2_own_initiative' as section,
        area,
        row_label,
        { 'column_label': dsa_decision, 'value': cast(actions as double) } as cell
    from own_initiative_decision_counts

),

own_initiative_totals as (

    select
        period_grain,
        period_label,
        area,
        row_label,
        count(*) as actions_total,
        avg(case when is_detected_automatically then 1.0 else 0.0 end) as share_detected_by_automated_means,
        avg(case when is_automated_decision then 1.0 else 0.0 end) as share_decided_by_automated_means
    from own_initiative_cells
    group by all

),

own_initiative_total_values as (

    select
        period_grain,
        period_label,
        '2_own_initiative' as section,
        area,
        row_label,
        unnest([
            { 'column_label': 'actions_total', 'value': cast(actions_total as double) },
            { 'column_label': 'share_detected_by_automated_means', 'value': share_detected_by_automated_means },
            { 'column_label': 'share_decided_by_automated_means', 'value': share_decided_by_automated_means }
        ]) as cell
    from own_initiative_totals

),

scope_rows as (

    select
        period_grain,
        period_label,
        area,
        dsa_basis,
        is_restriction,
        unnest(
            case
                when area <> 'EU' then ['scope_listed_member_states', 'total_in_area']
                when is_global then ['scope_global', 'total_in_area']
                else ['scope_listed_member_states', 'total_in_area']
            end
        ) as row_label
    from action_area_rows
    union all
    select
        period_grain,
        period_label,
        'EU' as area,
        dsa_basis,
        is_restriction,
        'outside_eu_view_non_eu_countries_only' as row_label
    from actions_in_periods
    where not is_in_eu_view

),

scope_figures as (

    select
        period_grain,
        period_label,
        area,
        row_label,
        count(*) filter (where dsa_basis = 'own_initiative') as own_initiative,
        count(*) filter (where dsa_basis = 'notice') as notices,
        count(*) filter (where dsa_basis = 'order') as orders,
        count(*) as total,
        count(*) filter (where is_restriction) as of_which_restrictions
    from scope_rows
    group by all

),

scope_values as (

    select
        period_grain,
        period_label,
        '3_territorial_scope' as section,
        area,
        row_label,
        unnest([
            { 'column_label': 'own_initiative', 'value': cast(own_initiative as double) },
            { 'column_label': 'notices', 'value': cast(notices as double) },
            { 'column_label': 'orders', 'value': cast(orders as double) },
            { 'column_label': 'total', 'value': cast(total as double) },
            { 'column_label': 'of_which_restrictions', 'value': cast(of_which_restrictions as double) }
        ]) as cell
    from scope_figures

),

-- 4. complaints, in the areas of the contested decision's scope

complaint_rows as (

    select
        period_days.period_grain,
        period_days.period_label,
        complaint_events.complaint_event,
        complaint_events.hours_to_resolution,
        complaint_events.decision_id
    from complaint_events
    inner join period_days
        on complaint_events.event_date = period_days.metric_date
    union all
    select
        period_grain,
        period_label,
        'pending' as complaint_event,
        cast(null as double) as hours_to_resolution,
        decision_id
    from complaints_pending

),

complaint_area_rows as (

    select
        complaint_rows.*,
        unnest(list_concat(
            case when decision_scopes.is_in_eu_view then ['EU'] else [] end,
            decision_scopes.scope_member_states
        )) as area
    from complaint_rows
    inner join decision_scopes
        on complaint_rows.decision_id = decision_scopes.decision_id

),

complaint_figures as (

    select
        period_grain,
        period_label,
        area,
        'TOTAL' as row_label,
        count(*) filter (where complaint_event = 'received') as complaints_received,
        count(*) filter (where complaint_event = 'upheld') as decided_upheld,
        count(*) filter (where complaint_event = 'reversed') as decided_reversed,
        count(*) filter (where complaint_event = 'withdrawn') as withdrawn,
        count(*) filter (where complaint_event = 'pending') as pending_at_period_end,
        quantile_cont(hours_to_resolution, 0.5)
        filter (where complaint_event in ('upheld', 'reversed')) as median_hours_to_resolution
    from complaint_area_rows
    group by all

),

complaint_values as (

    select
        period_grain,
        period_label,
        '4_complaints' as section,
        area,
        row_label,
        unnest([
            { 'column_label': 'complaints_received', 'value': cast(complaints_received as double) },
            { 'column_label': 'decided_upheld', 'value': cast(decided_upheld as double) },
            { 'column_label': 'decided_reversed', 'value': cast(decided_reversed as double) },
            { 'column_label': 'withdrawn', 'value': cast(withdrawn as double) },
            { 'column_label': 'pending_at_period_end', 'value': cast(pending_at_period_end as double) },
            { 'column_label': 'median_hours_to_resolution', 'value': median_hours_to_resolution }
        ]) as cell
    from complaint_figures

),

-- 5. average monthly active recipients over the period's months

recipient_months as (

    select
        periods.period_grain,
        periods.period_label,
        periods.months_in_period,
        active_recipients_monthly.activity_month,
        active_recipients_monthly.area,
        active_recipients_monthly.active_recipients
    from active_recipients_monthly
    inner join periods
        on
            active_recipients_monthly.activity_month >= periods.period_start
            and active_recipients_monthly.activity_month <= periods.period_end

),

recipient_averages as (

    select
        period_grain,
        period_label,
        area,
        sum(active_recipients) / min(months_in_period) as average_monthly_active_recipients
    from recipient_months
    group by period_grain, period_label, area

),

recipient_values as (

    select
        period_grain,
        period_label,
        '5_active_recipients' as section,
        area,
        'average_monthly_active_recipients' as row_label,
        {
            'column_label': 'average_monthly_active_recipients',
            'value': cast(average_monthly_active_recipients as double)
        } as cell
    from recipient_averages

),

section_values as (

    select * from notice_values
    union all
    select * from own_initiative_by_decision
    union all
    select * from own_initiative_total_values
    union all
    select * from scope_values
    union all
    select * from complaint_values
    union all
    select * from recipient_values

),

cell_values as (

    select
        period_grain,
        period_label,
        section,
        area,
        row_label,
        struct_extract(cell, 'column_label') as column_label,
        struct_extract(cell, 'value') as value
    from section_values

),

grid as (

    select
        periods.period_grain,
        periods.period_label,
        periods.period_start,
        periods.period_end,
        periods.months_in_period,
        periods.first_data_date,
        template.section,
        template.section_title,
        areas.area,
        template.row_order,
        template.row_label,
        template.column_order,
        template.column_label,
        template.figure_kind
    from periods
    cross join template
    cross join areas

),

report as (

    select
        cast(grid.period_grain as string) as period_grain,
        cast(grid.period_label as string) as period_label,
        cast(grid.period_start as date) as period_start,
        cast(grid.period_end as date) as period_end,
        cast(grid.section as string) as section,
        cast(grid.section_title as string) as section_title,
        cast(grid.area as string) as area,
        cast(grid.row_order as integer) as row_order,
        cast(grid.row_label as string) as row_label,
        cast(grid.column_order as integer) as column_order,
        cast(grid.column_label as string) as column_label,
        cast(grid.figure_kind as string) as figure_kind,
        cast(
            case
                when grid.column_label = 'months_in_period' then grid.months_in_period
                when grid.figure_kind in ('count', 'average') then coalesce(cell_values.value, 0)
                else cell_values.value
            end as double
        ) as value,
        cast(section_maturities.maturity_days as integer) as maturity_days,
        {{ is_final('grid.period_end', 'section_maturities.maturity_days') }} as is_final,
        grid.first_data_date <= grid.period_start as is_period_covered,
        {{ as_of_date_literal() }} as as_of_date
    from grid
    inner join section_maturities
        on grid.section = section_maturities.section
    left join cell_values
        on
            grid.period_grain = cell_values.period_grain
            and grid.period_label = cell_values.period_label
            and grid.section = cell_values.section
            and grid.area = cell_values.area
            and grid.row_label = cell_values.row_label
            and grid.column_label = cell_values.column_label

)

select * from report
