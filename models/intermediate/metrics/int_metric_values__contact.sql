-- Placeholder until the metric family is implemented: the shared shape, no rows.
select
    cast(null as varchar) as metric_name,
    cast(null as date) as metric_date,
    cast(null as varchar) as age_band,
    cast(null as varchar) as region,
    cast(null as varchar) as plan,
    cast(null as varchar) as surface,
    cast(null as varchar) as policy_category,
    cast(null as varchar) as feature,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    cast(null as bigint) as sample_size,
    cast(null as double) as sum_weight_squared,
    cast(null as double) as value
where false
