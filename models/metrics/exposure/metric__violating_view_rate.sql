{#-
    violating_view_rate: weighted prevalence over labeled sampled impressions (one label
    per impression, latest labeled_at then larger label_id; w = 1 / sampling_rate):
    numerator sum(w) over violating labels (of category c for a policy_category row),
    denominator sum(w) over all labeled impressions of the cell, sum_weight_squared for
    Kish's effective n; sample_size = labels.
-#}
{%- set cell_columns = ['age_band', 'region', 'plan', 'surface'] %}

with

facts as (

    {{ metric_facts_at_cutoff('int_exposure_user_day_surfaces', 'violating_view_rate') }}

),

facts_in_periods as (

    {{ metric_periods_of('facts', 'activity_date') }}

),

segment_values as (

    select * from {{ ref('ref_segment_values') }}

),

prevalence_cells as (

    -- the labeled impressions of each cell: every row's denominator, Kish n and
    -- sample_size, including the policy_category rows of the cell
    select
        period_grain,
        period_start,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        {{ segment_or_all('surface') }} as surface,
        sum(violating_weight) as violating_weight,
        sum(label_weight) as label_weight,
        sum(label_weight_squared) as label_weight_squared,
        sum(labeled_impressions) as labeled_impressions
    from facts_in_periods
    where labeled_impressions > 0
    group by period_grain, period_start, {{ metric_grouping_sets(cell_columns) }}  -- noqa: PRS

),

violating_label_rows as (

    select
        period_grain,
        period_start,
        age_band,
        {{ explode_list('violating_labels') }} as violating_label
    from facts_in_periods
    where violating_labels is not null

),

violating_labels as (

    -- violating_label is a struct: its fields read like qualified column references
    -- noqa: disable=RF03, AL09
    select
        period_grain,
        period_start,
        age_band,
        violating_label.violation_category as violation_category,
        violating_label.sample_weight as sample_weight
    from violating_label_rows
    -- noqa: enable=RF03, AL09

),

violating_weight_by_category as (

    -- the groupings of metric_grouping_sets that break down policy_category
    select
        period_grain,
        period_start,
        {{ segment_or_all('age_band') }} as age_band,
        violation_category as policy_category,
        sum(sample_weight) as violating_weight
    from violating_labels
    group by period_grain, period_start, violation_category, grouping sets ((), (age_band))  -- noqa: PRS

),

policy_categories as (

    select segment_value as policy_category
    from segment_values
    where segment_column = 'policy_category'

),

category_cells as (

    -- a category with no violating label in a labeled cell is a measured 0, not an
    -- empty cell, so every category gets a row wherever the cell has labels
    select
        prevalence_cells.period_grain,
        prevalence_cells.period_start,
        prevalence_cells.age_band,
        policy_categories.policy_category,
        coalesce(violating_weight_by_category.violating_weight, 0) as violating_weight,
        prevalence_cells.label_weight,
        prevalence_cells.label_weight_squared,
        prevalence_cells.labeled_impressions
    from prevalence_cells
    cross join policy_categories
    left join violating_weight_by_category
        on
            prevalence_cells.period_grain = violating_weight_by_category.period_grain
            and prevalence_cells.period_start = violating_weight_by_category.period_start
            and prevalence_cells.age_band = violating_weight_by_category.age_band
            and policy_categories.policy_category = violating_weight_by_category.policy_category
    where
        prevalence_cells.region = 'all'
        and prevalence_cells.plan = 'all'
        and prevalence_cells.surface = 'all'

),

unit_rows as (

    select
        {{ metric_unit_columns(
            'violating_view_rate',
            carried=['age_band', 'region', 'plan', 'surface'],
            numerator='violating_weight',
            denominator='label_weight',
            sample_size='labeled_impressions',
            sum_weight_squared='label_weight_squared',
        ) }}
    from prevalence_cells

    union all

    select
        {{ metric_unit_columns(
            'violating_view_rate',
            carried=['age_band', 'policy_category'],
            numerator='violating_weight',
            denominator='label_weight',
            sample_size='labeled_impressions',
            sum_weight_squared='label_weight_squared',
        ) }}
    from category_cells

)

select * from unit_rows
