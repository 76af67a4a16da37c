{{ config(materialized='table') }}

{#- HarmBench ASR pooled over red_team test outputs: outputs judged unsafe / outputs. -#}
{{ ai_eval_set_unit('ai_attack_success_rate', 'red_team', 'judgments.is_unsafe') }}
