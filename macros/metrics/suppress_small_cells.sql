{#-
    The one small-cell suppression (metrics.md, "Small cells"), used by metrics_daily,
    metrics_periodic and every domain mart.

    Small cells: where `applies` holds (the suppression rule covers the row),
    1 <= sample_size < var('small_cell_threshold'). Complementary suppression: within one
    review group (group_key: e.g. metric, day and grouping), a sibling set is the cells
    equal in every sibling column but one (cells whose varying column is null have no
    such set); wherever a set has exactly one suppressed cell, its smallest unsuppressed
    cell with sample_size > 0 (ties: the lower value of the varying column) is
    suppressed too. Each suppression can leave another set with exactly one suppressed
    cell, so the passes repeat until none adds a cell. Only groups holding a small cell
    are examined.

    Returns a query: every row of `relation` with is_suppressed and can_be_suppressed
    (nothing is nulled here; the caller nulls what it publishes). metrics_daily and
    metrics_periodic then add linked suppression across groupings and metrics
    (int_metric_linked_suppression__*, tsw/privacy.py, docs/privacy.md).
-#}

{% macro suppress_small_cells(relation, group_key, sibling_columns, cell_key, applies='true') -%}
    {%- set suppressible -%}
        coalesce(({{ applies }}) and sample_size > 0, false)
    {%- endset %}
    {%- set carried = ['review_group_id'] + sibling_columns + ['sample_size', 'can_be_suppressed'] %}
    with

    small_cells as (

        select
            {%- for column in (cell_key + group_key + sibling_columns) | unique %}
                {{ column }},
            {%- endfor %}
            sample_size,
            coalesce(
                ({{ applies }})
                and sample_size >= 1
                and sample_size < {{ var('small_cell_threshold') }},
                false
            ) as is_small_cell,
            {{ suppressible }} as can_be_suppressed
        from {{ relation }}

    ),

    groups_with_small_cells as (

        select
            {%- for column in group_key %}
                {{ column }},
            {%- endfor %}
            row_number() over (order by {{ group_key | join(', ') }}) as review_group_id
        from small_cells
        where is_small_cell
        group by {{ group_key | join(', ') }}

    ),

    cells_under_review as (

        select
            row_number() over (
                order by groups_with_small_cells.review_group_id, small_cells.{{ sibling_columns | join(', small_cells.') }}
            ) as cell_id,
            groups_with_small_cells.review_group_id,
            {%- for column in (cell_key + sibling_columns) | unique %}
                small_cells.{{ column }},
            {%- endfor %}
            small_cells.sample_size,
            small_cells.can_be_suppressed,
            small_cells.is_small_cell
        from small_cells
        inner join groups_with_small_cells
            on
                {%- for column in group_key %}
                    small_cells.{{ column }} = groups_with_small_cells.{{ column }}{{ " and" if not loop.last }}
                {%- endfor %}

    ),

    suppression_passes as (

        -- Pass 0 is the small cells; each later pass re-examines only the groups whose
        -- previous pass suppressed something, and the recursion ends when none did.
        with recursive passes as (

            select
                0 as pass_number,
                cell_id,
                {{ carried | join(', ') }},
                is_small_cell as is_suppressed
            from cells_under_review

            union all

            select
                pass_number,
                cell_id,
                {{ carried | join(', ') }},
                is_suppressed
            from (
                select
                    pass_number,
                    cell_id,
                    {{ carried | join(', ') }},
                    was_suppressed or is_newly_suppressed as is_suppressed,
                    bool_or(is_newly_suppressed) over (partition by review_group_id) as group_changed
                from (
                    select
                        pass_number + 1 as pass_number,
                        cell_id,
                        {{ carried | join(', ') }},
                        is_suppressed as was_suppressed,
                        -- The first row of a sibling set in this order is its smallest
                        -- suppressible cell, if it has one.
                        can_be_suppressed
                        and not is_suppressed
                        and (
                            false
                            {%- for column in sibling_columns %}
                                {%- set others = ['review_group_id'] + sibling_columns | reject('equalto', column) | list %}
                                or (
                                    {{ column }} is not null
                                    and count_if(is_suppressed) over (partition by {{ others | join(', ') }}) = 1
                                    and row_number() over (
                                        partition by {{ others | join(', ') }}
                                        order by
                                            can_be_suppressed and not is_suppressed desc,
                                            sample_size asc,
                                            {{ column }} asc
                                    ) = 1
                                )
                            {%- endfor %}
                        ) as is_newly_suppressed
                    from passes
                ) as candidates
            ) as pass_result
            where group_changed

        )

        select * from passes

    ),

    latest_suppression as (

        select
            cell_id,
            is_suppressed
        from (
            select
                cell_id,
                is_suppressed,
                row_number() over (partition by cell_id order by pass_number desc) as pass_rank
            from suppression_passes
        ) as ranked_passes
        where pass_rank = 1

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
            {{ relation }}.*,
            coalesce(final_suppression.is_suppressed, false) as is_suppressed,
            -- a non-empty cell the rule covers: what linked suppression may hide as well
            {{ suppressible }} as can_be_suppressed
        from {{ relation }}
        left join final_suppression
            on
                {%- for column in cell_key %}
                    {{ relation }}.{{ column }} = final_suppression.{{ column }}{{ " and" if not loop.last }}
                {%- endfor %}

    )

    select * from suppressed
{%- endmacro %}

{% macro sibling_segment_values() -%}
    {#- A metric row's values of its grouping's first and second segment columns (null where none). -#}
    {%- for position in [1, 2] %}
        case grouping_column_{{ position }}
            {%- for column in segment_columns() %}
                when '{{ column }}' then {{ column }}
            {%- endfor %}
        end as segment_value_{{ position }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro metric_published_columns(date_columns) -%}
    {#- The published columns of a suppressed metric row (metrics_daily, metrics_periodic): suppressed parts nulled. -#}
    {%- for column in date_columns %}
    cast({{ column }} as date) as {{ column }},
    {%- endfor %}
    cast(metric_name as string) as metric_name,
    cast(metric_version as integer) as metric_version,
    cast(unit as string) as unit,
    {%- for column in segment_columns() %}
    cast({{ column }} as string) as {{ column }},
    {%- endfor %}
    {%- for column in ['numerator', 'denominator', 'value'] %}
    cast(case when not is_suppressed then {{ column }} end as double) as {{ column }},
    {%- endfor %}
    cast(case when not is_suppressed then sample_size end as bigint) as sample_size,
    cast(case when not is_suppressed then ci_lower end as double) as ci_lower,
    cast(case when not is_suppressed then ci_upper end as double) as ci_upper,
    cast(is_final as boolean) as is_final,
    cast(is_suppressed as boolean) as is_suppressed,
    cast(as_of_date as date) as as_of_date
{%- endmacro %}

{% macro with_linked_suppression(relation, linked_model, date_key) -%}
    {#-
        `relation`'s rows with the cells of `linked_model` (the linked suppression that
        stops differencing across groupings and metrics, docs/privacy.md) suppressed too,
        when var('linked_suppression') is on; else `relation` as it is. date_key: the
        columns that name a day or period besides the cell (metric_date, or period_grain
        and period_start).
    -#}
    {%- if var('linked_suppression') | as_bool %}
        select
            {{ relation }}.* replace (
                {{ relation }}.is_suppressed or coalesce(linked.is_linked_suppression, false) as is_suppressed
            )
        from {{ relation }}
        left join {{ ref(linked_model) }} as linked
            on
                {%- for column in date_key + ['metric_name'] + segment_columns() %}
                    {{ relation }}.{{ column }} = linked.{{ column }}{{ " and" if not loop.last }}
                {%- endfor %}
    {%- else %}
        select * from {{ relation }}
    {%- endif %}
{%- endmacro %}
