-- Users' own data whose LLM judgments name no judge of seeds/reference/ref_primary_judge.csv
-- would publish empty AI metrics without saying why. The default (docs/ai_evaluation.md):
-- the build fails here, naming the seed and the LLM judges that were found, so the
-- operator names their primary judge in the seed (and bumps the ai_* metric versions).
with

judgments as (
    select * from {{ ref('int_ai_judgments') }}
),

llm_judges as (
    select
        count(*) as llm_judgments,
        count_if(is_primary_judge) as primary_judgments,
        string_agg(distinct judge_id, ', ' order by judge_id) as llm_judge_ids
    from judgments
    where judge_type = 'llm'
),

missing_primary_judge as (
    select
        llm_judgments,
        llm_judge_ids,
        'no LLM judgment is by the primary judge named in seeds/reference/ref_primary_judge.csv: '
        || 'name one of these judges there (judge_id, primary_from_date)' as problem
    from llm_judges
    where llm_judgments > 0 and primary_judgments = 0
)

select * from missing_primary_judge
