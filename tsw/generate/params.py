"""The generating parameters of the synthetic platform (the planted truths come from here).

Every probability the generator draws from is a named constant in this module, so the
scenario file can report the true parameters and tests can check the marts recover them.
"""

from __future__ import annotations

from datetime import date

import numpy as np

SURFACES = ("home", "search", "recommendations", "social_feed", "comments", "messaging", "ai_dj", "ai_playlist", "podcast_page", "other")
PLATFORMS = ("ios", "android", "web", "desktop", "tv", "other")
PLANS = ("free", "premium", "family", "student", "duo")
AGE_BANDS = ("under_13", "13_15", "16_17", "18_24", "25_34", "35_plus", "unknown")
UNKNOWN_BAND = 6
MINOR_BANDS = (0, 1, 2)
ADULT_BANDS = (3, 4, 5)
CONTENT_TYPES = ("track", "podcast_episode", "audiobook", "playlist", "user_profile", "comment", "ai_playlist", "ai_dj_segment")
USER_CONTENT_TYPES = ("playlist", "user_profile", "comment")
AI_CONTENT_TYPES = ("ai_playlist", "ai_dj_segment")
FEATURES = ("ai_dj", "ai_playlist", "ai_assistant")
POLICY_CATEGORIES = (
    "hate_speech", "harassment", "violent_extremism", "graphic_violence", "self_harm", "sexual_content",
    "child_safety", "dangerous_goods", "scams_fraud", "impersonation", "spam_manipulation", "misinformation",
    "intellectual_property", "privacy", "other_terms_violation",
)
REASON_CODES = (
    "HATE", "HARASSMENT", "BULLYING", "UNWANTED_CONTACT", "EXTREMISM", "VIOLENCE", "SELF_HARM", "SEXUAL",
    "CHILD_SAFETY", "ILLEGAL_GOODS", "SCAM", "IMPERSONATION", "SPAM", "MISINFO", "COPYRIGHT", "PRIVACY", "OTHER",
)
REASON_CATEGORY = (0, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)  # index into POLICY_CATEGORIES
ACTIONS = ("remove", "restrict_visibility", "age_restrict", "label", "demote", "warn", "suspend_account", "terminate_account", "no_action")
NO_ACTION = 8
DETECTION_SOURCES = ("user_report", "automated_classifier", "human_proactive", "trusted_flagger", "authority_order")
TARGET_TYPES = ("content", "user", "message")
NOTICE_BASES = ("terms_of_service", "illegal_content")
DECISION_GROUNDS = ("terms_of_service", "illegal_content", "none")
APPEAL_OUTCOMES = ("upheld", "overturned", "pending", "withdrawn")
LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "sv", "nl", "pl", "hi", "ja", "yo")

# Countries of residence (EU heavy, every region, two unrecognised codes) and their weights.
COUNTRIES = (
    ("DE", 9), ("FR", 7), ("ES", 5), ("IT", 5), ("NL", 3), ("SE", 3), ("PL", 3), ("BE", 2), ("AT", 2), ("IE", 1),
    ("PT", 1.5), ("DK", 1), ("FI", 1), ("CZ", 1), ("RO", 1), ("GR", 1), ("HU", 1), ("GB", 7),
    ("NO", 1), ("CH", 1), ("TR", 1.5), ("UA", 1), ("US", 12), ("CA", 2), ("BR", 5), ("MX", 3), ("AR", 1), ("CO", 1),
    ("IN", 5), ("JP", 2), ("AU", 1.5), ("ID", 1.5), ("PH", 1), ("NG", 2), ("ZA", 1), ("EG", 1), ("AE", 1), ("KE", 0.5),
    ("ZZ", 0.4), ("XZ", 0.2),
)
COUNTRY_CODES = tuple(code for code, _ in COUNTRIES)
COUNTRY_WEIGHTS = np.array([w for _, w in COUNTRIES], dtype=float) / sum(w for _, w in COUNTRIES)
CREATOR_COUNTRIES = (("US", 30), ("GB", 12), ("SE", 10), ("DE", 10), ("FR", 6), ("BR", 6), ("IN", 5), ("JP", 4), ("NG", 3), ("CA", 4), ("MX", 3), ("AU", 3), ("KR", 4))
TERRITORIAL_SCOPES = (("global", 85), ("DE", 3), ("FR", 2), ("GB", 2), ("US", 2), ("DE|AT", 2), ("FR|BE|LU", 1), ("IN", 1), ("BR", 1), ("IT|ES|PT", 1))

