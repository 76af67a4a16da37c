-- depends_on: {{ ref('ref_policy_categories') }}
{{ config(materialized='view') }}

{{ base_platform_rows('moderation_decisions') }}
