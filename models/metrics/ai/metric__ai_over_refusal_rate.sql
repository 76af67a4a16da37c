{{ config(materialized='table') }}

{#- XSTest-style over-refusal: benign_probe outputs the model refused / benign_probe outputs. -#}
{{ ai_eval_set_unit('ai_over_refusal_rate', 'benign_probe', 'judgments.is_refused') }}
