{#-
    The published metrics table (metrics.md, "Published interface"): every grid cell,
    with small cells of user-based metrics suppressed.

    Small-cell suppression: suppression_rule = small_cell and 1 <= sample_size <
    var('small_cell_threshold'). Complementary suppression: within one metric, day and
    grouping, a sibling set (cells equal in every segment column but one) with exactly
    one suppressed cell would let the reader recover it from the set's total, so its
    smallest unsuppressed non-empty sibling (ties: the lower segment value) is
    suppressed too. Each suppression can leave another set with exactly one suppressed
    cell, so the passes repeat until none adds a cell. A suppressed cell's sample_size
    is nulled too: for counts it is the value itself.
-#}

{%- set segment_columns = ['age_band', 'region', 'plan', 'surface', 'policy_category', 'feature'] %}
{%- set cell_key = ['metric_name', 'metric_date'] + segment_columns %}

with

unsuppressed as (

    select * from {{ ref('fct_metrics_daily_unsuppressed') }}

),

small_cells as (

    select
        *,
        coalesce(
            suppression_rule = 'small_cell'
            and sample_size >= 1
            and sample_size < {{ var('small_cell_threshold') }},
            false
        ) as is_small_cell,
        coalesce(suppression_rule = 'small_cell' and sample_size > 0, false) as can_be_suppressed,
        case grouping_column_1
            {%- for column in segment_columns %}
                when '{{ column }}' then {{ column }}
            {%- endfor %}
        end as segment_value_1,
        case grouping_column_2
            {%- for column in segment_columns %}
                when '{{ column }}' then {{ column }}
            {%- endfor %}
        end as segment_value_2
    from unsuppressed

),

groupings_with_small_cells as (

    select
        metric_name,
        metric_date,
        grouping_name,
        row_number() over (order by metric_name, metric_date, grouping_name) as review_group_id
    from small_cells
    where is_small_cell
    group by metric_name, metric_date, grouping_name

),

cells_under_review as (

    select
        row_number() over (
            order by
                groupings_with_small_cells.review_group_id,
                small_cells.segment_value_1,
                small_cells.segment_value_2
        ) as cell_id,
        groupings_with_small_cells.review_group_id,
        {%- for column in cell_key %}
            small_cells.{{ column }},
        {%- endfor %}
        small_cells.grouping_column_1 is not null as has_first_sibling_sets,
        small_cells.grouping_column_2 is not null as has_second_sibling_sets,
        small_cells.segment_value_1,
        small_cells.segment_value_2,
        small_cells.sample_size,
        small_cells.can_be_suppressed,
        small_cells.is_small_cell
    from small_cells
    inner join groupings_with_small_cells
        on
            small_cells.metric_name = groupings_with_small_cells.metric_name
            and small_cells.metric_date = groupings_with_small_cells.metric_date
            and small_cells.grouping_name = groupings_with_small_cells.grouping_name

),

suppression_passes as (

    -- Pass 0 is the small cells; each later pass re-examines only the groupings whose
    -- previous pass suppressed something, and the recursion ends when none did.
    with recursive passes as (

        select
            0 as pass_number,
            cell_id,
            review_group_id,
            has_first_sibling_sets,
            has_second_sibling_sets,
            segment_value_1,
            segment_value_2,
            sample_size,
            can_be_suppressed,
            is_small_cell as is_suppressed
        from cells_under_review

        union all

        select
            pass_number,
            cell_id,
            review_group_id,
            has_first_sibling_sets,
            has_second_sibling_sets,
            segment_value_1,
            segment_value_2,
            sample_size,
            can_be_suppressed,
            is_suppressed
        from (
            select
                pass_number,
                cell_id,
                review_group_id,
                has_first_sibling_sets,
                has_second_sibling_sets,
                segment_value_1,
                segment_value_2,
                sample_size,
                can_be_suppressed,
                was_suppressed or is_newly_suppressed as is_suppressed,
                bool_or(is_newly_suppressed) over (partition by review_group_id) as grouping_changed
            from (
                select
                    pass_number + 1 as pass_number,
                    cell_id,
                    review_group_id,
                    has_first_sibling_sets,
                    has_second_sibling_sets,
                    segment_value_1,
                    segment_value_2,
                    sample_size,
                    can_be_suppressed,
                    is_suppressed as was_suppressed,
                    -- The first row of a sibling set in this order is its smallest
                    -- suppressible cell, if it has one.
                    can_be_suppressed
                    and not is_suppressed
                    and (
                        (
                            has_first_sibling_sets
                            and count_if(is_suppressed) over (partition by review_group_id, segment_value_2) = 1
                            and row_number() over (
                                partition by review_group_id, segment_value_2
                                order by
                                    can_be_suppressed and not is_suppressed desc,
                                    sample_size asc,
                                    segment_value_1 asc
                            ) = 1
                        )
                        or (
                            has_second_sibling_sets
                            and count_if(is_suppressed) over (partition by review_group_id, segment_value_1) = 1
                            and row_number() over (
                                partition by review_group_id, segment_value_1
                                order by
                                    can_be_suppressed and not is_suppressed desc,
                                    sample_size asc,
                                    segment_value_2 asc
                            ) = 1
                        )
                    ) as is_newly_suppressed
                from passes
            ) as candidates
        ) as pass_result
        where grouping_changed

    )

    select * from passes

),

latest_suppression as (

    select
        cell_id,
        is_suppressed
    from suppression_passes
    qualify row_number() over (partition by cell_id order by pass_number desc) = 1

),

final_suppression as (

    select
        {%- for column in cell_key %}
            cells_under_review.{{ column }},
        {%- endfor %}
        latest_suppression.is_suppressed
    from cells_under_review
    inner join latest_suppression
        on cells_under_review.cell_id = latest_suppression.cell_id

),

suppressed as (

    select
        unsuppressed.*,
        coalesce(final_suppression.is_suppressed, false) as is_suppressed
    from unsuppressed
    left join final_suppression
        on
            unsuppressed.metric_name = final_suppression.metric_name
            and unsuppressed.metric_date = final_suppression.metric_date
            and unsuppressed.age_band = final_suppression.age_band
            and unsuppressed.region = final_suppression.region
            and unsuppressed.plan = final_suppression.plan
            and unsuppressed.surface = final_suppression.surface
            and unsuppressed.policy_category = final_suppression.policy_category
            and unsuppressed.feature = final_suppression.feature

),

published as (

    select
        cast(metric_date as date) as metric_date,
        cast(metric_name as varchar) as metric_name,
        cast(metric_version as integer) as metric_version,
        cast(unit as varchar) as unit,
        {%- for column in segment_columns %}
            cast({{ column }} as varchar) as {{ column }},
        {%- endfor %}
        cast(case when not is_suppressed then numerator end as double) as numerator,
        cast(case when not is_suppressed then denominator end as double) as denominator,
        cast(case when not is_suppressed then value end as double) as value,
        cast(case when not is_suppressed then sample_size end as bigint) as sample_size,
        cast(case when not is_suppressed then ci_lower end as double) as ci_lower,
        cast(case when not is_suppressed then ci_upper end as double) as ci_upper,
        cast(is_final as boolean) as is_final,
        cast(is_suppressed as boolean) as is_suppressed,
        cast(as_of_date as date) as as_of_date
    from suppressed

)

select * from published
