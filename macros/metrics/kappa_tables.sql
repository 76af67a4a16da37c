{#-
    Cohen's kappa between a judge and the human majority, written once: the catalog metric
    ai_judge_human_kappa (primary judge, each pair under its cut-off, every grain) and the
    diagnostic mart fct_ai_judge_quality (every LLM judge x week, all known verdicts) both
    count their pairs into 2x2 tables with kappa_table_counts and read kappa, its
    agreements and its interval from kappa_of_tables.
-#}

{% macro kappa_table_counts(judge_unsafe='is_judge_unsafe', human_unsafe='is_human_unsafe') -%}
    {#- The 2x2 table of a group of pairs (aggregates; columns both_unsafe .. both_safe). -#}
    count_if({{ judge_unsafe }} and {{ human_unsafe }}) as both_unsafe,
    count_if({{ judge_unsafe }} and not {{ human_unsafe }}) as judge_only_unsafe,
    count_if(not {{ judge_unsafe }} and {{ human_unsafe }}) as human_only_unsafe,
    count_if(not {{ judge_unsafe }} and not {{ human_unsafe }}) as both_safe
{%- endmacro %}

{% macro kappa_of_tables(relation) -%}
    {#-
        relation's rows (2x2 tables: both_unsafe, judge_only_unsafe, human_only_unsafe,
        both_safe, pairs) with observed_agreement, expected_agreement, kappa,
        kappa_standard_error and the catalog's interval kappa_ci_lower / kappa_ci_upper
        (kappa +/- 1.96 SE truncated to [-1, 1]; null when p_e = 1).
    -#}
    select
        kappas.*,
        {{ kappa_interval_lower('kappas.kappa', 'kappas.kappa_standard_error') }} as kappa_ci_lower,
        {{ kappa_interval_upper('kappas.kappa', 'kappas.kappa_standard_error') }} as kappa_ci_upper
    from (
        select
            agreement.*,
            {{ cohens_kappa('agreement.observed_agreement', 'agreement.expected_agreement') }} as kappa,
            {{ kappa_standard_error('agreement.observed_agreement', 'agreement.expected_agreement', 'agreement.pairs') }}
                as kappa_standard_error
        from (
            select
                tables.*,
                cast(tables.both_unsafe + tables.both_safe as double) / tables.pairs as observed_agreement,
                {{ kappa_expected_agreement(
                    'tables.both_unsafe', 'tables.judge_only_unsafe', 'tables.human_only_unsafe', 'tables.both_safe'
                ) }} as expected_agreement
            from {{ relation }} as tables
        ) as agreement
    ) as kappas
{%- endmacro %}
