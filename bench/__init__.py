"""The benchmark of the regional view (`make bench`) and its load test (`make load`).

Not an app: it drives every app from outside, like a user would, and nothing imports it. It
builds synthetic data on PostgreSQL (`bench.data`), times each page in-process against one
hand-written SQL statement for the same figures (`bench.pages`), the CSV exports against
`COPY`, and the periodic jobs (`bench.run`). See docs/performance.md.

`bench.suite` (`make bench-suite`) times the test suite beside an earlier commit's.
"""
