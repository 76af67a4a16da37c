{{ config(materialized='view') }}

{{ base_platform_rows('user_profile_versions') }}
