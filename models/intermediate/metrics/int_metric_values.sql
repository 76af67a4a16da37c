with

exposure as (

    select * from {{ ref('int_metric_values__exposure') }}

),

enforcement as (

    select * from {{ ref('int_metric_values__enforcement') }}

),

contact as (

    select * from {{ ref('int_metric_values__contact') }}

),

family_rows as (

    select
        metric_name,
        metric_date,
        age_band,
        region,
        plan,
        surface,
        policy_category,
        feature,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(sample_size as bigint) as sample_size,
        cast(sum_weight_squared as double) as sum_weight_squared,
        cast(value as double) as value,
        'exposure' as metric_family
    from exposure

    union all

    select
        metric_name,
        metric_date,
        age_band,
        region,
        plan,
        surface,
        policy_category,
        feature,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(sample_size as bigint) as sample_size,
        cast(sum_weight_squared as double) as sum_weight_squared,
        cast(value as double) as value,
        'enforcement' as metric_family
    from enforcement

    union all

    select
        metric_name,
        metric_date,
        age_band,
        region,
        plan,
        surface,
        policy_category,
        feature,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(sample_size as bigint) as sample_size,
        cast(sum_weight_squared as double) as sum_weight_squared,
        cast(value as double) as value,
        'contact' as metric_family
    from contact

)

select * from family_rows
