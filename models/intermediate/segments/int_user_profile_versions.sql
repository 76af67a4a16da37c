{#-
    SCD2 over every valid copy of every profile row. A copy takes effect at the later of
    its valid_from and its ingestion, so a row that arrives late never rewrites a day
    that was already computed, and a re-delivered copy of a key with different content
    (a correction) takes effect only from its own ingestion. A re-delivery identical to
    the previous copy of its key changes nothing and is dropped: otherwise it would
    re-apply an old state over a newer row.
-#}

with

profile_rows as (

    select * from {{ ref('base_platform__user_profile_versions') }}

),

countries as (

    select * from {{ ref('ref_countries') }}

),

valid_copies as (

    select
        user_id,
        valid_from,
        plan,
        country_code,
        birth_date,
        is_managed_account,
        ingested_at,
        dedup_rank
    from profile_rows
    where
        reject_reason is null
        and ingested_at < {{ knowledge_instant() }}

),

copies_with_previous_of_key as (

    -- within a key, dedup_rank descending is ingestion order with the staged winner last
    select
        *,
        row_number() over key_copies as copy_number,
        lag(plan) over key_copies as previous_plan,
        lag(country_code) over key_copies as previous_country_code,
        lag(birth_date) over key_copies as previous_birth_date,
        lag(is_managed_account) over key_copies as previous_is_managed_account
    from valid_copies
    window key_copies as (
        partition by user_id, valid_from
        order by ingested_at asc, dedup_rank desc
    )

),

changed_copies as (

    select
        user_id,
        valid_from,
        plan,
        country_code,
        birth_date,
        is_managed_account,
        ingested_at,
        dedup_rank,
        greatest(valid_from, ingested_at) as effective_at
    from copies_with_previous_of_key
    where
        copy_number = 1
        or plan is distinct from previous_plan
        or country_code is distinct from previous_country_code
        or birth_date is distinct from previous_birth_date
        or is_managed_account is distinct from previous_is_managed_account

),

ordered_versions as (

    select
        *,
        row_number() over (
            partition by user_id
            order by
                effective_at asc,
                ingested_at asc,
                valid_from asc,
                dedup_rank desc,
                plan asc,
                country_code asc nulls first,
                birth_date asc nulls first,
                is_managed_account asc
        ) as profile_version_number
    from changed_copies

),

versions_with_end as (

    select
        *,
        lead(effective_at) over (
            partition by user_id order by profile_version_number
        ) as effective_to
    from ordered_versions

),

versions_with_region as (

    select
        versions_with_end.user_id,
        versions_with_end.profile_version_number,
        versions_with_end.valid_from,
        versions_with_end.effective_at,
        versions_with_end.effective_to,
        versions_with_end.plan,
        versions_with_end.country_code,
        coalesce(countries.region, 'unknown') as region,
        versions_with_end.birth_date,
        versions_with_end.is_managed_account,
        versions_with_end.ingested_at
    from versions_with_end
    left join countries
        on versions_with_end.country_code = countries.country_code

)

select * from versions_with_region
