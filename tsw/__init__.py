"""tsw: the trust & safety metrics warehouse's command line and Python helpers.

dbt does the modelling; this package does what dbt does not: data generation,
running builds, validation, publishing, the nightly job, benchmarks and the dashboard.
"""

__version__ = "0.1.0"
