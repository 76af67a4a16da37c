-- Every prevalence label with the interval of ingestion time during which it is the one
-- label its impression counts with (the latest labeled_at, then the larger label_id,
-- among the labels already ingested). A cut-off F sees label l when
-- known_from < F <= known_until (null = still current), so each impression has at most
-- one label at any cut-off, and a re-review ingested after a day's finalization instant
-- never changes that day.
with

prevalence_labels as (

    select * from {{ ref('stg_platform__prevalence_labels') }}

),

labels_with_supersession as (

    select
        label_id,
        event_id,
        sample_stratum,
        sampling_rate,
        is_violating,
        policy_category,
        labeled_at,
        ingested_at,
        -- the first ingestion of a label that outranks this one ends its reign
        min(ingested_at) over (
            partition by event_id
            order by labeled_at desc, label_id desc
            rows between unbounded preceding and 1 preceding
        ) as outranked_at
    from prevalence_labels

),

labels_as_of as (

    select
        label_id,
        event_id,
        sample_stratum,
        sampling_rate,
        1.0 / sampling_rate as sample_weight,
        is_violating,
        case
            when is_violating then coalesce(policy_category, 'unknown')
        end as violation_category,
        labeled_at,
        ingested_at as known_from,
        -- an outranking label ingested no later than this one means this one never counts
        case
            when outranked_at <= ingested_at then ingested_at
            else outranked_at
        end as known_until
    from labels_with_supersession

)

select * from labels_as_of
