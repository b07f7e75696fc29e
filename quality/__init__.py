"""The quality gate: expectation suites as code and the decision whether a run may publish."""
