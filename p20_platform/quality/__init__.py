"""Data quality on the marts: Great Expectations suites as plain functions, and their results as a page.

- `catalog`: which suites run on which mart (no GX import, for declaring the asset checks);
- `suites`: the suites, built from mart tables;
- `mart_validation`: running them with GX and rendering the results page.
"""