# Who uses the platform.
AGE_BAND_MIX = np.array([0.04, 0.08, 0.09, 0.22, 0.27, 0.27, 0.03])  # at window start; last = no birth date
AGE_BAND_YEARS = ((8, 13), (13, 16), (16, 18), (18, 25), (25, 35), (35, 75))
PLAN_MIX = np.array([0.55, 0.25, 0.10, 0.07, 0.03])
PLATFORM_MIX = np.array([0.38, 0.42, 0.10, 0.06, 0.03, 0.01])
SURFACE_MIX = np.array([0.25, 0.12, 0.20, 0.10, 0.07, 0.04, 0.08, 0.06, 0.06, 0.02])
CONTENT_POPULARITY_EXPONENT = 0.9  # Zipf-like popularity of content
CONTENT_TYPE_MIX = np.array([0.45, 0.12, 0.05, 0.12, 0.08, 0.12, 0.03, 0.03])
SURFACE_CONTENT_TYPES = {
    "home": ("track", "playlist", "podcast_episode", "ai_playlist"),
    "search": ("track", "podcast_episode", "audiobook", "playlist", "user_profile"),
    "recommendations": ("track", "playlist", "podcast_episode", "audiobook"),
    "social_feed": ("user_profile", "playlist", "comment", "track"),
    "comments": ("comment",),
    "messaging": ("track", "playlist", "user_profile"),
    "ai_dj": ("ai_dj_segment",),
    "ai_playlist": ("ai_playlist",),
    "podcast_page": ("podcast_episode",),
    "other": CONTENT_TYPES,
}
HOUR_PROFILE = np.array([2, 1.5, 1, 0.8, 0.7, 0.8, 1.2, 2, 3, 3.5, 3.6, 3.8, 4, 4, 4, 4.2, 4.5, 5, 5.5, 6, 6.2, 5.5, 4, 3], dtype=float)
HOUR_PROFILE /= HOUR_PROFILE.sum()
ACTIVITY_SIGMA = 1.1          # lognormal spread of per-user activity (heavy tail)
ACTIVE_BASE = 0.28            # P(active day) = clip(ACTIVE_BASE * w^0.5)
IMPRESSIONS_BASE = 1.2        # impressions on an active day = 1 + Poisson(IMPRESSIONS_BASE * w^0.8)
GHOST_USER_SHARE = 0.004      # users with activity but no users row (unknown references)
NO_PROFILE_SHARE = 0.04       # users with a users row but no profile row
GHOST_CONTENT_SHARE = 0.0015  # impressions of content absent from the content table
SIGNUP_IN_WINDOW_SHARE = 0.12
PROFILE_CHANGE_SHARE = 0.14   # users with a profile change inside the window (a second: 20% of them)
PROFILE_CHANGE_KIND_MIX = np.array([0.65, 0.15, 0.20])  # plan, country, age-assurance birth_date correction

# a) prevalence: P(an impression is violating) per surface, constant over time.
PREVALENCE_BY_SURFACE = np.array([0.010, 0.012, 0.008, 0.030, 0.060, 0.040, 0.005, 0.012, 0.020, 0.020])
POLICY_MIX = np.array([0.08, 0.20, 0.03, 0.07, 0.04, 0.15, 0.02, 0.03, 0.12, 0.05, 0.12, 0.04, 0.03, 0.01, 0.01])
LABELS_PER_SURFACE_DAY = 10   # labeling budget per stratum and day (plus a share of the volume)
LABELS_VOLUME_SHARE = 0.0002
# The labelling team grows with the platform: above LABELS_REFERENCE_USERS accounts the fixed
# per-stratum budget scales with the population (the demo seeds' 900 users get exactly the budget above).
LABELS_REFERENCE_USERS = 900
RELABEL_SHARE = 0.03

# b) reports: P(an active user-day files a report) per reporter age band, and the reason mix.
REPORT_PROBABILITY_BY_BAND = np.array([0.008, 0.024, 0.020, 0.016, 0.010, 0.006, 0.008])
REPORT_REASON_MIX = np.array([0.07, 0.12, 0.06, 0.03, 0.02, 0.05, 0.03, 0.12, 0.02, 0.02, 0.10, 0.05, 0.14, 0.05, 0.06, 0.02, 0.04])
REPORT_ILLEGAL_SHARE = 0.06
TRUSTED_FLAGGERS = 12
TRUSTED_FLAGGER_REPORTS_PER_IMPRESSION = 1 / 5000

