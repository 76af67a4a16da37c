-- Every known copy of a content item's creator attribution, with the interval of
-- ingestion time during which it was the latest known copy. Content is a state table
-- (latest copy wins), so a metric day may only see the copy that was latest at its
-- finalization instant: a copy arriving later must not change a final value.
with

content_copies as (

    select * from {{ ref('base_platform__content') }}
    where reject_reason is null

),

one_copy_per_instant as (

    -- copies ingested at the same instant: the one staging would keep
    select
        content_id,
        creator_id,
        creator_country_code,
        ingested_at,
        row_number() over (
            partition by content_id, ingested_at
            order by dedup_rank
        ) as rank_at_instant
    from content_copies

),

versions as (

    select
        content_id,
        creator_id,
        creator_country_code,
        ingested_at as known_from,
        lead(ingested_at) over (
            partition by content_id
            order by ingested_at
        ) as known_until
    from one_copy_per_instant
    where rank_at_instant = 1

)

select * from versions
