{% macro ai_eval_set_unit(metric_name, eval_set, outcome) -%}
    {#-
        The body of an evaluation-set metric unit (ai_attack_success_rate,
        ai_over_refusal_rate, ai_judge_calibration_accuracy): the share of the eval
        set's outputs with `outcome` (an expression over int_ai_judgments columns),
        by eval run date (metrics.md, "Attribution") and feature. Per output of a run,
        only the primary judge's latest judgment counts (latest judged_at, ties: the
        larger judgment_id) among judgments ingested before the run date's
        finalization instant. Every grain is recomputed from the days' parts.
    -#}
with

judgments as (
    select * from {{ ref('int_ai_judgments') }}
),

periods as (
    select * from {{ ref('int_metric_periods') }}
),

eval_set_judgments as (
    select *
    from judgments
    where
        eval_set = '{{ eval_set }}'
        and is_primary_judge
),

-- the cut-off: a judgment counts on its run's date D when ingested before D's finalization instant
judgments_known as (
    select *
    from ({{ metric_cutoff_copy('eval_set_judgments', 'eval_run_date', metric_name) }}) as copies
    where {{ known_at_cutoff('cutoff_at', 'ingested_at') }}
),

judgments_at_cutoff as (
    select
        judgments.eval_run_id,
        judgments.output_id,
        judgments.eval_run_date as metric_date,
        judgments.feature,
        {{ outcome }} as has_outcome,
        row_number() over (
            partition by judgments.eval_run_id, judgments.output_id
            order by judgments.judged_at desc, judgments.judgment_id desc
        ) as recency_rank
    from judgments_known as judgments
),

outputs as (
    select *
    from judgments_at_cutoff
    where recency_rank = 1
),

day_parts as (
    select
        metric_date,
        {{ segment_or_all('feature') }} as feature,
        count_if(has_outcome) as numerator,
        count(*) as denominator
    from outputs
    group by metric_date, {{ metric_grouping_sets(['feature']) }}  -- noqa: PRS
),

period_parts as (
    select
        periods.period_grain,
        periods.period_start,
        day_parts.feature,
        sum(day_parts.numerator) as numerator,
        sum(day_parts.denominator) as denominator
    from day_parts
    inner join periods
        on day_parts.metric_date = periods.metric_date
    group by periods.period_grain, periods.period_start, day_parts.feature
),

unit_rows as (
    select
        {{ metric_unit_columns(
            metric_name, carried=['feature'],
            numerator='numerator', denominator='denominator', sample_size='denominator',
        ) }}
    from period_parts
)

select * from unit_rows
{%- endmacro %}