# Reports and first contacts scale with activity when activity_exponent a > 0 (a generator
# argument; 0 for the seeds and `tsw generate` by default): an active user-day with k impressions
# files a report with P = 1 - (1 - p_band)^(k^a), and sends a first contact likewise, so heavy users
# report and message more; at most one of each per user-day still.

# c) unwanted contact: P(first contact followed within 72 h by a block or report) per recipient band.
FIRST_CONTACT_PROBABILITY_BY_BAND = np.array([0.01, 0.03, 0.04, 0.05, 0.04, 0.03, 0.03])
UNWANTED_CONTACT_BY_BAND = np.array([0.15, 0.18, 0.14, 0.08, 0.06, 0.05, 0.07])
UNWANTED_BLOCK_SHARE = 0.7
LATE_BLOCK_SHARE = 0.03       # blocks 80-200 h after a first contact: outside the 72 h window
CONNECTION_SHARE = 0.35
FOLLOW_UP_MEAN = 0.8
BACKGROUND_MESSAGE_PROBABILITY = 0.05

# d) interventions (launch days as a share of the window).
STRANGER_FILTER_EFFECT = -0.6   # relative change of adult non-connection first contacts to minors
STRANGER_FILTER_AT = 0.50
EXPERIMENT_AT = 0.33
EXPERIMENT_EFFECT = -0.5        # relative change of ai_playlist unsafe-output probability, treatment vs control
PLACEBO_AT = 0.42

# e) AI: P(primary judge verdict unsafe) per feature and model version.
AI_USE_PROBABILITY = 0.15
AI_FEATURE_MIX = np.array([0.45, 0.35, 0.20])
AI_MODEL = {"ai_dj": "dj-1.4", "ai_playlist": "playlist-3.2"}
ASSISTANT_BASELINE, ASSISTANT_REGRESSED = "assistant-2.0", "assistant-2.1"
REGRESSION_AT = 0.62
UNSAFE_PROBABILITY = {"dj-1.4": 0.01, "playlist-3.2": 0.03, ASSISTANT_BASELINE: 0.02, ASSISTANT_REGRESSED: 0.07}
PRODUCTION_JUDGED_SHARE = 0.4
REJUDGE_SHARE = 0.03
HUMAN_JUDGED_SHARE = 0.15
HUMAN_AGREEMENT = 0.9
HUMAN_JUDGES = 15
PRIMARY_JUDGE = "llm-judge-v3"
CANDIDATE_JUDGE = "llm-judge-v4"

# f) judge drift: calibration accuracy of the primary judge per run.
CALIBRATION_CASES = 100
CALIBRATION_UNSAFE_SHARE = 0.35
JUDGE_ACCURACY_BEFORE = 0.95
JUDGE_ACCURACY_END = 0.80       # reached by the last run, declining linearly after the drift date
DRIFT_AT = 0.55
CANDIDATE_ACCURACY = 0.96
RED_TEAM_CASES = 30
BENIGN_CASES = 30
ATTACK_TECHNIQUES = ("prompt_injection", "roleplay", "obfuscation", "multi_turn", "jailbreak_prefix")
ATTACK_SUCCESS = {"dj-1.4": 0.05, "playlist-3.2": 0.08, ASSISTANT_BASELINE: 0.12, ASSISTANT_REGRESSED: 0.25}
OVER_REFUSAL = {"ai_dj": 0.02, "ai_playlist": 0.04, "ai_assistant": 0.10}

# Moderation.
REVIEW_PROBABILITY = {"organic": 0.6, "trusted_flagger": 0.95, "unwanted_contact": 0.8}
ACTION_MIX = {
    "content": np.array([0.25, 0.08, 0.10, 0.07, 0.07, 0.03, 0, 0, 0.40]),
    "user": np.array([0, 0, 0, 0, 0, 0.25, 0.20, 0.10, 0.45]),
    "message": np.array([0.45, 0, 0, 0, 0, 0.20, 0, 0, 0.35]),
    "proactive": np.array([0.35, 0.10, 0.30, 0.10, 0.10, 0, 0, 0, 0.05]),
}
PROACTIVE_PER_IMPRESSION = 1 / 800
AUTHORITY_ORDERS_PER_DAY = 0.05
APPEAL_PROBABILITY = 0.2
APPEAL_OUTCOME_MIX = np.array([0.55, 0.25, 0.13, 0.07])  # upheld, overturned, never resolved, withdrawn

# Delivery.
DUPLICATE_RATE = 0.005

DEMO_START = date(2026, 5, 1)
