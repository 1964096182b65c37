"""The review page: reviewers correct extraction fixtures in a browser; corrections become gold."""
