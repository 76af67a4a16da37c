with

source as (
    select * from {{ ref('base_platform__user_profile_versions') }}
),

winning_copy as (
    -- state table: dedup_rank 1 is the latest ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        user_id,
        valid_from,
        plan,
        country_code,
        birth_date,
        is_managed_account,
        ingested_at
    from winning_copy
)

select * from renamed
